"""PTZ commands paced as a VMS can take them: the newest wins, the last is always sent,
a stop goes at once and never before the move it ends."""

from __future__ import annotations

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.models import PtzDirection
from viewer.core.ptz import Coalescer, Deflection, nearest_direction

STOP = "stop"


class Vms:
    """Sends what the coalescer hands out and answers after ``latency`` s."""

    def __init__(self, coalescer: Coalescer[object], latency: float = 0.0) -> None:
        self.coalescer = coalescer
        self.latency = latency
        self.sent: list[tuple[float, object]] = []
        self.busy_until: float | None = None

    def tick(self, now: float) -> None:
        if self.busy_until is not None and now >= self.busy_until:
            self.coalescer.finished()
            self.busy_until = None
        command = self.coalescer.take(now)
        if command is not None:
            self.sent.append((now, command))
            if self.latency == 0.0:
                self.coalescer.finished()
            else:
                self.busy_until = now + self.latency

    def run_until(self, now: float, end: float, step: float = 0.001) -> None:
        while now <= end:
            self.tick(now)
            now += step


def test_a_thousand_joystick_events_in_a_second_make_about_ten_commands_the_last_one_sent():
    coalescer: Coalescer[object] = Coalescer()
    vms = Vms(coalescer)
    last = None
    for event in range(1000):
        now = event / 1000
        last = ("move", event)
        coalescer.hold(last, now)
        vms.tick(now)
    vms.run_until(1.0, 1.5)
    assert len(vms.sent) <= 11
    assert vms.sent[-1][1] == last
    gaps = [b[0] - a[0] for a, b in zip(vms.sent, vms.sent[1:], strict=False)]
    assert min(gaps) >= 0.1 - 1e-9


def test_a_slow_vms_gets_one_command_at_a_time_and_only_the_newest_of_those_waiting():
    coalescer: Coalescer[object] = Coalescer()
    vms = Vms(coalescer, latency=0.35)
    for event in range(1000):
        coalescer.hold(("move", event), event / 1000)
        vms.tick(event / 1000)
    vms.run_until(1.0, 2.0)
    assert [command for _, command in vms.sent] == [
        ("move", 0),
        ("move", 350),
        ("move", 700),
        ("move", 999),
    ]


def test_a_stop_goes_at_once_without_waiting_for_the_interval():
    coalescer: Coalescer[object] = Coalescer()
    coalescer.hold("right", 0.0)
    assert coalescer.take(0.0) == "right"
    coalescer.finished()
    coalescer.release(STOP)
    assert coalescer.take(0.01) == STOP


def test_a_stop_waits_for_the_move_in_flight_and_the_next_move_waits_for_the_stop():
    coalescer: Coalescer[object] = Coalescer()
    coalescer.hold("right", 0.0)
    assert coalescer.take(0.0) == "right"
    coalescer.release(STOP)
    coalescer.hold("left", 0.5)
    assert coalescer.take(0.5) is None  # the move is still on its way
    coalescer.finished()
    assert coalescer.take(0.5) == STOP
    coalescer.finished()
    assert coalescer.take(0.7) == "left"


def test_a_move_never_sent_needs_no_stop_and_a_pending_one_is_dropped_by_release():
    coalescer: Coalescer[object] = Coalescer()
    coalescer.hold("right", 0.0)
    assert coalescer.take(0.0) == "right"
    coalescer.finished()
    coalescer.hold("left", 0.01)
    coalescer.release(STOP)
    assert coalescer.take(0.2) == STOP
    coalescer.finished()
    assert coalescer.take(0.5) is None
    coalescer.release(STOP)
    assert coalescer.take(0.6) is None
    coalescer.release(STOP, force=True)
    assert coalescer.take(0.6) == STOP


def test_a_held_command_is_sent_again_at_its_repeat_and_the_same_command_is_not_resent():
    coalescer: Coalescer[object] = Coalescer()
    vms = Vms(coalescer)
    coalescer.hold("right", 0.0, repeat=0.5)
    vms.tick(0.0)
    for event in range(1, 2000):
        coalescer.hold("right", event / 1000, repeat=0.5)
        vms.tick(event / 1000)
    assert [at for at, _ in vms.sent] == [0.0, 0.5, 1.0, 1.5]
    assert coalescer.wake_at() == 2.0
    coalescer.release()
    assert coalescer.wake_at() is None


