"""An RTSP 1.0 server for the demo cameras, on asyncio, behaving like an IP camera.

Each camera has a live loop clock shared by all its viewers. A new session starts at
the most recent key frame of that clock, or, for a camera whose habit is to start
between key frames, with the picture due now on it; then each picture is sent at its
own time in the footage (so a variable frame rate is kept) on an absolute schedule.
RTP timestamps (90 kHz) follow those times, and they and the sequence numbers continue
across the end of the footage loop, as a camera's would. Media goes over the RTSP connection itself
(RTP/AVP/TCP interleaved); a client asking for UDP is told 461 and falls back to TCP,
which FFmpeg, VLC and GStreamer all do.

Streams that cannot be stored (a recorder's playback of any instant) are made while a
session plays by sources registered in ``on_demand`` (on_demand.py); the cameras'
file-backed live streams do not use that path.
"""

from __future__ import annotations

import asyncio
import base64
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
from viewer.demo.on_demand import (
    OnDemandSession,
    OnDemandSource,
    SourceFactory,
    SourceRefused,
    first_segment,
)
from viewer.demo.on_demand import sdp as on_demand_sdp
from viewer.demo.rtp_h264 import CLOCK_RATE, interleave, packetize, sender_report
from viewer.demo.rtsp_auth import Authenticator, RtspAuth
from viewer.demo.rtsp_messages import (
    REASONS,
    IdleTimeout,
    Interleaved,
    ReadTimeout,
    Request,
    RtspProtocolError,
    format_response,
    parse_interleaved,
    parse_transport,
    read_message,
)

log = logging.getLogger(__name__)

PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
_METHODS = frozenset(PUBLIC.split(", "))
# Methods that may name the server itself ("*") instead of a stream (RFC 2326 6.1).
_SERVER_WIDE = frozenset({"OPTIONS", "GET_PARAMETER", "SET_PARAMETER"})
SESSION_TIMEOUT = 60
SENDER_REPORT_INTERVAL = 5.0
# A client this far behind the live schedule skips to the next key frame, like a
# camera dropping frames for a slow viewer, instead of buffering without end.
MAX_LAG = 1.0
_PATH = re.compile(r"^/demo/(?P<camera>cam\d\d)/(?P<quality>main|sub)(?:/trackID=\d+)?/?$")
# A REST gateway's form (seed 000): /live/{cameraId}?stream=1 (main) or 2 (sub).
_ALIAS_PATH = re.compile(r"^/live/(?P<alias>[0-9A-Za-z-]{1,64})(?:/trackID=\d+)?/?$")
_ALIAS_QUALITY = {"": "main", "stream=1": "main", "stream=2": "sub"}

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

    @property
    def names(self) -> tuple[str, str]:
        return self.camera.id, self.quality

    def end(self) -> None:
        if self.sender is not None:
            self.sender.cancel()

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
        read_timeout: float = 10.0,
        idle_timeout: float = 60.0,
        session_timeout: int = SESSION_TIMEOUT,
        max_sessions_per_connection: int = 8,
        max_sessions: int = 64,
    ) -> None:
        self.library = library
        self.cameras = {camera.id: camera for camera in cameras}
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.certificate: SelfSignedCertificate | None = None
        """The RTSPS listener's, new at each start, as a camera's after a factory reset."""
        self.auth = auth
        # A request must arrive whole within read_timeout. A connection without a session
        # may stay silent for idle_timeout, one with a session for the session_timeout
        # announced in SETUP: FFmpeg, live555 and GStreamer send a keep-alive request at
        # half of it, so only a client that has gone away stays silent that long.
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.session_timeout = session_timeout
        self.max_sessions_per_connection = max_sessions_per_connection
        self.max_sessions = max_sessions
        self.on_frame_sent: FrameHook | None = None
        self.aliases: dict[str, str] = {}
        """Other names of the cameras (a gateway's camera ids), served at ``/live/{name}``."""
        self.on_demand: dict[str, SourceFactory] = {}
        """Streams made while they play, by the first element of their path."""
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
            SessionInfo(*s.names, c.peer)
            for c in self._connections
            for s in c.sessions.values()
            if s.sender is not None and not s.sender.done()
        ]

    def session_count(self) -> int:
        """Sessions set up on every connection, playing or not."""
        return sum(len(connection.sessions) for connection in self._connections)

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
        self.sessions: dict[str, _Session | OnDemandSession] = {}
        self.authenticator = Authenticator(server.auth) if server.auth else None

    def close(self) -> None:
        for session in self.sessions.values():
            session.end()
        self.writer.close()

    async def serve(self) -> None:
        server = self.server
        while True:
            try:
                message = await read_message(
                    self.reader,
                    idle_timeout=server.session_timeout if self.sessions else server.idle_timeout,
                    read_timeout=server.read_timeout,
                )
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            except IdleTimeout:
                if self.sessions:
                    log.info(
                        "demo RTSP: %s sent nothing for %s s, session timed out; closing",
                        self.peer,
                        server.session_timeout,
                    )
                else:
                    log.info("demo RTSP: %s idle for %s s; closing", self.peer, server.idle_timeout)
                return
            except ReadTimeout:
                log.info(
                    "demo RTSP: %s did not finish a request within %s s; closing",
                    self.peer,
                    server.read_timeout,
                )
                return
            except RtspProtocolError as exc:
                log.info("demo RTSP: %s -> 400 Bad Request: %s; closing", self.peer, exc)
                self.writer.write(format_response(400, "0"))
                await self._flush()
                return
            if isinstance(message, Interleaved):
                continue  # RTCP receiver reports: proof of life, nothing more
            try:
                await self._answer(message)
            except Exception as exc:
                # A bug here must cost one request, not the connection or the server.
                log.warning(
                    "demo RTSP: %s %s -> 500 Internal Server Error: %s",
                    self.peer,
                    _method(message),
                    type(exc).__name__,
                )
                self._reply(message, 500)
            if not await self._flush():
                return

    async def _flush(self) -> bool:
        """Wait for what was written to leave; False once the peer has gone, or has not
        read for read_timeout (its full socket buffer must not hold this handler)."""
        try:
            async with asyncio.timeout(self.server.read_timeout):
                await self.writer.drain()
        except ConnectionError:
            return False
        except TimeoutError:
            log.info(
                "demo RTSP: %s stopped reading for %s s; closing",
                self.peer,
                self.server.read_timeout,
            )
            return False
        return True

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
        if request.version != "RTSP/1.0":
            self._refuse(request, 505, f"version {request.version}")
        elif handler is None:
            self._refuse(request, 501, "unknown method", {"Public": PUBLIC})
        elif (problem := _uri_problem(request)) is not None:
            self._refuse(request, 400, problem)
        elif (
            request.method != "OPTIONS"
            and self.authenticator is not None
            and not self.authenticator.check(request.method, request.headers.get("authorization"))
        ):
            # Every client's first request comes without credentials: no news.
            sent = "authorization" in request.headers
            self._refuse(
                request,
                401,
                "credentials rejected" if sent else "credentials asked for",
                {"WWW-Authenticate": self.authenticator.challenge()},
                level=logging.INFO if sent else logging.DEBUG,
            )
        else:
            await handler(request)

    def _reply(
        self,
        request: Request,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self.writer.write(format_response(status, request.cseq, headers, body))

    def _refuse(
        self,
        request: Request,
        status: int,
        problem: str,
        headers: dict[str, str] | None = None,
        *,
        level: int = logging.INFO,
    ) -> None:
        """Answer an error status and log one line saying why, without a stack: the
        mistake is the client's, and the server goes on."""
        log.log(
            level,
            "demo RTSP: %s %s -> %d %s: %s",
            self.peer,
            _method(request),
            status,
            REASONS[status],
            problem,
        )
        self._reply(request, status, headers)

    def _stream(self, request: Request) -> tuple[DemoCamera, str] | None:
        parts = urlsplit(request.uri)
        match = _PATH.match(parts.path)
        if match is None:
            alias = _ALIAS_PATH.match(parts.path)
            camera = self.server.aliases.get(alias["alias"]) if alias else None
            quality = _ALIAS_QUALITY.get(parts.query)
            if camera is None or quality is None or camera not in self.server.cameras:
                return None
            return self.server.cameras[camera], quality
        if match["camera"] not in self.server.cameras:
            return None
        return self.server.cameras[match["camera"]], match["quality"]

    def _on_demand(self, request: Request) -> OnDemandSource | None:
        """A new source for the request's stream if one of ``on_demand`` serves it;
        raises SourceRefused for parameters the source refuses."""
        route = first_segment(urlsplit(request.uri).path)
        if route is None or route[0] not in self.server.on_demand:
            return None
        return self.server.on_demand[route[0]](route[1], urlsplit(request.uri).query)

    def _session(self, request: Request) -> _Session | OnDemandSession | None:
        session_id = request.headers.get("session", "").split(";")[0].strip()
        return self.sessions.get(session_id)

    def _crowd(self) -> str | None:
        """Why one more session would be one too many, or None."""
        server = self.server
        if len(self.sessions) >= server.max_sessions_per_connection:
            return f"{len(self.sessions)} sessions on this connection already"
        if server.session_count() >= server.max_sessions:
            return f"{server.max_sessions} sessions on the server already"
        return None

    async def _options(self, request: Request) -> None:
        self._reply(request, 200, {"Public": PUBLIC})

    async def _describe(self, request: Request) -> None:
        try:
            source = self._on_demand(request)
        except SourceRefused as refused:
            self._refuse(request, refused.status, refused.problem)
            return
        if source is not None:
            try:
                parameters = await source.describe()
            finally:
                source.close()
            sdp = on_demand_sdp(parameters, self.server.host, request.uri)
            self._reply(request, 200, {"Content-Type": "application/sdp"}, sdp.encode())
            return
        stream = self._stream(request)
        if stream is None:
            self._refuse(request, 404, "no such camera stream")
            return
        camera, quality = stream
        try:
            footage = await asyncio.to_thread(self.server.library.load, camera.id, quality)
        except EncodingCancelled:
            # The site is shutting down before this stream's footage was made.
            self._refuse(request, 503, "footage encoding stopped by shutdown")
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
        try:
            source = self._on_demand(request)
        except SourceRefused as refused:
            self._refuse(request, refused.status, refused.problem)
            return
        stream = self._stream(request) if source is None else None
        if source is None and stream is None:
            self._refuse(request, 404, "no such camera stream")
            return
        try:
            await self._set_up(request, source, stream)
        finally:
            if source is not None and not any(
                isinstance(s, OnDemandSession) and s.source is source
                for s in self.sessions.values()
            ):
                source.close()

    async def _set_up(
        self,
        request: Request,
        source: OnDemandSource | None,
        stream: tuple[DemoCamera, str] | None,
    ) -> None:
        choices = parse_transport(request.headers.get("transport", ""))
        tcp = next((c for c in choices if c["protocol"] == "RTP/AVP/TCP"), None)
        if tcp is None:
            self._refuse(request, 461, "only RTP/AVP/TCP (interleaved) is offered")
            return
        channels: tuple[int, int] | None = (0, 1)
        if "interleaved" in tcp:
            channels = parse_interleaved(tcp["interleaved"])
        if channels is None:
            self._refuse(request, 400, "interleaved channels are not two numbers from 0 to 255")
            return
        existing = self._session(request)
        if request.headers.get("session") and existing is None:
            self._refuse(request, 454, "unknown session")
            return
        if existing is not None and existing.sender is not None and not existing.sender.done():
            self._refuse(request, 455, "the session is playing")
            return
        footage = None
        if stream is not None:
            footage = await asyncio.to_thread(self.server.library.load, *_ids(stream))
        # Counted after the wait, with no other wait before the session is added, so
        # that SETUPs arriving together cannot all pass.
        if existing is None and (crowd := self._crowd()) is not None:
            self._refuse(request, 453, crowd)
            return
        if existing is not None:
            existing.end()
            del self.sessions[existing.id]
        session: _Session | OnDemandSession
        if source is not None:
            name = urlsplit(request.uri).path
            session = OnDemandSession(name, source, channels)
        else:
            assert stream is not None
            assert footage is not None
            session = _Session(stream[0], stream[1], footage, channels)
        self.sessions[session.id] = session
        transport = (
            f"RTP/AVP/TCP;unicast;interleaved={channels[0]}-{channels[1]};ssrc={session.ssrc:08X}"
        )
        self._reply(
            request,
            200,
            {
                "Transport": transport,
                "Session": f"{session.id};timeout={self.server.session_timeout}",
            },
        )

    async def _play(self, request: Request) -> None:
        session = self._session(request)
        if session is None:
            self._refuse(request, 454, "unknown session")
            return
        if isinstance(session, OnDemandSession):
            self._play_on_demand(request, session)
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

    def _play_on_demand(self, request: Request, session: OnDemandSession) -> None:
        """Start (or move) the stream where the Range says, or go on where it paused."""
        try:
            start = session.source.seek(request.headers.get("range"))
        except SourceRefused as refused:
            self._refuse(request, refused.status, refused.problem)
            return
        rtp_info = (
            f"url={request.uri};seq={session.sequence};rtptime={session.rtp_time(start.ticks)}"
        )
        self._reply(
            request, 200, {"Session": session.id, "Range": start.range, "RTP-Info": rtp_info}
        )
        session.play(self.writer, self.peer)

    async def _pause(self, request: Request) -> None:
        session = self._session(request)
        if session is None:
            self._refuse(request, 454, "unknown session")
            return
        if session.sender is not None:
            session.sender.cancel()
        self._reply(request, 200, {"Session": session.id})

    async def _teardown(self, request: Request) -> None:
        session = self._session(request)
        if session is None:
            self._refuse(request, 454, "unknown session")
            return
        session.end()
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


def _ids(stream: tuple[DemoCamera, str]) -> tuple[str, str]:
    return stream[0].id, stream[1]


def _method(request: Request) -> str:
    """The method for a log line; a made-up one quoted and cut short."""
    return request.method if request.method in _METHODS else repr(request.method[:24])


def _uri_problem(request: Request) -> str | None:
    """Why the request URI cannot name a stream of this server, or None.

    RFC 2326 asks for an absolute URI, or "*" for a request about the server itself.
    """
    if request.uri == "*":
        return None if request.method in _SERVER_WIDE else "'*' instead of a stream URI"
    try:
        parts = urlsplit(request.uri)
        port = parts.port
    except ValueError:
        return "URI with a malformed host or port"
    if parts.scheme.lower() not in {"rtsp", "rtsps"} or not parts.hostname:
        return "not an absolute rtsp:// URI"
    if port == 0:
        return "URI with port 0"
    return None


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
