"""The player on the demo's live HLS: near the live edge, the right camera's pictures in
order, and a muxer's warm-up seen as connecting, never as a failure."""

from __future__ import annotations

import itertools
import math
import threading
import time
from datetime import datetime

import httpx
import numpy as np
import pytest

from viewer.core.streams import StreamDescription
from viewer.demo.footage import FPS, LOOP_SECONDS, FootageLibrary, camera_by_id
from viewer.demo.footage import frame_index_from_pixels as marker
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .hls_serving import hls_server

SEGMENT = 2.0


@pytest.fixture(scope="module")
def library(footage_cache):
    return FootageLibrary(footage_cache)


def watch(url: str, pictures: int) -> tuple[list[tuple[float, np.ndarray]], list[PlayerState]]:
    """``pictures`` pictures as (arrival, BGRA), and every state the player went through."""
    player = StreamPlayer(StreamDescription(url, live=True))
    arrived = threading.Event()
    states: list[PlayerState] = []
    subscription = player.subscribe(arrived.set, lambda info: states.append(info.state))
    subscription.set_box(640, 360)
    seen: list[tuple[float, np.ndarray]] = []
    player.start()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < pictures and time.monotonic() < deadline:
            arrived.wait(0.5)
            arrived.clear()
            image = subscription.take()
            if image is not None:
                rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, -1, 4)
                seen.append((time.time(), rows[:, : image.width].copy()))
    finally:
        player.stop()
        player.join(5)
    assert len(seen) == pictures, f"{len(seen)} pictures, states {states}"
    return seen, states


def behind_the_clock(arrival: float, picture: np.ndarray) -> float:
    """How long before ``arrival`` the loop showed this picture (its marker)."""
    into_loop = marker(picture) / FPS
    shown = math.floor((arrival - into_loop) / LOOP_SECONDS) * LOOP_SECONDS + into_loop
    return arrival - shown


def test_live_hls_plays_the_camera_from_near_the_live_edge(library):
    with hls_server(library) as served:
        # Past two playlist reloads.
        seen, states = watch(served.live("cam06", "sub"), pictures=5 * FPS)
    arrival, first = seen[0]
    # FFmpeg's default start, three segments back, would be 6 s or more behind.
    assert behind_the_clock(arrival, first) < 3 * SEGMENT
    colour = camera_by_id("cam06").colour
    blue, green, red = first[first.shape[0] * 15 // 16, first.shape[1] * 15 // 16, :3]
    assert np.abs(np.array([red, green, blue], int) - colour).max() < 30
    indices = [marker(picture) for _, picture in seen]
    # Forward, frame by frame (a busy test thread may miss one: the newest picture wins).
    assert all(1 <= (b - a) % (LOOP_SECONDS * FPS) <= 3 for a, b in itertools.pairwise(indices))
    assert PlayerState.PLAYING in states
    assert PlayerState.RECONNECTING not in states


def next_boundary(playlist_url: str) -> float:
    """Unix seconds when the next segment after the playlist's newest one is due."""
    text = httpx.get(playlist_url).text
    stamp = duration = 0.0
    for line in text.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            stamp = datetime.fromisoformat(line.split(":", 1)[1].replace("Z", "+00:00")).timestamp()
        elif line.startswith("#EXTINF:"):
            duration = float(line[8:].rstrip(","))
            stamp += duration
    return stamp + duration


def test_joined_late_in_a_segment_the_player_waits_for_the_next_and_stays_near_the_edge(library):
    with hls_server(library) as served:
        url = served.live("cam07", "sub")
        # Warm the stream, then join 1.5 s after a segment was published: FFmpeg's
        # reloads keep the phase of its first load, so a player starting now would play
        # 3.5 s behind the camera for the whole session.
        httpx.get(url)
        time.sleep(max(0.0, next_boundary(url) + 1.5 - time.time()))
        started = time.time()
        seen, _ = watch(url, pictures=4 * FPS)
    first_arrival = seen[0][0]
    assert first_arrival - started < 1.5 + 0.5  # a short wait, not a segment's
    # Past the first reload, every picture stays within 1.5 target durations.
    behind = [behind_the_clock(arrival, picture) for arrival, picture in seen[2 * FPS :]]
    assert max(behind) < 1.5 * SEGMENT, max(behind)


def test_a_warming_muxer_reads_as_connecting_then_plays(library):
    with hls_server(library, warm_up=1.0) as served:
        seen, states = watch(served.live("cam09", "sub"), pictures=5)
    assert states[0] is PlayerState.CONNECTING
    assert PlayerState.PLAYING in states
    assert PlayerState.RECONNECTING not in states
    assert PlayerState.FAILED not in states
    colour = camera_by_id("cam09").colour
    picture = seen[-1][1]
    blue, green, red = picture[picture.shape[0] * 15 // 16, picture.shape[1] * 15 // 16, :3]
    assert np.abs(np.array([red, green, blue], int) - colour).max() < 30
