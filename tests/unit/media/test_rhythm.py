"""Patience derived from the stream's own pace: never less than the fixed floor, never
so much that a dead stream hides for long."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.media.rhythm import Rhythm


def play(rhythm: Rhythm, interval: float, seconds: float, gop: float) -> float:
    """Feed packets at ``interval``, a key frame every ``gop`` seconds; returns the end."""
    at = 0.0
    next_key = 0.0
    while at <= seconds:
        keyframe = at >= next_key
        if keyframe:
            next_key += gop
        rhythm.packet(at, keyframe)
        at += interval
    return at


def test_a_25_fps_camera_keeps_the_five_second_rules():
    rhythm = Rhythm()
    play(rhythm, 0.04, 6, gop=2)
    assert rhythm.silence_limit() == 5.0
    assert rhythm.stall_notice() == 2.0
    assert rhythm.picture_limit(seen_picture=True) == 5.0
    assert rhythm.keyframe_interval is not None
    assert abs(rhythm.keyframe_interval - 2.0) < 0.05


def test_a_one_fps_camera_is_not_called_stalled_between_its_pictures():
    rhythm = Rhythm()
    play(rhythm, 1.0, 30, gop=10)
    assert rhythm.stall_notice() == 2.5
    assert rhythm.silence_limit() == 5.0
    assert rhythm.picture_limit(seen_picture=True) == pytest.approx(15.0)


def test_a_long_key_frame_interval_earns_a_long_wait_for_the_first_picture():
    rhythm = Rhythm()
    assert rhythm.picture_limit(seen_picture=False) == 30.0  # unknown: a generous bound
    play(rhythm, 0.04, 21, gop=10)
    rhythm.new_connection()
    assert rhythm.picture_limit(seen_picture=False) == pytest.approx(15.0)
    # A new connection forgets the gap across the reconnect, not what the stream showed.
    rhythm.packet(1000.0, keyframe=False)
    assert rhythm.silence_limit() == 5.0


def test_a_smart_codec_idling_at_one_fps_is_judged_by_its_slowest_gaps():
    rhythm = Rhythm()
    at = 0.0
    for index in range(40):
        rhythm.packet(at, keyframe=index % 20 == 0)
        at += 0.2 if index % 10 < 5 else 1.0
    assert rhythm.frame_interval == 1.0
    assert rhythm.stall_notice() == 2.5


@given(
    st.lists(st.floats(0.0, 120.0, allow_nan=False), max_size=80),
    st.lists(st.booleans(), max_size=80),
    st.booleans(),
)
def test_limits_stay_between_the_floors_and_the_longest_wait(gaps, keys, seen):
    rhythm = Rhythm(minimum_loss=5.0, minimum_notice=2.0, first_picture=30.0, longest=60.0)
    at = 0.0
    for gap, keyframe in zip(gaps, keys + [False] * len(gaps), strict=False):
        at += gap
        rhythm.packet(at, keyframe)
    assert 5.0 <= rhythm.silence_limit() <= 60.0
    assert 2.0 <= rhythm.stall_notice() <= 60.0
    assert 5.0 <= rhythm.picture_limit(seen) <= 60.0
    assert rhythm.stall_notice() <= rhythm.silence_limit() or rhythm.silence_limit() == 60.0