@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 0.3),
            st.sampled_from(["hold", "release"]),
            st.integers(0, 3),
            st.floats(0.0, 0.3),
        ),
        max_size=60,
    )
)
def test_any_sequence_keeps_the_pace_the_order_and_ends_with_what_the_hand_left(events):
    """Whatever the operator does: one command in flight, moves 0.1 s apart, no move
    sent between a release and its stop, and the final state is what was asked last."""
    coalescer: Coalescer[object] = Coalescer()
    sent: list[tuple[float, object]] = []
    now, busy_until = 0.0, None
    last_action = None

    def advance(until: float, latency: float) -> None:
        nonlocal now, busy_until
        while now < until:
            if busy_until is not None and now >= busy_until:
                coalescer.finished()
                busy_until = None
            command = coalescer.take(now)
            if command is not None:
                assert busy_until is None
                sent.append((now, command))
                busy_until = now + latency
            now = round(now + 0.005, 6)

    for wait, action, value, latency in events:
        advance(now + wait, latency)
        if action == "hold":
            coalescer.hold(("move", value), now)
        else:
            coalescer.release(STOP)
        last_action = action, value
    advance(now + 2.0, 0.0)
    moves = [(at, c) for at, c in sent if c != STOP]
    for (a, _), (b, _) in itertools.pairwise(moves):
        assert b - a >= 0.1 - 1e-9
    if last_action is not None and last_action[0] == "hold":
        assert sent[-1][1] == ("move", last_action[1])
    elif moves:
        assert sent[-1][1] == STOP


def test_deflection_is_rounded_with_a_dead_zone_and_clamped():
    assert Deflection.of(0.05, -0.07).idle
    assert Deflection.of(0.52, -3.0, math.nan) == Deflection(0.5, -1.0, 0.0)
    assert Deflection.of(1.0, 1.0).magnitude == 1.0


def test_the_stick_angle_picks_the_nearest_of_eight_directions():
    assert nearest_direction(0.0, 0.0) is None
    assert nearest_direction(1.0, 0.1) is PtzDirection.RIGHT
    assert nearest_direction(0.7, 0.6) is PtzDirection.UP_RIGHT
    assert nearest_direction(-0.1, 0.9) is PtzDirection.UP
    assert nearest_direction(-1.0, -0.3) is PtzDirection.LEFT
    assert nearest_direction(-0.5, -0.5) is PtzDirection.DOWN_LEFT
    assert nearest_direction(0.2, -1.0) is PtzDirection.DOWN
    assert nearest_direction(0.6, -0.7) is PtzDirection.DOWN_RIGHT


@given(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0))
def test_the_direction_chosen_is_within_a_sector_of_the_stick(pan, tilt):
    direction = nearest_direction(pan, tilt)
    if pan == 0.0 and tilt == 0.0:
        assert direction is None
        return
    angles = {
        PtzDirection.RIGHT: 0,
        PtzDirection.UP_RIGHT: 45,
        PtzDirection.UP: 90,
        PtzDirection.UP_LEFT: 135,
        PtzDirection.LEFT: 180,
        PtzDirection.DOWN_LEFT: 225,
        PtzDirection.DOWN: 270,
        PtzDirection.DOWN_RIGHT: 315,
    }
    assert direction is not None
    off = (math.degrees(math.atan2(tilt, pan)) - angles[direction]) % 360
    assert min(off, 360 - off) <= 22.5 + 1e-9


def test_a_repeated_move_that_changed_only_a_little_takes_effect_at_its_next_repeat():
    coalescer: Coalescer[object] = Coalescer()
    coalescer.hold(("right", 1.0), 0.0, repeat=0.5)
    assert coalescer.take(0.0) == ("right", 1.0)
    coalescer.finished()
    coalescer.hold(("right", 0.95), 0.2, repeat=0.5, soon=False)
    assert coalescer.take(0.3) is None
    assert coalescer.take(0.5) == ("right", 0.95)
    coalescer.finished()
    coalescer.hold(("left", 1.0), 0.6, repeat=0.5)
    assert coalescer.take(0.6) == ("left", 1.0)
