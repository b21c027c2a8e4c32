"""Live video from a REST gateway: the RTSP URLs it hands out play on the demo RTSP server,
each camera's own pictures in the quality asked for."""

from __future__ import annotations

import asyncio

import av

from tests.integration.backends.gateway.rest import (
    CAM01,
    PASSWORD,
    USER,
    connected,
    run,
    serving,
    simulator,
)
from viewer.core.models import Quality
from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary
from viewer.demo.rtsp_auth import RtspAuth
from viewer.demo.rtsp_server import RtspServer

CAM04 = DEMO_CAMERAS[3]


def first_picture(url: str):
    with av.open(url, options={"rtsp_transport": "tcp"}, timeout=(20, 5)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            for frame in stream.codec_context.decode(packet):
                return frame.to_ndarray(format="rgb24")
    raise AssertionError("no picture")


def corner(picture) -> tuple[int, ...]:
    height, width = picture.shape[:2]
    return tuple(int(v) for v in picture[height * 15 // 16, width * 15 // 16])


def test_live_urls_by_quality_decode_to_the_cameras_own_pictures(footage_cache):
    library = FootageLibrary(footage_cache)
    library.prepare(["cam01", CAM04.id])

    async def scenario():
        rtsp = RtspServer(library, DEMO_CAMERAS[:8], auth=RtspAuth(USER, PASSWORD, "digest"))
        await rtsp.start()
        try:
            server = simulator(rtsp_port=rtsp.port)
            rtsp.aliases.update(server.aliases)
            async with serving(server), connected(server) as backend:
                tree = await backend.camera_tree()
                lobby = next(c for c in tree.all_cameras() if c.name == CAM04.name)
                main = await backend.live(lobby.ref.camera_id, Quality.MAIN)
                sub = await backend.live(CAM01, Quality.SUB)
                big = await asyncio.to_thread(first_picture, main.url)
                small = await asyncio.to_thread(first_picture, sub.url)
        finally:
            await rtsp.stop()
        assert big.shape[:2] == (1080, 1920) and (main.quality, sub.quality) == (
            Quality.MAIN,
            Quality.SUB,
        )
        assert small.shape[:2] == (360, 640)
        assert all(abs(a - e) <= 40 for a, e in zip(corner(big), CAM04.colour, strict=True))
        assert all(
            abs(a - e) <= 40 for a, e in zip(corner(small), DEMO_CAMERAS[0].colour, strict=True)
        )

    run(scenario)
    library.close()
