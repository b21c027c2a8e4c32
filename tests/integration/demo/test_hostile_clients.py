"""The demo server is a product other tools connect to: it must outlast hostile,
broken and vanished clients.

Every malformed request gets a standard answer (400, 401, 453, 454, 455, 461, 501 or
505) and one log line naming the peer, never a traceback; timeouts close connections
that stall or go quiet; limits bound the sessions one client or all of them can hold.
Each test runs its own server on 127.0.0.1 in a thread, with timeouts short enough to
watch them act.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary, frame_index_from_pixels
from viewer.demo.rtsp_auth import RtspAuth
from viewer.demo.rtsp_messages import REASONS
from viewer.demo.rtsp_server import RtspServer

CAMERAS = DEMO_CAMERAS[:2]
USER, PASSWORD = "op", "pw"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
TCP = "RTP/AVP/TCP;unicast;interleaved=0-1"
STATUS_LINE = re.compile(r"RTSP/1\.0 (\d{3}) (.+)")


class ServerThread:
    """An RtspServer on its own event loop, as the demo site runs it."""

    def __init__(self, library: FootageLibrary, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = RtspServer(library, CAMERAS, **options)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RtspServer:
        self._thread.start()
        self._call(self.server.start())
        return self.server

    def __exit__(self, *exc_info) -> None:
        self._call(self.server.stop())
        self._call(self.loop.shutdown_default_executor())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)


@pytest.fixture(scope="module")
def library(footage_cache):
    library = FootageLibrary(footage_cache)
    for camera in CAMERAS:
        library.load(camera.id, "sub")  # encoded now on a fresh machine, not under a timeout
    return library


@pytest.fixture
def server_logs(caplog):
    """What the server logged (at every level, from its own thread)."""
    caplog.set_level(logging.DEBUG, logger="viewer.demo")
    return caplog


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    media_frames: int = 0
    """Interleaved frames that came before it."""


@dataclass
class RawClient:
    """A client on a plain socket that says exactly what a test wants it to."""

    port: int
    sock: socket.socket = field(init=False)
    pending: bytes = b""

    def __post_init__(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)

    @property
    def name(self) -> str:
        host, port = self.sock.getsockname()
        return f"{host}:{port}"

    def send(self, data: str | bytes) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def request(self, method: str, uri: str, cseq: int | str, **headers: str) -> Response | None:
        lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {cseq}"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        self.send("\r\n".join(lines) + "\r\n\r\n")
        return self.response()

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65_536)
        except ConnectionResetError:
            chunk = b""
        self.pending += chunk
        return bool(chunk)

    def _take(self, size: int) -> bytes | None:
        while len(self.pending) < size:
            if not self._fill():
                return None
        data, self.pending = self.pending[:size], self.pending[size:]
        return data

    def response(self) -> Response | None:
        """The next response, skipping media; None once the server has closed.

        Asserts that what arrives is well-formed RTSP."""
        frames = 0
        while True:
            first = self._take(1)
            if first is None:
                return None
            if first != b"$":
                break
            header = self._take(3)
            assert header is not None, "an interleaved frame cut short"
            assert self._take(int.from_bytes(header[1:], "big")) is not None
            frames += 1
        while b"\r\n\r\n" not in self.pending:
            assert self._fill(), "a response cut short"
        head, self.pending = (first + self.pending).split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("utf-8").split("\r\n")
        match = STATUS_LINE.fullmatch(status_line)
        assert match, f"not an RTSP status line: {status_line!r}"
        status = int(match[1])
        assert match[2] == REASONS[status]
        headers = {}
        for line in header_lines:
            name, colon, value = line.partition(": ")
            assert colon and name, f"malformed header line {line!r}"
            headers[name.lower()] = value
        assert {"cseq", "date", "server"} <= headers.keys()
        body = self._take(int(headers.get("content-length", "0"))) or b""
        return Response(status, headers, body, frames)

    def media_channel(self) -> int | None:
        """The channel of the next interleaved frame; None once the server has closed."""
        first = self._take(1)
        if first is None:
            return None
        assert first == b"$", "an answer to no request"
        header = self._take(3)
        assert header is not None, "an interleaved frame cut short"
        assert self._take(int.from_bytes(header[1:], "big")) is not None
        return header[0]

    def closed(self, within: float = 20) -> bool:
        """Whether the server closes the connection within that many seconds (media
        that arrives meanwhile is read and dropped)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not self._fill():
                return True
            self.pending = b""
        return False

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_clients():
    clients: list[RawClient] = []

    def connect(port: int) -> RawClient:
        clients.append(RawClient(port))
        return clients[-1]

    yield connect
    for client in clients:
        client.close()


