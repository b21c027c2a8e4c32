"""A MiBee NVR: session-token login, its cameras in one group, RTSP or HLS video.

Login is ``POST /api/auth/login`` with Basic; the ``mbs_`` token then goes as Bearer.
The server renews a token itself: a reply made with one that has under 15 minutes left
carries ``X-Renewed-Token``, which is adopted at once, so no timer is needed. A restart
or a new password voids tokens: a 401 logs in again once. A server older than the
login endpoint (404 there) takes Basic on every request. The password stays in this
object's memory; the password and the tokens are registered so that no log shows them.

Live video is the RTSP URL the server lists in ``/protocols`` when it restreams the
camera, else HLS with the token in the playlist's query (segments then need the
``mbs_session`` cookie the playlist sets, which the media layer's httpx client keeps).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import httpx

from viewer.backends.base import Backend, Capabilities
from viewer.backends.mibee import parse
from viewer.backends.mibee.status import StatusFeed
from viewer.core.certificates import PinnedCertificate, https_verify
from viewer.core.errors import (
    AuthenticationError,
    InvalidInputError,
    MalformedResponseError,
    NotSupportedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import (
    CameraGroup,
    CameraStatus,
    Preset,
    PtzCapabilities,
    PtzPosition,
    Quality,
    RecordingSegment,
    Site,
    SiteHealth,
    Timeline,
    TimeSpan,
)
from viewer.core.redact import known_secrets, mask_url, redact_text
from viewer.core.streams import StreamDescription

TIMEOUT = 15.0
RENEWED = "X-Renewed-Token"
MAX_PLAYBACK = timedelta(hours=48)


class MibeeBackend(Backend):
    def __init__(
        self,
        site: Site,
        url: str,
        user: str,
        password: str,
        *,
        certificate: PinnedCertificate | None = None,
        timeout: float = TIMEOUT,
        poll_every: float = 10.0,
    ) -> None:
        self.site = site
        self.capabilities = Capabilities(
            live=True,
            playback=True,
            timeline=True,
            # No events to list: the server keeps none it can be asked for over a span,
            # and its SSE stream (/api/events) documents no topic but camera status,
            # which the tree shows (status.py). The events panel says so up front.
            events=False,
            ptz=True,
            presets=True,
            export=True,
            snapshot=True,
            sub_streams=True,
        )
        self._url = url.rstrip("/")
        self._base = _base_url(self._url)
        self._user, self._password = user, password
        self._timeout = timeout
        self._certificate = certificate
        self._client: httpx.AsyncClient | None = None
        self._token: str | None = None
        self.basic_only = False
        """An old server without the login endpoint: Basic on every request."""
        self._login_lock = asyncio.Lock()
        self._etag: str | None = None
        self._tree: CameraGroup | None = None
        self._encodings: dict[str, str | None] = {}
        self._feed = StatusFeed(self._new_client, self._poll_statuses, poll_every=poll_every)
        self._verify: ssl.SSLContext | bool = True
        self._password_known = False

    # -- session -----------------------------------------------------------------------

    async def open(self) -> None:
        if self._client is not None:
            await self.close()
        if not self._password_known:
            known_secrets.add(self._password)
            self._password_known = True
        verify = https_verify(self._certificate)
        self._verify = verify
        self._client = self._new_client()
        try:
            await self._login()
        except BaseException:
            await self.close()
            raise
        self._feed.start()

    async def close(self) -> None:
        await self._feed.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._adopt(None)
        if self._password_known:
            known_secrets.discard(self._password)
            self._password_known = False

    @property
    def token(self) -> str | None:
        return self._token

    def watch_camera_status(self, listener: Callable[[str, CameraStatus], None]) -> None:
        self._feed.on_status(listener)

    @property
    def via_events(self) -> bool:
        """Whether statuses come from the server's event stream (else: polling)."""
        return self._feed.via_events

    async def _login(self) -> None:
        async with self._login_lock:
            client = self._session()
            response = await self._send(
                client.post("/api/auth/login", auth=(self._user, self._password))
            )
            if response.status_code == 404:
                self.basic_only = True
                self._adopt(None)
                return
            if response.status_code != 200:
                raise parse.error(response.status_code, response.content, _retry_after(response))
            self.basic_only = False
            self._adopt(parse.token(response.content).token)

    def _adopt(self, token: str | None) -> None:
        if self._token is not None:
            known_secrets.discard(self._token)
        self._token = token
        if token is not None:
            known_secrets.add(token)

    def _new_client(self) -> httpx.AsyncClient:
        """A client for this server; the event stream takes one of its own (StatusFeed)."""
        return httpx.AsyncClient(
            base_url=self._base, verify=self._verify, timeout=self._timeout, follow_redirects=False
        )

    def _session(self) -> httpx.AsyncClient:
        if self._client is None:
            raise UnreachableError(f"{self.site.name} is not connected")
        return self._client

    async def _response(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The server's answer (2xx or 304); a 401 logs in again once."""
        client = self._session()
        for attempt in range(2):
            token = self._token
            sent = dict(headers or {})
            auth: httpx.BasicAuth | None = None
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            else:
                auth = httpx.BasicAuth(self._user, self._password)
            response = await self._send(
                client.request(
                    method,
                    path,
                    params=params,
                    json=body,
                    headers=sent,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                )
            )
            renewed = response.headers.get(RENEWED, "")
            if renewed.startswith("mbs_") and renewed.isascii() and renewed.isprintable():
                self._adopt(renewed)
            if response.status_code == 401 and attempt == 0 and not self.basic_only:
                if self._token is token:
                    await self._login()
                continue
            if not (200 <= response.status_code < 300 or response.status_code == 304):
                raise parse.error(response.status_code, response.content, _retry_after(response))
            return response
        raise AuthenticationError(f"{self.site.name} refused the renewed login")

    async def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> bytes:
        return (await self._response("GET", path, params)).content

    async def _send(self, request: Awaitable[httpx.Response]) -> httpx.Response:
        try:
            return await request
        except httpx.TimeoutException:
            raise UnreachableError(f"{mask_url(self._url)} did not answer in time") from None
        except httpx.HTTPError as error:
            raise UnreachableError(
                redact_text(f"cannot reach {mask_url(self._url)}: {error}")
            ) from None

    # -- cameras and status ------------------------------------------------------------

    async def camera_tree(self) -> CameraGroup:
        """All cameras in one group; an unchanged list (304) keeps the tree known."""
        headers = {"If-None-Match": self._etag} if self._etag and self._tree else {}
        response = await self._response("GET", "/api/cameras", headers=headers)
        if response.status_code == 304 and self._tree is not None:
            return self._tree
        cameras = parse.cameras(response.content, self.site.id)
        self._etag = response.headers.get("ETag")
        self._encodings = {c.ref.camera_id: c.streams[0].codec for c in cameras}
        self._tree = CameraGroup(self.site.id, self.site.name, cameras)
        return self._tree

    async def _poll_statuses(self) -> dict[str, CameraStatus] | None:
        before = self._tree
        tree = await self.camera_tree()
        if tree is before:
            return None
        return {camera.ref.camera_id: camera.status for camera in tree.cameras}

    async def health(self) -> SiteHealth:
        """``/api/health`` in the server's words (a 503 is down, its body read where it
        has one), made at least degraded when ``/api/readyz`` says anything but ok
        (both need no login). A server without the endpoint reports no health.

        Asked on a client of its own, as the event stream is: a check left broken (cut
        off mid-request) must never hold a pooled connection the site's other requests
        wait for."""
        self._session()
        async with self._new_client() as client:
            answer = await self._send(client.get("/api/health"))
            if answer.status_code == 404:
                raise NotSupportedError(f"{self.site.name} reports no health of its own")
            if answer.status_code not in (200, 503):
                raise parse.error(answer.status_code, answer.content)
            try:
                found = parse.health(answer.content)
            except MalformedResponseError:
                if answer.status_code != 503:
                    raise
                found = parse.Health("unavailable")
            ready: str | None = None
            with contextlib.suppress(VigilError):
                reply = await self._send(client.get("/api/readyz"))
                ready = parse.readiness(reply.content)
        return parse.site_health(found, ready, answer.status_code)

    # -- video -------------------------------------------------------------------------

    async def live(self, camera_id: str, quality: Quality) -> StreamDescription:
        """RTSP when the server restreams the camera (its main stream); else HLS, the
        sub-stream's own playlist where the camera has one."""
        found = parse.protocols(await self._get(f"/api/cameras/{_id(camera_id)}/protocols"))
        if found.rtsp_url and (quality is Quality.MAIN or not found.sub_stream):
            return StreamDescription(
                found.rtsp_url, {"rtsp_transport": "tcp"}, quality=Quality.MAIN
            )
        sub = quality is Quality.SUB and found.sub_stream
        tail = "stream/sub/index.m3u8" if sub else "stream/index.m3u8"
        return StreamDescription(
            self._media_url(f"/api/cameras/{_id(camera_id)}/{tail}", {}),
            quality=Quality.SUB if sub else Quality.MAIN,
            pinned=self._certificate,
        )

    async def playback(self, camera_id: str, at: datetime, speed: float) -> StreamDescription:
        """The recording from ``at`` as a VOD playlist of at most 48 h; speed is the
        player's (the server has none)."""
        start = at.astimezone(UTC)
        query = {"start": _rfc3339(start), "end": _rfc3339(start + MAX_PLAYBACK)}
        path = f"/api/cameras/{_id(camera_id)}/playback/playlist.m3u8"
        return StreamDescription(self._media_url(path, query), live=False, pinned=self._certificate)

    def _media_url(self, path: str, query: dict[str, str]) -> str:
        """An address the media layer fetches on its own: the token in the query, or
        for a Basic-only server the credentials in the address."""
        if self._token is not None:
            query = {**query, "token": self._token}
        base = self._base
        if self._token is None:
            base = base.copy_with(username=self._user, password=self._password)
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{str(base).rstrip('/')}{path}{suffix}"

    async def snapshot(self, camera_id: str, width: int, height: int) -> bytes:
        """The server's JPEG as it sends it (it takes no size)."""
        picture = await self._get(f"/api/cameras/{_id(camera_id)}/snapshot")
        if not picture.startswith(b"\xff\xd8"):
            raise MalformedResponseError("the snapshot is not a JPEG", "snapshot")
        return picture

    async def download(self, recording_id: str, offset: int = 0) -> bytes:
        """A recording's file (from ``offset``, by Range)."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        path = f"/api/recordings/{_id(recording_id)}/download"
        return (await self._response("GET", path, headers=headers)).content

    # -- recordings --------------------------------------------------------------------

    async def timeline(self, camera_id: str, span: TimeSpan) -> Timeline:
        query = {"camera_id": camera_id, "start": _rfc3339(span.start), "end": _rfc3339(span.end)}
        page = parse.timeline(await self._get("/api/recordings/timeline", query))
        segments = tuple(
            RecordingSegment(TimeSpan(max(s.start, span.start), min(s.end, span.end)))
            for s in page.segments
            if s.end > span.start and s.start < span.end
        )
        return Timeline(span, segments)

    async def recordings(
        self, camera_id: str, span: TimeSpan, limit: int = 500, offset: int = 0
    ) -> parse.RecordingPage:
        query: dict[str, str | int] = {
            "camera_id": camera_id,
            "start": _rfc3339(span.start),
            "end": _rfc3339(span.end),
            "limit": limit,
            "offset": offset,
        }
        return parse.recordings(await self._get("/api/recordings", query))

    async def gaps(self, camera_id: str, day: str) -> tuple[TimeSpan, ...]:
        """The camera's gaps on ``day`` (``YYYY-MM-DD``, the server's days)."""
        path = f"/api/cameras/{_id(camera_id)}/timeline/gaps"
        return parse.gaps(await self._get(path, {"date": day}))

    # -- PTZ ---------------------------------------------------------------------------

    def _ptz(self, camera_id: str, tail: str) -> str:
        return f"/api/cameras/{_id(camera_id)}/ptz/{tail}"

    async def ptz_capabilities(self, camera_id: str) -> PtzCapabilities:
        presets = await self.ptz_presets(camera_id)
        return PtzCapabilities(True, True, True, True, presets)

    async def ptz_move(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        """A continuous move (velocities -1…1); the server drops it after 10 s, so a
        held control sends it again."""
        await self._move(camera_id, "continuous", pan, tilt, zoom)

    async def ptz_stop(self, camera_id: str) -> None:
        parse.reply(await self._post(self._ptz(camera_id, "stop")))

    async def ptz_move_to(self, camera_id: str, position: PtzPosition, speed: float = 1.0) -> None:
        await self._move(camera_id, "absolute", position.pan, position.tilt, position.zoom)

    async def ptz_move_by(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        await self._move(camera_id, "relative", pan, tilt, zoom)

    async def _move(self, camera_id: str, mode: str, pan: float, tilt: float, zoom: float) -> None:
        body = {"mode": mode, "pan": pan, "tilt": tilt, "zoom": zoom}
        parse.reply(await self._post(self._ptz(camera_id, "move"), body))

    async def ptz_position(self, camera_id: str) -> PtzPosition:
        return (await self.ptz_state(camera_id)).position

    async def ptz_state(self, camera_id: str) -> parse.PtzState:
        return parse.ptz_state(await self._get(self._ptz(camera_id, "status")))

    async def ptz_presets(self, camera_id: str) -> tuple[Preset, ...]:
        return parse.presets(await self._get(self._ptz(camera_id, "presets")))

    async def ptz_goto_preset(self, camera_id: str, preset_id: str) -> None:
        parse.reply(await self._post(self._ptz(camera_id, f"presets/{_id(preset_id)}/goto")))

    async def ptz_create_preset(self, camera_id: str, name: str) -> str:
        return parse.preset_token(await self._post(self._ptz(camera_id, "presets"), {"name": name}))

    async def ptz_save_preset(self, camera_id: str, name: str) -> Preset:
        return Preset(await self.ptz_create_preset(camera_id, name), name)

    async def ptz_delete_preset(self, camera_id: str, preset_id: str) -> None:
        path = self._ptz(camera_id, f"presets/{_id(preset_id)}")
        parse.reply((await self._response("DELETE", path)).content)

    async def _post(self, path: str, body: object = None) -> bytes:
        return (await self._response("POST", path, body=body)).content


def _id(value: str) -> str:
    """A path segment: ids come from the server, but never reach another path."""
    return quote(value, safe="")


def _rfc3339(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def _base_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("https", "http") or not parsed.host:
        raise InvalidInputError(
            f"{mask_url(url)!r} is no server address; write it as http://host:9090", "url"
        )
    return parsed


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return float(value)
    return None
