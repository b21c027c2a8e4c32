"""Every connected site and its cameras, as one directory the UI can browse.

A :class:`SiteSession` owns one backend: it opens it, keeps its camera tree, and
remembers why it failed so the tree can show the problem on the site's node. A site
that cannot be reached (a server down when Vigil starts) is tried again with the same
back-off as a camera, for as long as it takes; one that refuses the credentials is not. The
:class:`Directory` answers "which camera is this reference" and "how do I play it"
across sites, and learns the real sizes of streams as they are decoded, so the
choice between main and sub-stream improves once a stream has been seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum

from viewer.backends.base import Backend
from viewer.core.errors import (
    AuthenticationError,
    CertificateError,
    NotFoundError,
    NotSupportedError,
    VigilError,
)
from viewer.core.models import Camera, CameraGroup, CameraRef, Quality, Site, StreamInfo
from viewer.core.streams import StreamDescription
from viewer.media.backoff import Backoff

log = logging.getLogger(__name__)

Listener = Callable[[], None]


# Retrying cannot fix these; the operator has to change the site first.
_FINAL_ERRORS = (AuthenticationError, CertificateError, NotSupportedError)

Sleep = Callable[[float], Awaitable[None]]


class SiteStatus(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    RETRYING = "retrying"
    """Not reachable; ``retry_at`` says when the next attempt is."""
    FAILED = "failed"


class SiteSession:
    def __init__(
        self,
        backend: Backend,
        *,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.status = SiteStatus.CONNECTING
        self.error: VigilError | None = None
        self.retry_at: float | None = None
        """``monotonic()`` of the next attempt while RETRYING."""
        self.attempts = 0
        self.tree = CameraGroup(id=backend.site.id, name=backend.site.name)
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._monotonic = monotonic
        self._retrying: asyncio.Task[None] | None = None

    @property
    def site(self) -> Site:
        return self.backend.site

    async def open(self, changed: Callable[[], None] = lambda: None) -> None:
        """Try once; if the site is unreachable, keep trying in the background and call
        ``changed`` whenever the status moves (for the tree's words)."""
        if await self._attempt():
            return
        if self.status is SiteStatus.RETRYING:
            self._retrying = asyncio.create_task(self._retry(changed))

    async def _attempt(self) -> bool:
        self.attempts += 1
        try:
            await self.backend.open()
            self.tree = await self.backend.camera_tree()
        except _FINAL_ERRORS as exc:
            log.warning("site %s: %s", self.site.name, exc)
            self.status, self.error, self.retry_at = SiteStatus.FAILED, exc, None
            return False
        except VigilError as exc:
            delay = self._backoff.next_delay()
            log.warning("site %s: %s; trying again in %.0f s", self.site.name, exc, delay)
            self.status, self.error = SiteStatus.RETRYING, exc
            self.retry_at = self._monotonic() + delay
            return False
        self.status, self.error, self.retry_at = SiteStatus.ONLINE, None, None
        self._backoff.reset()
        return True

    async def _retry(self, changed: Callable[[], None]) -> None:
        while self.status is SiteStatus.RETRYING and self.retry_at is not None:
            changed()
            await self._sleep(max(0.0, self.retry_at - self._monotonic()))
            await self._attempt()
        changed()

    async def refresh(self) -> None:
        """Re-read the camera tree after a change (a camera added, renamed, removed)."""
        try:
            self.tree = await self.backend.camera_tree()
        except VigilError as exc:
            self.status, self.error = SiteStatus.FAILED, exc

    async def close(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        try:
            await self.backend.close()
        except VigilError as exc:
            log.info("site %s did not close cleanly: %s", self.site.name, exc)


class Directory:
    def __init__(self) -> None:
        self._sessions: dict[str, SiteSession] = {}
        self._learned: dict[tuple[CameraRef, Quality], tuple[int, int]] = {}
        self._streams: dict[CameraRef, tuple[StreamInfo, ...]] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """``listener`` is called (on the event loop) whenever sites or cameras change."""
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    @property
    def sessions(self) -> tuple[SiteSession, ...]:
        return tuple(self._sessions.values())

    def session(self, site_id: str) -> SiteSession | None:
        return self._sessions.get(site_id)

    async def add(self, session: SiteSession) -> None:
        """Connect ``session``; returns after the first attempt, retrying after that."""
        self._sessions[session.site.id] = session
        self.changed()
        await session.open(self.changed)
        self.changed()

    async def remove(self, site_id: str) -> None:
        session = self._sessions.pop(site_id, None)
        self._streams = {ref: s for ref, s in self._streams.items() if ref.site_id != site_id}
        if session is not None:
            await session.close()
            self.changed()

    async def refresh(self, site_id: str) -> None:
        session = self._sessions.get(site_id)
        if session is not None:
            await session.refresh()
            self.changed()

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()

    def is_ready(self, site_id: str) -> bool:
        """Whether the site's first attempt has finished (successfully or not)."""
        session = self._sessions.get(site_id)
        return session is not None and session.status is not SiteStatus.CONNECTING

    def camera(self, ref: CameraRef) -> Camera | None:
        session = self._sessions.get(ref.site_id)
        if session is None:
            return None
        for camera in session.tree.all_cameras():
            if camera.ref == ref:
                return self._with_learned_sizes(camera)
        return None

    async def streams(self, ref: CameraRef) -> tuple[StreamInfo, ...]:
        """The camera's streams; for one its tree listed without any (a large site lists
        them per camera, on demand), its backend is asked once and the answer kept."""
        session = self._sessions.get(ref.site_id)
        camera = self.camera(ref)
        if camera is not None and session is not None and not camera.streams:
            self._streams[ref] = await session.backend.camera_streams(ref.camera_id)
            camera = self.camera(ref)
        if camera is None:
            raise NotFoundError(f"camera {ref} is not in any connected site")
        return camera.streams

    async def live(self, ref: CameraRef, quality: Quality) -> StreamDescription:
        session = self._sessions.get(ref.site_id)
        if session is None:
            raise NotFoundError(f"no site {ref.site_id!r} is connected")
        return await session.backend.live(ref.camera_id, quality)

    def learn_size(self, ref: CameraRef, quality: Quality, width: int, height: int) -> None:
        self._learned[(ref, quality)] = (width, height)

    def _with_learned_sizes(self, camera: Camera) -> Camera:
        offered = camera.streams or self._streams.get(camera.ref, ())
        streams = tuple(
            replace(stream, width=size[0], height=size[1])
            if (size := self._learned.get((camera.ref, stream.quality)))
            else stream
            for stream in offered
        )
        return replace(camera, streams=streams)
