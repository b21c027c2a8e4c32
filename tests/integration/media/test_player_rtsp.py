"""The player against the demo RTSP server: states, stalls, reconnects, shared decode."""

from __future__ import annotations

import ssl
import time

import trustme

from viewer.core.errors import AuthenticationError, CertificateError, StreamLostError
from viewer.core.streams import StreamDescription
from viewer.demo.footage import DEMO_CAMERAS
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .clips import pixel_rgb
from .freezing_proxy import FreezingProxy
from .test_player_sources import Collector, wait_for


def url(site, camera="cam01", quality="sub", password="demo", port=None):
    base = site.site.rtsp.url(camera, quality)
    if port is not None:
        base = base.replace(f":{site.site.rtsp.port}/", f":{port}/")
    return base.replace("rtsp://", f"rtsp://demo:{password}@")


def test_a_live_stream_plays_at_the_box_size_with_the_camera_colour(demo_site):
    player = StreamPlayer(StreamDescription(url(demo_site, "cam03")))
    collector = Collector(player, (480, 270))
    player.start()
    try:
        assert wait_for(lambda: (collector.pump(), len(collector.images) >= 5)[1])
        image = collector.images[-1]
        assert (image.width, image.height) == (480, 270)
        colour = pixel_rgb(image, 480 * 15 // 16, 270 * 15 // 16)
        assert all(abs(a - e) <= 40 for a, e in zip(colour, DEMO_CAMERAS[2].colour, strict=True))
        stats = player.statistics()
        assert (stats.width, stats.height, stats.codec) == (640, 360, "h264")
    finally:
        player.stop()
        assert player.join(5)
    assert player.state.state is PlayerState.STOPPED


def test_the_converted_size_follows_the_largest_viewer(demo_site):
    player = StreamPlayer(StreamDescription(url(demo_site, "cam03")))
    small = Collector(player, (320, 180))
    large = Collector(player, (640, 360))
    player.start()
    try:
        assert wait_for(lambda: (small.pump(), large.pump(), len(small.images) >= 3)[2])
        assert (small.images[-1].width, large.images[-1].width) == (640, 640)
        large.subscription.close()
        first = small.images[-1].sequence
        assert wait_for(lambda: (small.pump(), small.images[-1].width == 320)[1])
        assert small.images[-1].sequence > first
    finally:
        player.stop()


def test_a_rejected_password_fails_for_good(demo_site):
    player = StreamPlayer(StreamDescription(url(demo_site, password="nope")))
    collector = Collector(player, (100, 100))
    player.start()
    assert player.join(10), "a player must not keep retrying a rejected password"
    assert player.state.state is PlayerState.FAILED
    assert isinstance(player.state.error, AuthenticationError)
    assert "nope" not in str(player.state.error)
    assert [s.state for s in collector.states][-1] is PlayerState.FAILED


def test_a_frozen_stream_is_noticed_then_reconnected(demo_site):
    with FreezingProxy(demo_site.site.rtsp.port) as proxy:
        player = StreamPlayer(StreamDescription(url(demo_site, "cam01", port=proxy.port)))
        collector = Collector(player, (160, 90))
        player.start()
        try:
            assert wait_for(lambda: player.state.state is PlayerState.PLAYING)
            proxy.frozen.set()
            frozen_at = time.monotonic()
            assert wait_for(lambda: player.state.state is PlayerState.STALLED, 5)
            assert wait_for(lambda: player.state.state is PlayerState.RECONNECTING, 10)
            # The watchdog gave up on the frozen connection after the 5 s without data.
            assert time.monotonic() - frozen_at >= 4.5
            assert isinstance(player.state.error, StreamLostError)
            proxy.frozen.clear()
            assert wait_for(lambda: player.state.state is PlayerState.PLAYING, 15)
            assert proxy.connections >= 2
            collector.pump()
        finally:
            player.stop()
            player.join(10)
    states = [s.state for s in collector.states]
    assert states[:4] == [
        PlayerState.CONNECTING,
        PlayerState.PLAYING,
        PlayerState.STALLED,
        PlayerState.RECONNECTING,
    ]


def test_rtsps_plays_from_a_server_the_site_trusts_and_refuses_any_other(demo_site, tmp_path):
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "site-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with FreezingProxy(demo_site.site.rtsp.port, tls=context) as proxy:
        secure = url(demo_site, "cam02", port=proxy.port).replace("rtsp://", "rtsps://")

        trusted = StreamPlayer(StreamDescription(secure, ca_file=str(ca_file)))
        collector = Collector(trusted, (320, 180))
        trusted.start()
        try:
            assert wait_for(lambda: (collector.pump(), len(collector.images) >= 3)[1])
            colour = pixel_rgb(collector.images[-1], 320 * 15 // 16, 180 * 15 // 16)
            expected = DEMO_CAMERAS[1].colour
            assert all(abs(a - e) <= 40 for a, e in zip(colour, expected, strict=True))
        finally:
            trusted.stop()
            trusted.join(5)

        untrusted = StreamPlayer(StreamDescription(secure))
        Collector(untrusted, (320, 180))
        untrusted.start()
        try:
            assert wait_for(lambda: untrusted.state.state is PlayerState.FAILED)
            assert isinstance(untrusted.state.error, CertificateError)
            assert ":demo@" not in str(untrusted.state.error)  # the password is masked
        finally:
            untrusted.stop()
            untrusted.join(5)