def url(server: RtspServer, camera_id="cam01", quality="sub", credentials=False) -> str:
    text = f"rtsp://127.0.0.1:{server.port}/demo/{camera_id}/{quality}"
    return text.replace("rtsp://", f"rtsp://{USER}:{PASSWORD}@") if credentials else text


def play(client: RawClient, server: RtspServer, **auth: str) -> str:
    """DESCRIBE, SETUP and PLAY; returns the Session header of the SETUP answer."""
    assert client.request("DESCRIBE", url(server), 1, **auth).status == 200
    setup = client.request("SETUP", url(server) + "/trackID=0", 2, Transport=TCP, **auth)
    assert setup.status == 200
    session = setup.headers["session"]
    session_id = session.split(";")[0]
    assert client.request("PLAY", url(server), 3, Session=session_id, **auth).status == 200
    return session


def frame_indices(stream_url: str, frames: int) -> list[int]:
    indices = []
    with av.open(stream_url, options={"rtsp_transport": "tcp"}, timeout=(20, 5)) as container:
        for frame in container.decode(video=0):
            indices.append(frame_index_from_pixels(frame.to_ndarray(format="rgb24")))
            if len(indices) == frames:
                break
    return indices


def lines_about(logs: pytest.LogCaptureFixture, peer: str) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name.startswith("viewer.demo") and peer in r.getMessage()]


def no_tracebacks(logs: pytest.LogCaptureFixture) -> bool:
    return not any(r.exc_info or r.levelno >= logging.ERROR for r in logs.records)


