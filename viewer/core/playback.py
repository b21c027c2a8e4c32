"""The playback clock: the one recorded instant that every tile of a synchronised view follows.

Vendors' clients play several cameras of an incident side by side at one instant; if
each tile kept its own time, a seek or a speed change would scatter them. So the
instant lives here, outside Qt and outside any player: the controls move it, the
players read it from their decode threads and present the picture whose recorded
instant it has reached (or ask the server for the stream at it).

The clock is a straight line through an anchor: ``position = anchor + (now - anchor
time) * speed`` while playing, the anchor itself while paused. Every control re-anchors
at the current position first, so the position never jumps except where the operator
asked for it (seek, step), and ``generation`` counts those re-anchorings so a follower
can tell a discontinuity from ordinary progress without comparing instants.

Positions are kept as whole microseconds since the epoch (what ``datetime`` holds), so
a seek and a read-back agree exactly; the elapsed time is rounded once, which keeps
the position monotone while playing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

MIN_SPEED = 0.25
MAX_SPEED = 16.0
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""The speeds the operator's controls offer, as vendors' clients do."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class ClockChange(Enum):
    """Why the clock was re-anchored; followers treat a seek differently from a pause."""

    SEEK = "seek"
    STEP = "step"
    SPEED = "speed"
    PAUSE = "pause"
    PLAY = "play"


_SETTINGS = frozenset({ClockChange.SPEED, ClockChange.PAUSE, ClockChange.PLAY})
"""Changes that only change a setting: asking for the setting it has is no change."""


def _to_micros(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a playback instant must carry its time zone")
    return (instant - _EPOCH) // _MICROSECOND


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _checked_speed(speed: float) -> float:
    speed = float(speed)
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"playback speed {speed:g} is outside {MIN_SPEED:g}..{MAX_SPEED:g}")
    return speed


@dataclass(frozen=True)
class ClockState:
    """One consistent reading of the clock, taken under its lock.

    A decode thread reads the clock once per picture; reading position, speed and
    pause separately could mix two states across a concurrent seek. ``anchor`` is
    the recorded instant (epoch seconds) at monotonic time ``anchor_monotonic``.
    """

    anchor: float
    anchor_monotonic: float
    speed: float
    paused: bool
    generation: int
    change: ClockChange | None

    def position_at(self, monotonic: float) -> float:
        """The recorded instant (epoch seconds) the clock shows at that monotonic time."""
        if self.paused:
            return self.anchor
        return self.anchor + (monotonic - self.anchor_monotonic) * self.speed

    def monotonic_at(self, instant: float) -> float | None:
        """When (monotonic seconds) the clock reaches a recorded instant; None while paused."""
        if self.paused:
            return None
        return self.anchor_monotonic + (instant - self.anchor) / self.speed

    @property
    def position(self) -> datetime:
        """The anchor as a datetime: the position at the moment this state was taken."""
        return datetime.fromtimestamp(self.anchor, UTC)


ClockListener = Callable[[ClockState], None]


class PlaybackClock:
    """The recorded instant now, moved by seek, speed, pause, play and step.

    Thread-safe: controls run on the GUI loop, readers on decode threads. Listeners
    are called after the change, outside the lock, on the thread that made it, with
    the new state; a listener must not block (a player only notes the change and
    wakes its own thread).
    """

    def __init__(
        self,
        start: datetime,
        *,
        speed: float = 1.0,
        paused: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._anchor = _to_micros(start)
        self._anchor_monotonic = monotonic()
        self._speed = _checked_speed(speed)
        self._paused = paused
        self._generation = 0
        self._change: ClockChange | None = None
        self._listeners: list[ClockListener] = []

    def _micros_at(self, monotonic: float) -> int:
        if self._paused:
            return self._anchor
        elapsed = max(0.0, monotonic - self._anchor_monotonic)
        return self._anchor + round(elapsed * self._speed * 1_000_000)

    def position(self) -> datetime:
        """The recorded instant now (UTC)."""
        with self._lock:
            return _from_micros(self._micros_at(self._monotonic()))

    def state(self) -> ClockState:
        """A consistent reading (position re-anchored to now) for a follower's pacing."""
        with self._lock:
            return self._state_at(self._monotonic())

    def _state_at(self, now: float) -> ClockState:
        return ClockState(
            anchor=self._micros_at(now) / 1_000_000,
            anchor_monotonic=now,
            speed=self._speed,
            paused=self._paused,
            generation=self._generation,
            change=self._change,
        )

    @property
    def speed(self) -> float:
        with self._lock:
            return self._speed

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def generation(self) -> int:
        with self._lock:
            return self._generation

    def seek(self, instant: datetime) -> None:
        """Jump to a recorded instant, keeping speed and pause."""
        micros = _to_micros(instant)
        self._change_to(ClockChange.SEEK, lambda now: micros)

    def step(self, seconds: float) -> None:
        """Move by a recorded duration (negative steps back); the way to move while paused."""
        delta = round(float(seconds) * 1_000_000)
        self._change_to(ClockChange.STEP, lambda now: self._micros_at(now) + delta)

    def set_speed(self, speed: float) -> None:
        """Play at ``speed`` times real time from here on; the same speed changes nothing."""
        speed = _checked_speed(speed)
        self._change_to(ClockChange.SPEED, self._micros_at, speed=speed)

    def pause(self) -> None:
        """Stop the clock where it is; pausing a paused clock changes nothing."""
        self._change_to(ClockChange.PAUSE, self._micros_at, paused=True)

    def play(self) -> None:
        """Run the clock on from where it is; playing a running clock changes nothing."""
        self._change_to(ClockChange.PLAY, self._micros_at, paused=False)

    def _change_to(
        self,
        change: ClockChange,
        position: Callable[[float], int],
        *,
        speed: float | None = None,
        paused: bool | None = None,
    ) -> None:
        with self._lock:
            unchanged = (speed is None or speed == self._speed) and (
                paused is None or paused == self._paused
            )
            if unchanged and change in _SETTINGS:
                return
            now = self._monotonic()
            self._anchor = position(now)
            self._anchor_monotonic = now
            if speed is not None:
                self._speed = speed
            if paused is not None:
                self._paused = paused
            self._generation += 1
            self._change = change
            state = self._state_at(now)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(state)

    def subscribe(self, listener: ClockListener) -> Callable[[], None]:
        """Hear every change; returns the call that stops it (safe to call twice)."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def __repr__(self) -> str:
        state = self.state()
        how = "paused" if state.paused else f"{state.speed:g}x"
        return f"PlaybackClock({state.position.isoformat()}, {how}, generation {state.generation})"
