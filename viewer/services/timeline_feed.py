"""What the timeline draws for its cameras over the visible span, fetched from their
sites without the scrubber ever waiting on the network.

An operator pans and zooms continuously: every wheel notch is a new span. Asking each
site for exactly the visible span would refetch nearly the same hours on every notch,
so spans are fetched in aligned chunks whose length follows the zoom (ten minutes when
looking at seconds, a week when looking at a week), kept, and reused by any later view
they cover, a coarser chunk serving the finer ones inside it. Requests wait until the
operator has stopped for a moment (debounce), chunks being fetched are shared, and
what is known is told at once, so the bar fills in while the rest arrives.

Bookmarks kept by this Vigil (for sites that keep none, services/bookmarks.py) are
drawn with each row's site ones, read from the settings every time the rows are told:
a new one shows at once, without fetching anything (:meth:`TimelineFeed.bookmarks_changed`).

Chunks that reach past the moment they were fetched grow as cameras keep recording:
they are fetched again once ``fresh_for`` has passed. A camera whose site keeps no
recordings (plain RTSP cameras, a gateway without a timeline) gets a row that says
so, never an empty bar an operator would read as "nothing was recorded".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from viewer.core.errors import NotFoundError, NotSupportedError, VigilError
from viewer.core.models import Bookmark, CameraRef, Event, Timeline, TimeSpan
from viewer.core.timeline import merge_spans
from viewer.services.directory import Directory, SiteStatus

log = logging.getLogger(__name__)

CHUNKS: tuple[timedelta, ...] = (
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=7),
)
"""Lengths of the aligned pieces fetched; a view is covered by two to five of them."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RowState(StrEnum):
    LOADING = "loading"
    """Some of the span is still being fetched; what is known is in the row already."""
    READY = "ready"
    NO_RECORDINGS = "no recordings"
    """The camera's site keeps no recordings: there is nothing to fetch, ever."""
    UNAVAILABLE = "unavailable"
    """The site is not connected or refused; ``problem`` says why."""


@dataclass(frozen=True)
class TimelineRow:
    """One camera's line of the scrubber over the span asked for."""

    camera: CameraRef
    name: str
    state: RowState
    span: TimeSpan
    recorded: tuple[TimeSpan, ...] = ()
    """Merged, oldest first, cut to ``span``."""
    events: tuple[Event, ...] = ()
    bookmarks: tuple[Bookmark, ...] = ()
    problem: VigilError | None = None


@dataclass
class _Chunk:
    timeline: Timeline
    fetched_at: datetime


@dataclass
class _Request:
    cameras: tuple[CameraRef, ...]
    span: TimeSpan
    generation: int
    failures: dict[CameraRef, VigilError] = field(default_factory=dict)


Listener = Callable[[tuple[TimelineRow, ...]], None]
LocalBookmarks = Callable[[CameraRef, TimeSpan], Sequence[Bookmark]]
"""A camera's bookmarks kept by this Vigil over a span (``Bookmarks.local``)."""
Key = tuple[CameraRef, timedelta, int]


def chunk_length(span: TimeSpan) -> timedelta:
    """The chunk for a view of ``span``: at least a quarter of it, so a view needs at
    most five chunks and a pan of a quarter reuses most of them."""
    for length in CHUNKS:
        if length * 4 >= span.duration:
            return length
    return CHUNKS[-1]


def chunks(span: TimeSpan, length: timedelta) -> range:
    """The indices of the ``length`` chunks (counted from the epoch) meeting ``span``."""
    first = (span.start - _EPOCH) // length
    last = (span.end - _EPOCH) // length
    if _EPOCH + last * length == span.end and last > first:
        last -= 1
    return range(first, last + 1)


def chunk_span(length: timedelta, index: int) -> TimeSpan:
    start = _EPOCH + index * length
    return TimeSpan(start, start + length)


