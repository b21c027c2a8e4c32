"""The REST gateway's PTZ heads: a dome per PTZ camera, in the gateway's own units.

Seed 000 moves in degrees: pan 0-360, tilt -90 to 90, zoom the magnification 1-20;
``/ptz/move`` goes to a position, ``/ptz/relative`` by an amount, each with a speed 0-1
(a number, or one per axis: the slowest is taken). The head is a positioner that tilts
the whole ±90° (the seed's presets look 15° and 30° up), travelling at a dome's pace
(demo/dome.py); its live view is what the camera's RTSP URLs play (demo/ptz_view.py).
[guess] A move is answered once the head is there, with where that is.
"""

from __future__ import annotations

import json
import math

from viewer.demo.dome import Dome, DomeSpec, Pose, until_still

SPEC = DomeSpec(tilt_min=-90.0, tilt_max=90.0)
ARRIVAL_LIMIT = 10.0


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
        numbers = [v for v in value.values() if _finite(v)]
        value = min(numbers) if numbers else None
    return max(0.0, min(1.0, float(value))) if _finite(value) else 1.0


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
