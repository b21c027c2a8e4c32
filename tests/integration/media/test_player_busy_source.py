"""A source that keeps FFmpeg busy without a packet is given up, not watched for ever.

FFmpeg's read timeout is only checked where a demuxer waits. A live HLS server whose
playlist stays fresh but whose segments trickle bytes holding no packet keeps FFmpeg's
HLS demuxer reading, so no read ever times out: without the player's own deadline the
tile said "connecting" for as long as the server kept it up.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from viewer.core.streams import StreamDescription
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .test_player_sources import Collector

# An MPEG-TS null packet: valid transport stream, no programme, no video.
NULL_PACKET = b"\x47\x1f\xff\x10" + b"\xff" * 184


class TricklingHls:
    """A live playlist that moves on every second; each segment sends null packets,
    a few every 50 ms, until the server stops."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.segment_requests = 0
        stopping = self.stopping
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path.endswith(".m3u8"):
                    newest = int(time.time())
                    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2"]
                    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{newest - 2}")
                    for number in range(newest - 2, newest + 1):
                        lines += ["#EXTINF:1.000,", f"segment-{number}.ts"]
                    body = ("\n".join(lines) + "\n").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.apple.mpegurl")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                server.segment_requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "video/mp2t")
                self.send_header("Connection", "close")
                self.end_headers()
                while not stopping.wait(0.05):
                    try:
                        self.wfile.write(NULL_PACKET * 4)
                        self.wfile.flush()
                    except OSError:
                        return
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/live/index.m3u8"

    def __enter__(self) -> TricklingHls:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def trickling() -> Iterator[TricklingHls]:
    with TricklingHls() as server:
        yield server


def states_until(player: StreamPlayer, wanted: PlayerState, within: float) -> list[PlayerState]:
    """Every state the player went through until ``wanted`` (or ``within`` seconds)."""
    collector = Collector(player, (320, 180))
    player.start()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and wanted not in [i.state for i in collector.states]:
        collector.pump()
        time.sleep(0.05)
    return [info.state for info in collector.states]


def test_a_live_hls_stream_that_yields_no_video_reconnects_within_its_deadlines(trickling):
    # Opening may take the open timeout, the first packet then the read timeout.
    open_timeout, read_timeout = 2.0, 2.0
    player = StreamPlayer(
        StreamDescription(trickling.url, live=True),
        open_timeout=open_timeout,
        stall_timeout=read_timeout,
    )
    began = time.monotonic()
    try:
        states = states_until(player, PlayerState.RECONNECTING, within=30.0)
        took = time.monotonic() - began
        info = player.state
    finally:
        player.stop()
        assert player.join(10)
    assert trickling.segment_requests >= 1
    assert PlayerState.RECONNECTING in states, states
    assert PlayerState.PLAYING not in states
    # The watchdog looks twice a second; a loaded machine may be slower still.
    assert took < open_timeout + read_timeout + 5.0
    assert info.error is not None
    assert "sent no video" in str(info.error)
