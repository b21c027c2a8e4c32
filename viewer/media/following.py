"""A player following a playback clock: when to show each recorded picture, and when
the stream itself must move.

Two kinds of source play recordings. A client-paced one (a VOD playlist, a file)
arrives as fast as it is read, so the player holds each picture until the clock
reaches its recorded instant, drops the ones the clock has passed, and seeks inside
the open container when the clock jumps. A server-paced one (WebRTC, RTSP playback)
comes at the pace the server chose for the instant and speed it was asked for; the
player still holds pictures that come early, and when the clock jumps, changes speed,
or the stream falls more than :data:`DRIFT` behind it, the stream is asked for again at
the clock's position. It is asked for a little ahead (:attr:`Following.lead`, learned
from how long the last start took), so its pictures come early and are held, rather
than late for good.

While it holds a picture for the clock (paused, a slow speed, a gap), a player
receives nothing on purpose: the stall watchdog must not read that as a frozen stream
(:attr:`Following.holding`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum

from viewer.core.playback import ClockChange, ClockState, PlaybackClock
from viewer.core.streams import StreamDescription

ResolveAt = Callable[[datetime, float], StreamDescription]
"""Asks the backend for the recording at an instant and speed, from the player's thread."""

DRIFT = 0.25
"""Seconds a picture may lag the clock before the player corrects it."""
# A client-paced source this far behind the clock is sought forward rather than
# decoded through (16x on a 25 fps stream would be 400 pictures a second).
SEEK_AHEAD = 3.0
# How long a server-paced stream may lag past DRIFT before it is asked for again, and
# the least time between two such corrections (a server that cannot keep up is not
# restarted in a loop).
LAG_PATIENCE = 1.0
RESYNC_SPACING = 3.0
# Bounds of the lead a server-paced stream is asked for ahead of the clock.
LEAD_FLOOR, LEAD_CEILING, LEAD_MARGIN = 0.2, 3.0, 0.15
# A hold longer than this is not the stream's silence (the watchdog's business).
LONG_HOLD = 0.5


class Verdict(Enum):
    SHOW = "show"
    SKIP = "skip"
    """The clock has passed it: decode on, show the next."""
    SEEK = "seek"
    """The clock jumped: a client-paced source seeks to :attr:`Following.position`."""
    RESTART = "restart"
    """A server-paced stream must be asked for again (or closed while paused)."""


