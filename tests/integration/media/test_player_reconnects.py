"""A player through a night of outages, with fresh descriptions, and hidden viewers."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np

from viewer.core.errors import UnreachableError
from viewer.core.streams import StreamDescription
from viewer.demo.footage import DEMO_CAMERAS, frame_index_from_pixels
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .freezing_proxy import FreezingProxy
from .test_player_rtsp import url
from .test_player_sources import Collector, wait_for


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NightClock:
    """Simulated time for the reconnect schedule: every wait returns at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return stop.is_set()


def frame_index(image) -> int:
    pixels = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return frame_index_from_pixels(pixels[:, : image.width])


def test_a_camera_dark_all_night_is_retried_at_the_cap_and_plays_in_the_morning(demo_site):
    night = 10 * 3600.0
    clock = NightClock()
    dead = StreamDescription(f"rtsp://127.0.0.1:{closed_port()}/stream")
    asked: list[float] = []

    def resolve() -> StreamDescription:
        # The backend is asked before every attempt; at dawn the camera is back.
        asked.append(clock.now)
        return dead if clock.now < night else StreamDescription(url(demo_site, "cam04"))

    player = StreamPlayer(dead, resolve=resolve, clock=clock)
    collector = Collector(player, (320, 180))
    player.start()
    try:
        assert wait_for(lambda: (collector.pump(), len(collector.images) >= 3)[1], 120)
    finally:
        player.stop()
        assert player.join(10)
    # Over a thousand attempts: past the point where the old back-off overflowed.
    assert len(clock.waits) > 1100
    assert all(24.0 <= wait <= 30.0 for wait in clock.waits[10:])
    assert len(asked) == len(clock.waits)
    states = {s.state for s in collector.states}
    assert PlayerState.FAILED not in states
    assert isinstance(collector.states[len(clock.waits) // 2].error, UnreachableError)
    patch = collector.images[-1]
    assert frame_index(patch) >= 0
    assert player.statistics().reconnects == len(clock.waits)


def test_a_reconnect_opens_the_description_the_backend_gives_now(demo_site):
    with (
        FreezingProxy(demo_site.site.rtsp.port) as first,
        FreezingProxy(demo_site.site.rtsp.port) as second,
    ):
        given = []

        def resolve() -> StreamDescription:
            # A backend hands out a new URL (a new token, a new gateway) each time.
            description = StreamDescription(url(demo_site, "cam02", port=second.port))
            given.append(description)
            return description

        player = StreamPlayer(
            StreamDescription(url(demo_site, "cam02", port=first.port)), resolve=resolve
        )
        collector = Collector(player, (160, 90))
        player.start()
        try:
            assert wait_for(lambda: player.state.state is PlayerState.PLAYING)
            first.frozen.set()
            assert wait_for(lambda: given and player.state.state is PlayerState.PLAYING, 20)
            collector.pump()
            assert second.connections == 1
            assert first.connections == 1
            assert player.description is given[0]
        finally:
            player.stop()
            player.join(10)


def test_a_hidden_viewer_keeps_the_connection_without_decoding_and_comes_back_current(
    demo_site,
):
    sent = {}
    server = demo_site.site.rtsp
    server.on_frame_sent = lambda camera, quality, index, at: sent.__setitem__(
        (camera, quality), index
    )
    camera = DEMO_CAMERAS[5]
    with FreezingProxy(server.port) as proxy:
        player = StreamPlayer(StreamDescription(url(demo_site, camera.id, port=proxy.port)))
        collector = Collector(player, (320, 180))
        player.start()
        try:
            assert wait_for(lambda: (collector.pump(), len(collector.images) >= 5)[1])
            stale = collector.images[-1]
            # Pictures arrive that the viewer has not taken yet when it is hidden.
            time.sleep(0.1)
            collector.subscription.set_visible(False)
            assert wait_for(lambda: player.hidden)
            decoded = player.statistics().frames_decoded
            received = player.stats.packet_count
            time.sleep(1.5)
            # Packets keep arriving on the same connection; nothing is decoded.
            assert player.stats.packet_count > received + 25
            assert player.statistics().frames_decoded == decoded
            assert proxy.connections == 1
            assert player.state.state is PlayerState.PLAYING
            # Freeze the camera so that the only picture to come is the catch-up's.
            last_sent = sent[(camera.id, "sub")]
            proxy.frozen.set()
            time.sleep(0.3)

            collector.subscription.set_visible(True)
            assert wait_for(lambda: (collector.pump(), collector.images[-1] is not stale)[1], 2)
            # The picture shown is the camera's current one (FFmpeg holds one frame back),
            # not the one from before it was hidden.
            assert (last_sent - frame_index(collector.images[-1])) % 250 <= 4
            assert (last_sent - frame_index(stale)) % 250 > 30
            assert proxy.connections == 1
        finally:
            server.on_frame_sent = None
            proxy.frozen.clear()
            player.stop()
            player.join(10)
