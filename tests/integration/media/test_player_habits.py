"""Real cameras' habits do not look like failures, and a real failure is still noticed.

The demo's habit cameras: cam17 a key frame every 10 s and sessions that start between
key frames, cam18 one picture a second, cam19 a smart codec between 5 and 1 fps, cam20
sessions that start between key frames.
"""

from __future__ import annotations

import time

from viewer.core.errors import StreamLostError
from viewer.core.streams import StreamDescription
from viewer.demo.footage import HABIT_CAMERAS
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .freezing_proxy import FreezingProxy
from .test_player_rtsp import url
from .test_player_sources import Collector, wait_for


def test_every_habit_plays_for_longer_than_a_key_frame_interval_without_a_reconnect(demo_site):
    players = {
        camera.id: StreamPlayer(StreamDescription(url(demo_site, camera.id)))
        for camera in HABIT_CAMERAS
    }
    collectors = {camera_id: Collector(p, (320, 180)) for camera_id, p in players.items()}
    for player in players.values():
        player.start()
    try:
        # Up to 10 s for cam17's first key frame, then more than a whole interval.
        deadline = time.monotonic() + 22
        while time.monotonic() < deadline:
            for collector in collectors.values():
                collector.pump()
            time.sleep(0.05)
    finally:
        for player in players.values():
            player.stop()
        for player in players.values():
            assert player.join(10)
    for camera_id, collector in collectors.items():
        states = [s.state for s in collector.states]
        assert PlayerState.PLAYING in states, camera_id
        assert PlayerState.RECONNECTING not in states, (camera_id, collector.states)
        assert PlayerState.STALLED not in states, (camera_id, collector.states)
        assert players[camera_id].statistics().reconnects == 0
    # One picture a second is what cam18 sends, and what it showed.
    assert 8 <= len(collectors["cam18"].images) <= 24
    assert len(collectors["cam17"].images) > 100


def test_a_one_fps_camera_that_stops_is_lost_within_a_few_of_its_intervals(demo_site):
    with FreezingProxy(demo_site.site.rtsp.port) as proxy:
        player = StreamPlayer(StreamDescription(url(demo_site, "cam18", port=proxy.port)))
        collector = Collector(player, (160, 90))
        player.start()
        try:
            assert wait_for(lambda: (collector.pump(), len(collector.images) >= 3)[1], 20)
            proxy.frozen.set()
            frozen_at = time.monotonic()
            assert wait_for(lambda: player.state.state is PlayerState.RECONNECTING, 15)
            lost_after = time.monotonic() - frozen_at
            assert isinstance(player.state.error, StreamLostError)
            # Five of its own one-second intervals, not a fixed guess.
            assert 4.0 <= lost_after <= 9.0
            states = [s.state for s in collector.states]
            assert states[: states.index(PlayerState.RECONNECTING)].count(PlayerState.STALLED) == 1
        finally:
            proxy.frozen.clear()
            player.stop()
            player.join(10)