def wait_until(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# Timeouts


def test_a_request_left_unfinished_is_cut_off_by_the_read_timeout(
    library, raw_clients, server_logs
):
    with ServerThread(library, read_timeout=1, idle_timeout=600) as server:
        quiet = raw_clients(server.port)
        stalled = raw_clients(server.port)
        stalled.send("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n")  # and never the blank line
        assert stalled.closed()
        (line,) = lines_about(server_logs, stalled.name)
        assert "did not finish a request within 1 s" in line.getMessage()
        # Saying nothing at all is not a stalled request: the idle timeout is long.
        assert quiet.request("OPTIONS", "*", 1).status == 200
    assert no_tracebacks(server_logs)


def test_a_connection_without_a_session_that_says_nothing_is_closed(
    library, raw_clients, server_logs
):
    with ServerThread(library, read_timeout=600, idle_timeout=1) as server:
        silent = raw_clients(server.port)
        talking = raw_clients(server.port)
        # A client that keeps talking keeps its connection, well past the idle timeout.
        for cseq in range(1, 12):
            assert talking.request("OPTIONS", "*", cseq).status == 200
            time.sleep(0.3)
        assert not lines_about(server_logs, talking.name)
        assert silent.closed()
        (line,) = lines_about(server_logs, silent.name)
        assert "idle for 1 s" in line.getMessage()
    assert no_tracebacks(server_logs)


@pytest.mark.slow
def test_the_announced_session_timeout_ends_silent_clients_and_spares_live_ones(
    library, raw_clients, server_logs
):
    """A client that goes quiet after PLAY has gone away (or stopped reading): its
    session ends. FFmpeg keeps its session alive with a request at half the timeout,
    and plays through three timeouts without a gap."""
    with ServerThread(library, session_timeout=3, idle_timeout=600) as server:
        silent = raw_clients(server.port)
        session = play(silent, server)
        assert session.endswith(";timeout=3")
        indices = frame_indices(url(server), 3 * 3 * 25)
        assert len(indices) == 225
        assert all((b - a) % 250 == 1 for a, b in itertools.pairwise(indices))
        assert silent.closed()
        assert wait_until(lambda: not server.sessions)
    (line,) = [r for r in server_logs.records if "timed out" in r.getMessage()]
    assert line.getMessage().startswith(f"demo RTSP: {silent.name} sent nothing for 3 s")
    assert no_tracebacks(server_logs)


# Limits


def test_sessions_are_limited_per_connection_and_in_all(library, raw_clients, server_logs):
    setup_uri = None
    with ServerThread(library, max_sessions_per_connection=2, max_sessions=3) as server:
        setup_uri = url(server) + "/trackID=0"
        first, second = raw_clients(server.port), raw_clients(server.port)
        sessions = [first.request("SETUP", setup_uri, n, Transport=TCP) for n in (1, 2)]
        assert [s.status for s in sessions] == [200, 200]
        refused = first.request("SETUP", setup_uri, 3, Transport=TCP)
        assert refused.status == 453
        assert refused.headers["cseq"] == "3"
        # Setting up an existing session again does not make a new one.
        again = sessions[0].headers["session"].split(";")[0]
        renewed = first.request("SETUP", setup_uri, 4, Transport=TCP, Session=again)
        assert renewed.status == 200
        assert second.request("SETUP", setup_uri, 1, Transport=TCP).status == 200
        assert second.request("SETUP", setup_uri, 2, Transport=TCP).status == 453
        ending = renewed.headers["session"].split(";")[0]
        assert first.request("TEARDOWN", url(server), 5, Session=ending).status == 200
        assert second.request("SETUP", setup_uri, 3, Transport=TCP).status == 200
    (per_connection,) = [r.getMessage() for r in lines_about(server_logs, first.name)]
    assert "-> 453 Not Enough Bandwidth: 2 sessions on this connection already" in per_connection
    (in_all,) = [r.getMessage() for r in lines_about(server_logs, second.name)]
    assert "-> 453 Not Enough Bandwidth: 3 sessions on the server already" in in_all
    assert no_tracebacks(server_logs)


# Malformed requests

NON_ASCII_BASIC = "Basic " + base64.b64encode("opé:pässwort".encode()).decode()


@pytest.fixture(scope="module")
def guarded(library):
    """One server with Basic auth for the malformed requests and the fuzzing."""
    with ServerThread(
        library, auth=RtspAuth(USER, PASSWORD, "basic"), max_sessions_per_connection=2
    ) as server:
        yield server


@pytest.fixture
def client(guarded, raw_clients):
    return raw_clients(guarded.port)


STREAM = "rtsp://127.0.0.1/demo/cam01/sub"


@pytest.mark.parametrize(
    ("request_text", "status", "problem"),
    [
        ("DESCRIBE rtsp://127.0.0.1:99999/demo/cam01/sub RTSP/1.0\r\nCSeq: 5\r\n", 400, "port"),
        ("DESCRIBE rtsp://127.0.0.1:x/demo/cam01/sub RTSP/1.0\r\nCSeq: 5\r\n", 400, "port"),
        ("DESCRIBE rtsp://127.0.0.1:0/demo/cam01/sub RTSP/1.0\r\nCSeq: 5\r\n", 400, "port 0"),
        ("DESCRIBE rtsp://[::1/demo/cam01/sub RTSP/1.0\r\nCSeq: 5\r\n", 400, "host or port"),
        ("DESCRIBE /demo/cam01/sub RTSP/1.0\r\nCSeq: 5\r\n", 400, "not an absolute rtsp"),
        ("DESCRIBE demo RTSP/1.0\r\nCSeq: 5\r\n", 400, "not an absolute rtsp"),
        ("DESCRIBE http://127.0.0.1/demo/cam01/sub RTSP/1.0\r\nCSeq: 5\r\n", 400, "absolute"),
        ("PLAY * RTSP/1.0\r\nCSeq: 5\r\n", 400, "'*' instead of a stream URI"),
        (
            f"SETUP {STREAM}/trackID=0 RTSP/1.0\r\nCSeq: 5\r\n"
            "Transport: RTP/AVP/TCP;unicast;interleaved=300-301\r\n",
            400,
            "interleaved channels",
        ),
        (
            f"SETUP {STREAM}/trackID=0 RTSP/1.0\r\nCSeq: 5\r\n"
            "Transport: RTP/AVP/TCP;unicast;interleaved=255\r\n",
            400,
            "interleaved channels",
        ),
        (
            f"SETUP {STREAM}/trackID=0 RTSP/1.0\r\nCSeq: 5\r\n"
            "Transport: RTP/AVP;unicast;client_port=5000-5001\r\n",
            461,
            "only RTP/AVP/TCP",
        ),
        (
            f"SETUP {STREAM}/trackID=0 RTSP/1.0\r\nCSeq: 5\r\n"
            "Transport: RTP/AVP;protocol=RTP/AVP/TCP\r\n",
            461,
            "only RTP/AVP/TCP",
        ),
        (
            f"SETUP {STREAM}/trackID=0 RTSP/1.0\r\nCSeq: 5\r\nTransport: {TCP}\r\n"
            "Session: 0123456789abcdef\r\n",
            454,
            "unknown session",
        ),
        (f"PLAY {STREAM} RTSP/1.0\r\nCSeq: 5\r\nSession: nope\r\n", 454, "unknown session"),
        (f"DESCRIBE {STREAM} RTSP/2.0\r\nCSeq: 5\r\n", 505, "version RTSP/2.0"),
        (f"RECORD {STREAM} RTSP/1.0\r\nCSeq: 5\r\n", 501, "unknown method"),
        ("DESCRIBE rtsp://127.0.0.1/demo/cam99/sub RTSP/1.0\r\nCSeq: 5\r\n", 404, "no such"),
    ],
)
def test_malformed_requests_get_a_standard_answer_and_one_log_line(
    client, server_logs, request_text, status, problem
):
    client.send(request_text + f"Authorization: {BASIC}\r\n\r\n")
    response = client.response()
    assert (response.status, response.headers["cseq"]) == (status, "5")
    (line,) = lines_about(server_logs, client.name)
    assert f"-> {status} {REASONS[status]}: " in line.getMessage()
    assert problem in line.getMessage()
    assert PASSWORD not in line.getMessage()
    # The request was read whole, so the connection goes on.
    assert client.request("OPTIONS", "*", 6).status == 200
    assert no_tracebacks(server_logs)


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!",
        "Basic é",
        NON_ASCII_BASIC,
        "Basic " + base64.b64encode(b"op:\xff").decode(),
        'Digest username="op", response="é"',
        "Basic " + base64.b64encode(b"op:wrong").decode(),
    ],
)
def test_broken_or_wrong_credentials_are_refused_with_a_challenge(
    client, server_logs, authorization
):
    response = client.request("DESCRIBE", STREAM, 3, Authorization=authorization)
    assert response.status == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Vigil demo"'
    (line,) = lines_about(server_logs, client.name)
    assert line.levelno == logging.INFO
    assert line.getMessage().endswith("DESCRIBE -> 401 Unauthorized: credentials rejected")
    assert client.request("DESCRIBE", STREAM, 4, Authorization=BASIC).status == 200
    assert no_tracebacks(server_logs)


