"""The demo's PTZ head moves as a dome does: ramps, top speeds slower when zoomed in,
endless pan, tilt and zoom limits, travel that ends exactly on its goal, presets, and
a position that depends only on time, never on how often it was read."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.demo.dome import Dome, DomeSpec, Pose, Space


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_full_speed_pan_ramps_up_then_runs_at_top_speed(clock):
    dome = Dome(clock=clock)
    dome.continuous(1.0, 0.0, 0.0)
    clock.advance(0.05)
    early = dome.pose().pan
    assert 0.0 < early < 100.0 * 0.05 / 2  # still accelerating
    clock.advance(0.95)
    # One second: the ramp (0.15 s) costs half of its time at top speed.
    assert dome.pose().pan == pytest.approx(100.0 - 100.0 * 0.15 / 2, abs=0.6)
    clock.advance(1.0)
    assert dome.pose().pan == pytest.approx(200.0 - 7.5, abs=0.6)
    assert dome.moving


def test_pan_is_endless_and_a_leftward_pan_wraps_below_zero(clock):
    dome = Dome(clock=clock)
    dome.continuous(-1.0, 0.0, 0.0)
    clock.advance(1.0)
    assert dome.pose().pan == pytest.approx(360.0 - 92.5, abs=0.6)


def test_zoomed_in_the_head_turns_slower_by_the_zoom(clock):
    dome = Dome(clock=clock, pose=Pose(0.0, 0.0, 10.0))
    dome.continuous(1.0, 0.0, 0.0)
    clock.advance(1.0)
    assert dome.pose().pan == pytest.approx(9.25, abs=0.1)


def test_stop_halts_the_head_at_once_and_the_pose_then_stays(clock):
    dome = Dome(clock=clock)
    dome.continuous(1.0, 0.0, 0.0)
    clock.advance(1.0)
    dome.stop()
    assert not dome.moving
    stopped_at = dome.pose()
    clock.advance(5.0)
    assert dome.pose() == stopped_at


def test_a_continuous_move_with_a_duration_is_dropped_when_nobody_renews_it(clock):
    dome = Dome(clock=clock)
    dome.continuous(0.5, 0.0, 0.0, duration=2.0)
    clock.advance(3.0)
    assert not dome.moving
    assert dome.pose().pan == pytest.approx(50.0 * 2.0, abs=1.5)


def test_tilt_and_zoom_stop_at_their_limits(clock):
    dome = Dome(clock=clock)
    dome.continuous(0.0, 1.0, 1.0)
    clock.advance(10.0)
    pose = dome.pose()
    assert pose.tilt == DomeSpec().tilt_max
    assert pose.zoom == DomeSpec().zoom_max
    dome.continuous(0.0, -1.0, -1.0)
    clock.advance(20.0)
    pose = dome.pose()
    assert (pose.tilt, pose.zoom) == (DomeSpec().tilt_min, 1.0)


def test_zoom_runs_evenly_in_magnification_steps(clock):
    dome = Dome(clock=clock)
    dome.continuous(0.0, 0.0, 1.0)
    clock.advance(2.0 + 0.075)  # half the range plus half the ramp
    assert dome.pose().zoom == pytest.approx(math.sqrt(20.0), rel=0.02)


def test_an_absolute_move_travels_at_speed_and_ends_exactly_on_its_goal(clock):
    dome = Dome(clock=clock)
    goal = Pose(120.0, -30.0, 4.0)
    dome.move_to(goal, speed=0.5)
    clock.advance(0.2)
    partway = dome.pose()
    assert 0.0 < partway.pan < 120.0 and dome.moving
    clock.advance(1.0)
    assert dome.pose().pan == 120.0 and dome.moving  # zoom takes longer than the turn
    clock.advance(3.0)
    assert dome.pose() == goal
    assert not dome.moving


def test_an_absolute_move_pans_the_shorter_way_and_a_relative_one_the_way_asked(clock):
    dome = Dome(clock=clock, pose=Pose(350.0, 0.0, 1.0))
    dome.move_to(Pose(10.0, 0.0, 1.0))
    clock.advance(0.05)
    assert dome.pose().pan > 350.0  # right, through north
    clock.advance(1.0)
    dome.move_by(-340.0, 0.0)
    clock.advance(0.05)
    assert 0.0 < dome.pose().pan < 10.0  # left, the long way
    clock.advance(3.0)
    assert dome.pose().pan == pytest.approx(30.0)


def test_a_preset_saved_then_recalled_returns_exactly_and_forgotten_is_gone(clock):
    dome = Dome(clock=clock)
    dome.continuous(0.7, -0.4, 0.3)
    clock.advance(1.3)
    dome.stop()
    clock.advance(0.5)
    here = dome.save("dock")
    dome.move_to(Pose(200.0, -80.0, 1.0))
    clock.advance(3.0)
    assert dome.recall("dock")
    clock.advance(3.0)
    assert dome.pose() == here
    assert dome.forget("dock") and not dome.recall("dock")


def test_a_new_command_starts_from_where_the_head_is_now(clock):
    dome = Dome(clock=clock)
    dome.continuous(1.0, 0.0, 0.0)
    clock.advance(0.5)
    there = dome.pose().pan
    dome.move_by(0.0, -10.0)
    clock.advance(2.0)
    assert dome.pose() == Pose(there, -10.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    velocity=st.tuples(*[st.floats(-1, 1)] * 3),
    reads=st.lists(st.floats(0.0, 2.0), max_size=12),
)
def test_where_the_head_is_does_not_depend_on_how_often_it_was_read(velocity, reads):
    read, unread = Clock(), Clock()
    watched, alone = Dome(clock=read), Dome(clock=unread)
    for dome in (watched, alone):
        dome.continuous(*velocity)
    for at in sorted(reads):
        read.now = 1000.0 + at
        watched.pose()
    read.now = unread.now = 1002.5
    assert watched.pose() == alone.pose()


@settings(max_examples=60, deadline=None)
@given(
    pan=st.floats(-1, 1),
    tilt=st.floats(-1, 1),
    zoom=st.floats(0, 1),
)
def test_a_normalised_position_sent_is_reported_back_exactly_once_reached(pan, tilt, zoom):
    clock = Clock()
    dome = Dome(clock=clock)
    space = Space(dome.spec)
    dome.move_to(space.pose(pan, tilt, zoom))
    clock.advance(10.0)
    reported = space.position(dome.pose())
    if abs(pan) == 1.0:  # -180° and 180° are one place
        assert abs(reported[0]) == 1.0 and reported[1:] == (tilt, zoom)
    else:
        assert reported == (pan, tilt, zoom)


def test_the_normalised_space_spans_the_heads_limits():
    space = Space(DomeSpec())
    assert space.pose(-0.5, -1.0, 0.0) == Pose(270.0, -90.0, 1.0)
    assert space.pose(0.5, 1.0, 1.0) == Pose(90.0, 10.0, 20.0)
    pan, tilt, zoom = space.position(Pose(45.0, -40.0, 10.5))
    assert (pan, tilt, zoom) == pytest.approx((0.25, 0.0, 0.5))
