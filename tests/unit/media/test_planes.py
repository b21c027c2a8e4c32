"""On the GL path decode threads hand over the decoder's planes as they are, with the
line sizes, matrix and range a shader needs; other formats become yuv420p first."""

from __future__ import annotations

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.media.frames import VideoImage
from viewer.media.planes import (
    BT601,
    BT709,
    BT2020,
    DeliveredConverter,
    FrameDelivery,
    PlanarConverter,
    colour_matrix,
)


def picture(width: int, height: int, pix_fmt: str = "yuv420p") -> av.VideoFrame:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)


def rows(view: memoryview, line_size: int, width: int, height: int) -> np.ndarray:
    return np.frombuffer(view, np.uint8).reshape(-1, line_size)[:height, :width]


def test_yuv420p_goes_over_as_it_is_with_the_padded_line_sizes():
    frame = picture(630, 354)
    assert frame.planes[0].line_size > 630  # the decoder's padding
    image = PlanarConverter().convert(frame, 100, 60, sequence=7)
    planes = image.planes
    assert planes is not None and planes.layout == "yuv420p"
    assert planes.line_sizes == tuple(p.line_size for p in frame.planes)
    assert (image.width, image.height, image.sequence) == (630, 354, 7)
    assert (image.source_width, image.source_height) == (630, 354)
    for index, (width, height) in enumerate(((630, 354), (315, 177), (315, 177))):
        expected = rows(memoryview(frame.planes[index]), planes.line_sizes[index], width, height)
        actual = rows(planes.data[index], planes.line_sizes[index], width, height)
        assert np.array_equal(actual, expected)


def test_the_planes_are_views_of_the_frame_not_copies():
    frame = picture(64, 36)
    planes = PlanarConverter().convert(frame, 64, 36, sequence=1).planes
    assert planes is not None
    np.frombuffer(frame.planes[0], np.uint8)[0] = 17
    assert planes.data[0][0] == 17


def test_nv12_from_a_hardware_decoder_keeps_its_two_planes():
    frame = picture(640, 360).reformat(format="nv12")
    planes = PlanarConverter().convert(frame, 0, 0, sequence=1).planes
    assert planes is not None
    assert planes.layout == "nv12" and len(planes.data) == 2
    assert planes.line_sizes == (frame.planes[0].line_size, frame.planes[1].line_size)


def test_full_range_is_read_from_the_format_and_the_flag():
    assert PlanarConverter().convert(picture(64, 36, "yuvj420p"), 0, 0, 1).planes.full_range
    assert not PlanarConverter().convert(picture(64, 36), 0, 0, 1).planes.full_range
    flagged = picture(64, 36)
    flagged.color_range = 2  # JPEG
    assert PlanarConverter().convert(flagged, 0, 0, 1).planes.full_range


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv422p", "yuv420p10le", "rgb24"])
def test_other_formats_become_yuv420p_of_the_same_picture(pix_fmt):
    frame = picture(320, 180, pix_fmt)
    image = PlanarConverter().convert(frame, 0, 0, sequence=1)
    planes = image.planes
    assert planes is not None and planes.layout == "yuv420p"
    assert (image.width, image.height) == (320, 180)
    # The same picture: its luma matches swscale's own yuv420p of the frame.
    reference = frame.reformat(format="yuv420p")
    luma = rows(planes.data[0], planes.line_sizes[0], 320, 180).astype(int)
    expected = rows(memoryview(reference.planes[0]), reference.planes[0].line_size, 320, 180)
    assert np.abs(luma - expected).mean() < 1.0


def test_a_full_range_444_picture_keeps_its_range_when_it_becomes_420():
    frame = picture(320, 180, "yuvj444p")
    planes = PlanarConverter().convert(frame, 0, 0, sequence=1).planes
    assert planes is not None and planes.full_range
    luma = rows(planes.data[0], planes.line_sizes[0], 320, 180).astype(int)
    source = rows(memoryview(frame.planes[0]), frame.planes[0].line_size, 320, 180)
    assert np.abs(luma - source).mean() < 1.0


def test_a_tagged_matrix_is_used_and_unspecified_is_bt601_as_swscale_does():
    assert colour_matrix(1, 1080) == BT709
    assert colour_matrix(9, 2160) == BT2020
    for height in (360, 576, 720, 1080, 2160):
        assert colour_matrix(2, height) == BT601


@given(st.integers(-5, 300), st.integers(1, 10_000))
def test_any_colour_space_number_gives_a_matrix(colorspace, height):
    kr, kb = colour_matrix(colorspace, height)
    assert 0 < kr < 1 and 0 < kb < 1 and kr + kb < 1


def test_the_delivered_picture_follows_the_choice_frame_by_frame():
    delivery = FrameDelivery()
    converter = DeliveredConverter(delivery)
    frame = picture(640, 360)
    bgra = converter.convert(frame, 320, 180, sequence=1)
    assert bgra.planes is None and (bgra.width, bgra.height) == (320, 180)
    delivery.planes = True
    planar = converter.convert(frame, 320, 180, sequence=2)
    assert isinstance(planar, VideoImage) and planar.planes is not None
    assert (planar.width, planar.height) == (640, 360)
    delivery.planes = False
    assert converter.convert(frame, 320, 180, sequence=3).planes is None
