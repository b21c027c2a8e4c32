"""An XProtect site: OAuth2 login through its IDP, and its camera tree from the Config API.

The IDP's token lasts an hour on real servers and the API has no keep-alive, so a
background task renews it 60 s before it runs out (half-way for tokens shorter than two
minutes): with the refresh token where the server gives one (client ``VmsClient``), else
with a new password grant, which is all ``GrantValidatorClient`` allows. A request that
still meets a 401 logs in again once and retries, because a server restart voids tokens.

The tree is walked group by group, pages of ``page_size`` at a time, a few requests at
once: a site of thousands of cameras loads without one huge answer, and the walk never
holds the event loop. A camera in several groups appears in each. Its cameras come
without streams: those are asked per camera (one request each), so only when a camera
is first played or its streams are asked for, and kept. The password stays in
this object's memory only, and every secret is registered so that no log shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import httpx

from viewer.backends.base import Backend, Capabilities
from viewer.backends.milestone import bookmarks, parse, windows
from viewer.backends.milestone.events import Events
from viewer.backends.milestone.parse.events import UserDefinedEvent
from viewer.backends.milestone.ptz import Ptz
from viewer.backends.milestone.recorder import Recorders
from viewer.backends.milestone.webrtc import Playback, Sessions, camera_key, describe, sub_stream
from viewer.core.certificates import PinnedCertificate, fingerprint, https_verify
from viewer.core.errors import (
    AuthenticationError,
    CertificateChangedError,
    CertificateError,
    InvalidInputError,
    MalformedResponseError,
    UnknownCertificateError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import (
    Bookmark,
    Camera,
    CameraGroup,
    CameraStatus,
    Event,
    EvidenceLock,
    Output,
    Preset,
    PtzCapabilities,
    PtzDirection,
    PtzPosition,
    Quality,
    Site,
    StreamInfo,
    Timeline,
    TimeSpan,
)
from viewer.core.redact import known_secrets, mask_url, redact_text
from viewer.core.streams import StreamDescription

CONFIG = "/api/rest/v1"
IDP_PATH = "/API/IDP/connect/token"
RENEW_BEFORE = 60.0
RENEW_RETRY = 5.0
PAGE_SIZE = 100
CONCURRENT_REQUESTS = 8
MAX_DEPTH = 32
MAX_PAGES = 10_000
TIMEOUT = 15.0
LOSSLESS_PLAYBACK_SPEED = 2.0
"""The fastest WebRTC playback taken to carry every recorded picture [guess]: nothing
published says when XProtect starts to thin fast playback out (the simulator keeps
every picture up to 5x); twice the camera's own bit rate is well under the 4x at which
recorders commonly turn to key frames only."""
T = TypeVar("T")


class MilestoneBackend(Backend):
    def __init__(
        self,
        site: Site,
        url: str,
        user: str,
        password: str,
        *,
        certificate: PinnedCertificate | None = None,
        client_id: str = "GrantValidatorClient",
        windows_user: bool = False,
        page_size: int = PAGE_SIZE,
        timeout: float = TIMEOUT,
    ) -> None:
        self.site = site
        self.capabilities = Capabilities(
            live=True,
            playback=True,
            sub_streams=True,
            lossless_playback_speed=LOSSLESS_PLAYBACK_SPEED,
        )
        self.version: parse.ServerVersion | None = None
        self._url = url.rstrip("/")
        self._user, self._password = user, password
        self._windows_user = windows_user
        self._certificate = certificate
        self._client_id = client_id
        self._page_size = page_size
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._token: parse.Token | None = None
        self._expires_at = 0.0
        self._renewal: asyncio.Task[None] | None = None
        self._login_lock = asyncio.Lock()
        self._requests = asyncio.Semaphore(CONCURRENT_REQUESTS)
        self._webrtc = Sessions(lambda method, path, body: self._request(method, path, body=body))
        self._password_known = False
        self._streams: dict[str, tuple[parse.Stream, ...]] = {}
        self._recorders = Recorders(self)
        self._events = Events(self)
        self.renewal_error: VigilError | None = None
        """Why the last background renewal failed; the next request logs in again."""

    # -- session -----------------------------------------------------------------------

    async def open(self) -> None:
        if self._client is not None:
            # Opened again (a site retried after its tree failed): one session, one socket.
            await self.close()
        if not self._password_known:
            known_secrets.add(self._password)
            self._password_known = True
        verify = https_verify(self._certificate)
        self._client = httpx.AsyncClient(
            base_url=_base_url(self._url),
            verify=verify,
            timeout=self._timeout,
            follow_redirects=False,
        )
        try:
            await self._login(use_refresh=False)
            self.version = parse.version(await self._get(f"{CONFIG}/sites"))
            tasks = Ptz(self._request, self.version).tasks
            self.capabilities = replace(
                self.capabilities, ptz=tasks, presets=tasks, snapshot=True, outputs=tasks
            )
            marks = bookmarks.available(self.version)
            self.capabilities = replace(
                self.capabilities, timeline=True, bookmarks=marks, evidence_lock=marks
            )
        except BaseException:
            await self.close()
            raise
        self._renewal = asyncio.create_task(self._renew_forever(), name="milestone token")
        self._events.start()
        self.capabilities = replace(self.capabilities, events=True)

    async def close(self) -> None:
        await self._events.stop()
        if self._renewal is not None:
            self._renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewal
            self._renewal = None
        await self._webrtc.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._forget_token()
        self._recorders.forget()
        if self._password_known:
            known_secrets.discard(self._password)
            self._password_known = False

    async def live(self, camera_id: str, quality: Quality) -> StreamDescription:
        """A WebRTC session of the camera's live default stream, or of its other stream
        for the sub-stream (a camera with only one gives that)."""
        stream_id = None
        if quality is Quality.SUB:
            stream_id = sub_stream(await self._camera_streams(camera_id))
            quality = Quality.SUB if stream_id else Quality.MAIN
        return self._webrtc_stream(camera_id, quality, stream_id, None)

    async def playback(
        self, camera_id: str, at: datetime, speed: float, skip_gaps: bool = False
    ) -> StreamDescription:
        playback = Playback(at, speed, skip_gaps)
        return self._webrtc_stream(camera_id, Quality.MAIN, None, playback)

    async def ptz_step(self, camera_id: str, direction: PtzDirection) -> None:
        await self._webrtc.step(camera_id, direction.value, self.version)

    def _webrtc_stream(
        self,
        camera_id: str,
        quality: Quality,
        stream_id: str | None,
        playback: Playback | None,
    ) -> StreamDescription:
        return describe(
            self._webrtc,
            host=httpx.URL(self._url).netloc.decode("ascii", "replace"),
            camera_key=camera_key(self.version),
            camera_id=camera_id,
            quality=quality,
            stream_id=stream_id,
            playback=playback,
        )

    async def _renew_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            assert self._token is not None
            lifetime = self._token.expires_in
            lead = RENEW_BEFORE if lifetime > 2 * RENEW_BEFORE else lifetime / 2
            await asyncio.sleep(max(0.0, self._expires_at - lead - loop.time()))
            try:
                await self._login(use_refresh=True)
                self.renewal_error = None
            except VigilError as error:
                self.renewal_error = error
                await asyncio.sleep(min(RENEW_RETRY, max(0.1, lead / 2)))

    async def _login(self, *, use_refresh: bool) -> None:
        """A new token: by the refresh token when there is one, else (or if it is refused)
        by the password."""
        async with self._login_lock:
            refresh = self._token.refresh_token if self._token else None
            if use_refresh and refresh:
                try:
                    await self._grant({"grant_type": "refresh_token", "refresh_token": refresh})
                    return
                except AuthenticationError:
                    pass
            if self._windows_user:
                await self._grant(windows.GRANT, windows.ntlm(self._user, self._password))
                return
            await self._grant(
                {"grant_type": "password", "username": self._user, "password": self._password}
            )

    async def _grant(self, form: dict[str, str], auth: httpx.Auth | None = None) -> None:
        client = self._session()
        started = asyncio.get_running_loop().time()
        response = await self._send(
            client.post(
                IDP_PATH,
                data={**form, "client_id": self._client_id},
                auth=auth or httpx.USE_CLIENT_DEFAULT,
            )
        )
        if response.status_code != 200:
            raise parse.oauth_error(response.status_code, response.content)
        token = parse.token(response.content)
        self._forget_token()
        self._token = token
        self._expires_at = started + token.expires_in
        known_secrets.add(token.access_token)
        self._webrtc.renewed(token.access_token)
        if token.refresh_token:
            known_secrets.add(token.refresh_token)

    def _forget_token(self) -> None:
        if self._token is not None:
            known_secrets.discard(self._token.access_token)
            if self._token.refresh_token:
                known_secrets.discard(self._token.refresh_token)
            self._token = None

    # -- requests ----------------------------------------------------------------------

    def _session(self) -> httpx.AsyncClient:
        if self._client is None:
            raise UnreachableError(f"{self.site.name} is not connected")
        return self._client

    async def _get(self, path: str, params: dict[str, int] | None = None) -> bytes:
        return await self._request("GET", path, params)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
    ) -> bytes:
        """An API answer's body (any 2xx); ``body`` goes as JSON. A 401 logs in again
        once, as after a server restart."""
        client = self._session()
        for attempt in range(2):
            token = self._token
            if token is None:
                await self._login(use_refresh=False)
                continue
            headers = {"Authorization": f"Bearer {token.access_token}"}
            async with self._requests:
                response = await self._send(
                    client.request(method, path, params=params, json=body, headers=headers)
                )
            if response.status_code == 401 and attempt == 0:
                async with self._login_lock:
                    stale = self._token is token
                if stale:
                    await self._login(use_refresh=False)
                continue
            if not 200 <= response.status_code < 300:
                raise parse.http_error(
                    response.status_code, response.content, _retry_after(response)
                )
            return response.content
        raise AuthenticationError(f"{self.site.name} refused the renewed login")

    async def _send(self, request: Awaitable[httpx.Response]) -> httpx.Response:
        try:
            return await request
        except httpx.HTTPError as error:
            raise await self._failure(error) from None

    async def _failure(self, error: httpx.HTTPError) -> VigilError:
        where = mask_url(self._url)
        if _certificate_refused(error):
            return await self._certificate_error()
        if isinstance(error, httpx.TimeoutException):
            return UnreachableError(f"{where} did not answer in time")
        return UnreachableError(redact_text(f"cannot reach {where}: {error}"))

    async def _certificate_error(self) -> VigilError:
        try:
            async with asyncio.timeout(self._timeout):
                presented = await _presented_fingerprint(self._url)
        except (OSError, ValueError, TimeoutError):
            return CertificateError(f"{mask_url(self._url)}: the certificate cannot be checked")
        if self._certificate is None:
            return UnknownCertificateError(
                f"nobody vouches for the certificate of {mask_url(self._url)}", presented, "url"
            )
        if presented != self._certificate.fingerprint:
            return CertificateChangedError(
                f"{mask_url(self._url)} presents another certificate than the trusted one",
                self._certificate.fingerprint,
                presented,
            )
        return CertificateError(f"{mask_url(self._url)}: the trusted certificate was refused")

    # -- events (events.py) ------------------------------------------------------------

    def events(self) -> AsyncIterator[Event]:
        return self._events.live().listen()

    def watch_camera_status(self, listener: Callable[[str, CameraStatus], None]) -> None:
        self._events.live().on_status(listener)

    async def events_between(self, camera_id: str | None, span: TimeSpan) -> tuple[Event, ...]:
        return await self._events.between(camera_id, span)

    async def trigger_event(self, type_id: str, camera_id: str | None = None) -> Event | None:
        """Events REST: an event of ``type_id`` (a user-defined event's id, or a type with
        the camera as its source) now; the server answers 202."""
        return await self._events.trigger(type_id, camera_id)

    async def user_defined_events(self) -> tuple[UserDefinedEvent, ...]:
        return await self._events.user_defined()

    async def create_user_defined_event(self, name: str) -> UserDefinedEvent:
        return await self._events.create(name)

    async def rename_user_defined_event(self, event_id: str, name: str) -> UserDefinedEvent:
        return await self._events.rename(event_id, name)

    async def delete_user_defined_event(self, event_id: str) -> None:
        await self._events.delete(event_id)

    # -- PTZ, snapshots, outputs (ptz.py) ----------------------------------------------

    def _ptz(self) -> Ptz:
        return Ptz(self._request, self.version)

    async def ptz_capabilities(self, camera_id: str) -> PtzCapabilities:
        return await self._ptz().capabilities(camera_id)

    async def ptz_presets(self, camera_id: str) -> tuple[Preset, ...]:
        return await self._ptz().presets(camera_id)

    async def ptz_goto_preset(self, camera_id: str, preset_id: str) -> None:
        await self._ptz().goto_preset(camera_id, preset_id)

    async def ptz_position(self, camera_id: str) -> PtzPosition:
        return await self._ptz().position(camera_id)

    async def ptz_move_to(self, camera_id: str, position: PtzPosition, speed: float = 1.0) -> None:
        await self._ptz().move_to(camera_id, position, speed)

    async def snapshot(self, camera_id: str, width: int, height: int) -> bytes:
        return await self._ptz().snapshot(camera_id, width, height)

    async def outputs(self) -> tuple[Output, ...]:
        return await self._ptz().outputs()

    async def set_output(self, output_id: str, active: bool) -> None:
        await self._ptz().set_output(output_id, active)

    # -- the camera tree ---------------------------------------------------------------

    async def camera_tree(self) -> CameraGroup:
        """Groups walked concurrently in one task group, so that the first failure stops
        every request still under way and is raised as itself."""
        try:
            async with asyncio.TaskGroup() as tasks:
                walk = _TreeWalk(self, tasks)
                tree = tasks.create_task(walk.root())
        except BaseExceptionGroup as failures:
            raise _first(failures) from None
        return tree.result()

    async def camera_streams(self, camera_id: str) -> tuple[StreamInfo, ...]:
        return parse.stream_infos(await self._camera_streams(camera_id))

    async def _camera_streams(self, camera_id: str) -> tuple[parse.Stream, ...]:
        """The camera's streams as the server lists them (ids included, which a WebRTC
        session names), asked on first need and kept for the backend's life."""
        known = self._streams.get(camera_id)
        if known is None:
            known = parse.streams(await self._get(f"{CONFIG}/cameras/{camera_id}/streams"))
            self._streams[camera_id] = known
        return known

    def _camera_page(self, body: bytes) -> tuple[tuple[Camera, ...], int]:
        page = parse.cameras(body, self.site.id)
        return page.cameras, page.count

    async def _pages(self, path: str, read: Callable[[bytes], tuple[Sequence[T], int]]) -> list[T]:
        """Every item of a paged list: ``page`` from 0, no total, a short page is the last.

        ``read`` gives a page's items and how many the server sent, hidden ones included.
        """
        items: list[T] = []
        for page in range(MAX_PAGES):
            chunk, count = read(await self._get(path, {"page": page, "size": self._page_size}))
            items += chunk
            if count < self._page_size:
                return items
            if count > self._page_size:
                raise MalformedResponseError(
                    f"the server sent {count} items for a page of {self._page_size}", "array"
                )
        raise MalformedResponseError(f"more than {MAX_PAGES} pages", "array")

    # -- recordings, bookmarks, evidence locks (recorder.py, bookmarks.py) ---------------

    async def timeline(self, camera_id: str, span: TimeSpan) -> Timeline:
        return await self._recorders.timeline(camera_id, span)

    async def create_bookmark(
        self, camera_id: str, span: TimeSpan, header: str, description: str = ""
    ) -> Bookmark:
        return await bookmarks.create(self, camera_id, span, header, description)

    async def bookmark(self, bookmark_id: str) -> Bookmark:
        return await bookmarks.read(self, bookmark_id)

    async def bookmarks(self, camera_id: str, span: TimeSpan) -> tuple[Bookmark, ...]:
        return await bookmarks.search(self, camera_id, span)

    async def update_bookmark(self, bookmark: Bookmark) -> Bookmark:
        return await bookmarks.update(self, bookmark)

    async def delete_bookmark(self, bookmark_id: str) -> None:
        await bookmarks.delete(self, bookmark_id)

    async def create_evidence_lock(
        self, camera_ids: Sequence[str], span: TimeSpan, header: str, description: str = ""
    ) -> EvidenceLock:
        return await bookmarks.lock(self, camera_ids, span, header, description)

    async def evidence_locks(self, span: TimeSpan) -> tuple[EvidenceLock, ...]:
        return await bookmarks.locks(self, span)

    async def delete_evidence_lock(self, lock_id: str) -> None:
        await bookmarks.unlock(self, lock_id)


