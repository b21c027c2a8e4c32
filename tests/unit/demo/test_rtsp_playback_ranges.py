"""What a recorder's RTSP playback reads from a client: the PLAY Range and the URL's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.on_demand import split_annex_b
from viewer.demo.rtsp_playback import parse_range, parse_start

ORIGIN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_npt_counts_seconds_from_the_start_the_url_asked_for():
    assert parse_range("npt=0.000-", ORIGIN) == ORIGIN
    assert parse_range("npt=30.5-", ORIGIN) == ORIGIN + timedelta(seconds=30.5)
    assert parse_range("npt=1:02:03.5-", ORIGIN) == ORIGIN + timedelta(seconds=3723.5)


def test_clock_is_an_absolute_utc_instant():
    assert parse_range("clock=20261201T093015Z-", ORIGIN) == datetime(
        2026, 12, 1, 9, 30, 15, tzinfo=UTC
    )
    assert parse_range("clock=20261201T093015.25Z-20261201T100000Z", ORIGIN) == datetime(
        2026, 12, 1, 9, 30, 15, 250000, tzinfo=UTC
    )


def test_ranges_that_name_no_instant_are_none():
    for value in ("npt=now-", "smpte=0:10:00-", "npt=-20", "clock=20261301T000000Z-", ""):
        assert parse_range(value, ORIGIN) is None


@given(st.text(max_size=60))
def test_any_range_header_is_an_instant_or_none(value):
    assert parse_range(value, ORIGIN) is None or parse_range(value, ORIGIN).tzinfo is not None


@given(st.from_regex(r"(npt|clock) ?= ?[0-9:.TZ]{0,30}-[0-9]{0,4}", fullmatch=True))
def test_range_shaped_headers_never_raise(value):
    parse_range(value, ORIGIN)


def test_start_needs_a_zone():
    assert parse_start("2026-12-01T10:00:00Z") == ORIGIN
    assert parse_start("2026-12-01T11:00:00+01:00") == ORIGIN
    assert parse_start("2026-12-01T10:00:00") is None
    assert parse_start("yesterday") is None


@given(st.text(max_size=40))
def test_any_start_is_an_aware_instant_or_none(text):
    start = parse_start(text)
    assert start is None or start.tzinfo is not None


def test_annex_b_is_split_at_three_and_four_byte_start_codes():
    data = b"\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce\x00\x00\x00\x01\x65\x88"
    assert split_annex_b(data) == (b"\x67\x42", b"\x68\xce", b"\x65\x88")
