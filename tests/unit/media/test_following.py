"""When a player following a playback clock shows a late picture, and when it keeps the last.

A synchronised view promises every tile within DRIFT of the clock. Only the start and an
operator's seek, where what is on screen is of another instant, show their first picture
late; after the player's own correction the tile keeps its last picture instead.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from viewer.core.playback import PlaybackClock
from viewer.core.streams import StreamDescription
from viewer.media.following import DRIFT, Following, Verdict

START = datetime(2024, 5, 1, 12, tzinfo=UTC)


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def follower(speed: float = 1.0) -> tuple[Following, PlaybackClock, Monotonic]:
    monotonic = Monotonic()
    clock = PlaybackClock(START, speed=speed, monotonic=monotonic)
    following = Following(clock, lambda _at, _speed: StreamDescription(url="rtsp://127.0.0.1/x"))
    return following, clock, monotonic


def late_by(clock: PlaybackClock, seconds: float) -> float:
    return clock.state().anchor - seconds


def pace(following: Following, instant: float) -> Verdict:
    return following.pace(instant, threading.Event(), server_paced=True)


def test_the_first_picture_after_the_start_is_shown_even_late():
    following, clock, _ = follower()
    following.describe()
    assert pace(following, late_by(clock, 0.8)) is Verdict.SHOW
    following.close()


def test_after_the_players_own_correction_a_late_picture_is_passed_over_and_a_due_one_shown():
    following, clock, monotonic = follower()
    following.describe()
    assert pace(following, late_by(clock, 0.0)) is Verdict.SHOW
    monotonic.now += 5
    following.describe()  # asked for again: a lag correction or a dropped session
    assert pace(following, late_by(clock, 0.8)) is Verdict.SKIP
    assert pace(following, late_by(clock, DRIFT / 2)) is Verdict.SHOW
    following.close()


def test_after_an_operators_seek_the_first_picture_is_shown_even_late():
    following, clock, monotonic = follower()
    following.describe()
    assert pace(following, late_by(clock, 0.0)) is Verdict.SHOW
    clock.seek(START - timedelta(hours=1))
    assert pace(following, late_by(clock, 0.0)) is Verdict.RESTART
    monotonic.now += 1
    following.describe()
    assert pace(following, late_by(clock, 0.8)) is Verdict.SHOW
    following.close()


def test_a_picture_the_clock_left_behind_while_it_was_converted_is_overdue():
    following, clock, monotonic = follower(speed=4)
    following.describe()
    assert pace(following, late_by(clock, 0.0)) is Verdict.SHOW
    instant = late_by(clock, 0.2)
    assert pace(following, instant) is Verdict.SHOW
    assert not following.overdue(instant)
    monotonic.now += 0.03  # 0.12 s of recorded time at 4x
    assert following.overdue(instant)
    following.close()


def test_the_starts_late_first_picture_is_not_overdue():
    following, clock, _ = follower()
    following.describe()
    instant = late_by(clock, 0.8)
    assert pace(following, instant) is Verdict.SHOW
    assert not following.overdue(instant)
    following.close()
