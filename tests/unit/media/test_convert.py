"""The converter scales with AREA when it shrinks and BILINEAR when it enlarges, and the
rule is one public function, so the benchmark floor scales exactly as the viewer does."""

import av
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter
from hypothesis import given
from hypothesis import strategies as st

from viewer.media.convert import CpuConverter, interpolation_for
from viewer.media.frames import VideoImage

sizes = st.integers(min_value=2, max_value=4096)


def decoded_frame(width: int, height: int) -> av.VideoFrame:
    """A YUV 4:2:0 picture, as a decoder gives it, full of detail that any two
    interpolations render differently."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")


def rows(image: VideoImage) -> np.ndarray:
    data = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride)
    return data[:, : image.width * 4]


def reference(frame: av.VideoFrame, width: int, height: int, how: Interpolation) -> np.ndarray:
    out = VideoReformatter().reformat(frame, width, height, "bgra", interpolation=how, threads=1)
    return out.to_ndarray().reshape(height, width * 4)


@given(sizes, sizes, st.data())
def test_a_picture_shrunk_in_both_directions_is_averaged(source_w, source_h, data):
    width = data.draw(st.integers(1, source_w))
    height = data.draw(st.integers(1, source_h))
    if (width, height) == (source_w, source_h):
        width -= 1
    assert interpolation_for(source_w, source_h, width, height) is Interpolation.AREA


@given(sizes, sizes, st.data())
def test_a_picture_kept_or_enlarged_is_interpolated_bilinearly(source_w, source_h, data):
    width = data.draw(st.integers(source_w, 8192))
    height = data.draw(st.integers(source_h, 8192))
    assert interpolation_for(source_w, source_h, width, height) is Interpolation.BILINEAR


def test_the_converter_shrinks_a_picture_with_area_averaging():
    frame = decoded_frame(640, 360)
    image = CpuConverter().convert(frame, 412, 232, sequence=1)
    assert (image.width, image.height, image.source_width, image.source_height) == (
        412,
        232,
        640,
        360,
    )
    assert np.array_equal(rows(image), reference(frame, 412, 232, Interpolation.AREA))
    assert not np.array_equal(rows(image), reference(frame, 412, 232, Interpolation.BILINEAR))


def test_the_converter_enlarges_a_picture_bilinearly():
    frame = decoded_frame(320, 180)
    image = CpuConverter().convert(frame, 826, 464, sequence=1)
    assert np.array_equal(rows(image), reference(frame, 826, 464, Interpolation.BILINEAR))
    assert not np.array_equal(rows(image), reference(frame, 826, 464, Interpolation.AREA))
