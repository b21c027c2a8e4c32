"""The demo RTSP server speaks standard RTSP: other clients play it as a real camera."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import shutil
import subprocess
import threading
import time

import av
import numpy as np
import pytest

from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary, frame_index_from_pixels
from viewer.demo.rtsp_auth import RtspAuth
from viewer.demo.rtsp_server import RtspServer
from viewer.demo.site import DemoSiteThread

FFPROBE = shutil.which("ffprobe")
TCP = {"rtsp_transport": "tcp"}


def with_credentials(url: str, user="demo", password="demo") -> str:
    return url.replace("rtsp://", f"rtsp://{user}:{password}@", 1)


def decode(url: str, frames: int, options=None):
    """Decode ``frames`` pictures; returns (RGB ndarrays, packet pts list)."""
    pictures, pts = [], []
    with av.open(url, options=options or TCP, timeout=(20, 5)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is not None:
                pts.append(packet.pts)
            for frame in stream.codec_context.decode(packet):
                pictures.append(frame.to_ndarray(format="rgb24"))
            if len(pictures) >= frames:
                return pictures, pts
    return pictures, pts


def patch(picture: np.ndarray) -> tuple[int, ...]:
    height, width = picture.shape[:2]
    return tuple(int(v) for v in picture[height * 15 // 16, width * 15 // 16])


def close_to(actual, expected, tolerance=40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.mark.skipif(FFPROBE is None, reason="ffprobe (Debian package ffmpeg) is needed")
@pytest.mark.parametrize(("quality", "size"), [("main", (1920, 1080)), ("sub", (640, 360))])
def test_ffprobe_reads_h264_at_the_expected_size(demo_site, quality, size):
    url = with_credentials(demo_site.site.rtsp.url("cam01", quality))
    result = subprocess.run(
        [FFPROBE, "-v", "error", "-rtsp_transport", "tcp", "-show_streams", "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (stream,) = json.loads(result.stdout)["streams"]
    assert stream["codec_name"] == "h264"
    assert (stream["width"], stream["height"]) == size
    assert stream["r_frame_rate"] == "25/1"


@pytest.mark.skipif(FFPROBE is None, reason="ffprobe (Debian package ffmpeg) is needed")
def test_a_client_that_asks_for_udp_first_falls_back_to_tcp(demo_site):
    url = with_credentials(demo_site.site.rtsp.url("cam02", "sub"))
    result = subprocess.run(
        [FFPROBE, "-v", "error", "-show_streams", "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["streams"][0]["width"] == 640
    assert "461 Unsupported Transport" in result.stderr


def test_pictures_carry_the_camera_colour_and_consecutive_frame_numbers(demo_site):
    camera = DEMO_CAMERAS[2]
    pictures, pts = decode(with_credentials(demo_site.site.rtsp.url(camera.id, "sub")), 30)
    assert all(close_to(patch(p), camera.colour) for p in pictures)
    indices = [frame_index_from_pixels(p) for p in pictures]
    assert all((b - a) % 250 == 1 for a, b in itertools.pairwise(indices))
    # A new viewer starts on a key frame (the GOP is 50 frames).
    assert indices[0] % 50 == 0
    assert all(b - a == 3600 for a, b in itertools.pairwise(pts))


def test_each_camera_has_its_own_colour(demo_site):
    seen = {}
    for camera in DEMO_CAMERAS[:3]:
        (picture,), _ = decode(with_credentials(demo_site.site.rtsp.url(camera.id, "sub")), 1)
        seen[camera.id] = patch(picture)
        assert close_to(seen[camera.id], camera.colour)
    assert len(set(seen.values())) == 3


def test_a_wrong_password_is_refused(demo_site):
    with pytest.raises(av.HTTPUnauthorizedError):
        av.open(
            with_credentials(demo_site.site.rtsp.url("cam01", "sub"), password="wrong"),
            options=TCP,
            timeout=(10, 5),
        )


def test_unknown_streams_are_not_found(demo_site):
    with pytest.raises(av.HTTPNotFoundError):
        av.open(
            with_credentials(demo_site.site.rtsp.url("cam99", "sub")), options=TCP, timeout=(10, 5)
        )


@pytest.mark.parametrize("auth", [RtspAuth("op", "basic-pw", "basic"), None])
def test_basic_auth_and_open_servers_work_too(footage_cache, auth):
    site = DemoSiteThread(footage_cache, auth=auth)
    site.start()
    try:
        url = site.site.rtsp.url("cam01", "sub")
        if auth is not None:
            url = with_credentials(url, auth.user, auth.password)
        pictures, _ = decode(url, 3)
        assert close_to(patch(pictures[-1]), DEMO_CAMERAS[0].colour)
    finally:
        site.stop()


def test_several_clients_play_one_stream_at_once(demo_site):
    url = with_credentials(demo_site.site.rtsp.url("cam04", "sub"))
    containers = [av.open(url, options=TCP, timeout=(20, 5)) for _ in range(3)]
    try:
        for container in containers:
            frames = 0
            for packet in container.demux(video=0):
                frames += len(packet.decode())
                if frames >= 5:
                    break
        sessions = [s for s in demo_site.site.rtsp.sessions if s.camera_id == "cam04"]
        assert len(sessions) == 3
    finally:
        for container in containers:
            container.close()
    deadline = time.monotonic() + 5
    while any(s.camera_id == "cam04" for s in demo_site.site.rtsp.sessions):
        assert time.monotonic() < deadline, "sessions of closed clients linger"
        time.sleep(0.05)


class ShortLoopLibrary(FootageLibrary):
    """The real footage cut to two GOPs, so a test sees the loop wrap within 4 s."""

    def load(self, camera_id, quality):
        footage = super().load(camera_id, quality)
        return dataclasses.replace(footage, access_units=footage.access_units[:100])


def test_the_loop_wraps_seamlessly_with_continuous_timestamps(footage_cache):
    server_ready = threading.Event()
    loop = asyncio.new_event_loop()
    server = RtspServer(ShortLoopLibrary(footage_cache), DEMO_CAMERAS[:1])

    async def run():
        await server.start()
        server_ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(run()), loop.run_forever()))
    thread.start()
    server_ready.wait(30)
    try:
        pictures, pts = decode(server.url("cam01", "sub"), 110)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    indices = [frame_index_from_pixels(p) for p in pictures]
    assert 99 in indices
    wrap = indices.index(99)
    assert indices[wrap + 1] == 0
    assert all((b - a) % 100 == 1 for a, b in itertools.pairwise(indices))
    assert all(b - a == 3600 for a, b in itertools.pairwise(pts))


def test_a_stopped_server_ends_the_stream_and_a_restarted_one_plays_again(footage_cache):
    site = DemoSiteThread(footage_cache)
    site.start()
    try:
        url = with_credentials(site.site.rtsp.url("cam01", "sub"))
        port = site.site.rtsp.port
        container = av.open(url, options=TCP, timeout=(20, 3))
        packets = 0
        ended = False
        try:
            for _ in container.demux(video=0):
                packets += 1
                if packets == 10:
                    site.call(site.site.stop())
                if packets > 400:
                    break
            ended = True
        except (av.FFmpegError, OSError):
            ended = True
        finally:
            container.close()
        assert ended
        assert packets < 400, "the stream went on after the server stopped"
        site.call(site.site.start())
        assert site.site.rtsp.port == port
        pictures, _ = decode(url, 3)
        assert len(pictures) == 3
    finally:
        site.stop()


CAM01 = "rtsp://127.0.0.1/demo/cam01/main"


async def exchange(port: int, request: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request.encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    return head.decode()


@pytest.mark.parametrize(
    ("request_text", "status"),
    [
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", "200 OK"),
        (
            "DESCRIBE rtsp://127.0.0.1/demo/cam01/main RTSP/1.0\r\nCSeq: 2\r\n\r\n",
            "401 Unauthorized",
        ),
        (
            "RECORD rtsp://127.0.0.1/demo/cam01/main RTSP/1.0\r\nCSeq: 3\r\n\r\n",
            "501 Not Implemented",
        ),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request"),
    ],
)
def test_raw_requests_get_standard_answers(demo_site, request_text, status):
    head = asyncio.run(exchange(demo_site.site.rtsp.port, request_text))
    assert head.startswith(f"RTSP/1.0 {status}\r\n")
    if "CSeq" in request_text:
        assert f"CSeq: {request_text.split('CSeq: ')[1].split(chr(13))[0]}\r\n" in head
    if status == "200 OK":
        assert "Public: OPTIONS, DESCRIBE, SETUP, PLAY" in head
    if status.startswith("401"):
        assert 'WWW-Authenticate: Digest realm="Vigil demo", nonce="' in head


def test_a_stream_whose_footage_is_cut_short_by_shutdown_is_answered_unavailable(tmp_path):
    """Quitting during a first run stops the encoding; a client waiting for it gets a
    standard answer rather than a dropped connection."""
    library = FootageLibrary(tmp_path / "footage")
    server = RtspServer(library, DEMO_CAMERAS[:1])

    async def run() -> str:
        await server.start()
        describe = asyncio.create_task(
            exchange(server.port, f"DESCRIBE {CAM01} RTSP/1.0\r\nCSeq: 7\r\n\r\n")
        )
        for _ in range(1500):  # the encoding starts as soon as the request is read
            if any((tmp_path / "footage").glob(".encoding-*")):
                break
            await asyncio.sleep(0.02)
        library.close()
        try:
            return await asyncio.wait_for(describe, 10)
        finally:
            await server.stop()

    head = asyncio.run(run())
    assert head.startswith("RTSP/1.0 503 Service Unavailable\r\n")
    assert "CSeq: 7\r\n" in head
    assert not list((tmp_path / "footage").glob("*.mp4"))
