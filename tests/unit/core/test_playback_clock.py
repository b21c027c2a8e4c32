"""The playback clock: one recorded instant that synchronised tiles follow."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.core.playback import SPEEDS, ClockChange, PlaybackClock

START = datetime(2026, 3, 29, 0, 59, 58, 250_000, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def clock_at(start: datetime = START, **kwargs) -> tuple[PlaybackClock, FakeMonotonic]:
    ticks = FakeMonotonic()
    return PlaybackClock(start, monotonic=ticks, **kwargs), ticks


def test_it_starts_where_it_was_asked_and_runs_in_real_time():
    clock, ticks = clock_at()
    assert clock.position() == START
    ticks.now += 2.5
    assert clock.position() == START + timedelta(seconds=2.5)
    assert clock.position().tzinfo is not None


def test_at_four_times_speed_a_second_of_wall_time_is_four_recorded():
    clock, ticks = clock_at(speed=4)
    ticks.now += 1.0
    assert clock.position() == START + timedelta(seconds=4)


def test_a_paused_clock_holds_its_instant_and_resumes_from_it():
    clock, ticks = clock_at()
    ticks.now += 1
    clock.pause()
    ticks.now += 60
    assert clock.position() == START + timedelta(seconds=1)
    clock.play()
    ticks.now += 0.5
    assert clock.position() == START + timedelta(seconds=1.5)


def test_a_clock_can_start_paused():
    clock, ticks = clock_at(paused=True)
    ticks.now += 10
    assert clock.position() == START
    assert clock.paused


def test_a_seek_jumps_and_keeps_speed_and_pause():
    clock, ticks = clock_at(speed=2, paused=True)
    target = START - timedelta(hours=5)
    clock.seek(target)
    ticks.now += 3
    assert clock.position() == target
    assert clock.speed == 2
    clock.play()
    ticks.now += 1
    assert clock.position() == target + timedelta(seconds=2)


def test_step_moves_a_paused_clock_both_ways():
    clock, _ = clock_at(paused=True)
    clock.step(1 / 25)
    assert clock.position() == START + timedelta(milliseconds=40)
    clock.step(-0.08)
    assert clock.position() == START - timedelta(milliseconds=40)
    assert clock.paused


def test_speed_change_keeps_the_position_continuous():
    clock, ticks = clock_at()
    ticks.now += 10
    clock.set_speed(16)
    assert clock.position() == START + timedelta(seconds=10)
    ticks.now += 1
    assert clock.position() == START + timedelta(seconds=26)


@pytest.mark.parametrize("speed", [0, 0.1, 17, -1, float("nan")])
def test_speeds_outside_a_quarter_to_sixteen_are_refused(speed):
    clock, _ = clock_at()
    with pytest.raises(ValueError, match="speed"):
        clock.set_speed(speed)
    with pytest.raises(ValueError, match="speed"):
        PlaybackClock(START, speed=speed)
    assert clock.speed == 1


def test_an_instant_without_a_time_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        PlaybackClock(datetime(2026, 1, 1))
    clock, _ = clock_at()
    with pytest.raises(ValueError, match="time zone"):
        clock.seek(datetime(2026, 1, 1))
    assert clock.generation == 0


def test_an_instant_in_another_zone_is_the_same_instant():
    cet = timezone(timedelta(hours=1))
    clock, _ = clock_at(START.astimezone(cet))
    assert clock.position() == START
    assert clock.position().utcoffset() == timedelta(0)


def test_generation_counts_every_discontinuity_and_nothing_else():
    clock, ticks = clock_at()
    ticks.now += 5
    assert clock.generation == 0
    clock.seek(START)
    clock.set_speed(2)
    clock.pause()
    clock.step(1)
    clock.play()
    assert clock.generation == 5
    clock.play()
    clock.set_speed(2)
    assert clock.generation == 5


def test_listeners_hear_each_change_with_the_new_state_until_they_unsubscribe():
    clock, ticks = clock_at()
    heard = []
    unsubscribe = clock.subscribe(heard.append)
    ticks.now += 1
    clock.set_speed(4)
    clock.pause()
    clock.pause()
    assert [(s.change, s.speed, s.paused, s.generation) for s in heard] == [
        (ClockChange.SPEED, 4, False, 1),
        (ClockChange.PAUSE, 4, True, 2),
    ]
    assert heard[-1].position == START + timedelta(seconds=1)
    unsubscribe()
    unsubscribe()
    clock.seek(START)
    assert len(heard) == 2


def test_a_state_says_when_an_instant_is_due():
    clock, ticks = clock_at(speed=4)
    state = clock.state()
    due = state.monotonic_at(START.timestamp() + 8)
    assert due == pytest.approx(ticks.now + 2)
    assert state.position_at(due) == pytest.approx(START.timestamp() + 8)
    clock.pause()
    assert clock.state().monotonic_at(START.timestamp() + 8) is None


def test_readers_on_other_threads_never_see_it_go_backwards_while_it_plays_forward():
    clock = PlaybackClock(START, speed=16)
    stop = threading.Event()
    seen: list[datetime] = []

    def read():
        last = clock.position()
        while not stop.is_set():
            now = clock.position()
            if now < last:
                seen.append(now)
            last = now

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for speed in SPEEDS * 20:
        clock.set_speed(speed)
    stop.set()
    for reader in readers:
        reader.join()
    assert seen == []


controls = st.lists(
    st.tuples(
        st.sampled_from(["wait", "speed", "pause", "play"]),
        st.floats(0, 30, allow_nan=False),
        st.sampled_from(SPEEDS),
    ),
    max_size=30,
)


@given(controls)
def test_without_seeks_the_position_is_continuous_and_never_goes_backwards(steps):
    """Speed, pause and play only re-anchor: position(t) is the integral of the speed."""
    clock, ticks = clock_at()
    expected = 0.0
    last = clock.position()
    for action, seconds, speed in steps:
        before = clock.position()
        if action == "wait":
            ticks.now += seconds
            expected += 0 if clock.paused else seconds * clock.speed
        elif action == "speed":
            clock.set_speed(speed)
        elif action == "pause":
            clock.pause()
        else:
            clock.play()
        if action != "wait":
            assert clock.position() == before
        now = clock.position()
        assert now >= last
        last = now
        assert (now - START).total_seconds() == pytest.approx(expected, abs=1e-5 * (len(steps) + 1))


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9000, 1, 1),
        timezones=st.just(UTC),
    ),
    st.floats(-86_400, 86_400, allow_nan=False),
)
def test_a_seek_reads_back_exactly_and_a_step_moves_by_its_rounded_duration(instant, seconds):
    clock, _ = clock_at(paused=True)
    clock.seek(instant)
    assert clock.position() == instant
    clock.step(seconds)
    assert clock.position() == instant + timedelta(microseconds=round(seconds * 1_000_000))
