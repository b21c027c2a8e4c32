"""A simulated generic REST gateway (seed 000) over plain HTTP on loopback.

Eight demo cameras (ids are GUIDs derived from the demo camera ids, the footage's
colours and pictures), three groups, RTSP live URLs on the demo RTSP server
(``/live/{cameraId}?stream=1|2``, which it serves as aliases of the demo streams), a
week of recordings with gaps, real JPEG snapshots, stateful PTZ on two cameras, export
jobs that move queued → processing → completed, stored events and the event WebSocket.
Every answer and error body is shaped as seed 000 shows it.

Switches for tests: ``switched_off`` (feature names answering 404 as if the gateway had
no such endpoint), ``rate_limit`` (requests per ``rate_window`` seconds on the camera
list and on PTZ before 429 with ``Retry-After``), ``token_lifetime``, ``void_tokens()``,
``set_online()`` (a camera going offline or back, pushed on the socket), ``health``
and ``storage_used`` (what ``/system/health`` says), ``counters``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import json
import math
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from viewer.demo import panorama, snapshots
from viewer.demo.clips import ClipCache
from viewer.demo.footage import DEMO_CAMERAS, DemoCamera
from viewer.demo.gateway.ptz import Head, speed_of
from viewer.demo.gateway.socket import EventSocket
from viewer.demo.http import HttpServer, Request, Response
from viewer.demo.recordings import recorded_spans

API = "/api/rest/v1"
SOCKET_PATH = "/api/ws/events"
LOGIN_PATH = "/api/auth/login"
FEATURES = (
    "login",
    "capabilities",
    "health",
    "groups",
    "snapshot",
    "timeline",
    "playback",
    "export",
    "events",
    "websocket",
    "ptz",
)
PTZ_CAMERAS = ("cam01", "cam02")
GROUPS = (
    ("group-001", "Entrances", ("cam01", "cam04", "cam07")),
    ("group-002", "Car parks", ("cam02", "cam05", "cam07")),
    ("group-003", "Yards", ("cam03", "cam06")),
)
"""cam07 sits in two groups, cam08 in none (the tree's root)."""
PRESETS = (
    (1, "Main Entrance View", 180.0, 30.0, 1.5),
    (2, "Parking Area", 90.0, 15.0, 2.0),
)
EXPORT_STEP = 0.3
"""Seconds an export job stays queued, then processing (longer while its file is built)."""
MAX_EXPORTS = 10
"""Jobs queued or processing at once (seed 000's rate limits: 10 concurrent)."""
_CAMERA_PATH = re.compile(r"^/cameras/(?P<id>[^/]+)(?P<rest>/.*)?$")
_RECORDING_PATH = re.compile(r"^/recordings/(?P<id>[^/]+)/(?P<what>timeline|playback)$")
_EXPORT_PATH = re.compile(r"^/recordings/export/(?P<id>[^/]+)(?P<download>/download)?$")


def camera_guid(demo_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vigil-gateway/{demo_id}"))


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Seed 000's envelope."""
    document = {
        "error": {
            "code": code,
            "message": message,
            "statusCode": status,
            "timestamp": stamp(datetime.now(UTC)),
        }
    }
    return Response(status, _dump(document), headers=headers or {})


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2).encode("utf-8")


def _ok(document: dict[str, Any], status: int = 200) -> Response:
    return Response(status, _dump(document))


@dataclass
class Counters:
    logins: int = 0
    requests: list[str] = field(default_factory=list)
    """``METHOD path?query status`` of every request, in order."""


@dataclass
class _Job:
    id: str
    camera_id: str
    start: str
    end: str
    created: float
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)
    file: asyncio.Future[bytes] | None = None
    """The MP4 being built (demo/clips.py), from the moment the job is ordered."""


