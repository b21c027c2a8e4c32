"""Playback: tiles leave live video to show recordings at one clock's instant.

Like the vendors' clients, Vigil plays an incident back on several cameras side by
side: in "sync" mode every tile of the view follows one :class:`PlaybackClock`; with
sync off only the selected tile does and the others stay live. Each following tile
plays on a player of its own (services/camera_view.py ``play_back``), never the shared
live one, and keeps its last picture while it switches.

The session knows where each camera recorded (the backend's timeline, asked for hours
around the clock and again when the clock leaves them): a tile whose camera has no
recording at the clock's instant says so instead of holding a picture of another
moment, and "skip gaps" moves the clock over instants no followed camera recorded.
Previous and next event look up the followed cameras' stored events around the clock.
A camera that records nothing (a plain RTSP camera) follows too, and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from viewer.core.errors import NotFoundError, NotSupportedError, UnreachableError, VigilError
from viewer.core.models import CameraRef, TimeSpan
from viewer.core.playback import PlaybackClock
from viewer.core.streams import StreamDescription
from viewer.core.timeline import merge_spans, next_recorded, span_at
from viewer.media.following import ResolveAt
from viewer.media.player import StateListener, StreamPlayer, Subscription, Wake
from viewer.services.camera_view import RESOLVE_TIMEOUT, CameraView
from viewer.services.directory import Directory

log = logging.getLogger(__name__)

# The recorded spans asked for around the clock, each side.
COVERAGE_REACH = timedelta(hours=6)
# How often the tiles' "no recording" words and gap skipping follow the clock.
WATCH_EVERY = 0.25
# A frame step when the stream's rate is not known.
FRAME = 1 / 25
# Windows of recordings looked through for where a gap ends.
LOOK_AHEAD = 4
# How far past its start a VOD playlist is trusted to reach (MiBee's are 48 h).
PLAYLIST_REACH = timedelta(hours=47)
# How long closing waits for the playback players' threads.
JOIN_TIMEOUT = 3.0
# How far the previous or next event is looked for.
EVENT_REACH = timedelta(days=7)
# An event this close to the clock is the one being watched, not the next.
EVENT_SLACK = timedelta(seconds=1)


@dataclass
class _Coverage:
    window: TimeSpan
    spans: tuple[TimeSpan, ...] | None
    """Merged recorded spans of ``window``; None where the site does not say (then
    every instant is taken to be recorded: the player finds out)."""


class PlaybackSession:
    def __init__(
        self,
        directory: Directory,
        views: Callable[[], Sequence[CameraView]],
        selected: Callable[[], CameraView | None],
        *,
        clock: PlaybackClock | None = None,
        watch_every: float = WATCH_EVERY,
        player_factory: Callable[[StreamDescription], StreamPlayer] = StreamPlayer,
    ) -> None:
        self.clock = clock or PlaybackClock(datetime.now(UTC))
        self.sync = True
        """All tiles of the view follow the clock; otherwise the selected one alone."""
        self.skip_gaps = False
        self._directory = directory
        self._views = views
        self._selected = selected
        self._watch_every = watch_every
        self._coverage: dict[CameraRef, _Coverage] = {}
        self._asking: set[CameraRef] = set()
        self._watching: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._only: CameraView | None = None
        self._player_factory = player_factory
        self._playlists: dict[CameraRef, datetime] = {}
        """Where each camera's open VOD playlist starts (it cannot seek before that)."""
        self._players: list[StreamPlayer] = []
        """With sync off, the tile an event was picked for (else the selected one)."""

    # -- what the tiles ask ------------------------------------------------------------

    async def describe(self, ref: CameraRef, at: datetime, speed: float) -> StreamDescription:
        session = self._directory.session(ref.site_id)
        if session is None:
            raise NotFoundError(f"no site {ref.site_id!r} is connected")
        backend = session.backend
        if not backend.capabilities.playback:
            raise NotSupportedError(f"{backend.site.name} keeps no recordings")
        description = await backend.playback(ref.camera_id, at, speed)
        if description.signalling is None and description.url.startswith(("http:", "https:")):
            # A playlist from ``at``: the player seeks inside it, never before its start.
            self._playlists[ref] = at
        else:
            self._playlists.pop(ref, None)
        return description

    def subscribe(
        self, ref: CameraRef, description: StreamDescription, wake: Wake, on_state: StateListener
    ) -> Subscription:
        """A player of the tile's own, following the clock from its first connection
        (it must follow before it starts); it stops when the tile lets go of it."""
        self._loop = self._loop or asyncio.get_event_loop()
        player = self._player_factory(description)
        subscription = player.subscribe(wake, on_state)
        player.follow(self.clock, self._resolver(ref))
        player.start()
        self._players = [p for p in self._players if not p.finished] + [player]
        return subscription

    def _resolver(self, ref: CameraRef) -> ResolveAt:
        loop = self._loop or asyncio.get_event_loop()

        def resolve(at: datetime, speed: float) -> StreamDescription:
            future = asyncio.run_coroutine_threadsafe(self.describe(ref, at, speed), loop)
            try:
                return future.result(RESOLVE_TIMEOUT)
            except TimeoutError:
                future.cancel()
                raise UnreachableError(
                    f"{ref}'s recording could not be asked for in time"
                ) from None

        return resolve

    # -- state -------------------------------------------------------------------------

    @property
    def following(self) -> tuple[CameraView, ...]:
        return tuple(view for view in self._views() if view.playback is self)

    @property
    def active(self) -> bool:
        return bool(self.following)

    @property
    def can_step_back(self) -> bool:
        """A frame back is a seek back: possible while a followed camera's site keeps
        recordings (a plain RTSP camera following the clock has none to step in)."""
        return any(self._plays_back(view.ref) for view in self.following)

    def _plays_back(self, ref: CameraRef) -> bool:
        session = self._directory.session(ref.site_id)
        return session is not None and session.backend.capabilities.playback

    # -- controls ----------------------------------------------------------------------

    async def seek(self, at: datetime) -> None:
        """Show ``at``: the clock moves there and the tiles that should follow it do."""
        self.clock.seek(at)
        for view in self.following:
            start = self._playlists.get(view.ref)
            if start is not None and not start <= at <= start + PLAYLIST_REACH:
                # Outside the tile's playlist (a MiBee VOD from the last instant asked):
                # a new one from here.
                await view.play_back(self)
        await self._follow()

    async def show_event(self, camera: CameraRef, at: datetime) -> None:
        """An event picked in the events panel: its camera's tile (selected, when sync
        is off) and the others at its instant."""
        if not self.sync:
            selected = self._selected()
            if selected is None or selected.ref != camera:
                for view in self._views():
                    if view.ref == camera:
                        selected = view
                        break
            self._only = selected
        await self.seek(at)

    async def set_sync(self, sync: bool) -> None:
        self.sync = sync
        if self.active:
            await self._follow()

    def play(self) -> None:
        self.clock.play()

    def pause(self) -> None:
        self.clock.pause()

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)

    def step(self, frames: int) -> None:
        """Frames forward (or back, negative) while paused: the clock moves by the
        followed streams' frame interval."""
        self.clock.pause()
        self.clock.step(frames * self._frame_interval())

    def _frame_interval(self) -> float:
        intervals = [v.frame_interval for v in self.following if v.frame_interval]
        return min(intervals) if intervals else FRAME

    async def skip_gap(self) -> bool:
        """From a gap, to where the next followed camera's recording resumes."""
        target = await self._next_recorded(self.clock.position())
        if target is None or target <= self.clock.position():
            return False
        self.clock.seek(target)
        return True

    async def next_event(self, forward: bool = True) -> bool:
        """Seek to the followed cameras' next (or previous) stored event."""
        position = self.clock.position()
        if forward:
            span = TimeSpan(position + EVENT_SLACK, position + EVENT_REACH)
        else:
            span = TimeSpan(position - EVENT_REACH, position - EVENT_SLACK)
        found: list[datetime] = []
        for ref in {view.ref for view in self.following}:
            session = self._directory.session(ref.site_id)
            if session is None:
                continue
            try:
                events = await session.backend.events_between(ref.camera_id, span)
            except VigilError as exc:
                log.info("events of %s: %s", ref, exc)
                continue
            found += [e.time for e in events if span.start <= e.time <= span.end]
        if not found:
            return False
        self.clock.seek(min(found) if forward else max(found))
        return True

    async def live(self) -> None:
        """Every tile back to live; the clock stops where it was."""
        self.clock.pause()
        self._only = None
        for view in self.following:
            await view.go_live()
        await self._stop_watching()

    async def close(self, join_timeout: float = JOIN_TIMEOUT) -> None:
        """Tiles back to live and every playback player's thread ended (within a bound:
        a read blocked in FFmpeg ends only at its timeout)."""
        await self.live()
        await self.stop()
        await asyncio.to_thread(self.join, join_timeout)

    async def stop(self) -> None:
        """Quitting: every playback player asked to end, no tile sent back to live (that
        would open live streams on the way out); :meth:`join` waits for them."""
        await self._stop_watching()
        for player in self._players:
            player.stop()

    def join(self, timeout: float) -> list[StreamPlayer]:
        """Wait, at most ``timeout`` seconds in all, for stopped players' threads; those
        still running are returned (and logged), the others forgotten."""
        left = _join([p for p in self._players if p.stopping], timeout)
        self._players = [p for p in self._players if not p.stopping or p in left]
        for player in left:
            log.warning("%s did not stop in time", player.description.display_url)
        return left

    # -- following ---------------------------------------------------------------------

    def _targets(self) -> list[CameraView]:
        views = list(self._views())
        if self.sync:
            return views
        chosen = self._only or self._selected()
        return [view for view in views if view is chosen]

    async def _follow(self) -> None:
        self._loop = asyncio.get_event_loop()
        targets = self._targets()
        for view in self._views():
            if view in targets and view.playback is not self:
                self._update_missing(view)
                await view.play_back(self)
            elif view not in targets and view.playback is self:
                await view.go_live()
        self._start_watching()

    def _start_watching(self) -> None:
        if self._watching is None or self._watching.done():
            self._watching = asyncio.get_event_loop().create_task(self._watch())

    async def _stop_watching(self) -> None:
        task, self._watching = self._watching, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        while self.active:
            position = self.clock.position()
            for view in self.following:
                self._update_missing(view, position)
            if self.skip_gaps and not self.clock.paused and self._all_missing(position):
                await self.skip_gap()
            await asyncio.sleep(self._watch_every)

    def _all_missing(self, position: datetime) -> bool:
        following = self.following
        return bool(following) and all(self._missing(v.ref, position) for v in following)

    def _update_missing(self, view: CameraView, position: datetime | None = None) -> None:
        view.set_recording_missing(self._missing(view.ref, position or self.clock.position()))

    def _missing(self, ref: CameraRef, position: datetime) -> bool:
        """Whether ``ref`` recorded nothing at ``position``, as far as is known now; asks
        the site in the background when the position leaves what was asked."""
        if not self._plays_back(ref):
            return True
        coverage = self._coverage.get(ref)
        if coverage is None or not (coverage.window.start <= position <= coverage.window.end):
            self._ask_coverage(ref, position)
            if coverage is None:
                return False
        if coverage.spans is None:
            return False
        return span_at(coverage.spans, position) is None

    def _ask_coverage(self, ref: CameraRef, position: datetime) -> None:
        if ref in self._asking:
            return
        self._asking.add(ref)

        async def ask() -> None:
            try:
                self._coverage[ref] = await self._coverage_around(ref, position)
            finally:
                self._asking.discard(ref)

        task = asyncio.get_event_loop().create_task(ask())
        task.add_done_callback(_log_failure)

    async def _coverage_around(self, ref: CameraRef, position: datetime) -> _Coverage:
        window = TimeSpan(position - COVERAGE_REACH, position + COVERAGE_REACH)
        session = self._directory.session(ref.site_id)
        if session is None:
            return _Coverage(window, ())
        try:
            timeline = await session.backend.timeline(ref.camera_id, window)
        except NotSupportedError:
            return _Coverage(window, None)
        except VigilError as exc:
            log.info("recordings of %s: %s", ref, exc)
            return _Coverage(window, None)
        return _Coverage(window, merge_spans(segment.span for segment in timeline.segments))

    async def recorded_spans(self, ref: CameraRef) -> tuple[TimeSpan, ...] | None:
        """The camera's recorded spans around the clock (asked now if not known)."""
        position = self.clock.position()
        coverage = self._coverage.get(ref)
        if coverage is None or not (coverage.window.start <= position <= coverage.window.end):
            coverage = self._coverage[ref] = await self._coverage_around(ref, position)
        return coverage.spans

    async def _next_recorded(self, position: datetime) -> datetime | None:
        found = []
        for ref in {view.ref for view in self.following}:
            after = await self._recorded_after(ref, position)
            if after is not None:
                found.append(after)
        return min(found) if found else None

    async def _recorded_after(self, ref: CameraRef, position: datetime) -> datetime | None:
        """The camera's first recorded instant from ``position`` on, looking a few
        windows ahead: a gap may outlast what was asked around the clock."""
        coverage = self._coverage.get(ref)
        if coverage is None or not (coverage.window.start <= position <= coverage.window.end):
            coverage = await self._coverage_around(ref, position + COVERAGE_REACH)
        for _ in range(LOOK_AHEAD):
            if coverage.spans is None:
                return None
            after = next_recorded(coverage.spans, position)
            if after is not None:
                return after
            coverage = await self._coverage_around(ref, coverage.window.end + COVERAGE_REACH)
        return None


def _join(players: list[StreamPlayer], timeout: float) -> list[StreamPlayer]:
    deadline = time.monotonic() + timeout
    return [p for p in players if not p.join(max(0.0, deadline - time.monotonic()))]


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("asking for recorded spans failed", exc_info=task.exception())
