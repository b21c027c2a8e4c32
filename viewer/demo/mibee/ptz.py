"""ONVIF PTZ of the simulated NVR: a dome per camera, moves, presets.

The server reads ``{"mode","pan","tilt","zoom"}``; the wiki documents ``{"x","y","zoom",
"speed"}``, which is taken too (as an absolute move) so that old clients work, and
recorded so that tests can tell which form a client sent. Positions are ONVIF's generic
space (pan and tilt -1 to 1 over the head's whole range, zoom 0 to 1). Each camera is a
dome (demo/dome.py) whose view its RTSP restream shows (demo/ptz_view.py): a compact
pan-tilt camera, slower than a VMS's outdoor domes (``SPEC``). A continuous move is a
velocity the head follows until stopped or for ``continuous_limit`` seconds, as the
server drops a move nobody renews. [guess] An absolute or relative move, or a preset,
is answered once the camera is there (``arrived``, at most ``ARRIVAL_LIMIT`` s).
"""

from __future__ import annotations

import math
from typing import Any

from viewer.demo.dome import Dome, DomeSpec, Space, until_still

SPEC = DomeSpec(pan_speed=18.0, tilt_speed=10.0, zoom_seconds=10.0, travel_speed=90.0)
ARRIVAL_LIMIT = 3.0
"""Seconds a move's answer waits for the head; a longer move goes on after it."""


class PtzRefused(Exception):
    """The server's 400: ``code`` and its words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Head:
    """One camera's dome seen in the NVR's numbers; setting ``pan``, ``tilt`` or
    ``zoom`` puts the head there at once (a test's hand)."""

    def __init__(self) -> None:
        self.dome = Dome(SPEC)
        self.space = Space(SPEC)
        self.presets: dict[str, tuple[str, tuple[float, float, float]]] = {}

    def position(self) -> tuple[float, float, float]:
        return self.space.position(self.dome.pose())

    def _place(self, pan: float, tilt: float, zoom: float) -> None:
        self.dome.place(self.space.pose(pan, tilt, zoom))

    @property
    def pan(self) -> float:
        return self.position()[0]

    @pan.setter
    def pan(self, value: float) -> None:
        self._place(value, self.tilt, self.zoom)

    @property
    def tilt(self) -> float:
        return self.position()[1]

    @tilt.setter
    def tilt(self, value: float) -> None:
        self._place(self.pan, value, self.zoom)

    @property
    def zoom(self) -> float:
        return self.position()[2]

    @zoom.setter
    def zoom(self, value: float) -> None:
        self._place(self.pan, self.tilt, value)


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
        self.live_views: set[str] = set()
        """Cameras whose restream shows the dome's view (the demo site wires them): the
        NVR offers no sub-stream of those, so every client plays the moving picture."""
        self._next = 3

    def head(self, camera_id: str) -> Head:
        head = self.heads.get(camera_id)
        if head is None:
            raise PtzRefused("ONVIF_NOT_CAMERA", "device is not an ONVIF camera")
        return head

    def dome(self, camera_id: str) -> Dome:
        return self.head(camera_id).dome

    def moving(self, camera_id: str) -> bool:
        return self.head(camera_id).dome.moving

    async def arrived(self, camera_id: str) -> None:
        """Once an absolute or relative move, or a preset, has got there."""
        if camera_id in self.heads:
            await until_still(self.heads[camera_id].dome, ARRIVAL_LIMIT)

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
            head.dome.continuous(pan, tilt, zoom, self.continuous_limit)
        elif mode == "absolute":
            head.dome.move_to(
                head.space.pose(_clamp(pan, -1, 1), _clamp(tilt, -1, 1), _clamp(zoom, 0, 1))
            )
        elif mode == "relative":
            if not all(-1.0 <= v <= 1.0 for v in (pan, tilt, zoom)):
                raise PtzRefused("INVALID_INPUT", "invalid input: relative moves are -1 to 1")
            half_tilt = (SPEC.tilt_max - SPEC.tilt_min) / 2
            head.dome.move_by(pan * 180.0, tilt * half_tilt, zoom * (SPEC.zoom_max - 1.0))
        else:
            raise PtzRefused(
                "INVALID_INPUT", "invalid input: mode must be continuous, absolute or relative"
            )
        return "ok"

    def stop(self, camera_id: str) -> None:
        self.head(camera_id).dome.stop()

    def status(self, camera_id: str) -> dict[str, Any]:
        head = self.head(camera_id)
        pan, tilt, zoom = head.position()
        return {
            "pan": round(pan, 4),
            "tilt": round(tilt, 4),
            "zoom": round(zoom, 4),
            "moving": head.dome.moving,
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
        head.presets[token] = (name, head.position())
        return token

    def goto(self, camera_id: str, token: str) -> bool:
        head = self.head(camera_id)
        if token not in head.presets:
            return False
        head.dome.move_to(head.space.pose(*head.presets[token][1]))
        return True

    def delete(self, camera_id: str, token: str) -> bool:
        return self.head(camera_id).presets.pop(token, None) is not None
