"""MiBee live video as the backend describes it, decoded: the demo RTSP server for a
camera the NVR restreams, HLS (with its warm-up 503 and the segments' cookie) for one
it does not. Pixels show the right camera."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import av
import numpy as np

from tests.integration.backends.mibee.nvr import connected, serving
from viewer.core.errors import RateLimitedError
from viewer.core.models import Quality, TimeSpan
from viewer.demo import clockface
from viewer.demo.footage import camera_by_id
from viewer.demo.hls.service import HlsService
from viewer.media.http_io import HttpOpener


def _credentials(url: str) -> str:
    return url.replace("rtsp://", "rtsp://demo:demo@", 1)


def _corner(picture: np.ndarray) -> tuple[int, ...]:
    height, width = picture.shape[:2]
    return tuple(int(v) for v in picture[height * 15 // 16, width * 15 // 16])


def _shows(picture: np.ndarray, camera_id: str) -> bool:
    colour = camera_by_id(camera_id).colour
    return all(abs(a - e) <= 40 for a, e in zip(_corner(picture), colour, strict=True))


def _first_picture(url: str, options: dict[str, str], opener: HttpOpener | None) -> np.ndarray:
    with av.open(url, options=options, timeout=(20, 10), io_open=opener) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            for frame in stream.codec_context.decode(packet):
                return frame.to_ndarray(format="rgb24")
    raise AssertionError("no picture")


def _hls_picture(url: str) -> tuple[np.ndarray, int]:
    """The first picture, retrying while the muxer warms up (503), as the player does;
    and how many 503s it took."""
    opener = HttpOpener(None, 10.0, 10.0)
    busy = 0
    try:
        for _ in range(50):
            try:
                # As the player opens HLS through io_open (docs/pitfalls.md).
                return _first_picture(url, {"http_persistent": "0"}, opener), busy
            except RateLimitedError:
                busy += 1
                time.sleep(0.2)
        raise AssertionError("the playlist never came")
    finally:
        opener.close()


def test_a_restreamed_camera_plays_over_rtsp(demo_site):
    rtsp = demo_site.site.rtsp

    async def scenario():
        options = {"rtsp_url": lambda camera, quality: _credentials(rtsp.url(camera, quality))}
        async with serving(**options) as server, connected(server) as backend:
            description = await backend.live("cam03", Quality.MAIN)
            assert description.url.startswith("rtsp://")
            picture = await asyncio.to_thread(
                _first_picture, description.url, dict(description.options), None
            )
            assert picture.shape[:2] == (1080, 1920)
            assert _shows(picture, "cam03")

    asyncio.run(scenario())


def test_an_hls_only_camera_plays_over_hls_after_the_warm_up(demo_site):
    hls = HlsService(demo_site.site.library, warm_up=1.0)

    async def scenario():
        async with serving(hls=hls) as server, connected(server) as backend:
            description = await backend.live("cam07", Quality.SUB)
            assert "/api/cameras/cam07/stream/sub/index.m3u8?token=mbs_" in description.url
            assert description.quality is Quality.SUB
            picture, busy = await asyncio.to_thread(_hls_picture, description.url)
            assert busy >= 1
            assert picture.shape[:2] == (360, 640)
            assert _shows(picture, "cam07")
            segments = [
                (status, headers)
                for _, path, status, headers in server.requests
                if path.endswith(".ts")
            ]
            assert segments and all(status == 200 for status, _ in segments)
            assert all("mbs_session=" in headers.get("cookie", "") for _, headers in segments)
            assert all("authorization" not in headers for _, headers in segments)

    asyncio.run(scenario())


def test_playback_starts_at_the_instant_asked_for(demo_site):
    hls = HlsService(demo_site.site.library)

    async def scenario():
        async with serving(hls=hls) as server, connected(server) as backend:
            now = datetime.now(UTC)
            timeline = await backend.timeline("cam02", TimeSpan(now - timedelta(hours=6), now))
            at = timeline.segments[0].span.start + timedelta(minutes=5, seconds=30)
            description = await backend.playback("cam02", at, 1.0)
            assert not description.live
            picture, _ = await asyncio.to_thread(_hls_picture, description.url)
            shown = clockface.read_instant(picture)
            assert shown is not None
            assert abs((shown - at).total_seconds()) < 1.0

    asyncio.run(scenario())
