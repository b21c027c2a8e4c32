"""An RTSP 1.0 server for the demo cameras, on asyncio, behaving like an IP camera.

Each camera has a live loop clock shared by all its viewers. A new session starts at
the most recent key frame of that clock, or, for a camera whose habit is to start
between key frames, with the picture due now on it; then each picture is sent at its
own time in the footage (so a variable frame rate is kept) on an absolute schedule.
RTP timestamps (90 kHz) follow those times, and they and the sequence numbers continue
across the end of the footage loop, as a camera's would. Media goes over the RTSP connection itself
(RTP/AVP/TCP interleaved); a client asking for UDP is told 461 and falls back to TCP,
which FFmpeg, VLC and GStreamer all do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import random
import re
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from viewer.demo.certificate import SelfSignedCertificate, self_signed
from viewer.demo.footage import (
    ALL_CAMERAS,
    DemoCamera,
    EncodingCancelled,
    Footage,
    FootageLibrary,
)
from viewer.demo.rtp_h264 import CLOCK_RATE, interleave, packetize, sender_report
from viewer.demo.rtsp_auth import Authenticator, RtspAuth
from viewer.demo.rtsp_messages import (
    Interleaved,
    Request,
    RtspProtocolError,
    format_response,
    parse_transport,
    read_message,
)

log = logging.getLogger(__name__)

PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
SESSION_TIMEOUT = 60
SENDER_REPORT_INTERVAL = 5.0
# A client this far behind the live schedule skips to the next key frame, like a
# camera dropping frames for a slow viewer, instead of buffering without end.
MAX_LAG = 1.0
_PATH = re.compile(r"^/demo/(?P<camera>cam\d\d)/(?P<quality>main|sub)(?:/trackID=\d+)?/?$")

FrameHook = Callable[[str, str, int, float], None]
"""(camera id, quality, frame index in the loop, time.monotonic()) after each write."""


@dataclass(frozen=True)
class SessionInfo:
    camera_id: str
    quality: str
    peer: str


class _Session:
    def __init__(
        self, camera: DemoCamera, quality: str, footage: Footage, channels: tuple[int, int]
    ):
        self.id = secrets.token_hex(8)
        self.camera = camera
        self.quality = quality
        self.footage = footage
        self.rtp_channel, self.rtcp_channel = channels
        self.ssrc = random.getrandbits(32)
        self.sequence = random.getrandbits(16)
        self.timestamp_base = random.getrandbits(32)
        self.origin: float | None = None
        self.packets = 0
        self.octets = 0
        self.sender: asyncio.Task[None] | None = None

    def rtp_time(self, at: float) -> int:
        """RTP time of the wall-clock moment ``at``, continuous across pauses and loops."""
        if self.origin is None:
            self.origin = at
        return (self.timestamp_base + round((at - self.origin) * CLOCK_RATE)) & 0xFFFFFFFF


class RtspServer:
    def __init__(
        self,
        library: FootageLibrary,
        cameras: Sequence[DemoCamera] = ALL_CAMERAS,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int = 0,
        auth: RtspAuth | None = None,
    ) -> None:
        self.library = library
        self.cameras = {camera.id: camera for camera in cameras}
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.certificate: SelfSignedCertificate | None = None
        """The RTSPS listener's, new at each start, as a camera's after a factory reset."""
        self.auth = auth
        self.on_frame_sent: FrameHook | None = None
        self._epoch = time.monotonic()
        self._server: asyncio.Server | None = None
        self._tls_server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        # RTSP over TLS on a second port, with a certificate signed by itself.
        self.certificate = self_signed()
        try:
            self._tls_server = await asyncio.start_server(
                self._accept,
                self.host,
                self.tls_port,
                ssl=self.certificate.server_context(),
                reuse_address=True,
            )
        except OSError:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
            raise
        self.tls_port = self._tls_server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listeners and every connection, as a camera losing power would."""
        for server in (self._server, self._tls_server):
            if server is not None:
                server.close()
        for connection in list(self._connections):
            connection.close()
        # Closed sockets end their handlers; cancelling them instead makes Python 3.11's
        # asyncio.streams log a spurious error.
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=5)
        for server in (self._server, self._tls_server):
            if server is not None:
                await server.wait_closed()
        self._server = self._tls_server = None

    def url(self, camera_id: str, quality: str, tls: bool = False) -> str:
        scheme, port = ("rtsps", self.tls_port) if tls else ("rtsp", self.port)
        return f"{scheme}://{self.host}:{port}/demo/{camera_id}/{quality}"

    @property
    def sessions(self) -> list[SessionInfo]:
        """Sessions that are playing now."""
        return [
            SessionInfo(s.camera.id, s.quality, c.peer)
            for c in self._connections
            for s in c.sessions.values()
            if s.sender is not None and not s.sender.done()
        ]

    def live_unit(self, footage: Footage, now: float) -> tuple[int, float]:
        """The picture of ``footage`` on show at ``now`` on the live loop clock, and how
        many seconds ago it was due."""
        into_loop = (now - self._epoch) % footage.loop_seconds
        index = footage.unit_at(into_loop)
        return index, into_loop - footage.access_units[index].time

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(self, reader, writer)
        self._connections.add(connection)
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        try:
            await connection.serve()
        finally:
            self._connections.discard(connection)
            connection.close()
            if handler is not None:
                self._handlers.discard(handler)


