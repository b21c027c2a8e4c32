"""Whether a clip holds every picture: pictures missing from the stream's rhythm are
holes, counted and placed; time the recorder did not record is no hole; a rhythm that
is whole from end to end is complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.models import TimeSpan
from viewer.media.completeness import MAX_LISTED, completeness

START = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


def _span(seconds: float) -> TimeSpan:
    return TimeSpan(START, START + timedelta(seconds=seconds))


def _rhythm(interval: float, count: int, offset: float = 0.0) -> list[float]:
    return [START.timestamp() + offset + i * interval for i in range(count)]


def test_every_picture_of_a_steady_stream_is_complete():
    whole = completeness(_rhythm(0.2, 100), _span(20), [_span(20)])
    assert whole.complete and whole.missing == 0 and whole.holes == ()
    assert whole.pictures == 100
    assert abs(whole.interval - 0.2) < 1e-6


def test_pictures_dropped_in_the_middle_are_one_hole_placed_where_they_were():
    instants = _rhythm(0.2, 100)
    kept = instants[:40] + instants[47:]
    whole = completeness(kept, _span(20), [_span(20)])
    (hole,) = whole.holes
    assert whole.missing == hole.missing == 7
    assert hole.start.timestamp() == instants[39] and hole.end.timestamp() == instants[47]


def test_a_stream_that_ended_early_misses_its_tail():
    whole = completeness(_rhythm(0.2, 50), _span(20), [_span(20)])
    (hole,) = whole.holes
    assert hole.missing == 50
    assert hole.end == START + timedelta(seconds=20)


def test_a_stream_that_started_late_misses_its_head():
    whole = completeness(_rhythm(0.2, 90, offset=2.0), _span(20), [_span(20)])
    (hole,) = whole.holes
    assert hole.missing == 10
    assert hole.start == START


def test_a_gap_in_the_recording_is_no_hole_where_the_timeline_tells_it():
    before = _rhythm(0.2, 25)  # 0 to 5 s
    after = _rhythm(0.2, 50, offset=10.0)  # 10 to 20 s
    recorded = [_span(5), TimeSpan(START + timedelta(seconds=10), START + timedelta(seconds=20))]
    assert completeness(before + after, _span(20), recorded).complete
    unknown = completeness(before + after, _span(20), None)
    assert not unknown.timeline_known
    assert unknown.missing == 25  # without a timeline every break counts


def test_a_span_starting_in_a_gap_is_complete_from_the_recordings_start():
    recorded = [TimeSpan(START + timedelta(seconds=5), START + timedelta(seconds=20))]
    assert completeness(_rhythm(0.2, 75, offset=5.0), _span(20), recorded).complete


def test_a_clip_of_one_picture_cannot_tell_its_rhythm():
    whole = completeness([START.timestamp()], _span(1), None)
    assert whole.interval is None and whole.complete and whole.pictures == 1


def test_holes_beyond_the_listed_ones_are_still_counted():
    instants = _rhythm(1.0, 5 * (MAX_LISTED + 20))
    kept = [t for i, t in enumerate(instants) if i % 5 != 1]  # one picture in five lost
    whole = completeness(kept, _span(len(instants)), None)
    assert len(whole.holes) == MAX_LISTED
    assert whole.hole_count == MAX_LISTED + 20 and whole.missing == MAX_LISTED + 20


@given(
    interval=st.sampled_from([0.04, 0.1, 0.2, 0.5, 1.0]),
    count=st.integers(20, 400),
    dropped=st.sets(st.integers(1, 398), max_size=6),
    jitter=st.lists(st.floats(-0.1, 0.1), min_size=400, max_size=400),
)
def test_the_pictures_missing_are_those_dropped_whatever_the_jitter(
    interval, count, dropped, jitter
):
    steady = _rhythm(interval, count)
    instants = [t + jitter[i] * interval for i, t in enumerate(steady)]
    kept = [t for i, t in enumerate(instants) if i not in dropped or i >= count - 1]
    span = TimeSpan(START, START + timedelta(seconds=count * interval))
    whole = completeness(kept, span, [span])
    assert whole.missing == len([i for i in dropped if i < count - 1])
    assert whole.pictures == len(kept)


@given(
    parts=st.lists(st.tuples(st.integers(0, 600), st.integers(1, 120)), min_size=1, max_size=6),
)
def test_every_recorded_picture_around_gaps_is_complete(parts):
    """Pictures at 5 a second over whatever the recorder recorded, gaps between."""
    recorded = [
        TimeSpan(START + timedelta(seconds=s), START + timedelta(seconds=s + length))
        for s, length in parts
    ]
    instants = sorted(
        {START.timestamp() + s + i * 0.2 for s, length in parts for i in range(length * 5)}
    )
    span = TimeSpan(START, START + timedelta(seconds=max(s + n for s, n in parts)))
    assert completeness(instants, span, recorded).missing == 0