def _group_page(body: bytes) -> tuple[tuple[parse.Group, ...], int]:
    found = parse.groups(body)
    return found, len(found)


class _TreeWalk:
    """One walk of the tree, its requests in one task group."""

    def __init__(self, backend: MilestoneBackend, tasks: asyncio.TaskGroup) -> None:
        self._backend, self._tasks = backend, tasks

    async def root(self) -> CameraGroup:
        backend = self._backend
        top = self._tasks.create_task(backend._pages(f"{CONFIG}/cameraGroups", _group_page))
        everything = self._tasks.create_task(
            backend._pages(f"{CONFIG}/cameras", backend._camera_page)
        )
        groups = [self._tasks.create_task(self._group(g, 0, frozenset())) for g in await top]
        done = [await group for group in groups]
        grouped = {camera.ref for group in done for camera in group.all_cameras()}
        cameras = tuple(_lazy(c) for c in await everything if c.ref not in grouped)
        return CameraGroup(backend.site.id, backend.site.name, cameras, tuple(done))

    async def _group(self, group: parse.Group, depth: int, above: frozenset[str]) -> CameraGroup:
        if depth >= MAX_DEPTH or group.id in above:
            raise MalformedResponseError("the camera groups nest in a loop", "cameraGroups")
        backend, path = self._backend, f"{CONFIG}/cameraGroups/{group.id}"
        children = self._tasks.create_task(backend._pages(f"{path}/cameraGroups", _group_page))
        members = self._tasks.create_task(backend._pages(f"{path}/cameras", backend._camera_page))
        inner = [
            self._tasks.create_task(self._group(child, depth + 1, above | {group.id}))
            for child in await children
        ]
        cameras = tuple(_lazy(camera) for camera in await members)
        return CameraGroup(group.id, group.name, cameras, tuple([await c for c in inner]))


def _lazy(camera: Camera) -> Camera:
    """The camera with its streams left to be asked for (``camera_streams``)."""
    return replace(camera, streams=())


def _first(failures: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first of a task group's failures, preferring ours to a cancellation."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [failures]
    while pending:
        failure = pending.pop(0)
        if isinstance(failure, BaseExceptionGroup):
            pending[:0] = failure.exceptions
        else:
            leaves.append(failure)
    for leaf in leaves:
        if isinstance(leaf, VigilError):
            return leaf
    return leaves[0] if leaves else failures


def _base_url(url: str) -> httpx.URL:
    """The server's address as the operator typed it, if it can be one."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("https", "http") or not parsed.host:
        raise InvalidInputError(
            f"{mask_url(url)!r} is no server address; write it as https://host", "url"
        )
    return parsed


def _certificate_refused(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(error)


async def _presented_fingerprint(url: str) -> str:
    """The SHA-256 fingerprint of what the server presents, taken without judging it."""
    parsed = httpx.URL(url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _, writer = await asyncio.open_connection(
        parsed.host, parsed.port or 443, ssl=context, server_hostname=parsed.host or None
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    if not der:
        raise ValueError("no certificate")
    return fingerprint(der)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return float(value)
    return None
