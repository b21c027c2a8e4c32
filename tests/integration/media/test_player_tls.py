"""Streams over HTTPS play only from servers whose certificates can be trusted.

FFmpeg alone would play every one of these: its https does not verify by default, and
its HLS demuxer does not verify segment servers even when told to.
"""

from __future__ import annotations

import functools
import http.server
import ssl
import threading

import pytest
import trustme

from viewer.core.errors import CertificateError
from viewer.core.streams import StreamDescription
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .clips import pixel_rgb, write_hls
from .test_player_sources import Collector, play, wait_for

TEAL = (20, 160, 150)


class HttpsFolder:
    """A folder served over HTTPS on 127.0.0.1 with a certificate from ``ca``."""

    def __init__(self, folder, ca: trustme.CA) -> None:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def https(tmp_path):
    """(start a server for a folder with a CA, the CA file a player may be told to trust)"""
    servers = []
    trusted = trustme.CA()
    ca_file = tmp_path / "site-ca.pem"
    trusted.cert_pem.write_to_path(str(ca_file))

    def serve(folder, ca=trusted) -> str:
        servers.append(HttpsFolder(folder, ca))
        return servers[-1].url

    yield serve, str(ca_file)
    for server in servers:
        server.close()


def hls(folder):
    folder.mkdir()
    write_hls(folder, TEAL, frames=50)
    return folder


def refused(description: StreamDescription) -> StreamPlayer:
    player = StreamPlayer(description)
    collector = Collector(player, (160, 90))
    player.start()
    try:
        assert wait_for(lambda: player.state.state is PlayerState.FAILED)
    finally:
        player.stop()
        player.join(5)
    collector.pump()
    assert collector.images == []
    return player


def test_hls_over_https_plays_from_a_server_the_site_trusts(tmp_path, https):
    serve, ca_file = https
    base = serve(hls(tmp_path / "cam"))
    description = StreamDescription(f"{base}/index.m3u8", live=False, ca_file=ca_file)
    _, collector = play(description, box=(320, 180))
    red, green, blue = pixel_rgb(collector.images[-1], 160, 120)
    assert abs(red - TEAL[0]) < 12 and abs(green - TEAL[1]) < 12 and abs(blue - TEAL[2]) < 12


def test_an_untrusted_certificate_fails_for_good_and_says_why(tmp_path, https):
    serve, _ = https
    base = serve(hls(tmp_path / "cam"))
    url = base.replace("https://", "https://operator:hunter2@") + "/index.m3u8"
    player = refused(StreamDescription(url, live=True))
    error = player.state.error
    assert isinstance(error, CertificateError)
    assert "not trusted" in str(error)
    assert "hunter2" not in str(error)


def test_segments_from_an_untrusted_server_are_refused_even_if_the_playlist_is_trusted(
    tmp_path, https
):
    serve, ca_file = https
    segments = serve(hls(tmp_path / "segments"), ca=trustme.CA())
    playlist = (tmp_path / "segments" / "index.m3u8").read_text()
    # The trusted server's playlist sends the player to the other server for the video.
    (tmp_path / "playlist").mkdir()
    (tmp_path / "playlist" / "index.m3u8").write_text(
        playlist.replace("index", f"{segments}/index")
    )
    base = serve(tmp_path / "playlist")
    player = refused(StreamDescription(f"{base}/index.m3u8", live=False, ca_file=ca_file))
    assert isinstance(player.state.error, CertificateError)
    assert segments.removeprefix("https://") in str(player.state.error)
