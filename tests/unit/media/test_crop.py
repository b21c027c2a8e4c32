"""A digitally zoomed tile's picture is the zoomed part of the source converted at the
tile's size: as sharp as the stream allows, the same colours as the whole picture, and
never anything from outside the part."""

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.media.convert import CpuConverter
from viewer.media.crop import crop_frame, crop_pixels
from viewer.media.frames import VideoImage

fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def detailed(width: int, height: int, layout: str = "yuv420p", grain: int = 1) -> av.VideoFrame:
    """Fine detail everywhere (noise in ``grain``-pixel squares), which an enlargement
    smears; squares of 4 survive 4:2:0 chroma, so every layout shows the same colours."""
    rng = np.random.default_rng(11)
    coarse = rng.integers(0, 256, (height // grain, width // grain, 3), dtype=np.uint8)
    pixels = np.repeat(np.repeat(coarse, grain, axis=0), grain, axis=1)
    return av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format=layout)


def bgr(image: VideoImage) -> np.ndarray:
    data = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride)
    return data[:, : image.width * 4].reshape(image.height, image.width, 4)[..., :3].astype(int)


@given(
    st.integers(1, 4096),
    st.integers(1, 4096),
    st.tuples(fractions, fractions, fractions, fractions),
)
def test_the_cut_holds_what_was_asked_inside_the_picture(width, height, crop):
    left, top, w, h = crop
    x, y, part_w, part_h = crop_pixels(width, height, crop)
    assert x >= 0 and y >= 0 and x + part_w <= width and y + part_h <= height
    assert part_w >= min(2, width) and part_h >= min(2, height)
    # Chroma of 4:2:0 is cut on its own samples.
    assert x % 2 == 0 and y % 2 == 0
    if left + w <= 1 and top + h <= 1:
        assert x <= left * width and x + part_w >= min(width, (left + w) * width) - 1e-6
        assert y <= top * height and y + part_h >= min(height, (top + h) * height) - 1e-6


@pytest.mark.parametrize("layout", ["yuv420p", "yuvj420p", "nv12", "yuv444p"])
def test_the_part_is_the_source_cut_and_converted_at_the_tile_size(layout):
    frame = detailed(1280, 720, layout, grain=4)
    crop = (0.25, 0.5, 0.25, 0.25)  # pixels 320..640 x 360..540: 320 x 180
    zoomed = CpuConverter().convert(frame, 320, 180, sequence=1, crop=crop)
    assert (zoomed.width, zoomed.height, zoomed.crop) == (320, 180, crop)
    assert (zoomed.source_width, zoomed.source_height) == (1280, 720)
    # 4:4:4 is cut from its 4:2:0 conversion (crop.py): compared with that.
    whole_frame = frame.reformat(format="yuv420p") if layout == "yuv444p" else frame
    whole = bgr(CpuConverter().convert(whole_frame, 1280, 720, sequence=1))
    # At 1:1 the part is the whole picture's pixels, up to chroma filtering at the cut.
    difference = np.abs(bgr(zoomed) - whole[360:540, 320:640])
    assert difference[4:-4, 4:-4].mean() < 2.0


def test_zooming_shows_detail_an_enlarged_tile_picture_has_lost():
    frame = detailed(1920, 1080)
    truth = bgr(CpuConverter().convert(frame, 1920, 1080, sequence=1))[540:810, 960:1440]
    zoomed = bgr(CpuConverter().convert(frame, 480, 270, sequence=1, crop=(0.5, 0.5, 0.25, 0.25)))
    tile = CpuConverter().convert(frame, 480, 270, sequence=1)
    enlarged = av.VideoFrame.from_ndarray(bgr(tile).astype(np.uint8)[135:203, 240:360], "bgr24")
    blown_up = enlarged.reformat(480, 272, "bgr24").to_ndarray()[:270].astype(int)
    assert np.abs(zoomed - truth).mean() < 3.0
    assert np.abs(blown_up - truth).mean() > 20.0


def test_the_demo_corner_patch_fills_a_tile_zoomed_fully_into_that_corner():
    frame = av.VideoFrame.from_ndarray(corner_patch_picture(), "rgb24").reformat(format="yuv420p")
    corner = (0.875, 0.875, 0.125, 0.125)
    image = bgr(CpuConverter().convert(frame, 320, 180, sequence=1, crop=corner))
    patch_bgr = np.array(PATCH[::-1])
    assert np.abs(image - patch_bgr).max(axis=2).mean() < 6


PATCH = (200, 40, 160)


def corner_patch_picture() -> np.ndarray:
    """The demo footage's marker: the camera's colour from 87.5 % to 100 % on both axes."""
    picture = np.full((1080, 1920, 3), (58, 66, 80), np.uint8)
    picture[945:, 1680:] = PATCH
    return picture


def test_a_crop_leaves_the_frame_it_was_cut_from_untouched():
    frame = detailed(64, 48)
    before = frame.to_ndarray().copy()
    crop_frame(frame, (0.5, 0.5, 0.5, 0.5))
    assert np.array_equal(frame.to_ndarray(), before)
