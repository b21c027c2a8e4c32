"""A generic REST gateway in front of a VMS (seed 000, base ``/api/rest/v1``).

Nothing real is known to serve seed 000, so the backend trusts only what it sees:
``open()`` logs in (``POST /api/auth/login``; a gateway without that endpoint gets
Basic auth on every request), reads ``/system/capabilities`` and then asks each
optional endpoint once; whatever answers 404 is switched off in ``Capabilities``, so the
operator never meets a button the gateway cannot serve. Exports are not probed (asking
would order a job): the first order answered 404 switches them off. The token has no refresh: the
next request after 60 s before its end (half its life for short ones) logs in again,
and a 401 logs in again once, as after a gateway restart.

A 429 names how long to wait (``Retry-After``): a GET waits that long, at most
``max_wait`` seconds, and is sent once more; anything else (a PTZ move, an export
order: late is worse than refused) and a second 429 are raised as
``RateLimitedError`` with ``retry_after``. Video is RTSP: the gateway's URLs, with this
site's user and password put in (the seed's RTSP authentication), which the
description's repr masks. The password lives in this object only and every secret is
registered with the redactor.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from math import isfinite
from typing import Any

import httpx

from viewer.backends.base import Backend, Capabilities, ExportProgress
from viewer.backends.gateway import parse
from viewer.backends.gateway.events import EventFeed
from viewer.backends.rtsp.urls import with_credentials
from viewer.core.certificates import PinnedCertificate, https_verify
from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import (
    Camera,
    CameraGroup,
    CameraStatus,
    Event,
    Preset,
    PtzCapabilities,
    PtzDirection,
    PtzPosition,
    Quality,
    Site,
    SiteHealth,
    Timeline,
    TimeSpan,
)
from viewer.core.redact import known_secrets, mask_url, redact_text
from viewer.core.streams import StreamDescription

API = "/api/rest/v1"
LOGIN_PATH = "/api/auth/login"
RENEW_BEFORE = 60.0
PAGE_SIZE = 100
MAX_PAGES = 10_000
TIMEOUT = 15.0
MAX_WAIT = 30.0
SPEEDS = (1, 2, 4, 8)
STEP_DEGREES = 10.0
MAX_ZOOM = 20.0
"""The zoom factor a PtzPosition's zoom of 1 stands for (seed 000 names no maximum: a
guess; the factor is linear from 1x at zoom 0)."""
EXPORT_POLL = 0.5
EXPORT_LIMIT = 600.0
_STEPS = {
    PtzDirection.UP: (0.0, 1.0),
    PtzDirection.DOWN: (0.0, -1.0),
    PtzDirection.LEFT: (-1.0, 0.0),
    PtzDirection.RIGHT: (1.0, 0.0),
    PtzDirection.UP_LEFT: (-1.0, 1.0),
    PtzDirection.UP_RIGHT: (1.0, 1.0),
    PtzDirection.DOWN_LEFT: (-1.0, -1.0),
    PtzDirection.DOWN_RIGHT: (1.0, -1.0),
}


class GatewayBackend(Backend):
    def __init__(
        self,
        site: Site,
        url: str,
        user: str,
        password: str,
        *,
        certificate: PinnedCertificate | None = None,
        page_size: int = PAGE_SIZE,
        timeout: float = TIMEOUT,
        max_wait: float = MAX_WAIT,
        export_poll: float = EXPORT_POLL,
    ) -> None:
        self.site = site
        self.capabilities = Capabilities(live=True, sub_streams=True)
        self._url = url.rstrip("/")
        self._user, self._password = user, password
        self._certificate = certificate
        self._page_size, self._timeout = page_size, timeout
        self._max_wait, self._export_poll = max_wait, export_poll
        self._client: httpx.AsyncClient | None = None
        self._token: parse.Token | None = None
        self._renew_at = 0.0
        self.basic_auth = False
        """True for a gateway without the login endpoint: Basic auth on every request."""
        self._login_lock = asyncio.Lock()
        self._feed: EventFeed | None = None
        self._feed_task: asyncio.Task[None] | None = None
        self._positions: dict[str, PtzPosition] = {}
        self._cameras: tuple[str, ...] = ()
        self._has_groups = False
        self._has_health = False
        self._verify: ssl.SSLContext | bool = True
        self._password_known = False

    # -- session -----------------------------------------------------------------------

    async def open(self) -> None:
        if self._client is not None:
            await self.close()
        if not self._password_known:
            known_secrets.add(self._password)
            self._password_known = True
        self._verify = https_verify(self._certificate)
        self._client = self._side_client()
        try:
            await self._login()
            self.capabilities = await self._probe()
        except BaseException:
            await self.close()
            raise
        if self.capabilities.events:
            self._feed = EventFeed(self._url, self.site.id, self._socket_credentials, self._timeout)
            self._feed_task = asyncio.create_task(self._feed.run(), name="gateway events")

    def _side_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._url, verify=self._verify, timeout=self._timeout, follow_redirects=False
        )

    async def close(self) -> None:
        if self._feed_task is not None:
            self._feed_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feed_task
            self._feed_task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._forget_token()
        if self._password_known:
            known_secrets.discard(self._password)
            self._password_known = False

    async def _login(self) -> None:
        """A new token; a gateway that has no login endpoint (404) takes Basic auth."""
        async with self._login_lock:
            started = asyncio.get_running_loop().time()
            response = await self._send(
                "POST", LOGIN_PATH, json={"username": self._user, "password": self._password}
            )
            if response.status_code == 404:
                self.basic_auth = True
                return
            if response.status_code != 200:
                raise parse.http_error(response.status_code, response.content)
            token = parse.token(response.content)
            self._forget_token()
            self._token = token
            known_secrets.add(token.token)
            lead = RENEW_BEFORE if token.expires_in > 2 * RENEW_BEFORE else token.expires_in / 2
            self._renew_at = started + token.expires_in - lead

    def _forget_token(self) -> None:
        if self._token is not None:
            known_secrets.discard(self._token.token)
            self._token = None

    async def _probe(self) -> Capabilities:
        """What this gateway serves: its capabilities' word, then each endpoint asked
        once (a 404 switches the feature off; any other answer, a refusal included, means
        the endpoint is there)."""
        features = parse.Features(None, None)
        with contextlib.suppress(NotFoundError):
            features = parse.features(await self._get(f"{API}/system/capabilities"))
        cameras, _ = parse.cameras(await self._get(f"{API}/cameras", limit=1, offset=0), "")
        groups = await self._exists(f"{API}/cameras/groups")
        self._has_health = await self._exists(f"{API}/system/health")
        if not cameras:
            return Capabilities(live=True, sub_streams=True)
        camera = cameras[0].ref.camera_id
        now = datetime.now(UTC)
        hour = {"startTime": parse.stamp(now - timedelta(hours=1)), "endTime": parse.stamp(now)}
        timeline = await self._exists(f"{API}/recordings/{camera}/timeline", **hour)
        playback = await self._exists(
            f"{API}/recordings/{camera}/playback", startTime=hour["startTime"], speed=1
        )
        events = await self._exists(f"{API}/events/{camera}", **hour)
        snapshot = await self._exists(f"{API}/cameras/{camera}/snapshot", width=16, height=16)
        ptz = features.ptz is not False and await self._exists(
            f"{API}/cameras/{camera}/ptz/presets"
        )
        self._has_groups = groups
        return Capabilities(
            live=True,
            sub_streams=True,
            playback=playback,
            timeline=timeline,
            events=events,
            snapshot=snapshot,
            ptz=ptz,
            presets=ptz,
            export=True,
        )

    async def _exists(self, path: str, **params: str | int) -> bool:
        try:
            await self._get(path, **params)
        except NotFoundError:
            return False
        except (RateLimitedError, AuthenticationError):
            raise
        except VigilError:
            return True
        return True

    async def _socket_credentials(self) -> tuple[Mapping[str, str], Mapping[str, str]]:
        if self.basic_auth:
            return {}, {"Authorization": _basic(self._user, self._password)}
        await self._fresh_token()
        assert self._token is not None
        return {"token": self._token.token}, {}

    # -- requests ----------------------------------------------------------------------

    async def _fresh_token(self) -> None:
        if self.basic_auth:
            return
        if self._token is None or asyncio.get_running_loop().time() >= self._renew_at:
            await self._login()

    async def _get(self, path: str, **params: str | int) -> bytes:
        return await self._request("GET", path, params=params)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
    ) -> bytes:
        """A 2xx answer's body; a 401 logs in again once, a GET's 429 waits and retries once."""
        return (await self._exchange(method, path, params, body)).content

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        *,
        also: frozenset[int] = frozenset(),
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """As ``_request``, the whole answer; statuses in ``also`` are answers too;
        ``client`` in place of the site's own."""
        relogged = waited = False
        while True:
            await self._fresh_token()
            token = self._token
            response = await self._send(
                method, path, params=params, json=body, auth=True, client=client
            )
            if response.status_code == 401 and not relogged and not self.basic_auth:
                relogged = True
                async with self._login_lock:
                    stale = self._token is token
                if stale:
                    self._forget_token()
                continue
            if response.status_code == 429 and method == "GET" and not waited:
                wait = _retry_after(response)
                if wait is not None and wait <= self._max_wait:
                    waited = True
                    await asyncio.sleep(wait)
                    continue
            if not (200 <= response.status_code < 300 or response.status_code in also):
                raise parse.http_error(
                    response.status_code, response.content, _retry_after(response)
                )
            return response

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        auth: bool = False,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        if self._client is None:
            raise UnreachableError(f"{self.site.name} is not connected")
        client = client or self._client
        headers = {}
        if auth and self.basic_auth:
            headers["Authorization"] = _basic(self._user, self._password)
        elif auth and self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.token}"
        try:
            return await client.request(method, path, params=params, json=json, headers=headers)
        except httpx.TimeoutException:
            raise UnreachableError(f"{mask_url(self._url)} did not answer in time") from None
        except httpx.HTTPError as error:
            raise UnreachableError(
                redact_text(f"cannot reach {mask_url(self._url)}: {error}")
            ) from None

    async def health(self) -> SiteHealth:
        """``/system/health`` (probed at open: a gateway without it reports none); a 503
        is down, in the body's words where it has a health body.

        Asked on a client of its own: a check left broken (cut off mid-request) must
        never hold a pooled connection the site's other requests wait for."""
        if not self._has_health:
            raise NotSupportedError(f"{self.site.name} reports no health of its own")
        async with self._side_client() as client:
            answer = await self._exchange(
                "GET", f"{API}/system/health", also=frozenset({503}), client=client
            )
        try:
            return parse.health(answer.content, answer.status_code)
        except MalformedResponseError:
            if answer.status_code != 503:
                raise
            raise parse.http_error(503, answer.content) from None

    # -- the camera tree ---------------------------------------------------------------

    async def camera_tree(self) -> CameraGroup:
        """Every camera, ``page_size`` at a time (``limit``/``offset``, until a short page
        or ``totalCount``), placed in its groups; cameras in none sit at the root."""
        cameras: list[Camera] = []
        for page in range(MAX_PAGES):
            offset = page * self._page_size
            body = await self._get(f"{API}/cameras", limit=self._page_size, offset=offset)
            found, total = parse.cameras(body, self.site.id)
            cameras += found
            count = parse.camera_count(body)
            if count < self._page_size or (total is not None and offset + count >= total):
                break
        else:
            raise MalformedResponseError(f"more than {MAX_PAGES} pages of cameras", "cameras")
        self._cameras = tuple(camera.ref.camera_id for camera in cameras)
        statuses = self._feed.statuses if self._feed else {}
        cameras = [replace(c, status=statuses.get(c.ref.camera_id, c.status)) for c in cameras]
        by_id = {camera.ref.camera_id: camera for camera in cameras}
        groups: list[CameraGroup] = []
        if self._has_groups:
            for group in parse.groups(await self._get(f"{API}/cameras/groups")):
                members = tuple(by_id[i] for i in dict.fromkeys(group.camera_ids) if i in by_id)
                groups.append(CameraGroup(group.id, group.name, members))
        grouped = {camera.ref for group in groups for camera in group.cameras}
        root = tuple(camera for camera in cameras if camera.ref not in grouped)
        return CameraGroup(self.site.id, self.site.name, root, tuple(groups))

    # -- video -------------------------------------------------------------------------

    async def live(self, camera_id: str, quality: Quality) -> StreamDescription:
        """The gateway's RTSP URL of that quality (the main one where there is no sub)."""
        urls = parse.live_urls(await self._get(f"{API}/cameras/{camera_id}/live"))
        chosen = quality if quality in urls else next(iter(urls))
        return StreamDescription(
            url=with_credentials(urls[chosen], self._user, self._password),
            live=True,
            quality=chosen,
        )

    async def playback(self, camera_id: str, at: datetime, speed: float) -> StreamDescription:
        """The gateway's RTSP playback URL from ``at``; the gateway plays 1x, 2x, 4x or
        8x, so ``speed`` is rounded to the nearest of those. A seek is a new URL."""
        chosen = min(SPEEDS, key=lambda s: abs(s - speed))
        body = await self._get(
            f"{API}/recordings/{camera_id}/playback", startTime=parse.stamp(at), speed=chosen
        )
        return StreamDescription(
            url=with_credentials(parse.playback_url(body), self._user, self._password),
            live=False,
        )

    async def timeline(self, camera_id: str, span: TimeSpan) -> Timeline:
        if not self.capabilities.timeline:
            raise NotSupportedError(f"{self.site.name} has no timeline")
        body = await self._get(
            f"{API}/recordings/{camera_id}/timeline",
            startTime=parse.stamp(span.start),
            endTime=parse.stamp(span.end),
        )
        events: tuple[Event, ...] = ()
        if self.capabilities.events:
            events = await self.events_between(camera_id, span)
        return Timeline(span, parse.recorded(body, span), events)

    async def snapshot(self, camera_id: str, width: int, height: int) -> bytes:
        picture = await self._get(f"{API}/cameras/{camera_id}/snapshot", width=width, height=height)
        if not picture.startswith(b"\xff\xd8"):
            raise MalformedResponseError("the snapshot is not a JPEG", "snapshot")
        return picture

    async def export_recording(
        self, camera_id: str, span: TimeSpan, progress: ExportProgress | None = None
    ) -> str:
        """Orders an export job and polls it every ``export_poll`` s until it is done,
        telling ``progress`` each percentage the job reports. Seed 000 names no way to
        call a job off: a cancelled export leaves the gateway's job to finish and expire."""
        order = {
            "cameraId": camera_id,
            "startTime": parse.stamp(span.start),
            "endTime": parse.stamp(span.end),
            "format": "mp4",
            "quality": "high",
            "includeAudio": False,
        }
        if not self.capabilities.export:
            raise NotSupportedError(f"{self.site.name} makes no exports")
        try:
            answer = await self._request("POST", f"{API}/recordings/export", body=order)
        except NotFoundError as error:
            if "RECORDING_NOT_FOUND" in str(error):  # the envelope's code: nothing to export
                raise NotFoundError(
                    f"{self.site.name} has no recording of the camera in that span"
                ) from None
            self.capabilities = replace(self.capabilities, export=False)
            raise NotSupportedError(f"{self.site.name} makes no exports") from None
        job = parse.export_job(answer)
        async with asyncio.timeout(EXPORT_LIMIT):
            while True:
                # Python's JSON reader lets NaN through.
                if progress is not None and job.progress is not None and isfinite(job.progress):
                    progress(min(max(job.progress / 100, 0.0), 1.0))
                if job.finished:
                    break
                await asyncio.sleep(self._export_poll)
                job = parse.export_job(await self._get(f"{API}/recordings/export/{job.id}"))
        if job.status != "completed" or not job.download_url:
            raise UnreachableError(f"the gateway's export {job.id} ended {job.status}")
        return job.download_url

    async def download_export(self, url: str) -> bytes:
        """The file of a finished export (the address ``export_recording`` gave), fetched
        with this site's credentials, which go only to the gateway's own origin: an
        address on another host or port is refused (``NotSupportedError``), never sent
        the password or token. The whole file is held in memory."""
        try:
            target, own = httpx.URL(url), httpx.URL(self._url)
        except httpx.InvalidURL:
            raise MalformedResponseError("not a URL", "downloadUrl") from None
        if (target.scheme, target.host, target.port) != (own.scheme, own.host, own.port):
            raise NotSupportedError(
                f"{self.site.name} offers the export on another server ({mask_url(url)}),"
                " which is not sent this site's credentials"
            )
        return await self._request("GET", target.raw_path.decode("ascii"))

    # -- events ------------------------------------------------------------------------

    def _live_feed(self) -> EventFeed:
        if self._feed is None:
            raise NotSupportedError(f"{self.site.name} sends no events")
        return self._feed

    def events(self) -> AsyncIterator[Event]:
        return self._live_feed().listen()

    def watch_camera_status(self, listener: Callable[[str, CameraStatus], None]) -> None:
        self._live_feed().on_status(listener)

    async def events_between(self, camera_id: str | None, span: TimeSpan) -> tuple[Event, ...]:
        """The gateway stores events per camera: all cameras is one request each."""
        found: list[Event] = []
        for camera in (camera_id,) if camera_id is not None else self._cameras:
            body = await self._get(
                f"{API}/events/{camera}",
                startTime=parse.stamp(span.start),
                endTime=parse.stamp(span.end),
            )
            found += parse.events(body, self.site.id, camera)
        return tuple(sorted(found, key=lambda event: event.time))

    # -- PTZ ---------------------------------------------------------------------------

    def _ptz_path(self, camera_id: str, rest: str) -> str:
        if not self.capabilities.ptz:
            raise NotSupportedError(f"{self.site.name} has no PTZ control")
        return f"{API}/cameras/{camera_id}/ptz/{rest}"

    async def ptz_capabilities(self, camera_id: str) -> PtzCapabilities:
        presets = await self.ptz_presets(camera_id)
        return PtzCapabilities(absolute=True, relative=True, zoom=True, presets=presets)

    async def ptz_presets(self, camera_id: str) -> tuple[Preset, ...]:
        return parse.presets(await self._get(self._ptz_path(camera_id, "presets")))

    async def ptz_goto_preset(self, camera_id: str, preset_id: str) -> None:
        await self._request("POST", self._ptz_path(camera_id, f"preset/{preset_id}"))
        self._positions.pop(camera_id, None)

    async def ptz_step(self, camera_id: str, direction: PtzDirection) -> None:
        """A relative move of ``STEP_DEGREES``; home is the absolute 0°, 0°, 1x."""
        if direction is PtzDirection.HOME:
            await self.ptz_move_to(camera_id, PtzPosition(0.0, 0.0, 0.0))
            return
        pan, tilt = _STEPS[direction]
        body = {"pan": pan * STEP_DEGREES, "tilt": tilt * STEP_DEGREES, "speed": 0.5}
        await self._move(camera_id, "relative", body)

    async def ptz_move_to(self, camera_id: str, position: PtzPosition, speed: float = 1.0) -> None:
        """Pan -1..1 is -180°..180° (sent as 0..360), tilt -1..1 is -90°..90°, zoom 0..1
        is 1x..``MAX_ZOOM``."""
        pace = max(0.0, min(1.0, speed))
        body = {
            "pan": (position.pan * 180.0) % 360.0,
            "tilt": position.tilt * 90.0,
            "zoom": 1.0 + position.zoom * (MAX_ZOOM - 1.0),
            "speed": {"pan": pace, "tilt": pace, "zoom": pace},
        }
        await self._move(camera_id, "move", body)

    async def ptz_move_by(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        """Relative degrees on the scale of ``ptz_move_to`` (a pan of 1 is 180°, a tilt
        of 1 is 90°, a zoom of 1 the whole range)."""
        body = {
            "pan": pan * 180.0,
            "tilt": tilt * 90.0,
            "zoom": zoom * (MAX_ZOOM - 1.0),
            "speed": 0.5,
        }
        await self._move(camera_id, "relative", body)

    async def ptz_position(self, camera_id: str) -> PtzPosition:
        """Where the last move left the camera (the gateway reports a position only in
        its answer to a move)."""
        known = self._positions.get(camera_id)
        if known is None:
            raise NotSupportedError(f"{self.site.name} reports a position only after a move")
        return known

    async def _move(self, camera_id: str, kind: str, body: dict[str, Any]) -> None:
        answer = await self._request("POST", self._ptz_path(camera_id, kind), body=body)
        with contextlib.suppress(MalformedResponseError):
            self._positions[camera_id] = _normalised(parse.position(answer))


def _normalised(place: parse.GatewayPosition) -> PtzPosition:
    pan = ((place.pan + 180.0) % 360.0 - 180.0) / 180.0
    tilt = max(-1.0, min(1.0, place.tilt / 90.0))
    zoom = max(0.0, min(1.0, (place.zoom - 1.0) / (MAX_ZOOM - 1.0)))
    return PtzPosition(pan, tilt, zoom)


def _basic(user: str, password: str) -> str:
    pair = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return float(value)
    return None
