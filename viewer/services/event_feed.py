"""The events and alerts of a span for a set of cameras, newest first, a page at a time.

An operator reviewing an incident reads the newest events first and scrolls back, so
the feed asks the sites for the span from its end backwards, one chunk of time at a
time, and stops asking once a page's worth has come in: a week of a busy site is never
fetched because somebody glanced at the panel. A chunk that brings little makes the
next one longer (a quiet night is crossed in a few requests), one that brings a lot
makes it shorter.

While the span reaches the present, what the sites push as it happens is added at the
top. A pushed event and the same event read back from storage are one entry: pushes
do not always carry the stored id (a REST gateway's do not), so an entry is known by
its camera, type and time.

A site that keeps no events is named in ``silent_sites``; one whose request fails is
named in ``problems`` with the error, and the feed carries on with the others: one
unreachable recorder must not hide every other site's alarms.

Thumbnails (services/thumbnails.py) are fetched here because when they are taken
matters: an event heard live gets the camera's snapshot at once (its picture of that
moment, as the VMS offers it); a stored event gets a frame grabbed from the camera's
recording at the event's instant, never today's snapshot of a scene long changed.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from viewer.backends.base import Backend
from viewer.core.errors import NotSupportedError, VigilError
from viewer.core.models import CameraRef, Event, TimeSpan
from viewer.services.directory import Directory
from viewer.services.thumbnails import Thumbnail, Thumbnails

log = logging.getLogger(__name__)

PAGE = 50
"""Entries a call to ``more()`` tries to add: about two screens of the panel."""
FIRST_CHUNK = timedelta(hours=1)
MAX_CHUNK = timedelta(days=7)
# Requests one feed has under way at once; a site asked per camera must not be flooded.
CONCURRENCY = 4
# A span that ends this close to now is taken to reach the present.
LIVE_SLACK = timedelta(minutes=1)
# Boundaries some servers treat as exclusive (XProtect's gt/lt): each request reaches
# this far past its chunk, and the overlap is de-duplicated.
EDGE = timedelta(milliseconds=1)

Listener = Callable[[], None]


@dataclass(frozen=True)
class FeedItem:
    event: Event
    camera: CameraRef
    camera_name: str
    live: bool = False
    """Heard as it happened (rather than read back from storage)."""

    @property
    def key(self) -> tuple[CameraRef, str, datetime]:
        return (self.camera, self.event.type, self.event.time)


class EventFeed:
    def __init__(
        self,
        directory: Directory,
        cameras: Iterable[CameraRef],
        span: TimeSpan,
        *,
        page: int = PAGE,
        first_chunk: timedelta = FIRST_CHUNK,
        thumbnails: Thumbnails | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cameras = tuple(dict.fromkeys(cameras))
        self.span = span
        self.page = page
        self.silent_sites: set[str] = set()
        """Sites that keep no events (their backend says so)."""
        self.problems: dict[str, VigilError] = {}
        """The last failure of each site whose events could not be read."""
        self.thumbnails = thumbnails
        self._directory = directory
        self._chunk = first_chunk
        self._cursor = span.end
        """Everything from here to the span's end has been asked for."""
        self._now = now
        self._items: list[FeedItem] = []
        self._sort_keys: list[float] = []
        self._keys: set[tuple[CameraRef, str, datetime]] = set()
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._pictures: dict[tuple[CameraRef, str, datetime], Thumbnail] = {}
        self._fetching: set[tuple[CameraRef, str, datetime]] = set()
        self._closed = False

    # -- reading ---------------------------------------------------------------------

    @property
    def items(self) -> tuple[FeedItem, ...]:
        """Newest first."""
        return tuple(self._items)

    @property
    def exhausted(self) -> bool:
        """Whether the whole span has been asked for: scrolling further brings nothing."""
        return self._cursor <= self.span.start

    @property
    def follows_live(self) -> bool:
        return self.span.end >= self._now() - LIVE_SLACK

    def subscribe(self, listener: Listener) -> None:
        """``listener()`` on the loop whenever entries, thumbnails or problems change."""
        self._listeners.append(listener)

    def thumbnail(self, item: FeedItem) -> Thumbnail | None:
        return self._pictures.get(item.key)

    # -- asking ----------------------------------------------------------------------

    async def more(self) -> int:
        """Ask for older chunks until a page's worth of entries came or the span is
        done; returns how many entries were added."""
        added = 0
        while added < self.page and not self.exhausted and not self._closed:
            start = max(self.span.start, self._cursor - self._chunk)
            chunk = TimeSpan(start, self._cursor)
            found = await self._ask(chunk)
            self._cursor = start
            added += sum(self._add(item) for item in found)
            if len(found) < self.page // 2:
                self._chunk = min(MAX_CHUNK, self._chunk * 4)
            elif len(found) > 4 * self.page:
                self._chunk = max(timedelta(minutes=1), self._chunk / 2)
        self._tell()
        return added

    async def _ask(self, chunk: TimeSpan) -> list[FeedItem]:
        asked = TimeSpan(chunk.start - EDGE, chunk.end + EDGE)
        answers = await asyncio.gather(*(self._ask_camera(ref, asked) for ref in self.cameras))
        return [
            item
            for events in answers
            for item in events
            if chunk.start <= item.event.time <= chunk.end
        ]

    async def _ask_camera(self, ref: CameraRef, span: TimeSpan) -> list[FeedItem]:
        backend = self._backend(ref.site_id)
        if backend is None or ref.site_id in self.silent_sites:
            return []
        if not backend.capabilities.events:
            # Declared without events (a MiBee NVR): named under the list, never asked.
            self.silent_sites.add(ref.site_id)
            return []
        try:
            async with self._limit:
                events = await backend.events_between(ref.camera_id, span)
        except NotSupportedError:
            self.silent_sites.add(ref.site_id)
            return []
        except VigilError as exc:
            log.info("events of %s: %s", ref, exc)
            self.problems[ref.site_id] = exc
            return []
        self.problems.pop(ref.site_id, None)
        return [self._item(event, ref) for event in events]

    def _backend(self, site_id: str) -> Backend | None:
        session = self._directory.session(site_id)
        return None if session is None else session.backend

    def _item(self, event: Event, ref: CameraRef, live: bool = False) -> FeedItem:
        camera = self._directory.camera(ref)
        return FeedItem(event, ref, camera.name if camera else ref.camera_id, live)

    def _add(self, item: FeedItem) -> bool:
        if item.key in self._keys:
            return False
        self._keys.add(item.key)
        # Kept in ascending order of -time, so the newest is first.
        sort_key = -item.event.time.timestamp()
        at = bisect.bisect_right(self._sort_keys, sort_key)
        self._sort_keys.insert(at, sort_key)
        self._items.insert(at, item)
        return True

    def _tell(self) -> None:
        for listener in self._listeners:
            listener()

    # -- live ------------------------------------------------------------------------

    def start(self) -> None:
        """Follow what the cameras' sites push, while the span reaches the present."""
        if not self.follows_live or self._closed:
            return
        for site_id in dict.fromkeys(ref.site_id for ref in self.cameras):
            backend = self._backend(site_id)
            if backend is not None and backend.capabilities.events:
                self._spawn(self._follow(backend, site_id))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_event_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event feed task failed", exc_info=task.exception())

    async def _follow(self, backend: Backend, site_id: str) -> None:
        wanted = {ref.camera_id for ref in self.cameras if ref.site_id == site_id}
        try:
            events = backend.events()
            try:
                async for event in events:
                    self._heard(backend, site_id, wanted, event)
            finally:
                close = getattr(events, "aclose", None)
                if close is not None:
                    await close()
        except NotSupportedError:
            self.silent_sites.add(site_id)
        except VigilError as exc:
            log.info("live events of %s: %s", site_id, exc)
            self.problems[site_id] = exc
            self._tell()

    def _heard(self, backend: Backend, site_id: str, wanted: set[str], event: Event) -> None:
        ref = event.camera
        if ref is None or ref.camera_id not in wanted or event.time < self.span.start:
            return
        item = self._item(event, CameraRef(site_id, ref.camera_id), live=True)
        if not self._add(item):
            return
        self._tell()
        if self.thumbnails is not None and backend.capabilities.snapshot:
            self._fetching.add(item.key)
            self._spawn(self._picture_now(backend, item))

    async def _picture_now(self, backend: Backend, item: FeedItem) -> None:
        assert self.thumbnails is not None
        try:
            picture = await self.thumbnails.snapshot(backend, item.camera)
        finally:
            self._fetching.discard(item.key)
        if picture is not None:
            self._pictures[item.key] = picture
            self._tell()

    def request_thumbnail(self, item: FeedItem) -> None:
        """Fetch the entry's picture in the background; listeners hear when it came.
        Closing the feed stops the fetch (a grab's player included)."""
        if not self._closed:
            self._spawn(self._fetch_quietly(item))

    async def _fetch_quietly(self, item: FeedItem) -> None:
        await self.fetch_thumbnail(item)

    async def fetch_thumbnail(self, item: FeedItem) -> Thumbnail | None:
        """The entry's picture, fetched once (a live entry's snapshot may still be on
        its way: then nothing is fetched twice)."""
        if (
            item.key in self._pictures
            or item.key in self._fetching
            or self.thumbnails is None
            or self._closed
        ):
            return self._pictures.get(item.key)
        backend = self._backend(item.camera.site_id)
        if backend is None:
            return None
        self._fetching.add(item.key)
        try:
            picture = await self.thumbnails.recorded(backend, item.camera, item.event.time)
        finally:
            self._fetching.discard(item.key)
        if picture is not None and not self._closed:
            self._pictures[item.key] = picture
            self._tell()
        return picture

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listeners.clear()