def test_non_ascii_credentials_open_the_stream(library, raw_clients, server_logs):
    with ServerThread(library, auth=RtspAuth("opé", "pässwort", "basic")) as server:
        client = raw_clients(server.port)
        assert client.request("DESCRIBE", STREAM, 1, Authorization=NON_ASCII_BASIC).status == 200
        assert client.request("DESCRIBE", STREAM, 2, Authorization=BASIC).status == 401
    assert no_tracebacks(server_logs)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (f"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: {'a' * 20_000}\r\n\r\n", "headers too long"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + "X: 1\r\n" * 100 + "\r\n", "header lines"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + "a" * 70_000, "headers too long"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: abc\r\n\r\n", "CSeq"),
        ("OPTIONS * RTSP/1.0\r\n\r\n", "CSeq"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: ²\r\n\r\n", "Content-Length"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 1e9\r\n\r\n", "Content-Length"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\nX-Injected: yes\r\n\r\n", "control character"),
        ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "not an RTSP request line"),
        (b"\xff\xfe\r\n\r\n", "not UTF-8"),
    ],
)
def test_unreadable_requests_get_400_and_the_connection_is_closed(
    client, raw_clients, server_logs, data, problem
):
    client.send(data)
    response = client.response()
    assert (response.status, response.headers["cseq"]) == (400, "0")
    assert "x-injected" not in response.headers
    assert client.closed()
    (line,) = lines_about(server_logs, client.name)
    assert line.getMessage().startswith(f"demo RTSP: {client.name} -> 400 Bad Request: ")
    assert problem in line.getMessage()
    assert line.getMessage().endswith("; closing")
    assert raw_clients(client.port).request("OPTIONS", "*", 1).status == 200
    assert no_tracebacks(server_logs)