class _Connection:
    def __init__(
        self, server: RtspServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.sessions: dict[str, _Session] = {}
        self.authenticator = Authenticator(server.auth) if server.auth else None

    def close(self) -> None:
        for session in self.sessions.values():
            if session.sender is not None:
                session.sender.cancel()
        self.writer.close()

    async def serve(self) -> None:
        while True:
            try:
                message = await read_message(self.reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            except RtspProtocolError as exc:
                log.info("demo RTSP: %s from %s", exc, self.peer)
                self.writer.write(format_response(400, "0"))
                with contextlib.suppress(ConnectionError):
                    await self.writer.drain()
                return
            if isinstance(message, Interleaved):
                continue  # RTCP receiver reports: nothing to do with them here
            await self._answer(message)

    async def _answer(self, request: Request) -> None:
        handler = {
            "OPTIONS": self._options,
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "PAUSE": self._pause,
            "TEARDOWN": self._teardown,
            "GET_PARAMETER": self._keep_alive,
            "SET_PARAMETER": self._keep_alive,
        }.get(request.method)
        if handler is None:
            self._reply(request, 501, {"Public": PUBLIC})
        elif (
            request.method != "OPTIONS"
            and self.authenticator is not None
            and not self.authenticator.check(request.method, request.headers.get("authorization"))
        ):
            self._reply(request, 401, {"WWW-Authenticate": self.authenticator.challenge()})
        else:
            await handler(request)
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    def _reply(
        self,
        request: Request,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self.writer.write(format_response(status, request.cseq, headers, body))

    def _stream(self, request: Request) -> tuple[DemoCamera, str] | None:
        match = _PATH.match(urlsplit(request.uri).path)
        if match is None or match["camera"] not in self.server.cameras:
            return None
        return self.server.cameras[match["camera"]], match["quality"]

    def _session(self, request: Request) -> _Session | None:
        session_id = request.headers.get("session", "").split(";")[0].strip()
        return self.sessions.get(session_id)

    async def _options(self, request: Request) -> None:
        self._reply(request, 200, {"Public": PUBLIC})

    async def _describe(self, request: Request) -> None:
        stream = self._stream(request)
        if stream is None:
            self._reply(request, 404)
            return
        camera, quality = stream
        try:
            footage = await asyncio.to_thread(self.server.library.load, camera.id, quality)
        except EncodingCancelled:
            # The site is shutting down before this stream's footage was made.
            self._reply(request, 503)
            return
        parts = urlsplit(request.uri)
        base = f"rtsp://{parts.hostname}:{parts.port or 554}/demo/{camera.id}/{quality}/"
        sdp = _sdp(camera, footage, self.server.host)
        self._reply(
            request,
            200,
            {"Content-Type": "application/sdp", "Content-Base": base},
            sdp.encode(),
        )

    async def _setup(self, request: Request) -> None:
        stream = self._stream(request)
        if stream is None:
            self._reply(request, 404)
            return
        choices = parse_transport(request.headers.get("transport", ""))
        tcp = next((c for c in choices if c["protocol"] == "RTP/AVP/TCP"), None)
        if tcp is None:
            self._reply(request, 461)
            return
        channels = (0, 1)
        if "interleaved" in tcp:
            low, _, high = tcp["interleaved"].partition("-")
            if not low.isdigit() or (high and not high.isdigit()):
                self._reply(request, 400)
                return
            channels = (int(low), int(high) if high else int(low) + 1)
        existing = self._session(request)
        if request.headers.get("session") and existing is None:
            self._reply(request, 454)
            return
        camera, quality = stream
        footage = await asyncio.to_thread(self.server.library.load, camera.id, quality)
        if existing is not None:
            if existing.sender is not None:
                existing.sender.cancel()
            del self.sessions[existing.id]
        session = _Session(camera, quality, footage, channels)
        self.sessions[session.id] = session
        transport = (
            f"RTP/AVP/TCP;unicast;interleaved={channels[0]}-{channels[1]};ssrc={session.ssrc:08X}"
        )
        self._reply(
            request,
            200,
            {"Transport": transport, "Session": f"{session.id};timeout={SESSION_TIMEOUT}"},
        )

    async def _play(self, request: Request) -> None:
        session = self._session(request)
        if session is None:
            self._reply(request, 454)
            return
        now = time.monotonic()
        live, late = self.server.live_unit(session.footage, now)
        if session.camera.habit.starts_on_keyframe:
            # The key frame before the live picture, sent now: the picture comes at once.
            start, clock = _keyframe_before(session.footage, live), now
        else:
            # The picture due now, on the live schedule: the viewer waits for a key frame.
            start, clock = live, now - late
        url = request.uri.rstrip("/")
        if not url.endswith("trackID=0"):
            url += "/trackID=0"
        self._reply(
            request,
            200,
            {
                "Session": session.id,
                "Range": "npt=0.000-",
                "RTP-Info": f"url={url};seq={session.sequence};rtptime={session.rtp_time(clock)}",
            },
        )
        if session.sender is None or session.sender.done():
            session.sender = asyncio.ensure_future(self._send(session, start, clock))

    async def _pause(self, request: Request) -> None:
        session = self._session(request)
        if session is None:
            self._reply(request, 454)
            return
        if session.sender is not None:
            session.sender.cancel()
        self._reply(request, 200, {"Session": session.id})

    async def _teardown(self, request: Request) -> None:
        session = self._session(request)
        if session is None:
            self._reply(request, 454)
            return
        if session.sender is not None:
            session.sender.cancel()
        del self.sessions[session.id]
        self._reply(request, 200)

    async def _keep_alive(self, request: Request) -> None:
        session = self._session(request)
        headers = {"Session": session.id} if session else {}
        self._reply(request, 200, headers)

    async def _send(self, session: _Session, start: int, clock: float) -> None:
        """Stream access units from unit ``start``, which is due at ``clock``, each at its
        own time in the footage."""
        footage = session.footage
        units = footage.access_units
        parameter_sets = (footage.sps, footage.pps)
        first = session.rtp_time(clock)
        schedule = _schedule(footage, start)
        index, elapsed = next(schedule)
        last_report = float("-inf")

        def due(ticks: int) -> float:
            return clock + ticks / CLOCK_RATE

        try:
            while True:
                unit = units[index]
                nal_units = (*parameter_sets, *unit.nal_units) if unit.keyframe else unit.nal_units
                timestamp = (first + elapsed) & 0xFFFFFFFF
                packets = packetize(nal_units, session.sequence, timestamp, session.ssrc)
                session.sequence = (session.sequence + len(packets)) & 0xFFFF
                session.packets += len(packets)
                session.octets += sum(len(p) - 12 for p in packets)
                data = b"".join(interleave(session.rtp_channel, p) for p in packets)
                now = time.monotonic()
                if now - last_report >= SENDER_REPORT_INTERVAL:
                    report = sender_report(
                        session.ssrc, session.rtp_time(now), session.packets, session.octets
                    )
                    data = interleave(session.rtcp_channel, report) + data
                    last_report = now
                self.writer.write(data)
                if self.server.on_frame_sent is not None:
                    self.server.on_frame_sent(
                        session.camera.id, session.quality, index, time.monotonic()
                    )
                await self.writer.drain()
                index, elapsed = next(schedule)
                if time.monotonic() - due(elapsed) > MAX_LAG:
                    # Behind: skip to the next key frame still to come.
                    while time.monotonic() > due(elapsed) or not units[index].keyframe:
                        index, elapsed = next(schedule)
                await asyncio.sleep(max(0.0, due(elapsed) - time.monotonic()))
        except (ConnectionError, RuntimeError):
            # The client went away mid-write; the connection's reader notices and cleans up.
            return


def _keyframe_before(footage: Footage, index: int) -> int:
    """The last key frame at or before unit ``index``, looking back across the loop."""
    units = footage.access_units
    for back in range(len(units)):
        if units[(index - back) % len(units)].keyframe:
            return (index - back) % len(units)
    return index


def _schedule(footage: Footage, start: int) -> Iterator[tuple[int, int]]:
    """(unit index, 90 kHz ticks after unit ``start``) from ``start`` on, loop after loop.

    Counted in whole ticks from the footage's own times, so that hours of looping add no
    drift and steady footage gets exactly equal timestamp steps.
    """
    units = footage.access_units
    ticks = [round(unit.time * CLOCK_RATE) for unit in units]
    loop = round(footage.loop_seconds * CLOCK_RATE)
    for lap in itertools.count():
        for index in range(start if lap == 0 else 0, len(units)):
            yield index, lap * loop + ticks[index] - ticks[start]


def _sdp(camera: DemoCamera, footage: Footage, host: str) -> str:
    sprop = ",".join(base64.b64encode(p).decode() for p in (footage.sps, footage.pps))
    bandwidth = sum(len(n) for unit in footage.access_units for n in unit.nal_units)
    kbps = int(bandwidth * 8 / footage.loop_seconds / 1000)
    lines = [
        "v=0",
        f"o=- {random.getrandbits(32)} 1 IN IP4 {host}",
        f"s={camera.name}",
        "i=Vigil demo camera",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=tool:Vigil demo",
        "a=type:broadcast",
        "a=control:*",
        "a=range:npt=0-",
        "m=video 0 RTP/AVP 96",
        f"b=AS:{kbps}",
        "a=rtpmap:96 H264/90000",
        f"a=fmtp:96 packetization-mode=1;profile-level-id={footage.profile_level_id};"
        f"sprop-parameter-sets={sprop}",
        # The highest rate for a variable one, as cameras announce it.
        f"a=framerate:{footage.fps:g}",
        f"a=framesize:96 {footage.width}-{footage.height}",
        "a=control:trackID=0",
    ]
    return "\r\n".join(lines) + "\r\n"
