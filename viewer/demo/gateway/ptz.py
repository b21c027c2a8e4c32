"""The REST gateway's PTZ heads: a dome per PTZ camera, in the gateway's own units.

Seed 000 moves in degrees: pan 0-360, tilt -90 to 90, zoom the magnification 1-20;
``/ptz/move`` goes to a position, ``/ptz/relative`` by an amount, each with a speed 0-1
(a number, or one per axis: the slowest is taken). The head is a positioner that tilts
the whole ±90° (the seed's presets look 15° and 30° up), travelling at a dome's pace
(demo/dome.py); its live view is what the camera's RTSP URLs play (demo/ptz_view.py).
[guess] A move is answered once the head is there (or after ``ARRIVAL_LIMIT``), with
where it is then.
"""

from __future__ import annotations

import json
import math

from viewer.demo.dome import Dome, DomeSpec, Pose, until_still

SPEC = DomeSpec(tilt_min=-90.0, tilt_max=90.0)
ARRIVAL_LIMIT = 3.0
"""Seconds a move's answer waits for the head; a longer move goes on after it."""


class Head:
    def __init__(self) -> None:
        self.dome = Dome(SPEC)

    @property
    def pan(self) -> float:
        return self.dome.pose().pan

    @property
    def tilt(self) -> float:
        return self.dome.pose().tilt

    @property
    def zoom(self) -> float:
        return self.dome.pose().zoom

    def move_to(self, pan: float, tilt: float, zoom: float, speed: float) -> None:
        self.dome.move_to(Pose(pan, tilt, zoom), speed)

    def move_by(self, pan: float, tilt: float, zoom: float, speed: float) -> None:
        self.dome.move_by(pan, tilt, zoom, speed)

    async def arrived(self) -> None:
        await until_still(self.dome, ARRIVAL_LIMIT)


def speed_of(body: bytes) -> float:
    """The body's ``speed``: a number, or ``{pan, tilt, zoom}`` of which the slowest is
    taken; 1 when missing or unreadable (the body's other numbers are checked apart)."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return 1.0
    value = document.get("speed") if isinstance(document, dict) else None
    if isinstance(value, dict):
        numbers = [n for n in map(_finite, value.values()) if n is not None]
        return max(0.0, min(1.0, *numbers)) if numbers else 1.0
    number = _finite(value)
    return 1.0 if number is None else max(0.0, min(1.0, number))


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
