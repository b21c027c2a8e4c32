"""The recorded instant survives drawing, H.264 and a shrink to a tile, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.demo import clockface

instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


@given(instants)
@settings(max_examples=60, deadline=None)
def test_an_instant_drawn_reads_back_exactly(instant):
    assert clockface.read_instant(clockface.draw("Main entrance", instant)) == instant


@given(instants)
@settings(max_examples=30, deadline=None)
def test_the_stripe_reads_from_bgra_and_from_small_tiles(instant):
    picture = clockface.draw("Main entrance", instant)
    bgra = np.dstack([picture[:, :, ::-1], np.full(picture.shape[:2], 255, np.uint8)])
    assert clockface.read_instant(bgra) == instant
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(240, 136)
    assert clockface.read_instant(frame.to_ndarray(format="rgb24")) == instant


def test_the_instant_survives_an_h264_encode_and_decode():
    start = datetime(2026, 11, 29, 10, 0, 0, 123000, tzinfo=UTC)
    shown = [start + timedelta(milliseconds=200 * i + 7 * i * i) for i in range(12)]
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = clockface.WIDTH, clockface.HEIGHT, "yuv420p"
    encoder.time_base = Fraction(1, 5)
    encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "35"}
    decoder = av.CodecContext.create("h264", "r")
    read = []
    for i, instant in enumerate(shown):
        frame = av.VideoFrame.from_ndarray(clockface.draw("Loading bay", instant), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = i
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                read.append(clockface.read_instant(decoded.to_ndarray(format="rgb24")))
    assert read == shown


@pytest.mark.parametrize("shade", [0, 16, 128, 235, 255])
def test_a_picture_without_a_stripe_reads_as_none(shade):
    assert clockface.read_instant(np.full((360, 640, 3), shade, np.uint8)) is None


@pytest.mark.parametrize("bit", range(clockface.BLOCKS))
def test_a_stripe_spoiled_in_any_one_block_reads_as_none(bit):
    instant = datetime(2026, 1, 1, tzinfo=UTC)
    picture = clockface.draw("X", instant)
    width = clockface.WIDTH
    x0, x1 = bit * width // clockface.BLOCKS, (bit + 1) * width // clockface.BLOCKS
    top, bottom = (
        int(clockface.HEIGHT * clockface.BAND[0]),
        int(clockface.HEIGHT * clockface.BAND[1]),
    )
    picture[top:bottom, x0:x1] = 251 - picture[top:bottom, x0:x1]
    assert clockface.read_instant(picture) is None


def test_an_instant_the_stripe_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="stripe"):
        clockface.draw("X", datetime(1969, 12, 31, tzinfo=UTC))