class TimelineFeed:
    def __init__(
        self,
        directory: Directory,
        *,
        debounce: float = 0.15,
        fresh_for: float = 30.0,
        parallel: int = 6,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._directory = directory
        self._debounce = debounce
        self._fresh_for = timedelta(seconds=fresh_for)
        self._clock = clock
        self._parallel = asyncio.Semaphore(parallel)
        self._cache: dict[Key, _Chunk] = {}
        self._fetching: dict[Key, asyncio.Task[_Chunk | None]] = {}
        self._listeners: list[Listener] = []
        self._request: _Request | None = None
        self._generation = 0
        self._waiting: asyncio.TimerHandle | None = None
        self._loads: set[asyncio.Task[None]] = set()
        self._settled = asyncio.Event()
        self._rows: tuple[TimelineRow, ...] = ()
        self._unsupported: dict[CameraRef, NotSupportedError] = {}
        """Cameras whose backend said it keeps no timeline for them: never asked again."""
        self._closed = False
        self._local: LocalBookmarks | None = None
        directory.subscribe(self._directory_changed)

    def set_local_bookmarks(self, local: LocalBookmarks) -> None:
        """Where this Vigil's own bookmarks come from; the rows show them from now on."""
        self._local = local
        self.bookmarks_changed()

    def bookmarks_changed(self) -> None:
        """A bookmark was made, changed or removed: the rows are told again at once with
        the kept ones (a site's own need :meth:`refresh`, which fetches)."""
        if self._request is not None and not self._closed:
            self._publish(self._request)

    @property
    def rows(self) -> tuple[TimelineRow, ...]:
        return self._rows

    def subscribe(self, listener: Listener) -> None:
        """``listener(rows)`` on the event loop whenever what the scrubber shows changed."""
        self._listeners.append(listener)

    def show(self, cameras: Sequence[CameraRef], span: TimeSpan) -> None:
        """The scrubber now shows ``cameras`` over ``span``: what is known is told at
        once, the rest is fetched once the operator has paused."""
        if self._closed:
            return
        self._generation += 1
        self._request = _Request(tuple(cameras), span, self._generation)
        self._settled.clear()
        self._publish(self._request)
        if self._waiting is not None:
            self._waiting.cancel()
        # A timer, not a sleeping task: show() runs from Qt handlers, where qasync may
        # not count as a running loop and asyncio.sleep would raise (docs/pitfalls.md).
        loop = asyncio.get_event_loop()
        self._waiting = loop.call_later(self._debounce, self._after_pause, self._request)

    def refresh(self, camera: CameraRef | None = None) -> None:
        """Forget what was fetched (of one camera, or all) and fetch the view again: a
        bookmark was added, a site reconnected."""
        self._cache = {
            key: chunk for key, chunk in self._cache.items() if camera not in (None, key[0])
        }
        if self._request is not None:
            self.show(self._request.cameras, self._request.span)

    async def settled(self) -> tuple[TimelineRow, ...]:
        """The rows once the latest view has been fetched (tests and scripts wait on it)."""
        await self._settled.wait()
        return self._rows

    async def close(self) -> None:
        self._closed = True
        tasks = [*self._fetching.values(), *self._loads]
        if self._waiting is not None:
            self._waiting.cancel()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listeners.clear()

    # -- fetching ----------------------------------------------------------------------

    def _after_pause(self, request: _Request) -> None:
        load = asyncio.ensure_future(self._load(request))
        self._loads.add(load)
        load.add_done_callback(self._loads.discard)

    async def _load(self, request: _Request) -> None:
        length = chunk_length(request.span)
        wanted: list[asyncio.Task[_Chunk | None]] = []
        for camera in request.cameras:
            if self._kind(camera) is not RowState.LOADING or camera in self._unsupported:
                continue
            for index in chunks(request.span, length):
                if self._cached(camera, length, index) is None:
                    wanted.append(self._fetch(request, camera, length, index))
        if wanted:
            await asyncio.wait(wanted)
        if request.generation == self._generation:
            self._publish(request)
            if all(row.state is not RowState.LOADING for row in self._rows):
                self._settled.set()
            elif not wanted:
                # Nothing left to fetch yet (a site still connecting): done for now.
                self._settled.set()

    def _fetch(
        self, request: _Request, camera: CameraRef, length: timedelta, index: int
    ) -> asyncio.Task[_Chunk | None]:
        key = (camera, length, index)
        task = self._fetching.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch_chunk(request, key))
            self._fetching[key] = task
            task.add_done_callback(lambda _done: self._fetching.pop(key, None))
        return task

    async def _fetch_chunk(self, request: _Request, key: Key) -> _Chunk | None:
        camera, length, index = key
        session = self._directory.session(camera.site_id)
        if session is None:
            return None
        async with self._parallel:
            fetched_at = self._clock()
            try:
                timeline = await session.backend.timeline(
                    camera.camera_id, chunk_span(length, index)
                )
            except NotSupportedError as exc:
                self._unsupported[camera] = exc
                return None
            except VigilError as exc:
                log.info("timeline of %s: %s", camera, exc)
                request.failures[camera] = exc
                return None
        chunk = _Chunk(timeline, fetched_at)
        self._cache[key] = chunk
        return chunk

    def _cached(self, camera: CameraRef, length: timedelta, index: int) -> _Chunk | None:
        """The freshest-enough chunk covering ``index``: itself or a coarser one."""
        span = chunk_span(length, index)
        for coarser in CHUNKS[CHUNKS.index(length) :]:
            key = (camera, coarser, (span.start - _EPOCH) // coarser)
            chunk = self._cache.get(key)
            if chunk is not None and self._fresh(chunk):
                return chunk
        return None

    def _fresh(self, chunk: _Chunk) -> bool:
        if chunk.timeline.span.end <= chunk.fetched_at:
            return True  # the past does not change
        return self._clock() - chunk.fetched_at < self._fresh_for

    # -- rows ----------------------------------------------------------------------------

    def _kind(self, camera: CameraRef) -> RowState:
        """What can be known about ``camera`` before asking for its timeline."""
        session = self._directory.session(camera.site_id)
        if session is None or session.status in (SiteStatus.RETRYING, SiteStatus.FAILED):
            return RowState.UNAVAILABLE
        if session.status is SiteStatus.CONNECTING:
            return RowState.LOADING
        if not session.backend.capabilities.timeline:
            return RowState.NO_RECORDINGS
        return RowState.LOADING

    def _row(self, request: _Request, camera: CameraRef) -> TimelineRow:
        known = self._directory.camera(camera)
        name = known.name if known is not None else str(camera)
        span = request.span
        kind = self._kind(camera)
        if kind is RowState.UNAVAILABLE:
            session = self._directory.session(camera.site_id)
            problem = session.error if session is not None else None
            problem = problem or NotFoundError(f"site {camera.site_id!r} is not connected")
            return TimelineRow(camera, name, kind, span, problem=problem)
        failure = request.failures.get(camera)
        unsupported = self._unsupported.get(camera)
        kept = tuple(self._local(camera, span)) if self._local is not None else ()
        if unsupported is not None or kind is RowState.NO_RECORDINGS:
            return TimelineRow(
                camera, name, RowState.NO_RECORDINGS, span, bookmarks=kept, problem=unsupported
            )
        length = chunk_length(span)
        pieces = [self._cached(camera, length, index) for index in chunks(span, length)]
        found = [piece.timeline for piece in pieces if piece is not None]
        if failure is not None and len(found) < len(pieces):
            state = RowState.UNAVAILABLE
        elif len(found) < len(pieces):
            state = RowState.LOADING
        else:
            state = RowState.READY
        recorded = merge_spans(
            TimeSpan(max(segment.span.start, span.start), min(segment.span.end, span.end))
            for timeline in found
            for segment in timeline.segments
            if segment.span.end > span.start and segment.span.start < span.end
        )
        events = {
            (event.id, event.time): event
            for timeline in found
            for event in timeline.events
            if span.start <= event.time <= span.end
        }
        marks = {
            mark.id: mark
            for timeline in found
            for mark in timeline.bookmarks
            if mark.span.end >= span.start and mark.span.start <= span.end
        }
        marks.update((mark.id, mark) for mark in kept)
        return TimelineRow(
            camera,
            name,
            state,
            span,
            recorded,
            tuple(sorted(events.values(), key=lambda event: event.time)),
            tuple(sorted(marks.values(), key=lambda mark: mark.span.start)),
            failure if state is RowState.UNAVAILABLE else None,
        )

    def _publish(self, request: _Request) -> None:
        rows = [self._row(request, camera) for camera in request.cameras]
        self._rows = tuple(self._told_apart(rows))
        for listener in list(self._listeners):
            listener(self._rows)

    def _told_apart(self, rows: list[TimelineRow]) -> list[TimelineRow]:
        """Rows of cameras with one name (each site has its "Main entrance") named with
        their site as well."""
        names = Counter(row.name for row in rows)
        for index, row in enumerate(rows):
            session = self._directory.session(row.camera.site_id)
            if names[row.name] > 1 and session is not None:
                rows[index] = replace(row, name=f"{row.name} · {session.site.name}")
        return rows

    def _directory_changed(self) -> None:
        """A site came online (or went): its cameras' rows can be fetched now."""
        if self._request is not None and not self._closed:
            self.show(self._request.cameras, self._request.span)
