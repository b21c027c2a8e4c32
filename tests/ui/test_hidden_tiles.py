"""Tiles hidden behind a maximised one come back at once, with the current picture."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.demo.footage import camera_by_id, frame_index_from_pixels
from viewer.services.settings import Layout

from .conftest import until
from .pixels import assert_shows

# A key frame every 10 s and sessions that start between key frames: reopening its
# stream costs an RTSP handshake and a wait of up to ten seconds for a picture.
LONG_GOP = "cam17"


def frame_index(image) -> int:
    pixels = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return frame_index_from_pixels(pixels[:, : image.width])


def test_restoring_a_maximised_tile_paints_every_tile_current_within_300_ms(
    qloop, make_window, demo_site
):
    ref = CameraRef(DEMO_SITE_ID, LONG_GOP)
    window = make_window(
        demo_backend(demo_site.site.describe()),
        layout=Layout(grid=4, tiles=[ref] * 16),
        size=(1280, 800),
    )
    grid = window.grid
    tiles = grid.tiles
    server = demo_site.site.rtsp
    sent = {}
    server.on_frame_sent = lambda camera, quality, index, at: sent.__setitem__(quality, index)
    painted: dict[int, tuple[float, int, int]] = {}

    async def scenario():
        assert await until(lambda: all(t.frame is not None for t in tiles), within=30)
        grid.maximise(0)
        # Once the maximised tile plays the main stream, the sub-stream has no visible
        # viewer left: fifteen tiles hold it without decoding.
        assert await until(lambda: tiles[0].frame.source_width == 1280, within=30)
        hidden = [p for p in window.console.hub.players() if p.hidden]
        assert len(hidden) == 1, "the sub-stream must stay open, undecoded"
        (sub_player,) = hidden
        decoded = sub_player.statistics().frames_decoded
        await asyncio.sleep(1.5)
        assert sub_player.statistics().frames_decoded == decoded
        before = {t.index: t.frame.sequence for t in tiles}

        def watch(tile):
            def painted_frame(image):
                if image is not None and image.sequence > before[tile.index]:
                    painted.setdefault(
                        tile.index, (time.monotonic(), frame_index(image), sent["sub"])
                    )

            tile.frame_painted.connect(painted_frame)

        for tile in tiles:
            watch(tile)
        restored_at = time.monotonic()
        grid.restore()
        assert await until(lambda: len(painted) == 16, within=5)
        slowest = max(at for at, _, _ in painted.values()) - restored_at
        assert slowest <= 0.3, f"the last tile painted {slowest * 1000:.0f} ms after restore"
        for index, (_, shown, latest) in painted.items():
            # The picture painted is the one the camera sends now (FFmpeg holds one back).
            assert (latest - shown) % 250 <= 4, (index, shown, latest)
        # The sub-stream was never reopened.
        assert sub_player in window.console.hub.players()

    try:
        qloop.run_until_complete(scenario())
    finally:
        server.on_frame_sent = None
    assert_shows(tiles[5], camera_by_id(LONG_GOP))
