"""Pacing of PTZ commands: what an operator's hand produces, as much as a VMS can take.

A joystick reports hundreds of positions a second; a VMS takes a few commands a second
and answers each in tens to hundreds of milliseconds. Sending every position would queue
seconds of stale moves behind the operator's hand, so the camera would keep turning
after the knob came back. The coalescer keeps one command in flight, at most one every
``interval``, and only the newest of those that came meanwhile; the last one is always
sent. A stop jumps the wait (not the command in flight: sent beside it, it could reach
the VMS first and be overtaken by the move it was meant to end), and a move that comes
after a stop waits for it.

A held command can repeat: a continuous move a server forgets after a while is renewed,
and a step is sent again and again, which is how a VMS with step moves only is steered.

Pure: the caller passes the time, so tests drive a thousand events through a second
without sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from viewer.core.models import PtzDirection

C = TypeVar("C")

COMMAND_INTERVAL = 0.1
"""Seconds between commands: about ten a second, the most a VMS is sent."""


class Coalescer(Generic[C]):
    def __init__(self, interval: float = COMMAND_INTERVAL) -> None:
        self.interval = interval
        self._pending: C | None = None
        self._held: C | None = None
        self._repeat: float | None = None
        self._stop: C | None = None
        self._in_flight = False
        self._last_sent = -math.inf
        self._moved_since_stop = False

    @property
    def in_flight(self) -> bool:
        return self._in_flight

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold(
        self, command: C, now: float, repeat: float | None = None, *, soon: bool = True
    ) -> None:
        """``command`` from now on, sent again every ``repeat`` s while it stays held.
        The held command again only changes its repeat: it is on its way or was sent.
        Not ``soon``: a repeated command that changed only by a little (a step's size)
        takes the place of the held one at its next repeat, not earlier."""
        if self._pending is not None or (command != self._held and (soon or self._held is None)):
            self._pending = command
        self._held, self._repeat = command, repeat

    def release(self, stop: C | None = None, *, force: bool = False) -> None:
        """Nothing held any more. ``stop`` goes next when a move went out since the last
        stop (or ``force``); the move still waiting is dropped."""
        self._pending = self._held = self._repeat = None
        if stop is not None and (self._moved_since_stop or force):
            self._stop = stop
            self._moved_since_stop = False

    def take(self, now: float) -> C | None:
        """The command to send now, if any; the caller calls :meth:`finished` when the
        VMS has answered (or failed)."""
        if self._in_flight:
            return None
        command: C | None = None
        if self._stop is not None:
            command, self._stop = self._stop, None
        elif self._pending is not None and now >= self._last_sent + self.interval:
            command, self._pending = self._pending, None
            self._moved_since_stop = True
        elif (
            self._held is not None
            and self._repeat is not None
            and now >= self._last_sent + self._repeat
        ):
            command = self._held
            self._moved_since_stop = True
        if command is not None:
            self._in_flight, self._last_sent = True, now
        return command

    def finished(self) -> None:
        self._in_flight = False

    def wake_at(self) -> float | None:
        """When :meth:`take` may next have something (None: only after a new call)."""
        if self._in_flight:
            return None
        if self._stop is not None:
            return -math.inf
        if self._pending is not None:
            return self._last_sent + self.interval
        if self._held is not None and self._repeat is not None:
            return self._last_sent + max(self._repeat, self.interval)
        return None


@dataclass(frozen=True)
class Deflection:
    """A control's position: pan and tilt from -1 (left, down) to 1 (right, up), zoom
    from -1 (out) to 1 (in), rounded to ``STEPS`` so that a trembling hand does not
    make a new command of every pixel."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0

    @classmethod
    def of(cls, pan: float, tilt: float, zoom: float = 0.0) -> Deflection:
        return cls(_quantised(pan), _quantised(tilt), _quantised(zoom))

    @property
    def idle(self) -> bool:
        return self.pan == 0.0 and self.tilt == 0.0 and self.zoom == 0.0

    @property
    def magnitude(self) -> float:
        """How far the pan/tilt stick is pushed, 0 to 1 (a corner is 1, not 1.41)."""
        return min(1.0, math.hypot(self.pan, self.tilt))


STEPS = 20
"""Speed levels each way: finer than an operator can feel, coarse enough to skip a
hand's tremor."""
DEAD_ZONE = 0.08
"""A knob let go rarely lands exactly on its centre."""


def _quantised(value: float) -> float:
    if not math.isfinite(value):
        return 0.0
    value = max(-1.0, min(1.0, value))
    if abs(value) < DEAD_ZONE:
        return 0.0
    return round(value * STEPS) / STEPS


_COMPASS = (
    PtzDirection.RIGHT,
    PtzDirection.UP_RIGHT,
    PtzDirection.UP,
    PtzDirection.UP_LEFT,
    PtzDirection.LEFT,
    PtzDirection.DOWN_LEFT,
    PtzDirection.DOWN,
    PtzDirection.DOWN_RIGHT,
)


def nearest_direction(pan: float, tilt: float) -> PtzDirection | None:
    """The one of eight directions nearest the stick's angle, for a VMS that moves by
    direction only; None at the centre."""
    if pan == 0.0 and tilt == 0.0:
        return None
    sector = round(math.atan2(tilt, pan) / (math.pi / 4)) % 8
    return _COMPASS[sector]