def test_setup_of_a_playing_session_is_not_valid_in_that_state(guarded, raw_clients, server_logs):
    client = raw_clients(guarded.port)
    session = play(client, guarded, Authorization=BASIC).split(";")[0]
    response = client.request(
        "SETUP", STREAM + "/trackID=0", 4, Transport=TCP, Session=session, Authorization=BASIC
    )
    assert response.status == 455
    (line,) = lines_about(server_logs, client.name)
    assert "SETUP -> 455 Method Not Valid in This State: the session is playing" in (
        line.getMessage()
    )
    # The session plays on, and the connection answers.
    time.sleep(0.5)
    assert client.request(
        "GET_PARAMETER", STREAM, 5, Session=session, Authorization=BASIC
    ).media_frames
    assert any(s.peer == client.name for s in guarded.sessions)


def test_a_failure_inside_the_server_costs_one_request_not_the_server(
    footage_cache, library, tmp_path, raw_clients, server_logs
):
    """A footage file damaged on disk makes its stream fail (500, one warning naming
    the error's type); the connection, and every other stream, goes on."""
    damaged = FootageLibrary(tmp_path)
    damaged.path("cam01", "sub").write_bytes(library.path("cam02", "sub").read_bytes())
    damaged.path("cam01", "main").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\xde\xad" * 64)
    with ServerThread(damaged) as server:
        client = raw_clients(server.port)
        response = client.request("DESCRIBE", STREAM.replace("sub", "main"), 1)
        assert response.status == 500
        assert client.request("DESCRIBE", STREAM, 2).status == 200
        (line,) = lines_about(server_logs, client.name)
        assert line.levelno == logging.WARNING
        assert line.getMessage().startswith(
            f"demo RTSP: {client.name} DESCRIBE -> 500 Internal Server Error: "
        )
        assert re.search(r"Error: \w+Error$", line.getMessage())
        assert len(frame_indices(url(server), 5)) == 5
    assert no_tracebacks(server_logs)


# Fuzzing the request handlers


