"""What the player's HTTP fetcher says about each answer a server can give, and where
it refuses to go: a stream that came over https never continues over plain http."""

from __future__ import annotations

import http.server
import ssl
import threading

import pytest
import trustme

from viewer.core.errors import (
    AuthenticationError,
    InsecureLinkError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    StreamLostError,
    UnreachableError,
)
from viewer.core.streams import StreamDescription
from viewer.media.http_io import MAX_REDIRECTS, HttpOpener
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .clips import pixel_rgb, write_clip
from .test_player_sources import Collector, play, wait_for

PLUM = (140, 40, 120)


class Answers(http.server.BaseHTTPRequestHandler):
    """/status/N answers N; /clip.ts sends a file with no length, closing when done."""

    protocol_version = "HTTP/1.0"
    clip = b""

    def do_GET(self) -> None:
        if self.path.startswith("/status/"):
            status = int(self.path.rsplit("/", 1)[1])
            self.send_response(status)
            if status == 503:
                self.send_header("Retry-After", "7")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.end_headers()
        for start in range(0, len(self.clip), 4096):
            self.wfile.write(self.clip[start : start + 4096])

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(tmp_path):
    Answers.clip = write_clip(tmp_path / "clip.ts", PLUM, frames=50).read_bytes()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitedError),
        (503, RateLimitedError),
        (500, StreamLostError),
    ],
)
def test_an_http_error_becomes_the_matching_typed_error(server, status, error):
    opener = HttpOpener(None, 5, 5)
    url = server.replace("http://", "http://viewer:s3cret@") + f"/status/{status}"
    with pytest.raises(error) as caught:
        opener(url, 1, {})
    opener.close()
    assert "s3cret" not in str(caught.value)
    if status == 503:
        assert caught.value.retry_after == 7


def test_a_closed_port_is_unreachable():
    opener = HttpOpener(None, 2, 2)
    with pytest.raises(UnreachableError):
        opener("http://127.0.0.1:9/index.m3u8", 1, {})
    opener.close()


def test_only_http_is_fetched():
    opener = HttpOpener(None, 2, 2)
    with pytest.raises(NotSupportedError):
        opener("file:///etc/passwd", 1, {})
    opener.close()


def test_a_stream_without_a_length_plays_as_it_arrives(server):
    _, collector = play(StreamDescription(f"{server}/clip.ts", live=False), box=(320, 180))
    red, green, blue = pixel_rgb(collector.images[-1], 160, 120)
    assert abs(red - PLUM[0]) < 12 and abs(green - PLUM[1]) < 12 and abs(blue - PLUM[2]) < 12


class WebServer:
    """A server on 127.0.0.1 answering from a table of paths, noting every request."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def servers(tmp_path):
    """(a plain http server, an https one with a certificate from a CA in ``ca_file``,
    that CA file, an MPEG-TS clip both can serve)"""
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "site-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    clip = write_clip(tmp_path / "clip.ts", PLUM, frames=25).read_bytes()
    plain, secure = WebServer(), WebServer(tls=context)
    yield plain, secure, str(ca_file), clip
    plain.close()
    secure.close()


def playlist(*segments: str) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:0"]
    for segment in segments:
        lines += ["#EXTINF:1.0,", segment]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def test_an_https_playlist_that_lists_a_plain_http_segment_is_refused_unasked(servers):
    plain, secure, ca_file, clip = servers
    plain.routes["/segment0.ts"] = (200, {}, clip)
    secure.routes["/index.m3u8"] = (200, {}, playlist(f"{plain.url}/segment0.ts"))
    player = StreamPlayer(
        StreamDescription(f"{secure.url}/index.m3u8", live=False, ca_file=ca_file)
    )
    collector = Collector(player, (160, 90))
    player.start()
    try:
        assert wait_for(lambda: player.state.state is PlayerState.FAILED)
    finally:
        player.stop()
        player.join(5)
    collector.pump()
    assert collector.images == []
    assert isinstance(player.state.error, InsecureLinkError)
    assert "segment0.ts" in str(player.state.error)
    assert secure.requests == ["/index.m3u8"]
    assert plain.requests == []


def test_a_redirect_from_https_to_plain_http_is_refused_unasked(servers):
    plain, secure, ca_file, clip = servers
    plain.routes["/clip.ts"] = (200, {}, clip)
    secure.routes["/moved"] = (302, {"Location": f"{plain.url}/clip.ts"}, b"")
    opener = HttpOpener(ca_file, 5, 5)
    try:
        with pytest.raises(InsecureLinkError):
            opener(f"{secure.url}/moved", 1, {})
    finally:
        opener.close()
    assert secure.requests == ["/moved"]
    assert plain.requests == []


def test_redirects_that_keep_to_https_are_followed(servers):
    _, secure, ca_file, clip = servers
    secure.routes["/old"] = (301, {"Location": "/older"}, b"")
    secure.routes["/older"] = (307, {"Location": f"{secure.url}/clip.ts"}, b"")
    secure.routes["/clip.ts"] = (200, {}, clip)
    opener = HttpOpener(ca_file, 5, 5)
    try:
        assert opener(f"{secure.url}/old", 1, {}).read() == clip
    finally:
        opener.close()
    assert secure.requests == ["/old", "/older", "/clip.ts"]


def test_plain_http_may_lead_to_https_and_then_never_back(servers):
    plain, secure, ca_file, clip = servers
    plain.routes["/start"] = (302, {"Location": f"{secure.url}/clip.ts"}, b"")
    plain.routes["/clip.ts"] = (200, {}, clip)
    secure.routes["/clip.ts"] = (200, {}, clip)
    opener = HttpOpener(ca_file, 5, 5)
    try:
        assert opener(f"{plain.url}/start", 1, {}).read() == clip
        with pytest.raises(InsecureLinkError):
            opener(f"{plain.url}/clip.ts", 1, {})
    finally:
        opener.close()
    assert plain.requests == ["/start"]


def test_a_redirect_loop_ends_after_a_few_hops(servers):
    _, secure, ca_file, _ = servers
    secure.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    opener = HttpOpener(ca_file, 5, 5)
    try:
        with pytest.raises(StreamLostError, match="redirected"):
            opener(f"{secure.url}/loop", 1, {})
    finally:
        opener.close()
    assert len(secure.requests) == MAX_REDIRECTS + 1