class Following:
    """One player's tie to a playback clock, for the player's whole life."""

    def __init__(self, clock: PlaybackClock, resolve_at: ResolveAt) -> None:
        self.clock = clock
        self.resolve_at = resolve_at
        self.holding = False
        self.lead = 0.5
        self._changed = threading.Event()
        self._seen = clock.generation
        self._unsubscribe = clock.subscribe(self._heard)
        self._asked_at: float | None = None
        self._first_shown = False
        self._learned = False
        self._late_shown = False
        self._late_since: float | None = None
        self._last_restart = 0.0
        self._long_hold = False
        # A seek or step not yet shown: even a paused clock needs the picture there.
        self._moved = True
        self._restart = False
        self._seeking = False
        self.hold_ended = 0.0
        """Monotonic seconds when the last hold ended: silence before it was on purpose."""

    def close(self) -> None:
        self._unsubscribe()

    def _heard(self, state: ClockState) -> None:
        self._changed.set()

    def wake(self) -> None:
        """Ends a wait at once (the player is stopping)."""
        self._changed.set()

    # -- asking for the stream --------------------------------------------------

    def describe(self) -> tuple[StreamDescription, float]:
        """A description at the clock's position (a lead ahead while it runs) and the
        instant it was asked for (UTC seconds)."""
        self._seen = self.clock.generation
        self._changed.clear()
        state = self.clock.state()
        ahead = 0.0 if state.paused else self.lead * state.speed
        asked = state.anchor + ahead
        self._asked_at = time.monotonic()
        self._first_shown = False
        self._learned = False
        self._late_since = None
        description = self.resolve_at(datetime.fromtimestamp(asked, UTC), state.speed)
        return description, asked

    @property
    def position(self) -> float:
        return self.clock.state().anchor

    # -- pacing -----------------------------------------------------------------

    def take_restart(self) -> bool:
        """Whether the stream just ended because the clock moved (and forget it)."""
        restart, self._restart = self._restart, False
        return restart

    def change(self) -> ClockChange | None:
        """The latest change since the last look, if the clock changed; marks it seen."""
        state = self.clock.state()
        if state.generation == self._seen:
            return None
        self._seen = state.generation
        self._changed.clear()
        if state.change in (ClockChange.SEEK, ClockChange.STEP):
            self._moved = True
        return state.change

    @property
    def idle(self) -> bool:
        """Paused with the picture of the paused instant shown: no stream is needed."""
        return self.clock.paused and not self._moved

    def pace(self, instant: float | None, stop: threading.Event, *, server_paced: bool) -> Verdict:
        """Hold a picture of ``instant`` until the clock reaches it; what to do with it."""
        if instant is None:
            return Verdict.SHOW
        while True:
            change = self.change()
            if change is not None and server_paced:
                self._restart = True
                return Verdict.RESTART
            if change in (ClockChange.SEEK, ClockChange.STEP):
                self._seeking = True
                return Verdict.SEEK
            state = self.clock.state()
            lateness = state.anchor - instant
            # A paused seek shows the picture at the instant, or the next one there is.
            if lateness >= 0 or (state.paused and self._moved):
                return self._shown(lateness, state.anchor_monotonic, server_paced)
            if state.paused and server_paced:
                # Nothing more to show until the clock moves: let the session go.
                self._restart = True
                return Verdict.RESTART
            due = state.monotonic_at(instant)
            wait = None if due is None else due - state.anchor_monotonic
            if self._hold(wait, stop):
                return Verdict.SKIP

    def _shown(self, lateness: float, now: float, server_paced: bool) -> Verdict:
        # Only an operator's seek or the start, whose picture on screen (if any) is of
        # another instant, shows its first picture late; after the player's own
        # correction, a reconnect or a speed change the last picture stays until one
        # within DRIFT comes, so a synchronised view never shows a tile off the clock.
        late_first = not self._first_shown and self._moved
        self._late_shown = late_first and lateness > DRIFT
        if not self._learned and self._asked_at is not None:
            # What the next request must allow for: the time to the first picture.
            self._learned = True
            took = now - self._asked_at
            self.lead = min(LEAD_CEILING, max(LEAD_FLOOR, took + LEAD_MARGIN))
        if not server_paced:
            # Right after a seek the pictures from the key frame on are decoded through.
            if lateness > SEEK_AHEAD and not self._seeking:
                self._seeking = True
                return Verdict.SEEK
            if lateness > DRIFT and not late_first:
                return Verdict.SKIP
            return self._show()
        if lateness <= DRIFT:
            self._late_since = None
            return self._show()
        if late_first:
            # Something to look at at once; the pictures after it must catch up.
            self._late_since = now
            return self._show()
        if self._late_since is None:
            self._late_since = now
        if now - self._late_since < LAG_PATIENCE or now - self._last_restart < RESYNC_SPACING:
            # A late picture is passed over, as a client-paced one is: the tile keeps
            # the last one rather than show one the clock has left behind.
            return Verdict.SKIP
        self._last_restart = now
        self._restart = True
        return Verdict.RESTART

    def overdue(self, instant: float | None) -> bool:
        """Whether a picture judged due fell more than DRIFT behind the clock while it was
        converted (at 4x, 60 ms of a loaded machine are 0.24 s of recorded time); the
        start's or a seek's late first picture is shown all the same."""
        if instant is None or self._late_shown:
            return False
        return self.clock.state().anchor - instant > DRIFT

    def _show(self) -> Verdict:
        self._first_shown = True
        self._moved = False
        self._seeking = False
        return Verdict.SHOW

    def _hold(self, seconds: float | None, stop: threading.Event) -> bool:
        """Wait ``seconds`` (None: until the clock changes); True if stopping."""
        if stop.is_set():
            return True
        self.holding = True
        began = time.monotonic()
        try:
            self._changed.wait(seconds)
        finally:
            self.holding = False
            self.hold_ended = time.monotonic()
            if self.hold_ended - began > LONG_HOLD:
                self._long_hold = True
        return stop.is_set()

    def wait_for_change(self, stop: threading.Event) -> bool:
        """Hold (the last picture stays) until the clock changes; True if stopping."""
        while not stop.is_set():
            if self.change() is not None:
                return False
            self._hold(None, stop)
        return True

    def settle(self, stop: threading.Event) -> bool:
        """Before a server-paced stream is asked for: hold while the clock is paused on
        a picture already shown. True if stopping."""
        while self.idle:
            if self.wait_for_change(stop):
                return True
        return stop.is_set()

    def took_long_hold(self) -> bool:
        """Whether a hold since the last call was long enough to upset the watchdog's view."""
        long_hold, self._long_hold = self._long_hold, False
        return long_hold


def instant_text(instant: float) -> str:
    """For log lines."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=instant)).isoformat()
