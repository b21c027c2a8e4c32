"""A simulated MiBee NVR: its REST API over plain HTTP on loopback, as the server's code
answers (``../shared/docs/backends.md`` section 2), not as its older wiki says.

Eight demo cameras. Login by ``POST /api/auth/login`` with Basic gives an ``mbs_``
token of ``token_lifetime`` seconds; a request made with one that has less than
``renew_under`` left is answered with ``X-Renewed-Token``. Bearer, ``?token=`` and plain
Basic all authenticate; HLS segments take the ``mbs_session`` cookie the playlist set.
Switches for tests: ``void_tokens()`` (a restart), ``setup_required``,
``login_endpoint`` (False: an old server, 404 there), ``sse_available``,
``set_status()`` (published on the event stream), ``max_failures`` (then 429),
``health`` and ``ready`` (what ``/api/health`` and ``/api/readyz`` say).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from viewer.demo import snapshots
from viewer.demo.clips import ClipCache
from viewer.demo.footage import DEMO_CAMERAS, DemoCamera
from viewer.demo.hls.service import HlsService
from viewer.demo.http import HttpServer, Request, Response
from viewer.demo.mibee import archive
from viewer.demo.mibee.events import EventHub
from viewer.demo.mibee.ptz import PtzCameras, PtzRefused

CAMERAS: tuple[DemoCamera, ...] = DEMO_CAMERAS[:8]
ONVIF = ("cam04", "cam08")
"""The cameras that speak ONVIF, so have PTZ."""
HLS_ONLY = ("cam07", "cam08")
"""Cameras the server does not restream over RTSP: clients take HLS."""
NOT_FOUND = b"404 page not found"

RtspUrl = Callable[[str, str], str]
"""(camera id, "main" or "sub") -> an RTSP URL the demo's RTSP server plays."""


@dataclass
class Session:
    token: str
    expires: float


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(value).encode(), headers=headers or {})


def _error(status: int, message: str, code: str | None = None) -> Response:
    body: dict[str, str] = {"error": message}
    if code:
        body["code"] = code
    return _json(body, status)


def _not_found() -> Response:
    return Response(404, NOT_FOUND, "text/plain; charset=utf-8")