VISIBLE = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=" ")
JUNK = st.text(VISIBLE, min_size=1, max_size=12)
# Each part of a request: (what a client would send, what a hostile or broken one might).
FIELDS = {
    "method": (
        st.sampled_from(
            [
                *("OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER"),
                "SET_PARAMETER",
            ]
        ),
        st.sampled_from(["RECORD", "ANNOUNCE", "REDIRECT", "GET", "options"]) | JUNK,
    ),
    "scheme": (
        st.just("rtsp://"),
        st.sampled_from(["", "/", "http://", "rtsp:/", "*", "rtsp:///"]) | JUNK,
    ),
    "host": (
        st.just("127.0.0.1"),
        st.sampled_from(["[::1]", "[::1", "::1]", "x" * 300, "é", "user:pw@127.0.0.1", "@"]),
    ),
    "port": (
        st.sampled_from(["", ":554", ":8554"]),
        st.integers(-9, 999_999).map(":{}".format)
        | st.sampled_from([":99999", ":-1", ":x", ":0", ":65536", ":", ":²", ":5 54"]),
    ),
    "path": (
        st.sampled_from(["/demo/cam01/sub", "/demo/cam01/sub/trackID=0", "/demo/cam02/sub/"]),
        st.sampled_from(["/demo/cam99/sub", "/demo/cam01/main/trackID=9", "/../cam01", ""]) | JUNK,
    ),
    "version": (
        st.just("RTSP/1.0"),
        st.sampled_from(["RTSP/2.0", "RTSP/1.1", "HTTP/1.1", "x"]),
    ),
    "cseq": (st.none(), st.sampled_from(["", "x", "-1", "²", "1 2", "9" * 20])),
    "transport": (
        st.sampled_from(
            ["RTP/AVP/TCP;unicast", "RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP"]
        ),
        st.sampled_from(["RTP/AVP;unicast;client_port=5000-5001", "RTP/AVP;protocol=RTP/AVP/TCP"])
        | st.text(max_size=40),
    ),
    "channels": (
        st.sampled_from([";interleaved=0-1", ";interleaved=2-3", ";interleaved=7", ""]),
        (
            st.tuples(st.integers(0, 999), st.integers(0, 999)).map("{0[0]}-{0[1]}".format)
            | st.integers(0, 999).map(str)
            | st.sampled_from(["300-301", "255", "²", "-1", "4-4", "1-2-3", "", "a-b", "0x1"])
        ).map(";interleaved={}".format),
    ),
    "Session": (
        st.sampled_from([None, "{session}", "{session};timeout=60"]),
        st.sampled_from(["0" * 16, "", ";"]) | JUNK,
    ),
    "Authorization": (
        st.just(BASIC),
        st.sampled_from(
            [None, "Basic", "Basic é", "Basic !!!", NON_ASCII_BASIC, 'Digest username="op"']
        )
        | st.text(max_size=40),
    ),
    "Content-Length": (
        st.sampled_from([None, "{length}"]),
        st.sampled_from(["-1", "abc", "²", "99999999", "1" * 5000]),
    ),
    "extra": (
        st.just({}),
        st.dictionaries(
            st.sampled_from(["Accept", "User-Agent", "Require", "Range", "Scale"])
            | JUNK.filter(lambda name: ":" not in name),
            st.text(VISIBLE, max_size=30) | st.just("a" * 20_000),
            max_size=3,
        ),
    ),
}


@dataclass
class FuzzRequest:
    method: str
    uri: str
    version: str
    cseq: str | None
    headers: dict[str, str | None]
    body: bytes

    def encode(self, number: int, session: str | None) -> tuple[bytes, str | None]:
        """The bytes to send, and the CSeq a server must echo (None when it is junk).

        A Session header naming the session goes only once there is one, as a client's
        would; the body only with its own length, so that framing stays intact unless
        a malformed Content-Length breaks it on purpose."""
        cseq = str(number) if self.cseq is None else self.cseq
        lines = [f"{self.method} {self.uri} {self.version}", f"CSeq: {cseq}"]
        length = str(len(self.body))
        for name, value in self.headers.items():
            if value is None or (session is None and "{session}" in value):
                continue
            filled = value.replace("{session}", session or "").replace("{length}", length)
            lines.append(f"{name}: {filled}")
        body = self.body if self.headers["Content-Length"] == "{length}" else b""
        head = "\r\n".join(lines) + "\r\n\r\n"
        return head.encode() + body, cseq if re.fullmatch("[0-9]{1,9}", cseq) else None


