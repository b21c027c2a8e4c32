"""The simulated recorder's week: spans in retention, in order, around the daily gaps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.demo.recordings import RETENTION, next_recorded, recorded_spans

NOW = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(2026, 11, 20), max_value=datetime(2026, 12, 3), timezones=st.just(UTC)
)


def in_a_gap(instant: datetime) -> bool:
    return instant.hour == 13 or (instant.hour % 3 == 2 and instant.minute >= 40)


@given(moments, moments)
@settings(max_examples=200)
def test_spans_are_ordered_apart_within_retention_and_skip_the_gaps(start, end):
    spans = recorded_spans(start, end, NOW)
    for span_start, span_end in spans:
        assert max(start, NOW - RETENTION) <= span_start < span_end <= min(end, NOW)
        assert not in_a_gap(span_start)
        assert not in_a_gap(span_end - timedelta(microseconds=1))
    for (_, earlier_end), (later_start, _) in itertools.pairwise(spans):
        assert earlier_end < later_start


@given(moments)
@settings(max_examples=200)
def test_every_recorded_moment_lies_in_a_span_and_no_gap_does(instant):
    spans = recorded_spans(NOW - RETENTION, NOW, NOW)
    inside = any(a <= instant < b for a, b in spans)
    assert inside == (NOW - RETENTION <= instant < NOW and not in_a_gap(instant))


def test_a_day_has_seven_twenty_minute_gaps_and_a_missing_hour():
    day = datetime(2026, 11, 28, tzinfo=UTC)
    spans = recorded_spans(day, day + timedelta(days=1), NOW)
    recorded = sum((b - a for a, b in spans), timedelta())
    assert recorded == timedelta(hours=24) - 8 * timedelta(minutes=20) - timedelta(hours=1)
    assert spans[0] == (day, day + timedelta(hours=2, minutes=40))


def test_the_next_recording_after_a_gap_starts_where_the_gap_ends():
    in_gap = datetime(2026, 11, 28, 2, 45, tzinfo=UTC)
    assert next_recorded(in_gap, NOW)[0] == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    recorded = datetime(2026, 11, 28, 4, 0, 1, tzinfo=UTC)
    assert next_recorded(recorded, NOW) == (recorded, datetime(2026, 11, 28, 5, 40, tzinfo=UTC))
    assert next_recorded(NOW + timedelta(seconds=1), NOW) is None
    assert next_recorded(NOW - 2 * RETENTION, NOW)[0] == NOW - RETENTION
