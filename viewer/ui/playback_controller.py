"""The window's playback controls, timeline and events panel joined to one playback
session (services/playback.py).

The playback bar and the timeline speak in plain calls and signals; the session's work
is asynchronous (a seek opens streams, "next event" asks the sites). This adapter turns
the one into the other and keeps the widgets' look in step: the timeline's cursor
follows the session's clock while anything plays back and the live edge otherwise, and
the bar shows the session's state whoever changed it (a frame step pauses, an event
picked in the events panel leaves live video, skip gaps moves the clock): play or
pause, speed, sync, skip gaps, live or playback, and whether a frame back is possible.

The events panel shows the events of the cameras and span the timeline shows, asked
again a moment after either changes (not on every pixel of a drag).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from viewer.core.models import CameraRef, TimeSpan
from viewer.services.playback import PlaybackSession
from viewer.ui.events_panel import EventsPanel
from viewer.ui.playback_bar import PlaybackBar
from viewer.ui.tasks import spawn
from viewer.ui.timeline import TimelinePanel

# Pausing live video shows the recording this far back: the last seconds are often
# not on the recorder's disk yet.
LIVE_LAG = timedelta(seconds=2)
# The events panel follows the timeline's cameras and span after this many ms of rest.
EVENTS_SETTLE_MS = 800
# Spans that differ by less than this are the same to the events panel.
SPAN_GRAIN = timedelta(minutes=1)


class PlaybackController(QObject):
    _clock_changed = Signal()
    """The clock's listeners run on the thread that changed it: this brings the news to
    the GUI thread."""

    def __init__(
        self,
        session: PlaybackSession,
        bar: PlaybackBar,
        timeline: TimelinePanel,
        parent: QObject | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._bar = bar
        self._timeline = timeline
        self._now = now
        self._live = True
        self._stopped = False
        # The bar's Sync starts off, and the timeline with it: the session follows suit.
        session.sync = bar.sync_button.isChecked()
        bar.connect_controls(self)
        timeline.seek_requested.connect(self.seek)
        self._clock_changed.connect(self.show_state)
        self._unsubscribe = session.clock.subscribe(lambda _state: self._clock_changed.emit())
        self.show_state()

    def show_state(self) -> None:
        """The bar as the session is now."""
        if self._stopped:
            return
        session, bar = self.session, self._bar
        bar.set_live(self._live)
        if not self._live:
            bar.set_playing(not session.clock.paused)
        bar.set_speed(session.clock.speed)
        bar.set_sync(session.sync)
        bar.set_skip_gaps(session.skip_gaps)
        bar.set_can_step_back(session.can_step_back)

    def stop(self) -> None:
        """The window closes: the session (the console's) outlives the bar."""
        self._stopped = True
        self._unsubscribe()

    # -- what the bar asks (PlaybackControls) -------------------------------------------

    def play(self) -> None:
        if not self.session.active:
            self.seek(self._now() - LIVE_LAG)
        self.session.play()

    def pause(self) -> None:
        self.session.pause()
        if not self.session.active:
            self.seek(self._now() - LIVE_LAG)

    def set_speed(self, speed: float) -> None:
        self.session.set_speed(speed)

    def step(self, frames: int) -> None:
        if self.session.active:
            self.session.step(frames)

    def previous_event(self) -> None:
        spawn(self.session.next_event(forward=False))

    def next_event(self) -> None:
        spawn(self.session.next_event(forward=True))

    def set_skip_gaps(self, on: bool) -> None:
        self.session.skip_gaps = on
        if on and self.session.active:
            spawn(self.session.skip_gap())

    def set_sync(self, on: bool) -> None:
        spawn(self._then_show(self.session.set_sync(on)))

    def go_live(self) -> None:
        self._live = True
        spawn(self.session.live())
        self._timeline.set_clock(None)
        self.show_state()

    # -- what the timeline and the events panel ask -----------------------------------

    def seek(self, instant: datetime) -> None:
        spawn(self._then_show(self.session.seek(instant)))
        self._show_playback()

    def show_event(self, camera: CameraRef, instant: datetime) -> None:
        spawn(self._then_show(self.session.show_event(camera, instant)))
        self._show_playback()

    def _show_playback(self) -> None:
        self._live = False
        self._timeline.set_clock(self.session.clock)
        self.show_state()

    async def _then_show(self, change: Coroutine[Any, Any, object]) -> None:
        """Which tiles follow (and so whether a frame back is possible) is known only
        once the session has moved them."""
        await change
        self.show_state()


class EventsScope(QObject):
    """Keeps the events panel on the timeline's cameras and visible span."""

    def __init__(
        self,
        panel: EventsPanel,
        cameras: Callable[[], Sequence[CameraRef]],
        span: Callable[[], TimeSpan],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._panel = panel
        self._cameras = cameras
        self._span = span
        self._shown: tuple[tuple[CameraRef, ...], datetime, datetime] | None = None
        self._timer = QTimer(self, interval=EVENTS_SETTLE_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        cameras = tuple(self._cameras())
        span = self._span()
        key = (cameras, _grain(span.start), _grain(span.end))
        if key == self._shown:
            return
        self._shown = key
        if cameras:
            self._panel.show_events(list(cameras), span)
        else:
            self._panel.close_feed()

    def stop(self) -> None:
        self._timer.stop()
        self._panel.close_feed()


def _grain(instant: datetime) -> datetime:
    seconds = SPAN_GRAIN.total_seconds()
    return datetime.fromtimestamp(instant.timestamp() // seconds * seconds, UTC)
