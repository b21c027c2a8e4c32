"""A player told to follow a playback clock after it started moves its stream to the
clock's instant and plays on; it used to end its connection and stop for good."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from tests.integration.media.test_player_playback import (
    HALL,
    Tape,
    assert_shows_the_clock,
    mibee,
    playlists,
    recorded_instant,
    resolver,
)
from viewer.core.playback import PlaybackClock
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

pytestmark = pytest.mark.slow


def test_a_recording_player_told_to_follow_after_start_plays_the_clocks_instant(demo_site):
    async def scenario():
        async with mibee(demo_site) as (server, backend):
            first = recorded_instant(hours_ago=30)
            clock = PlaybackClock(recorded_instant(hours_ago=6))
            player = StreamPlayer(await backend.playback(HALL, first, 1.0))
            tape = Tape(player, clock)
            player.start()
            try:
                await tape.pictures(3)
                asked = len(playlists(server))
                player.follow(clock, resolver(backend, HALL, tape.resolved))
                told = time.monotonic()
                after = await tape.pictures(6, after=told)
                # The pictures after the switch are the clock's (the very first one
                # may still be the old connection's last).
                assert_shows_the_clock(after[2:])
                assert len(playlists(server)) == asked + 1
                assert player.state.state is PlayerState.PLAYING
                clock.seek(clock.position() + timedelta(minutes=10))
                assert_shows_the_clock((await tape.pictures(4, after=time.monotonic()))[1:])
            finally:
                player.stop()
                assert await asyncio.to_thread(player.join, 10)

    asyncio.run(scenario())
