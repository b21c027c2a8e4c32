"""Reconnect delays: 1 s doubling to a 30 s cap, with jitter, reset after success."""

import random

from hypothesis import given
from hypothesis import strategies as st

from viewer.media.backoff import Backoff


def test_delays_double_from_one_second_up_to_thirty():
    backoff = Backoff(jitter=0)
    assert [backoff.next_delay() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_reset_starts_again_at_one_second():
    backoff = Backoff(jitter=0)
    for _ in range(4):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 1


@given(st.integers(0, 2**32), st.integers(0, 20))
def test_jitter_stays_within_twenty_percent_and_under_the_cap(seed, attempts):
    backoff = Backoff(rng=random.Random(seed))
    for _ in range(attempts):
        backoff.next_delay()
    nominal = min(30.0, 2.0**attempts)
    delay = backoff.next_delay()
    assert nominal * 0.8 <= delay <= min(30.0, nominal * 1.2)


def test_many_viewers_do_not_retry_in_step():
    delays = {round(Backoff().next_delay(), 3) for _ in range(50)}
    assert len(delays) > 10


def test_a_camera_dark_all_night_is_retried_at_the_cap_forever():
    # 100,000 attempts are weeks of a dead camera; the delay must neither overflow
    # nor leave the 24-30 s band once it reached the cap.
    backoff = Backoff(rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(100_000)]
    assert all(24.0 <= delay <= 30.0 for delay in delays[10:])
    backoff.reset()
    assert 0.8 <= backoff.next_delay() <= 1.2