class GatewaySimulator:
    def __init__(
        self,
        *,
        user: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        rtsp_host: str = "127.0.0.1",
        rtsp_port: int = 554,
        token_lifetime: float = 3600.0,
        rate_limit: int = 60,
        rate_window: float = 60.0,
        cameras: tuple[DemoCamera, ...] = DEMO_CAMERAS[:8],
    ) -> None:
        self.user, self.password = user, password
        self.host = host
        self.rtsp_host, self.rtsp_port = rtsp_host, rtsp_port
        self.token_lifetime = token_lifetime
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self.switched_off: set[str] = set()
        self.health: Literal["healthy", "degraded", "unhealthy"] = "healthy"
        """What ``/system/health`` says; unhealthy is a 503 with a recorder stopped."""
        self.storage_used = 75.5
        """The recording server's disk use, per cent."""
        self.counters = Counters()
        self.cameras = {camera_guid(camera.id): camera for camera in cameras}
        """By gateway id; ``aliases`` maps the same ids to the demo camera ids."""
        self.aliases = {guid: camera.id for guid, camera in self.cameras.items()}
        self.events: list[dict[str, Any]] = []
        self.ptz = {guid: Head() for guid, c in self.cameras.items() if c.id in PTZ_CAMERAS}
        """Each PTZ camera's head (ptz.py), by gateway id; its RTSP live plays its view."""
        self.ptz_held: dict[str, str] = {}
        """Demo camera ids whose PTZ another operator holds, with that operator's name:
        their moves and presets are refused with 423 ``PTZ_LOCKED`` [guess: seed 000 has
        no lock]."""
        self.socket = EventSocket()
        self._tokens: dict[str, float] = {}
        self._offline: set[str] = set()
        self._calls: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._jobs: dict[str, _Job] = {}
        self.clips = ClipCache()
        """Export files by job id."""
        self._server = HttpServer(self._handle, host=host, port=port, server_name="nginx/1.24.0")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.port}"

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        self.socket.drop()
        await self._server.stop()
        building = [job.file for job in self._jobs.values() if job.file and not job.file.done()]
        for file in building:
            file.cancel()
        await asyncio.gather(*building, return_exceptions=True)

    # -- switches ---------------------------------------------------------------------

    def void_tokens(self) -> None:
        self._tokens.clear()

    def set_online(self, camera_id: str, online: bool) -> None:
        """A camera drops off the network or comes back: pushed as ``camera.offline`` or
        ``camera.online``; while offline its live answer is 409 ``CAMERA_OFFLINE``."""
        if online:
            self._offline.discard(camera_id)
        else:
            self._offline.add(camera_id)
        self.publish(camera_id, "camera.online" if online else "camera.offline")

    def publish(self, camera_id: str, kind: str, description: str = "") -> dict[str, Any]:
        event = {
            "eventId": f"evt-{len(self.events) + 1:03d}",
            "type": kind,
            "cameraId": camera_id,
            "timestamp": stamp(datetime.now(UTC)),
            "description": description,
        }
        self.events.append(event)
        self.socket.push(
            {"type": kind, "cameraId": camera_id, "timestamp": event["timestamp"], "data": {}}
        )
        return event

    # -- requests ---------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        response = await self._answer(request)
        query = f"?{urlencode(request.query)}" if request.query else ""
        self.counters.requests.append(f"{request.method} {request.path}{query} {response.status}")
        return response

    async def _answer(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == LOGIN_PATH and request.method == "POST":
            return self._feature("login") or self._login(request.body)
        if not self._authorised(request):
            return error(401, "UNAUTHORIZED", "Authentication required")
        if path == SOCKET_PATH:
            if "websocket" in self.switched_off:
                return error(404, "NOT_FOUND", "Endpoint not found")
            refusal = error(400, "INVALID_REQUEST", "A WebSocket upgrade is required")
            return self.socket.upgrade(request) or refusal
        if not path.startswith(API + "/"):
            return error(404, "NOT_FOUND", "Endpoint not found")
        return await self._api(request, path[len(API) :])

    def _login(self, body: bytes) -> Response:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            return error(400, "INVALID_REQUEST", "Invalid request parameters")
        if (document.get("username"), document.get("password")) != (self.user, self.password):
            return error(401, "UNAUTHORIZED", "Invalid username or password")
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.monotonic() + self.token_lifetime
        self.counters.logins += 1
        return _ok({"token": token, "expires_in": int(self.token_lifetime)})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return secrets.compare_digest(
                f"{user}\n{password}".encode(), f"{self.user}\n{self.password}".encode()
            )
        token = value if scheme.lower() == "bearer" else request.query.get("token", "")
        expires = self._tokens.get(token)
        return expires is not None and expires > time.monotonic()

    async def _api(self, request: Request, path: str) -> Response:
        get = request.method == "GET"
        if path == "/system/capabilities" and get:
            return self._feature("capabilities") or _ok(self._capabilities())
        if path == "/system/health" and get:
            return self._feature("health") or self._health()
        if path == "/cameras" and get:
            return self._limited("cameras") or self._camera_list(request.query)
        if path == "/cameras/groups" and get:
            return self._feature("groups") or _ok({"groups": self._groups()})
        if path == "/recordings/export" and request.method == "POST":
            return self._feature("export") or self._export(request.body)
        if match := _EXPORT_PATH.match(path):
            return self._feature("export") or await self._job(match["id"], bool(match["download"]))
        if match := _RECORDING_PATH.match(path):
            return self._recording(match["id"], match["what"], request.query)
        if path.startswith("/events/") and get:
            return self._feature("events") or self._stored_events(path[8:], request.query)
        if match := _CAMERA_PATH.match(path):
            return await self._camera(request, match["id"], match["rest"] or "")
        return error(404, "NOT_FOUND", "Endpoint not found")

    def _feature(self, name: str) -> Response | None:
        if name in self.switched_off:
            return error(404, "NOT_FOUND", "Endpoint not found")
        return None

    def _limited(self, category: str) -> Response | None:
        """429 once ``rate_limit`` requests of the category came within the window."""
        now = time.monotonic()
        calls = self._calls[category]
        while calls and calls[0] <= now - self.rate_window:
            calls.popleft()
        if len(calls) >= self.rate_limit:
            wait = max(1, math.ceil(calls[0] + self.rate_window - now))
            return error(
                429, "RATE_LIMIT_EXCEEDED", "Too many requests", {"Retry-After": str(wait)}
            )
        calls.append(now)
        return None

    # -- directory --------------------------------------------------------------------

    def _capabilities(self) -> dict[str, Any]:
        return {
            "maxCameras": 1000,
            "maxConcurrentStreams": 500,
            "supportedCodecs": ["H264"],
            "supportedFormats": ["mp4"],
            "features": {
                "ptzControl": "ptz" not in self.switched_off,
                "motionDetection": True,
                "audioRecording": False,
                "edgeStorage": False,
                "redundantRecording": False,
            },
            "apiVersion": "v1",
            "sdkVersion": "2023.3.0",
        }

    def _health(self) -> Response:
        """Seed 000's shape; degraded and unhealthy (a 503) are guesses at the words."""
        running = "stopped" if self.health == "unhealthy" else "running"
        document = {
            "status": self.health,
            "version": "2023 R3",
            "uptime": 7776000,
            "services": {"managementServer": "running", "recordingServer": running},
            "recordingServers": [
                {
                    "id": "server-001",
                    "name": "Recording Server 1",
                    "status": running,
                    "cpuUsage": 45.2,
                    "memoryUsage": 62.8,
                    "storageUsed": self.storage_used,
                    "storageTotal": 1099511627776,
                    "cameraCount": len(self.cameras),
                    "activeStreams": 0,
                }
            ],
        }
        return _ok(document, 503 if self.health == "unhealthy" else 200)

    def _camera_list(self, query: dict[str, str]) -> Response:
        try:
            limit = int(query.get("limit", "100"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            return error(400, "INVALID_REQUEST", "Invalid request parameters")
        if not (1 <= limit <= 1000 and offset >= 0):
            return error(400, "INVALID_REQUEST", "Invalid request parameters")
        every = [self._camera_document(guid) for guid in self.cameras]
        return _ok({"cameras": every[offset : offset + limit], "totalCount": len(every)})

    def _camera_document(self, guid: str) -> dict[str, Any]:
        camera = self.cameras[guid]
        moves = guid in self.ptz
        return {
            "id": guid,
            "name": camera.name,
            "enabled": True,
            "recordingEnabled": True,
            "shortName": camera.id,
            "streams": [
                {
                    "streamId": index + 1,
                    "name": "High Quality" if index == 0 else "Low Quality",
                    "resolution": f"{width}x{height}",
                    "codec": "H264",
                    "fps": fps,
                }
                for index, (width, height, fps) in enumerate(self._stream_shapes(guid))
            ],
            "ptzCapabilities": {
                "supportsPan": moves,
                "supportsTilt": moves,
                "supportsZoom": moves,
                "presets": len(PRESETS) if moves else 0,
            },
        }

    def _groups(self) -> list[dict[str, Any]]:
        by_demo = {camera.id: guid for guid, camera in self.cameras.items()}
        return [
            {
                "id": group_id,
                "name": name,
                "description": f"{name} cameras",
                "cameraCount": len(members),
                "cameras": [by_demo[m] for m in members if m in by_demo],
            }
            for group_id, name, members in GROUPS
        ]

    async def _camera(self, request: Request, guid: str, rest: str) -> Response:
        if guid not in self.cameras:
            return error(404, "CAMERA_NOT_FOUND", f"Camera with ID {guid} not found")
        get = request.method == "GET"
        if rest == "" and get:
            return _ok(self._camera_document(guid))
        if rest == "/live" and get:
            if guid in self._offline:
                return error(409, "CAMERA_OFFLINE", "Camera is offline")
            return _ok({"cameraId": guid, "streams": self._live(guid)})
        if rest == "/snapshot" and get:
            return self._feature("snapshot") or await self._snapshot(guid, request.query)
        if rest.startswith("/ptz/"):
            return (
                self._feature("ptz") or self._limited("ptz") or await self._ptz(request, guid, rest)
            )
        return error(404, "NOT_FOUND", "Endpoint not found")

    def _live(self, guid: str) -> list[dict[str, Any]]:
        base = f"rtsp://{self.rtsp_host}:{self.rtsp_port}/live/{guid}"
        return [
            {
                "streamId": index + 1,
                "quality": "high" if index == 0 else "low",
                "protocol": "rtsp",
                "url": f"{base}?stream={index + 1}",
                "resolution": f"{width}x{height}",
                "fps": fps,
                "codec": "H264",
            }
            for index, (width, height, fps) in enumerate(self._stream_shapes(guid))
        ]

    def _stream_shapes(self, guid: str) -> list[tuple[int, int, int]]:
        """(width, height, fps) of each stream the camera's live URLs play: a PTZ
        camera's are its dome's view (demo/ptz_view.py, one size whichever stream is
        asked for), as a gateway advertises what the camera sends."""
        camera = self.cameras[guid]
        if guid in self.ptz:
            return [(panorama.WIDTH, panorama.HEIGHT, panorama.FPS)] * len(camera.profiles)
        return [(p.width, p.height, camera.habit.fps) for p in camera.profiles]

    async def _snapshot(self, guid: str, query: dict[str, str]) -> Response:
        try:
            width = int(query.get("width", "640"))
            height = int(query.get("height", "480"))
            head = self.ptz.get(guid)
            if head is not None:
                picture = await asyncio.to_thread(snapshots.view_jpeg, head.dome, width, height)
            else:
                picture = await asyncio.to_thread(snapshots.jpeg, self.cameras[guid], width, height)
        except ValueError:
            return error(400, "INVALID_REQUEST", "Invalid request parameters")
        return Response(200, picture, content_type="image/jpeg")

    # -- PTZ --------------------------------------------------------------------------

    async def _ptz(self, request: Request, guid: str, rest: str) -> Response:
        state = self.ptz.get(guid)
        if state is None:
            return error(400, "INVALID_REQUEST", "Camera does not support PTZ")
        if rest == "/ptz/presets" and request.method == "GET":
            return _ok(
                {
                    "presets": [
                        {"presetId": p, "name": n, "pan": pan, "tilt": tilt, "zoom": zoom}
                        for p, n, pan, tilt, zoom in PRESETS
                    ]
                }
            )
        if request.method != "POST":
            return error(404, "NOT_FOUND", "Endpoint not found")
        holder = self.ptz_held.get(self.aliases[guid])
        if holder is not None:
            return error(423, "PTZ_LOCKED", f"PTZ control is held by {holder}")
        if rest.startswith("/ptz/preset/"):
            preset = next((p for p in PRESETS if str(p[0]) == rest[12:]), None)
            if preset is None:
                return error(404, "NOT_FOUND", f"Preset {rest[12:]} not found")
            state.move_to(*preset[2:], speed=1.0)
            await state.arrived()
            return _ok({"status": "success", "presetId": preset[0], "presetName": preset[1]})
        body = _numbers(request.body, ("pan", "tilt", "zoom"))
        if body is None:
            return error(400, "INVALID_REQUEST", "Invalid request parameters")
        speed = speed_of(request.body)
        if rest == "/ptz/move":
            here = state.dome.pose()
            pan, tilt = body.get("pan", here.pan), body.get("tilt", here.tilt)
            state.move_to(pan, tilt, body.get("zoom", here.zoom), speed)
        elif rest == "/ptz/relative":
            state.move_by(body.get("pan", 0.0), body.get("tilt", 0.0), body.get("zoom", 0.0), speed)
        else:
            return error(404, "NOT_FOUND", "Endpoint not found")
        await state.arrived()
        return _ok(
            {
                "status": "success",
                "position": {"pan": state.pan, "tilt": state.tilt, "zoom": state.zoom},
            }
        )

    # -- recordings, exports, events --------------------------------------------------

    def _recording(self, guid: str, what: str, query: dict[str, str]) -> Response:
        feature = self._feature(what)
        if feature is not None:
            return feature
        if guid not in self.cameras:
            return error(404, "CAMERA_NOT_FOUND", f"Camera with ID {guid} not found")
        start = _time(query.get("startTime"))
        if start is None:
            return error(400, "INVALID_REQUEST", "startTime is required (ISO 8601)")
        if what == "playback":
            speed = query.get("speed", "1")
            if speed not in ("1", "2", "4", "8"):
                return error(400, "INVALID_REQUEST", "speed is one of 1, 2, 4, 8")
            url = (
                f"rtsp://{self.rtsp_host}:{self.rtsp_port}/playback/{guid}"
                f"?start={stamp(start)}&speed={speed}"
            )
            return _ok(
                {
                    "cameraId": guid,
                    "playbackUrl": url,
                    "startTime": stamp(start),
                    "speed": int(speed),
                }
            )
        end = _time(query.get("endTime"))
        if end is None or end < start:
            return error(400, "INVALID_REQUEST", "endTime is required (ISO 8601)")
        sequences = [
            {
                "sequenceId": f"seq-{index + 1:03d}",
                "startTime": stamp(a),
                "endTime": stamp(b),
                "durationSeconds": int((b - a).total_seconds()),
                "hasVideo": True,
                "hasAudio": False,
                "codec": "H264",
                "gaps": [],
            }
            for index, (a, b) in enumerate(recorded_spans(start, end))
        ]
        return _ok(
            {
                "cameraId": guid,
                "cameraName": self.cameras[guid].name,
                "timeRange": {"start": stamp(start), "end": stamp(end)},
                "sequences": sequences,
            }
        )

    def _export(self, body: bytes) -> Response:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            document = None
        camera_id = document.get("cameraId") if isinstance(document, dict) else None
        if not isinstance(camera_id, str) or camera_id not in self.cameras:
            return error(400, "INVALID_REQUEST", "cameraId, startTime and endTime are required")
        start, end = _time(document.get("startTime")), _time(document.get("endTime"))
        if start is None or end is None or end <= start:
            return error(400, "INVALID_REQUEST", "cameraId, startTime and endTime are required")
        spans = recorded_spans(start, end)
        if not spans:
            return error(404, "RECORDING_NOT_FOUND", "Recording not available")
        running = [job for job in self._jobs.values() if self._status(job) != "completed"]
        if len([job for job in running if self._status(job) != "failed"]) >= MAX_EXPORTS:
            return error(
                429, "RATE_LIMIT_EXCEEDED", "Too many exports running", {"Retry-After": "5"}
            )
        camera = self.cameras[document["cameraId"]]
        job = _Job(
            f"exp-{secrets.token_hex(4)}", document["cameraId"], stamp(start), stamp(end), 0.0
        )
        job.created, job.spans = time.monotonic(), spans
        job.file = asyncio.ensure_future(self.clips.get(job.id, camera.name, spans))
        self._jobs[job.id] = job
        return _ok(
            {
                "exportId": job.id,
                "status": "queued",
                "cameraId": job.camera_id,
                "startTime": job.start,
                "endTime": job.end,
                "createdAt": stamp(datetime.now(UTC)),
            }
        )

    @staticmethod
    def _status(job: _Job) -> str:
        steps = (time.monotonic() - job.created) / EXPORT_STEP
        if steps < 1:
            return "queued"
        if steps < 3 or job.file is None or not job.file.done():
            return "processing"
        return "failed" if job.file.cancelled() or job.file.exception() else "completed"

    @staticmethod
    def _progress(job: _Job, status: str) -> int:
        """Percent done, as a server building the file reports it: rising while it
        processes (over the two steps it takes at least), 100 only once the file is."""
        if status != "processing":
            return 100 if status == "completed" else 0
        steps = (time.monotonic() - job.created) / EXPORT_STEP
        return max(1, min(99, round(45 * (steps - 1))))

    async def _job(self, job_id: str, download: bool) -> Response:
        job = self._jobs.get(job_id)
        if job is None:
            return error(404, "NOT_FOUND", f"Export {job_id} not found")
        status = self._status(job)
        if download:
            if status != "completed":
                return error(409, "EXPORT_NOT_READY", "Export is not completed")
            camera = self.cameras[job.camera_id]
            clip = await self.clips.get(job.id, camera.name, job.spans)
            name = f'attachment; filename="export_{camera.id}_{job.id}.mp4"'
            return Response(200, clip, "video/mp4", {"Content-Disposition": name})
        document: dict[str, Any] = {
            "exportId": job.id,
            "status": status,
            "progress": self._progress(job, status),
        }
        if status == "completed":
            document["downloadUrl"] = f"{self.url}{API}/recordings/export/{job.id}/download"
            document["expiresAt"] = stamp(datetime.now(UTC) + timedelta(days=1))
        return _ok(document)

    def _stored_events(self, guid: str, query: dict[str, str]) -> Response:
        if guid not in self.cameras:
            return error(404, "CAMERA_NOT_FOUND", f"Camera with ID {guid} not found")
        start = _time(query.get("startTime")) or datetime.min.replace(tzinfo=UTC)
        end = _time(query.get("endTime")) or datetime.max.replace(tzinfo=UTC)
        found = [
            event
            for event in self.events
            if event["cameraId"] == guid
            and start <= datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")) <= end
        ]
        return _ok({"cameraId": guid, "events": found, "totalCount": len(found)})


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: in UTC before the year 1 or after 9999
        return None


def _numbers(body: bytes, keys: tuple[str, ...]) -> dict[str, float] | None:
    """The body's numeric ``keys`` (a missing one left out); None for a body that is not
    a JSON object or has a key that is not a finite number."""
    try:
        document = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    found = {}
    for key in keys:
        value = document.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not math.isfinite(value) or abs(value) > 1e6:
            return None
        found[key] = float(value)
    return found
