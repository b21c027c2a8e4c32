"""With the GL path on, players hand over the decoder's planes; with hardware decoding
asked for on a machine without the device, they play in software all the same."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from viewer.core.streams import StreamDescription
from viewer.demo.footage import DEMO_CAMERAS
from viewer.media import hwaccel
from viewer.media.planes import DELIVERY
from viewer.media.player import StreamPlayer

from .test_player_rtsp import url
from .test_player_sources import Collector, wait_for


@pytest.fixture
def gl_delivery():
    """The process as ui/renderer.py leaves it when the GL path draws."""
    DELIVERY.planes = True
    try:
        yield
    finally:
        DELIVERY.planes = False


@pytest.fixture
def hardware_without_device():
    """Hardware decoding switched on, with a device this machine cannot make."""
    decode = hwaccel.configure("on", gl_renderer=True)
    available = hwaccel.av.codec.hwaccel.hwdevices_available()
    decode.device = decode.device if decode.device in available else "vulkan"
    try:
        yield decode
    finally:
        hwaccel.configure("off", gl_renderer=False)


def corner_colour(image) -> tuple[int, ...]:
    """The demo's corner patch from the planes, converted as BT.601 limited range."""
    planes = image.planes
    w, h = image.width, image.height
    x, y = w * 15 // 16, h * 15 // 16
    luma = np.frombuffer(planes.data[0], np.uint8).reshape(-1, planes.line_sizes[0])[y, x]
    cb = np.frombuffer(planes.data[1], np.uint8).reshape(-1, planes.line_sizes[1])[y // 2, x // 2]
    cr = np.frombuffer(planes.data[2], np.uint8).reshape(-1, planes.line_sizes[2])[y // 2, x // 2]
    luma, cb, cr = int(luma), int(cb), int(cr)
    yy, u, v = (luma - 16) * 255 / 219, (cb - 128) * 255 / 224, (cr - 128) * 255 / 224
    r, b = yy + 1.402 * v, yy + 1.772 * u
    g = (yy - 0.299 * r - 0.114 * b) / 0.587
    return tuple(int(min(255, max(0, c))) for c in (r, g, b))


def test_a_live_stream_hands_over_planes_and_plays_in_software_without_the_device(
    demo_site, gl_delivery, hardware_without_device, caplog
):
    player = StreamPlayer(StreamDescription(url(demo_site, "cam05")))
    collector = Collector(player, (320, 180))
    with caplog.at_level(logging.WARNING, logger="viewer.media.hwaccel"):
        player.start()
        try:
            assert wait_for(lambda: (collector.pump(), len(collector.images) >= 5)[1])
        finally:
            player.stop()
            assert player.join(5)
    image = collector.images[-1]
    assert image.planes is not None and image.planes.layout == "yuv420p"
    # The source's size, not the box's: the GPU scales.
    assert (image.width, image.height) == (640, 360)
    colour = corner_colour(image)
    assert all(abs(a - e) <= 40 for a, e in zip(colour, DEMO_CAMERAS[4].colour, strict=True))
    assert hardware_without_device.refused == "PermissionError"
    assert any("decoding in software" in r.getMessage() for r in caplog.records)
