"""What a gamepad's sticks and buttons mean for a PTZ camera: pure, read 50 times a second.

The left stick steers (a round dead zone, so a worn stick resting off centre moves
nothing, and the rest of the travel rescaled to start at zero speed), the triggers zoom
(right in, left out) or else the right stick's vertical; the D-pad steers gently. The
face buttons A, B, X and Y go to presets 1-4 and Start goes home, once per press.
Deflections are rounded to steps of 1/20: a hand's tremble would otherwise be a new
command every reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

AXIS_MAX = 32767
"""SDL's game controller axes run from -32768 to 32767 (triggers 0 to 32767)."""
DEAD_ZONE = 0.15
"""Of the stick's travel: a resting stick reads up to about 0.1 on worn pads."""
TRIGGER_DEAD_ZONE = 0.1
STEP = 0.05
DPAD_SPEED = 0.4
"""The D-pad's deflection: fine adjustments, slower than the stick pushed home."""
PRESET_BUTTONS = ("a", "b", "x", "y")
HOME_BUTTON = "start"


@dataclass(frozen=True)
class PadReading:
    """One reading of a pad in SDL's game controller terms: axes by name (``leftx``,
    ``lefty``, ``rightx``, ``righty``, ``triggerleft``, ``triggerright``; y grows
    downwards) and the names of the buttons held."""

    axes: dict[str, int] = field(default_factory=dict)
    buttons: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PadIntent:
    """What the operator asks: deflections from -1 to 1 (right, up and zoom in
    positive) and the preset (1-4) or home pressed since the last reading."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    preset: int | None = None
    home: bool = False

    @property
    def idle(self) -> bool:
        return self.pan == 0.0 and self.tilt == 0.0 and self.zoom == 0.0


def _axis(reading: PadReading, name: str) -> float:
    value = reading.axes.get(name, 0)
    return max(-1.0, min(1.0, value / AXIS_MAX))


def _rounded(value: float) -> float:
    return round(value / STEP) * STEP + 0.0


def stick(x: float, y: float, dead_zone: float = DEAD_ZONE) -> tuple[float, float]:
    """A stick's position (-1 to 1, y down) as a deflection (y up): nothing inside the
    dead zone's circle, then speed growing from zero to one along the same direction."""
    length = math.hypot(x, y)
    if length <= dead_zone:
        return 0.0, 0.0
    scale = min(1.0, (length - dead_zone) / (1.0 - dead_zone)) / length
    return _rounded(x * scale), _rounded(-y * scale)


def _trigger(value: float) -> float:
    if value <= TRIGGER_DEAD_ZONE:
        return 0.0
    return min(1.0, (value - TRIGGER_DEAD_ZONE) / (1.0 - TRIGGER_DEAD_ZONE))


def intent(reading: PadReading, before: PadReading | None = None) -> PadIntent:
    """The operator's wish from ``reading``; ``before`` (the previous reading) tells a
    button just pressed from one still held."""
    pan, tilt = stick(_axis(reading, "leftx"), _axis(reading, "lefty"))
    if pan == 0.0 and tilt == 0.0:
        dx = ("dpad_right" in reading.buttons) - ("dpad_left" in reading.buttons)
        dy = ("dpad_up" in reading.buttons) - ("dpad_down" in reading.buttons)
        pan, tilt = dx * DPAD_SPEED, dy * DPAD_SPEED
    zoom = _rounded(
        _trigger(_axis(reading, "triggerright")) - _trigger(_axis(reading, "triggerleft"))
    )
    if zoom == 0.0:
        zoom = stick(0.0, _axis(reading, "righty"))[1]
    pressed = reading.buttons - (before.buttons if before is not None else frozenset())
    preset = next(
        (number for number, name in enumerate(PRESET_BUTTONS, start=1) if name in pressed),
        None,
    )
    return PadIntent(pan, tilt, zoom, preset, HOME_BUTTON in pressed)
