"""ONVIF PTZ of the simulated NVR: a position per camera, moves, presets.

The server reads ``{"mode","pan","tilt","zoom"}``; the wiki documents ``{"x","y","zoom",
"speed"}``, which is taken too (as an absolute move) so that old clients work, and
recorded so that tests can tell which form a client sent. A continuous move is a
velocity the camera follows until stopped or for ``continuous_limit`` seconds, as the
server drops a move nobody renews.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any


class PtzRefused(Exception):
    """The server's 400: ``code`` and its words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Head:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    since: float = 0.0
    presets: dict[str, tuple[str, tuple[float, float, float]]] = field(default_factory=dict)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _number(body: dict[str, Any], key: str, default: float | None = None) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise PtzRefused("INVALID_INPUT", f"invalid input: {key} must be a number")
    return float(value)


class PtzCameras:
    def __init__(self, camera_ids: list[str], continuous_limit: float = 10.0) -> None:
        self.continuous_limit = continuous_limit
        self.heads = {camera_id: Head() for camera_id in camera_ids}
        for head in self.heads.values():
            head.presets["preset_1"] = ("Home Position", (0.0, 0.0, 0.0))
            head.presets["preset_2"] = ("Corner View", (0.5, 0.3, 0.5))
        self.moves: list[dict[str, Any]] = []
        self._next = 3

    def head(self, camera_id: str) -> Head:
        head = self.heads.get(camera_id)
        if head is None:
            raise PtzRefused("ONVIF_NOT_CAMERA", "device is not an ONVIF camera")
        self._settle(head)
        return head

    def _settle(self, head: Head, now: float | None = None) -> None:
        """Moves the head along its velocity up to now (or the end of a stale move)."""
        now = time.monotonic() if now is None else now
        if head.velocity == (0.0, 0.0, 0.0):
            return
        ends = head.since + self.continuous_limit
        until = min(now, ends)
        elapsed = max(0.0, until - head.since)
        vp, vt, vz = head.velocity
        head.pan = _clamp(head.pan + vp * elapsed * 0.1, -1.0, 1.0)
        head.tilt = _clamp(head.tilt + vt * elapsed * 0.1, -1.0, 1.0)
        head.zoom = _clamp(head.zoom + vz * elapsed * 0.1, 0.0, 1.0)
        head.since = until
        if now >= ends:
            head.velocity = (0.0, 0.0, 0.0)

    def moving(self, camera_id: str) -> bool:
        return self.head(camera_id).velocity != (0.0, 0.0, 0.0)

    def move(self, camera_id: str, body: Any) -> str:
        head = self.head(camera_id)
        if not isinstance(body, dict):
            raise PtzRefused("INVALID_INPUT", "invalid input: body must be a JSON object")
        if "mode" not in body and ("x" in body or "y" in body):
            body = {
                "mode": "absolute",
                "pan": body.get("x", head.pan),
                "tilt": body.get("y", head.tilt),
                "zoom": body.get("zoom", head.zoom),
                "wiki": True,
            }
        mode = body.get("mode")
        pan, tilt = _number(body, "pan", 0.0), _number(body, "tilt", 0.0)
        zoom = _number(body, "zoom", 0.0 if mode != "absolute" else head.zoom)
        self.moves.append({"camera": camera_id, **body})
        if mode == "continuous":
            if not all(-1.0 <= v <= 1.0 for v in (pan, tilt, zoom)):
                raise PtzRefused("INVALID_INPUT", "invalid input: velocities are -1 to 1")
            head.velocity, head.since = (pan, tilt, zoom), time.monotonic()
        elif mode == "absolute":
            head.velocity = (0.0, 0.0, 0.0)
            head.pan, head.tilt = _clamp(pan, -1, 1), _clamp(tilt, -1, 1)
            head.zoom = _clamp(zoom, 0, 1)
        elif mode == "relative":
            head.velocity = (0.0, 0.0, 0.0)
            head.pan, head.tilt = _clamp(head.pan + pan, -1, 1), _clamp(head.tilt + tilt, -1, 1)
            head.zoom = _clamp(head.zoom + zoom, 0, 1)
        else:
            raise PtzRefused(
                "INVALID_INPUT", "invalid input: mode must be continuous, absolute or relative"
            )
        return "ok"

    def stop(self, camera_id: str) -> None:
        self.head(camera_id).velocity = (0.0, 0.0, 0.0)

    def status(self, camera_id: str) -> dict[str, Any]:
        head = self.head(camera_id)
        return {
            "pan": round(head.pan, 4),
            "tilt": round(head.tilt, 4),
            "zoom": round(head.zoom, 4),
            "moving": head.velocity != (0.0, 0.0, 0.0),
        }

    def presets(self, camera_id: str) -> dict[str, Any]:
        head = self.head(camera_id)
        return {
            "presets": [
                {
                    "token": token,
                    "name": name,
                    "position": {"pan": p[0], "tilt": p[1], "zoom": p[2]},
                }
                for token, (name, p) in head.presets.items()
            ]
        }

    def create(self, camera_id: str, body: Any) -> str:
        head = self.head(camera_id)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise PtzRefused("INVALID_INPUT", "invalid input: name is required")
        token = f"preset_{self._next}"
        self._next += 1
        head.presets[token] = (name, (head.pan, head.tilt, head.zoom))
        return token

    def goto(self, camera_id: str, token: str) -> bool:
        head = self.head(camera_id)
        if token not in head.presets:
            return False
        head.velocity = (0.0, 0.0, 0.0)
        head.pan, head.tilt, head.zoom = head.presets[token][1]
        return True

    def delete(self, camera_id: str, token: str) -> bool:
        return self.head(camera_id).presets.pop(token, None) is not None
