"""The player decodes files and HLS into tile-sized BGRA pictures with the right pixels."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from viewer.core.errors import NotFoundError
from viewer.core.streams import StreamDescription
from viewer.demo.footage import INDEX_BITS, frame_index_from_pixels
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

from .clips import pixel_rgb, write_clip, write_hls

ORANGE = (230, 120, 20)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class Collector:
    """Takes every picture the player hands over, as a tile would."""

    def __init__(self, player: StreamPlayer, box: tuple[int, int]) -> None:
        self.images = []
        self.states = []
        self._wake = threading.Event()
        self.subscription = player.subscribe(self._wake.set, self.states.append)
        self.subscription.set_box(*box)

    def pump(self) -> None:
        self._wake.clear()
        image = self.subscription.take()
        if image is not None:
            self.images.append(image)


def play(description: StreamDescription, box=(160, 160), frames=10):
    player = StreamPlayer(description)
    collector = Collector(player, box)
    player.start()
    try:
        assert wait_for(lambda: (collector.pump(), len(collector.images) >= frames)[1])
    finally:
        player.stop()
        player.join(5)
    return player, collector


def test_a_file_plays_scaled_to_the_box_with_its_colours(tmp_path):
    clip = write_clip(tmp_path / "orange.mp4", ORANGE)
    player, collector = play(StreamDescription(str(clip), live=False))
    image = collector.images[-1]
    # 320x180 fitted into a 160x160 box keeps its shape.
    assert (image.width, image.height) == (160, 90)
    assert (image.source_width, image.source_height) == (320, 180)
    assert image.stride >= image.width * 4
    red, green, blue = pixel_rgb(image, 80, 70)
    assert abs(red - ORANGE[0]) < 12
    assert abs(green - ORANGE[1]) < 12
    assert abs(blue - ORANGE[2]) < 12
    assert PlayerState.PLAYING in [s.state for s in collector.states]
    assert player.statistics().codec == "h264"


def test_pictures_have_an_even_width_so_swscale_keeps_its_fast_path(tmp_path):
    clip = write_clip(tmp_path / "orange.mp4", ORANGE)
    # 320x180 fitted into 163x200 would be 163x92: one column narrower instead.
    _, collector = play(StreamDescription(str(clip), live=False), box=(163, 200))
    image = collector.images[-1]
    assert (image.width, image.height) == (162, 92)
    red, _, _ = pixel_rgb(image, 161, 45)
    assert abs(red - ORANGE[0]) < 12


def write_numbered_clip(path: Path, frames: int) -> Path:
    """A clip whose every frame shows its own index in the demo footage's marker blocks,
    stored with B-frames, so that decode order is not display order."""
    width, height = 320, 192
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "bf": "3", "g": "25"}
        for index in range(frames):
            picture = np.full((height, width, 3), ORANGE, np.uint8)
            for bit in range(INDEX_BITS):
                on = (index >> (INDEX_BITS - 1 - bit)) & 1
                x0, x1 = bit * width // 32, (bit + 1) * width // 32
                picture[height - height // 12 :, x0:x1] = 235 if on else 16
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def shown_index(image) -> int:
    """The frame index a VideoImage's own pixels show."""
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return frame_index_from_pixels(rows[:, : image.width])


def test_frames_come_in_order_each_once_and_numbered_as_made(tmp_path):
    clip = write_numbered_clip(tmp_path / "numbered.mp4", frames=60)
    _, collector = play(StreamDescription(str(clip), live=False), box=(320, 192), frames=20)
    shown = [shown_index(image) for image in collector.images]
    # Strictly increasing: a picture shown twice or out of its place breaks it.
    assert shown == sorted(set(shown)), shown
    assert [image.sequence for image in collector.images] == [i + 1 for i in shown]


def test_a_missing_file_is_reported_not_crashed(tmp_path):
    player = StreamPlayer(StreamDescription(str(tmp_path / "absent.mp4"), live=True))
    collector = Collector(player, (100, 100))
    player.start()
    try:
        assert wait_for(lambda: player.state.state is PlayerState.RECONNECTING)
        assert isinstance(player.state.error, NotFoundError)
        assert player.state.retry_at is not None
    finally:
        player.stop()
        assert player.join(5)
    assert collector.images == []


@pytest.fixture
def http_folder(tmp_path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_hls_over_http_plays(http_folder):
    folder, base = http_folder
    write_hls(folder, ORANGE, frames=75)
    _, collector = play(StreamDescription(f"{base}/index.m3u8", live=False), box=(320, 180))
    image = collector.images[-1]
    assert (image.width, image.height) == (320, 180)
    red, green, blue = pixel_rgb(image, 160, 120)
    assert abs(red - ORANGE[0]) < 12
    assert abs(green - ORANGE[1]) < 12
    assert abs(blue - ORANGE[2]) < 12
