"""The scrubber's arithmetic: mapping, zoom, ruler labels in local time, spans and gaps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from viewer.core.models import TimeSpan
from viewer.core.timeline import (
    MAX_SPAN,
    MIN_SPAN,
    ZOOM_LEVELS,
    MarkerKind,
    TimelineView,
    cursor_text,
    gap_at,
    gaps,
    marker_kind,
    merge_spans,
    nearest_recorded,
    next_recorded,
    previous_recorded,
    span_at,
    ticks,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # DST of 30 minutes
ZONES = st.sampled_from([UTC, BERLIN, NEW_YORK, KOLKATA, LORD_HOWE, ZoneInfo("Asia/Kathmandu")])

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=MIN_SPAN, max_value=MAX_SPAN)
widths = st.floats(min_value=50, max_value=8000)
views = st.builds(TimelineView, instants, spans, widths)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- mapping and zoom -------------------------------------------------------------------


@given(views, st.floats(min_value=-10_000, max_value=10_000))
def test_a_pixel_maps_to_an_instant_and_back(view, x):
    assert view.x_of(view.instant_at(x)) == pytest.approx(x, abs=1e-3)


@given(views, st.floats(min_value=0, max_value=1))
def test_an_instant_maps_to_a_pixel_and_back_within_a_microsecond(view, fraction):
    instant = view.start + view.span * fraction
    assert abs(view.instant_at(view.x_of(instant)) - instant) <= timedelta(microseconds=1)


@given(views, st.integers(min_value=-20, max_value=20), st.floats(min_value=0, max_value=1))
def test_wheel_zoom_keeps_the_instant_under_the_pointer_where_it_is(view, steps, fraction):
    anchor_x = view.width * fraction
    zoomed = view.zoomed(steps, anchor_x)
    assert abs(zoomed.instant_at(anchor_x) - view.instant_at(anchor_x)) <= timedelta(microseconds=2)
    assert MIN_SPAN <= zoomed.span <= MAX_SPAN
    assert zoomed.width == view.width


@given(views, st.integers(min_value=1, max_value=20), st.floats(min_value=0, max_value=1))
def test_zooming_in_narrows_and_zooming_out_widens_until_the_ends(view, steps, fraction):
    anchor_x = view.width * fraction
    inwards, outwards = view.zoomed(steps, anchor_x), view.zoomed(-steps, anchor_x)
    assert inwards.span < view.span or view.span == MIN_SPAN
    assert outwards.span > view.span or view.span == MAX_SPAN
    assert inwards.span in ZOOM_LEVELS and outwards.span in ZOOM_LEVELS


@given(instants, st.sampled_from(ZOOM_LEVELS[1:-1]), widths, st.floats(min_value=0, max_value=1))
def test_one_step_in_and_one_out_returns_to_the_same_view(start, span, width, fraction):
    view = TimelineView(start, span, width)
    back = view.zoomed(1, width * fraction).zoomed(-1, width * fraction)
    assert back.span == view.span
    assert abs(back.start - view.start) <= timedelta(microseconds=4)


def test_zoom_goes_from_a_week_down_to_ten_seconds():
    view = TimelineView(utc(2026, 3, 1), MAX_SPAN, 1000)
    assert view.zoomed(100, 500).span == timedelta(seconds=10)
    assert view.zoomed(100, 500).zoomed(-100, 500).span == timedelta(days=7)


@given(views, st.floats(min_value=-5000, max_value=5000))
def test_a_drag_moves_the_instant_under_the_pointer_with_it(view, dx):
    moved = view.panned(dx)
    assert moved.x_of(view.instant_at(100)) == pytest.approx(100 + dx, abs=1e-3)
    assert moved.span == view.span


def test_the_view_is_kept_out_of_the_future():
    now = utc(2026, 5, 1, 12)
    view = TimelineView.around(now + timedelta(hours=5), timedelta(hours=1), 600)
    kept = view.kept_before(now)
    assert kept.end == now and kept.span == view.span
    assert kept.kept_before(now) is kept


def test_views_refuse_naive_times_and_impossible_spans():
    with pytest.raises(ValueError, match="timezone-aware"):
        TimelineView(datetime(2026, 1, 1), MIN_SPAN, 100)
    with pytest.raises(ValueError, match="visible span"):
        TimelineView(utc(2026, 1, 1), timedelta(seconds=1), 100)
    with pytest.raises(ValueError, match="pixel"):
        TimelineView(utc(2026, 1, 1), MIN_SPAN, 0)


# -- the ruler ---------------------------------------------------------------------------


@given(views, ZONES)
def test_ticks_lie_in_the_view_in_order_apart_by_at_least_the_label_width(view, zone):
    found = ticks(view, zone, min_pixels=80)
    assert all(view.start <= tick.instant <= view.end for tick in found)
    assert [tick.instant for tick in found] == sorted({tick.instant for tick in found})
    labelled = [tick for tick in found if tick.label]
    for before, after in itertools.pairwise(labelled):
        # A repeated or skipped hour may bring two ticks closer; never closer than half.
        assert after.x - before.x >= 40
    for tick in found:
        assert tick.x == pytest.approx(view.x_of(tick.instant))


@given(views, ZONES)
def test_tick_labels_read_the_local_wall_clock(view, zone):
    for tick in ticks(view, zone):
        local = tick.instant.astimezone(zone)
        if ":" in tick.label:
            assert tick.label.startswith(f"{local:%H:%M}")
        if tick.day:
            assert (local.hour, local.minute) == (0, 0) or local.utcoffset() != (
                tick.instant - timedelta(hours=1)
            ).astimezone(zone).utcoffset()


def test_ticks_on_a_whole_minute_at_a_ten_second_view():
    view = TimelineView(utc(2026, 6, 1, 10, 0, 0), timedelta(seconds=10), 1000)
    found = ticks(view, BERLIN)
    assert [tick.label for tick in found][:3] == ["12:00:00", "12:00:01", "12:00:02"]


def test_berlin_autumn_shows_the_repeated_hour_twice_each_with_its_zone():
    # 2026-10-25: at 03:00 CEST (01:00 UTC) the clocks go back to 02:00 CET.
    view = TimelineView(utc(2026, 10, 24, 23, 30), timedelta(hours=3), 1200)
    labels = [tick.label for tick in ticks(view, BERLIN, min_pixels=150)]
    assert labels == [
        "01:30",
        "02:00 CEST",
        "02:30 CEST",
        "02:00 CET",
        "02:30 CET",
        "03:00",
        "03:30",
    ]


def test_berlin_spring_skips_the_missing_hour_and_names_the_new_zone():
    # 2026-03-29: at 02:00 CET (01:00 UTC) the clocks jump to 03:00 CEST.
    view = TimelineView(utc(2026, 3, 29, 0, 0), timedelta(hours=2), 800)
    labels = [tick.label for tick in ticks(view, BERLIN, min_pixels=150)]
    assert labels == ["01:00", "01:30", "03:00 CEST", "03:30", "04:00"]


def test_new_york_autumn_repeats_one_am():
    # 2026-11-01: at 02:00 EDT (06:00 UTC) the clocks go back to 01:00 EST.
    view = TimelineView(utc(2026, 11, 1, 4, 0), timedelta(hours=3), 900)
    labels = [tick.label for tick in ticks(view, NEW_YORK, min_pixels=250)]
    assert labels == ["Sun 1 Nov", "01:00 EDT", "01:00 EST", "02:00"]


def test_new_york_spring_has_no_two_am():
    # 2026-03-08: at 02:00 EST (07:00 UTC) the clocks jump to 03:00 EDT.
    view = TimelineView(utc(2026, 3, 8, 5, 0), timedelta(hours=6), 1200)
    labels = [tick.label for tick in ticks(view, NEW_YORK, min_pixels=150)]
    assert labels == ["Sun 8 Mar", "01:00", "03:00 EDT", "04:00", "05:00", "06:00", "07:00"]


def test_a_half_hour_zone_gets_ticks_on_its_own_round_hours():
    view = TimelineView(utc(2026, 1, 10, 0, 0), timedelta(hours=6), 1200)
    found = ticks(view, KOLKATA, min_pixels=150)
    assert [tick.label for tick in found][:2] == ["06:00", "07:00"]
    assert all(tick.instant.astimezone(KOLKATA).minute == 0 for tick in found)


def test_a_week_shows_a_tick_at_each_local_midnight_with_the_date():
    view = TimelineView(utc(2026, 10, 21, 12), timedelta(days=7), 700)
    found = ticks(view, BERLIN)
    assert [tick.label for tick in found] == [
        "Thu 22 Oct",
        "Fri 23 Oct",
        "Sat 24 Oct",
        "Sun 25 Oct",
        "Mon 26 Oct",
        "Tue 27 Oct",
        "Wed 28 Oct",
    ]
    # The day the clocks go back lasts 25 hours.
    assert found[4].instant - found[3].instant == timedelta(hours=25)
    assert all(tick.day for tick in found)


@pytest.mark.parametrize("width", [700, 2800])
def test_a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps(width):
    # Chile's clocks jumped from 00:00 to 01:00 on 2026-09-06.
    santiago = ZoneInfo("America/Santiago")
    view = TimelineView(utc(2026, 9, 3), timedelta(days=7), width)
    found = {tick.label: tick for tick in ticks(view, santiago)}
    start = found["Sun 6 Sep"].instant.astimezone(santiago)
    assert (start.hour, start.minute) == (1, 0)
    assert found["Sun 6 Sep"].day


def test_midnight_is_labelled_with_the_date_among_hours():
    view = TimelineView(utc(2026, 6, 1, 20), timedelta(hours=6), 600)
    labels = [tick.label for tick in ticks(view, UTC)]
    assert labels == ["20:00", "21:00", "22:00", "23:00", "Tue 2 Jun", "01:00", "02:00"]


def test_the_cursor_says_the_exact_local_time_with_its_zone():
    instant = utc(2026, 10, 25, 0, 30, 15, 250_000)
    assert cursor_text(instant, BERLIN) == "Sun 25 Oct 2026 02:30:15.250 CEST"
    assert cursor_text(instant + timedelta(hours=1), BERLIN) == "Sun 25 Oct 2026 02:30:15.250 CET"


# -- spans and gaps -----------------------------------------------------------------------

BASE = utc(2026, 4, 1)


@st.composite
def span_lists(draw):
    pieces = draw(
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 2_000)), min_size=0, max_size=30)
    )
    return [
        TimeSpan(BASE + timedelta(seconds=start), BASE + timedelta(seconds=start + length))
        for start, length in pieces
    ]


def covers(found, instant):
    return any(span.start <= instant < span.end for span in found)


@given(span_lists(), st.integers(0, 12_000))
def test_merging_keeps_exactly_the_recorded_instants(found, second):
    merged = merge_spans(found)
    instant = BASE + timedelta(seconds=second)
    assert covers(merged, instant) == covers(found, instant)


@given(span_lists(), st.integers(0, 600))
def test_merged_spans_are_ordered_apart_and_merging_again_changes_nothing(found, tolerance):
    merged = merge_spans(found, timedelta(seconds=tolerance))
    for before, after in itertools.pairwise(merged):
        assert after.start - before.end > timedelta(seconds=tolerance)
    assert merge_spans(merged, timedelta(seconds=tolerance)) == merged
    assert merge_spans(reversed(found), timedelta(seconds=tolerance)) == merged


@given(span_lists(), st.integers(1, 600))
def test_a_tolerance_only_closes_gaps_no_wider_than_itself(found, tolerance):
    exact, loose = merge_spans(found), merge_spans(found, timedelta(seconds=tolerance))
    within = TimeSpan(BASE, BASE + timedelta(seconds=13_000))
    assert set(gaps(loose, within)) <= set(gaps(exact, within))
    for gap in set(gaps(exact, within)) - set(gaps(loose, within)):
        assert gap.duration <= timedelta(seconds=tolerance)


def test_touching_and_overlapping_spans_become_one():
    a = TimeSpan(BASE, BASE + timedelta(minutes=10))
    b = TimeSpan(BASE + timedelta(minutes=10), BASE + timedelta(minutes=20))
    c = TimeSpan(BASE + timedelta(minutes=5), BASE + timedelta(minutes=12))
    assert merge_spans([b, c, a]) == (TimeSpan(BASE, BASE + timedelta(minutes=20)),)
    assert merge_spans([b, a]) == (TimeSpan(BASE, BASE + timedelta(minutes=20)),)


@given(span_lists(), st.integers(0, 12_000), st.integers(1, 12_000))
def test_gaps_and_spans_share_out_the_whole_span(found, first, length):
    merged = merge_spans(found)
    within = TimeSpan(BASE + timedelta(seconds=first), BASE + timedelta(seconds=first + length))
    holes = gaps(merged, within)
    total = sum((gap.duration for gap in holes), timedelta(0))
    recorded = sum(
        (
            min(span.end, within.end) - max(span.start, within.start)
            for span in merged
            if span.end > within.start and span.start < within.end
        ),
        timedelta(0),
    )
    assert total + recorded == within.duration
    for gap in holes:
        assert not covers(merged, gap.start)


@given(span_lists(), st.integers(-100, 13_000))
def test_skip_gaps_goes_on_at_the_next_recorded_instant(found, second):
    merged = merge_spans(found)
    instant = BASE + timedelta(seconds=second)
    target = next_recorded(merged, instant)
    later = [span for span in merged if span.end > instant]
    if not later:
        assert target is None
        return
    assert target is not None and target >= instant and covers(merged, target)
    # Nothing recorded is skipped over.
    assert not any(instant <= span.start < target for span in merged)


@given(span_lists(), st.integers(-100, 13_000))
def test_gap_and_span_lookups_agree(found, second):
    merged = merge_spans(found)
    instant = BASE + timedelta(seconds=second)
    span, gap = span_at(merged, instant), gap_at(merged, instant)
    assert (span is not None) == covers(merged, instant)
    assert span is None or span in merged
    if gap is not None:
        assert span is None and gap.start <= instant < gap.end
        assert not covers(merged, instant)
        assert next_recorded(merged, instant) == gap.end
        assert previous_recorded(merged, instant) == gap.start


@given(span_lists(), st.integers(-100, 13_000))
def test_a_click_in_a_gap_lands_on_the_nearest_recording(found, second):
    merged = merge_spans(found)
    assume(merged)
    instant = BASE + timedelta(seconds=second)
    nearest = nearest_recorded(merged, instant)
    assert nearest is not None
    distance = abs(nearest - instant)
    for span in merged:
        closest = min(max(instant, span.start), span.end)
        assert distance <= abs(closest - instant)


def test_event_types_fall_into_three_colours():
    assert marker_kind("Motion started") is MarkerKind.MOTION
    assert marker_kind("motion.detected") is MarkerKind.MOTION
    assert marker_kind("Tamper alarm") is MarkerKind.ALERT
    assert marker_kind("line_crossing") is MarkerKind.ALERT
    assert marker_kind("Input 1 activated") is MarkerKind.OTHER
