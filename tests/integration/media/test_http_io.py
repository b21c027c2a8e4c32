"""What the player's HTTP fetcher says about each answer a server can give."""

from __future__ import annotations

import http.server
import threading

import pytest

from viewer.core.errors import (
    AuthenticationError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    StreamLostError,
    UnreachableError,
)
from viewer.core.streams import StreamDescription
from viewer.media.http_io import HttpOpener

from .clips import pixel_rgb, write_clip
from .test_player_sources import play

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
