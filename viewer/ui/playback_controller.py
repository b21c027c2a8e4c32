"""The window's playback controls, timeline and events panel joined to one playback
session (services/playback.py).

The playback bar and the timeline speak in plain calls and signals; the session's work
is asynchronous (a seek opens streams, "next event" asks the sites). This adapter turns
the one into the other and keeps the widgets' look in step: the timeline's cursor
follows the session's clock while anything plays back and the live edge otherwise.

The events panel shows the events of the cameras and span the timeline shows, asked
again a moment after either changes (not on every pixel of a drag).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, QTimer

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
        bar.connect_controls(self)
        timeline.seek_requested.connect(self.seek)

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
            self._bar.set_playing(False)

    def previous_event(self) -> None:
        spawn(self.session.next_event(forward=False))

    def next_event(self) -> None:
        spawn(self.session.next_event(forward=True))

    def set_skip_gaps(self, on: bool) -> None:
        self.session.skip_gaps = on
        if on and self.session.active:
            spawn(self.session.skip_gap())

    def set_sync(self, on: bool) -> None:
        spawn(self.session.set_sync(on))

    def go_live(self) -> None:
        spawn(self.session.live())
        self._timeline.set_clock(None)
        self._bar.set_live(True)

    # -- what the timeline and the events panel ask -----------------------------------

    def seek(self, instant: datetime) -> None:
        spawn(self.session.seek(instant))
        self._show_playback()

    def show_event(self, camera: CameraRef, instant: datetime) -> None:
        spawn(self.session.show_event(camera, instant))
        self._show_playback()

    def _show_playback(self) -> None:
        self._timeline.set_clock(self.session.clock)
        self._bar.set_live(False)
        self._bar.set_playing(not self.session.clock.paused)


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
