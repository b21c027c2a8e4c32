"""Every connected site and its cameras, as one directory the UI can browse.

A :class:`SiteSession` owns one backend: it opens it, keeps its camera tree, and
remembers why it failed so the tree can show the problem on the site's node. A site
that cannot be reached (a server down when Vigil starts) is tried again with the same
back-off as a camera, for as long as it takes; one that refuses the credentials is not. The
:class:`Directory` answers "which camera is this reference" and "how do I play it"
across sites, and learns the real sizes of streams as they are decoded, so the
choice between main and sub-stream improves once a stream has been seen.

A site that reports its cameras' status (an XProtect site's Events and State socket)
keeps it current in the session's tree. Such changes come in bursts (a recording server
that goes down takes all its cameras with it), so a loop turn's worth is applied at
once, and they are told apart from changes of the tree's shape: a view can restyle the
cameras it shows instead of building itself again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
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
from viewer.core.models import (
    Camera,
    CameraGroup,
    CameraRef,
    CameraStatus,
    Quality,
    Site,
    SiteHealth,
    StreamInfo,
)
from viewer.core.streams import StreamDescription
from viewer.media.backoff import Backoff
from viewer.services.health import EVERY, HealthWatch

log = logging.getLogger(__name__)

Listener = Callable[[], None]
StatusListener = Callable[[str], None]
"""Called with a site's id when cameras of that site, or its server's health, changed
status."""


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
        health_every: float = EVERY,
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
        self._changed: Callable[[], None] = lambda: None
        self._statuses_changed: Callable[[], None] = lambda: None
        self._statuses: dict[str, CameraStatus] = {}
        """The latest status the site reported for each camera id, since the last open."""
        self._watching = 0
        """Which subscription is current; a listener of an older one is deaf."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_due = False
        self._health = HealthWatch(backend, lambda _: self._statuses_changed(), every=health_every)

    @property
    def site(self) -> Site:
        return self.backend.site

    @property
    def health(self) -> SiteHealth | None:
        """The server's latest account of itself while the site is online (a change is
        told as a status change); None before the first, or where it gives none."""
        return self._health.health if self.status is SiteStatus.ONLINE else None

    async def open(
        self,
        changed: Callable[[], None] = lambda: None,
        statuses_changed: Callable[[], None] | None = None,
    ) -> None:
        """Try once; if the site is unreachable, keep trying in the background and call
        ``changed`` whenever the status moves (for the tree's words).

        Cameras' status changes call ``statuses_changed`` where given, ``changed``
        otherwise."""
        self._changed = changed
        self._statuses_changed = statuses_changed or changed
        if await self._attempt():
            return
        if self.status is SiteStatus.RETRYING:
            self._retrying = asyncio.create_task(self._retry(changed))

    async def _attempt(self) -> bool:
        self.attempts += 1
        try:
            await self.backend.open()
            # Before anything else is awaited: the first report may come on the next turn.
            self._watch()
            self.tree = _with_statuses(await self.backend.camera_tree(), self._statuses)
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
        self._health.start()
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
            self.tree = _with_statuses(await self.backend.camera_tree(), self._statuses)
        except VigilError as exc:
            self.status, self.error = SiteStatus.FAILED, exc

    def _watch(self) -> None:
        """Follow the cameras' status from now on, where the backend reports it. The
        backend may call from any thread; changes are applied on this loop."""
        self._watching += 1
        watching, loop = self._watching, asyncio.get_running_loop()
        self._loop = loop
        self._statuses.clear()

        def heard(camera_id: str, status: CameraStatus) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
                loop.call_soon_threadsafe(self._heard, watching, camera_id, status)

        with contextlib.suppress(NotSupportedError):  # a site that does not report it
            self.backend.watch_camera_status(heard)

    def _heard(self, watching: int, camera_id: str, status: CameraStatus) -> None:
        if watching != self._watching:
            return
        self._statuses[camera_id] = status
        if not self._flush_due and self._loop is not None:
            self._flush_due = True
            self._loop.call_soon(self._apply_statuses, watching)

    def _apply_statuses(self, watching: int) -> None:
        self._flush_due = False
        if watching != self._watching:
            return
        tree = _with_statuses(self.tree, self._statuses)
        if tree is not self.tree:
            self.tree = tree
            self._statuses_changed()

    async def close(self) -> None:
        self._watching += 1  # its listener hears nothing more
        await self._health.stop()
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
        self._status_listeners: list[StatusListener] = []

    def subscribe(self, listener: Listener) -> None:
        """``listener`` is called (on the event loop) whenever sites or cameras change."""
        self._listeners.append(listener)

    def subscribe_statuses(self, listener: StatusListener) -> None:
        """``listener(site_id)`` (on the event loop) when cameras of a site changed
        status, or its server's health did, and nothing else: restyling is enough."""
        self._status_listeners.append(listener)

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    def _tell_statuses(self, site_id: str) -> None:
        for listener in self._status_listeners:
            listener(site_id)

    @property
    def sessions(self) -> tuple[SiteSession, ...]:
        return tuple(self._sessions.values())

    def session(self, site_id: str) -> SiteSession | None:
        return self._sessions.get(site_id)

    async def add(self, session: SiteSession) -> None:
        """Connect ``session``; returns after the first attempt, retrying after that."""
        site_id = session.site.id
        self._sessions[site_id] = session
        self.changed()
        await session.open(self.changed, lambda: self._tell_statuses(site_id))
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


def _with_statuses(group: CameraGroup, statuses: Mapping[str, CameraStatus]) -> CameraGroup:
    """``group`` with each camera's status as the site last reported it, in every group
    that holds the camera; the same object where nothing changed."""
    if not statuses:
        return group
    cameras = tuple(
        camera
        if statuses.get(camera.ref.camera_id, camera.status) is camera.status
        else replace(camera, status=statuses[camera.ref.camera_id])
        for camera in group.cameras
    )
    groups = tuple(_with_statuses(child, statuses) for child in group.groups)
    same = all(a is b for a, b in zip(cameras, group.cameras, strict=True)) and all(
        a is b for a, b in zip(groups, group.groups, strict=True)
    )
    return group if same else replace(group, cameras=cameras, groups=groups)