@st.composite
def fuzz_requests(draw, method: str | None = None) -> FuzzRequest:
    """A request (of ``method`` unless its method is spoiled) with up to two of its parts
    spoiled: junk in every part at once would stop each request at the first check,
    and the handlers would never see it."""
    spoiled = {draw(st.sampled_from([None, *FIELDS])) for _ in range(2)}
    fields = FIELDS | ({"method": (st.just(method), FIELDS["method"][1])} if method else {})
    part = {
        name: draw(unusual if name in spoiled else usual)
        for name, (usual, unusual) in fields.items()
    }
    uri = part["scheme"] + part["host"] + part["port"] + part["path"]
    headers = {
        **part["extra"],
        "Transport": part["transport"] + part["channels"],
        **{name: part[name] for name in ("Session", "Authorization", "Content-Length")},
    }
    body = draw(st.binary(max_size=16))
    return FuzzRequest(part["method"], uri, part["version"], part["cseq"], headers, body)


ALLOWED = {200, 400, 401, 404, 453, 454, 455, 461, 501, 505}


# What a client says to a camera, each request of it possibly spoiled, and then some.
# DESCRIBE and SETUP come first: a request that breaks the framing ends the connection,
# and the handlers that read the most should meet their junk before that happens.
DIALOGUE = ("DESCRIBE", "SETUP", "PLAY", "OPTIONS", "GET_PARAMETER", "SETUP", "PAUSE")
DIALOGUE += ("PLAY", "TEARDOWN")
DIALOGUES = st.builds(
    list.__add__,
    st.tuples(*(fuzz_requests(method) for method in DIALOGUE)).map(list),
    st.lists(fuzz_requests(), max_size=3),
)


def exchange(server: RtspServer, requests: list[FuzzRequest], tail: bytes | None) -> None:
    """Send requests one at a time, each answered before the next; then raw bytes, if
    any, and the end of the stream. Asserts that every answer is a proper one, that
    channels set up fit in a byte, and that media flows after every PLAY answered 200."""
    client = RawClient(server.port)
    session, last_status, channels = None, None, set()
    try:
        for number, fuzz in enumerate(requests, start=1):
            data, cseq = fuzz.encode(number, session)
            with contextlib.suppress(OSError):  # closed by the server after a 400
                client.send(data)
            response = client.response()
            if response is None:
                # Only a request that could not be read closes the connection.
                assert last_status == 400
                break
            last_status = response.status
            assert response.status in ALLOWED
            # A request that cannot be read is answered 400 with CSeq 0: its own may be junk.
            assert response.headers["cseq"] in {cseq, "0"}
            if response.headers["cseq"] != cseq:
                assert response.status == 400
            if "session" in response.headers:
                session = response.headers["session"].split(";")[0]
            if response.status == 200 and fuzz.method == "SETUP":
                rtp, rtcp = map(
                    int,
                    re.search(r"interleaved=(\d+)-(\d+)", response.headers["transport"]).groups(),
                )
                assert 0 <= rtp <= 255 and 0 <= rtcp <= 255 and rtp != rtcp
                channels |= {rtp, rtcp}
            if response.status == 200 and fuzz.method == "PLAY":
                assert client.media_channel() in channels
        with contextlib.suppress(OSError):  # closed by the server after a 400
            if tail is not None:
                client.send(tail)
            client.sock.shutdown(socket.SHUT_WR)
        while (response := client.response()) is not None:
            assert response.status in ALLOWED
    finally:
        client.close()


@pytest.mark.slow
def test_any_requests_get_standard_answers_and_the_server_still_plays(guarded, server_logs):
    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        requests=DIALOGUES,
        # Raw bytes last: junk, or an interleaved frame that may promise more than it has.
        tail=st.none() | st.binary(max_size=200) | st.binary(max_size=8).map(b"$\x00".__add__),
    )
    def any_requests(requests, tail):
        server_logs.clear()
        exchange(guarded, requests, tail)
        assert no_tracebacks(server_logs), [r.getMessage() for r in server_logs.records]

    any_requests()
    assert wait_until(lambda: not guarded.sessions), "sessions of closed connections linger"
    indices = frame_indices(url(guarded, credentials=True), 10)
    assert all((b - a) % 250 == 1 for a, b in itertools.pairwise(indices))