class MibeeSimulator:
    def __init__(
        self,
        *,
        user: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: float = 7200.0,
        renew_under: float = 900.0,
        rtsp_url: RtspUrl | None = None,
        hls: HlsService | None = None,
        ping_interval: float = 15.0,
        max_failures: int = 10,
    ) -> None:
        self.user, self.password = user, password
        self.host = host
        self.token_lifetime, self.renew_under = token_lifetime, renew_under
        self.rtsp_url, self.hls = rtsp_url, hls
        self.max_failures = max_failures
        self.setup_required = False
        self.login_endpoint = True
        self.sse_available = True
        self.events = EventHub(ping_interval)
        self.ptz = PtzCameras(list(ONVIF))
        self.ptz_held: dict[str, str] = {}
        """Cameras whose PTZ another operator holds, with that operator's name: every
        command but status and the preset list is refused with 423 ``PTZ_LOCKED``
        [guess: neither the wiki nor the server has a lock]."""
        self.clips = ClipCache()
        """The recordings' MP4s, built when first downloaded."""
        self.statuses = {camera.id: "recording" for camera in CAMERAS}
        self.health: Literal["ok", "degraded", "down"] = "ok"
        """What ``/api/health`` says: degraded names ``storage_message``; down is a 503."""
        self.storage_message = "recording disk 93 % full"
        self.ready = True
        """False: ``/api/readyz`` answers 503 ``not ready`` (down makes it so too)."""
        self.sessions: dict[str, Session] = {}
        self.requests: list[tuple[str, str, int, dict[str, str]]] = []
        """Every request: method, path, status, headers (for tests)."""
        self.logins = 0
        self._failures: list[float] = []
        self._cookies: set[str] = set()
        self._http = HttpServer(self.handle, host=host, port=port, server_name="")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._http.port}"

    async def start(self) -> None:
        await self._http.start()

    async def stop(self) -> None:
        self.events.drop_all()
        await asyncio.sleep(0)
        await self._http.stop()

    # -- switches ----------------------------------------------------------------------

    def void_tokens(self) -> None:
        """Every token and cookie stops working, as after a restart or a new password."""
        self.sessions.clear()
        self._cookies.clear()

    def set_status(self, camera_id: str, word: str) -> None:
        self.statuses[camera_id] = word
        self.events.publish("camera.status", {"camera_id": camera_id, "status": word})

    # -- requests ----------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        response = await self._route(request)
        self.requests.append((request.method, request.path, response.status, request.headers))
        return response

    async def _route(self, request: Request) -> Response:
        path = request.path
        if not path.startswith("/api/"):
            return _not_found()
        if path == "/api/health" and request.method == "GET":
            return _json(self._health(), 503 if self.health == "down" else 200)
        if path == "/api/readyz" and request.method == "GET":
            if self.ready and self.health != "down":
                return _json({"status": "ok"})
            return _json({"status": "not ready"}, 503)
        if path == "/api/events" and request.method == "GET":
            if not self.sse_available:
                return _not_found()
            prefix = request.query.get("filter", "")
            return Response(
                200,
                content_type="text/event-stream",
                headers={"Cache-Control": "no-cache"},
                stream=lambda: self.events.stream(prefix),
            )
        if self.setup_required:
            return _error(503, "setup required", "SETUP_REQUIRED")
        if path == "/api/auth/login":
            if not self.login_endpoint:
                return _not_found()
            if request.method != "POST":
                return Response(405, b"405 method not allowed", "text/plain")
            return self._login(request)
        renewed: dict[str, str] = {}
        if not self._authorised(request, renewed):
            return Response(401, b"", "text/plain")
        response = await self._api(request)
        if renewed:
            response.headers.update(renewed)
        return response

    def _health(self) -> dict[str, Any]:
        """The wiki's shape; degraded and down are guesses at what the server says then:
        the failing check's status and message, the overall word."""
        checks = {
            "database": {"status": "ok", "message": ""},
            "storage": {"status": "ok", "message": ""},
        }
        if self.health == "degraded":
            checks["storage"] = {"status": "degraded", "message": self.storage_message}
        elif self.health == "down":
            checks["database"] = {"status": "error", "message": "database is not reachable"}
        word = {"ok": "ok", "degraded": "degraded", "down": "error"}[self.health]
        return {"status": word, "checks": checks, "uptime": "2h34m15s"}

    def _throttled(self) -> bool:
        now = time.monotonic()
        self._failures = [t for t in self._failures if now - t < 60]
        return len(self._failures) >= self.max_failures

    def _basic(self, request: Request) -> bool | None:
        """Whether Basic credentials are right; None when none were sent."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, binascii.Error):
            return False
        right = hmac.compare_digest(user.encode(), self.user.encode()) and hmac.compare_digest(
            password.encode(), self.password.encode()
        )
        if not right:
            self._failures.append(time.monotonic())
        return right

    def _login(self, request: Request) -> Response:
        if self._throttled():
            return Response(429, b"", "text/plain")
        if not self._basic(request):
            return Response(401, b"", "text/plain")
        self.logins += 1
        session = self._new_session()
        expires = datetime.now(UTC) + timedelta(seconds=self.token_lifetime)
        return _json(
            {"status": "ok", "token": session.token, "expires_at": archive.rfc3339(expires)}
        )

    def _new_session(self) -> Session:
        session = Session(f"mbs_{secrets.token_hex(24)}", time.monotonic() + self.token_lifetime)
        self.sessions[session.token] = session
        return session

    def _authorised(self, request: Request, renewed: dict[str, str]) -> bool:
        if self._throttled():
            return False
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        token = token or request.query.get("token")
        if token is not None:
            session = self.sessions.get(token)
            if session is None or session.expires <= time.monotonic():
                self._failures.append(time.monotonic())
                return False
            if session.expires - time.monotonic() < self.renew_under:
                renewed["X-Renewed-Token"] = self._new_session().token
            return True
        basic = self._basic(request)
        if basic is not None:
            return basic
        media = "/stream/" in request.path or "/playback/" in request.path
        return self._cookie(request) in self._cookies and media

    @staticmethod
    def _cookie(request: Request) -> str | None:
        match = re.search(r"(?:^|;\s*)mbs_session=([^;]+)", request.headers.get("cookie", ""))
        return match.group(1) if match else None

    async def _api(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")[1:]
        method = request.method
        if parts == ["cameras"] and method == "GET":
            return self._cameras(request)
        if parts[:1] == ["recordings"]:
            return await self._archive(request, parts[1:])
        if len(parts) < 2 or parts[0] != "cameras":
            return _not_found()
        camera = next((c for c in CAMERAS if c.id == parts[1]), None)
        if camera is None:
            return _error(404, f"camera not found: {parts[1]}", "CAMERA_NOT_FOUND")
        rest = parts[2:]
        if not rest and method == "GET":
            return _json(self._camera(camera))
        if rest == ["protocols"] and method == "GET":
            return _json(self._protocols(camera))
        if rest == ["snapshot"] and method == "GET":
            picture = await asyncio.to_thread(self._snapshot, camera)
            return Response(200, picture, "image/jpeg", {"Cache-Control": "max-age=5"})
        if rest[:1] == ["stream"] and method == "GET":
            return await self._stream(camera, rest[1:], request)
        if rest[:1] == ["playback"] and len(rest) == 2 and method == "GET":
            return await self._playback(camera, rest[1], request)
        if rest[:2] == ["timeline", "gaps"] and method == "GET":
            found = archive.gaps(request.query.get("date"))
            if found is None:
                return _error(400, "invalid input: date must be YYYY-MM-DD", "INVALID_INPUT")
            return _json(found)
        if rest[:1] == ["ptz"]:
            return await self._ptz(camera, rest[1:], request)
        return _not_found()

    def _snapshot(self, camera: DemoCamera) -> bytes:
        """A PTZ camera's snapshot is its dome's view, wherever its stream is taken."""
        if camera.id in self.ptz.heads:
            return snapshots.view_jpeg(self.ptz.dome(camera.id), 640, 360)
        return snapshots.jpeg(camera, 640, 360)

    def _camera(self, camera: DemoCamera) -> dict[str, Any]:
        return {
            "id": camera.id,
            "name": camera.name,
            "protocol": "onvif" if camera.id in ONVIF else "rtsp",
            "encoding": "h264",
            "url": f"rtsp://127.0.0.1:554/{camera.id}",
            "enabled": True,
            "status": self.statuses[camera.id],
            "last_seen": archive.rfc3339(datetime.now(UTC).replace(second=0, microsecond=0)),
            "location": "Demo site",
            "retention_days": 1,
            "username": "admin",
            "has_password": True,
            "sub_stream_url": "",
            "snapshot_url": "",
            "sample_interval": 1,
            "hls_max_fps": 25,
            "did": "",
            "vendor": "",
        }

    def _cameras(self, request: Request) -> Response:
        body = json.dumps([self._camera(camera) for camera in CAMERAS]).encode()
        # last_seen moves once a minute; the tag follows what a client shows.
        tag = (
            '"'
            + hashlib.sha1(  # noqa: S324 - a cache tag, not a secret
                json.dumps(self.statuses, sort_keys=True).encode()
            ).hexdigest()[:16]
            + '"'
        )
        if request.headers.get("if-none-match") == tag:
            return Response(304, b"", headers={"ETag": tag})
        return Response(200, body, headers={"ETag": tag})

    def _protocols(self, camera: DemoCamera) -> dict[str, Any]:
        found: dict[str, Any] = {
            "protocols": ["hls"],
            # A PTZ camera's restream is its moving view alone (ptz.live_views).
            "sub_stream": {"available": camera.id not in self.ptz.live_views, "codec": "h264"},
        }
        if camera.id not in HLS_ONLY and self.rtsp_url is not None:
            found["protocols"].append("rtsp")
            found["rtsp"] = {"available": True, "url": self.rtsp_url(camera.id, "main")}
        return found

    async def _stream(self, camera: DemoCamera, rest: list[str], request: Request) -> Response:
        """Live HLS from the HLS service: ``index.m3u8`` and its segments, ``sub/`` for
        the sub-stream (the wiki's ``stream.m3u8`` is 404); the playlist sets the cookie
        its segments need."""
        quality = "sub" if rest[:1] == ["sub"] else "main"
        names = rest[1:] if quality == "sub" else rest
        if self.hls is None or len(names) != 1 or names[0] == "stream.m3u8":
            return _not_found()
        if names[0].endswith(".m3u8") and names[0] != "index.m3u8":
            return _not_found()
        answer = await self.hls.live(camera.id, quality, names[0], request.query)
        if answer is None:
            return _not_found()
        if names[0] == "index.m3u8":
            self._set_cookie(request, answer)
        return answer

    def _set_cookie(self, request: Request, answer: Response) -> None:
        """The session cookie a playlist hands out: its segments need it."""
        if answer.status == 200:
            cookie = self._cookie(request) or secrets.token_hex(16)
            self._cookies.add(cookie)
            answer.headers["Set-Cookie"] = f"mbs_session={cookie}; Path=/api/cameras; HttpOnly"

    async def _playback(self, camera: DemoCamera, name: str, request: Request) -> Response:
        """VOD HLS of a span (``playlist.m3u8?start&end``) and its segments."""
        if self.hls is None:
            return _not_found()
        if name.endswith(".m3u8") and name != "playlist.m3u8":
            return _not_found()
        answer = await self.hls.recorded(camera.id, name, request.query)
        if answer is None:
            return _not_found()
        if name == "playlist.m3u8":
            self._set_cookie(request, answer)
        return answer

    def _recordings(self, request: Request, rest: list[str]) -> Response:
        query = request.query
        start, end = archive.parse_time(query.get("start")), archive.parse_time(query.get("end"))
        if rest == ["timeline"] and request.method == "GET":
            return _json(archive.timeline(start, end))
        if rest:
            return _not_found()
        cameras = [query["camera_id"]] if query.get("camera_id") else [c.id for c in CAMERAS]
        rows = [
            row
            for camera_id in cameras
            for row in archive.files(camera_id, start, end, _number(camera_id))
        ]
        limit = _whole(query.get("limit"), 50)
        limit = limit if 1 <= limit <= archive.MAX_LIMIT else 50
        offset = max(0, _whole(query.get("offset"), 0))
        page = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        answer: dict[str, Any] = {"recordings": page, "total": len(rows)}
        if more:
            answer["next_cursor"] = str(offset + limit)
        return _json(answer)

    async def _archive(self, request: Request, rest: list[str]) -> Response:
        if len(rest) == 2 and rest[1] == "download" and request.method == "GET":
            return await self._download(rest[0], request)
        return self._recordings(request, rest)

    async def _download(self, ident: str, request: Request) -> Response:
        """A recording's MP4 (demo/clips.py: clock faces of its instants), with
        ``Range`` as Go's ``http.ServeContent`` answers it: one range is a 206 with
        ``Content-Range``, one past the end or malformed a 416, several the whole file."""
        for number, camera in enumerate(CAMERAS, start=1):
            span = archive.find(camera.id, number, ident)
            if span is not None:
                break
        else:
            return _error(404, "recording not found", "RECORDING_NOT_FOUND")
        clip = await self.clips.get((camera.id, *span), camera.name, [span])
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'attachment; filename="{camera.id}_{ident}.mp4"',
        }
        wanted = request.headers.get("range")
        if wanted is None:
            return Response(200, clip, "video/mp4", headers)
        chosen = byte_range(wanted, len(clip))
        if chosen is None:
            headers["Content-Range"] = f"bytes */{len(clip)}"
            return Response(416, b"invalid range", "text/plain; charset=utf-8", headers)
        if chosen == (0, len(clip)):
            return Response(200, clip, "video/mp4", headers)
        first, end = chosen
        headers["Content-Range"] = f"bytes {first}-{end - 1}/{len(clip)}"
        return Response(206, clip[first:end], "video/mp4", headers)

    async def _ptz(self, camera: DemoCamera, rest: list[str], request: Request) -> Response:
        method = request.method
        try:
            body = json.loads(request.body) if request.body else None
        except (ValueError, RecursionError):
            return _error(400, "invalid input: body is not JSON", "INVALID_INPUT")
        holder = self.ptz_held.get(camera.id)
        if holder is not None and method != "GET":
            return _error(423, f"ptz locked by {holder}", "PTZ_LOCKED")
        try:
            if rest == ["move"] and method == "POST":
                status = self.ptz.move(camera.id, body)
                await self.ptz.arrived(camera.id)
                return _json({"status": status})
            if rest == ["stop"] and method == "POST":
                self.ptz.stop(camera.id)
                return _json({"status": "stopped"})
            if rest == ["status"] and method == "GET":
                return _json(self.ptz.status(camera.id))
            if rest == ["presets"] and method == "GET":
                return _json(self.ptz.presets(camera.id))
            if rest == ["presets"] and method == "POST":
                return _json({"token": self.ptz.create(camera.id, body)})
            if len(rest) == 3 and rest[0] == "presets" and rest[2] == "goto" and method == "POST":
                if self.ptz.goto(camera.id, rest[1]):
                    await self.ptz.arrived(camera.id)
                    return _json({"status": "ok"})
                return _error(404, f"preset not found: {rest[1]}")
            if len(rest) == 2 and rest[0] == "presets" and method == "DELETE":
                if self.ptz.delete(camera.id, rest[1]):
                    return _json({"status": "ok"})
                return _error(404, f"preset not found: {rest[1]}")
        except PtzRefused as refusal:
            return _error(400, str(refusal), refusal.code)
        return _not_found()


def _number(camera_id: str) -> int:
    """The camera's place in the list (1-8), which the NVR's file ids carry; 0 unknown."""
    return next((i for i, c in enumerate(CAMERAS, start=1) if c.id == camera_id), 0)


_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``[first, end)`` of a ``Range`` header over ``size`` bytes; the whole file for
    several ranges (a server may ignore Range); None for a malformed or unsatisfiable one."""
    if "," in header:
        return 0, size
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last ``last`` bytes
        return (max(0, size - int(last)), size) if int(last) else None
    start = int(first)
    end = size if last == "" else min(size, int(last) + 1)
    if start >= size or end <= start:
        return None
    return start, end


def _whole(text: str | None, default: int) -> int:
    """A query's number; the default for anything else, as the server ignores bad values."""
    if text and re.fullmatch(r"[0-9]{1,9}", text):
        return int(text)
    return default
