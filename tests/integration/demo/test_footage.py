"""The demo footage library: what is on disk, that its two qualities agree, and that
each camera's footage keeps its habit (frame times, key frames, a still scene)."""

from __future__ import annotations

import itertools
import shutil

import av
import numpy as np
import pytest

from viewer.demo.footage import (
    ALL_CAMERAS,
    DEMO_CAMERAS,
    FootageLibrary,
    Habit,
    camera_by_id,
    frame_index_from_pixels,
    steady,
)


def test_progress_counts_the_streams_already_encoded(demo_site, tmp_path):
    cached = demo_site.site.library
    library = FootageLibrary(tmp_path)
    cameras = [camera.id for camera in DEMO_CAMERAS[:2]]
    assert library.progress(cameras) == (0, 4)
    shutil.copy(cached.path("cam01", "sub"), library.path("cam01", "sub"))
    assert library.progress(cameras) == (1, 4)
    assert cached.progress([camera.id for camera in ALL_CAMERAS]) == (40, 40)


def pictures(path, count=25) -> list[np.ndarray]:
    """The first frames of a footage file, at sub-stream size, as int16 RGB."""
    result = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            result.append(frame.reformat(640, 360, "rgb24").to_ndarray().astype(np.int16))
            if len(result) == count:
                return result
    return result


def test_main_and_sub_streams_encoded_apart_show_the_same_pictures(demo_site):
    library = demo_site.site.library
    main = pictures(library.path("cam05", "main"))
    sub = pictures(library.path("cam05", "sub"), count=26)

    def worst(a, b) -> int:
        return int(np.abs(a - b).max())

    # Two lossy encodings of one picture differ by little; one frame apart, the moving
    # cars and the frame-number marker differ by far more.
    assert max(worst(m, s) for m, s in zip(main, sub[:25], strict=True)) < 128
    assert min(worst(m, s) for m, s in zip(main, sub[1:], strict=True)) > 128


@pytest.mark.parametrize(
    ("camera_id", "pictures", "fps", "keyframe_times"),
    [
        ("cam01", 250, 25, [0, 2, 4, 6, 8]),  # cached before habits existed: still valid
        ("cam17", 250, 25, [0]),
        ("cam18", 10, 1, [0]),
        ("cam19", 26, 5, [0]),
        ("cam20", 250, 25, [0, 2, 4, 6, 8]),
    ],
)
def test_footage_carries_each_picture_s_time_and_the_loop_length(
    demo_site, camera_id, pictures, fps, keyframe_times
):
    for quality in ("main", "sub"):
        footage = demo_site.site.library.load(camera_id, quality)
        units = footage.access_units
        assert len(units) == pictures
        assert footage.loop_seconds == pytest.approx(10)
        assert footage.fps == fps
        assert [unit.time for unit in units if unit.keyframe] == pytest.approx(keyframe_times)
        habit = camera_by_id(camera_id).habit
        assert [unit.time for unit in units] == pytest.approx(
            [habit.seconds(i) for i in range(pictures)]
        )
        assert all(
            a.time + a.duration == pytest.approx(b.time) for a, b in itertools.pairwise(units)
        )
    assert (footage.width, footage.height) == (640, 360)


def test_the_live_picture_is_found_by_time_across_loops(demo_site):
    footage = demo_site.site.library.load("cam19", "sub")
    assert footage.unit_at(0) == 0
    assert footage.unit_at(3.99) == 19
    assert footage.unit_at(4.0) == 20
    assert footage.unit_at(9.99) == 25
    assert footage.unit_at(10.1) == 0
    assert footage.unit_at(24.5) == 20


def test_the_smart_codec_camera_s_scene_is_still_when_its_frame_rate_drops(demo_site):
    """Real smart codecs drop the rate because nothing moves: the footage must agree."""
    frames = pictures(demo_site.site.library.path("cam19", "sub"), count=26)
    assert [frame_index_from_pixels(f.astype(np.uint8)) for f in frames] == list(range(26))
    road = slice(215, 290)  # the road and its cars, at 360p

    def change(a, b) -> float:
        return float(np.abs(a[road] - b[road]).mean())

    moving = [change(a, b) for a, b in itertools.pairwise(frames[:20])]
    still = [change(a, b) for a, b in itertools.pairwise(frames[20:])]
    assert min(moving) > 3 * max(still)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Habit(25, (1, 2, 3), 2),  # does not start the loop
        lambda: Habit(25, (0, 2, 1), 2),  # out of order
        lambda: Habit(25, (0, 250), 2),  # past the loop
        lambda: Habit(5, (0, 1, 2, 20, 25), 2),  # no picture where a key frame falls
        lambda: steady(25, 3),  # 10 s do not hold a whole number of 3 s intervals
    ],
)
def test_a_habit_x264_cannot_encode_is_refused(make):
    with pytest.raises(ValueError, match="habit"):
        make()
