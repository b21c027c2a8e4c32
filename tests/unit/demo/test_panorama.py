"""A PTZ camera's picture is the panorama's window where it points, and the pose can be
read back from the picture, before and after H.264, to a degree or two."""

from __future__ import annotations

from datetime import UTC, datetime

import av
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from viewer.demo import clockface
from viewer.demo.dome import Pose
from viewer.demo.panorama import HEIGHT, WIDTH, ViewPictures, read_view, view


def off_by(expected: float, read: float) -> float:
    return abs((read - expected + 180.0) % 360.0 - 180.0)


@settings(max_examples=40, deadline=None)
@given(
    pan=st.floats(0.0, 359.99),
    tilt=st.floats(-70.0, 70.0),
    zoom=st.floats(1.0, 4.0),
)
@example(pan=8.0, tilt=2.0, zoom=4.0)  # a window all building but a gap and the scale
def test_the_pose_is_read_back_from_the_picture(pan, tilt, zoom):
    picture = view(Pose(pan, tilt, zoom))
    assert picture.shape == (HEIGHT, WIDTH, 3)
    read = read_view(picture)
    assert read is not None
    assert off_by(pan, read[0]) < 1.0
    assert abs(read[1] - tilt) < 1.5
    assert read[2] == pytest.approx(60.0 / zoom, rel=0.05)


def test_turning_right_moves_the_scene_left_and_the_window_wraps_round_north():
    ahead = view(Pose(0.0, 0.0, 1.0))
    turned = view(Pose(6.0, 0.0, 1.0))
    # 6° is 64 pixels at 1x: what was 64 pixels right of the centre is now at it.
    assert np.array_equal(turned[:, 100:500], ahead[:, 164:564])
    left, right = read_view(ahead[:, :320]), read_view(ahead[:, 320:])
    assert left is not None and right is not None
    assert off_by(345.0, left[0]) < 1.0 and off_by(15.0, right[0]) < 1.0


def test_encoded_and_decoded_the_picture_still_tells_its_pose():
    pictures = ViewPictures()
    decoder = av.CodecContext.create("h264", "r")
    poses = [Pose(30.0 * i, -10.0 + 3 * i, 1.0 + i / 4) for i in range(8)]
    decoded = []
    for pose in poses:
        data = b"".join(b"\x00\x00\x00\x01" + unit for unit in pictures.encode(pose))
        decoded += [f.to_ndarray(format="rgb24") for f in decoder.decode(av.Packet(data))]
    decoded += [f.to_ndarray(format="rgb24") for f in decoder.decode(None)]
    assert len(decoded) == len(poses)
    for pose, picture in zip(poses, decoded, strict=True):
        read = read_view(picture)
        assert read is not None
        assert off_by(pose.pan, read[0]) < 2.0 and abs(read[1] - pose.tilt) < 3.0, (pose, read)


def test_a_picture_of_something_else_reads_as_none():
    assert read_view(np.full((360, 640, 3), 128, np.uint8)) is None
    playback = clockface.draw("Gate", datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert read_view(playback) is None


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 48), st.integers(1, 64), st.just(3))))
def test_any_picture_reads_as_a_pose_or_none_never_an_error(picture):
    read = read_view(picture)
    assert read is None or all(np.isfinite(v) for v in read)
