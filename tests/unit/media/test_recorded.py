"""Placing a recording's pictures in recorded time, and seeking a VOD playlist by instant."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.core.errors import MalformedResponseError
from viewer.demo.hls.recorded import playlist as demo_playlist
from viewer.media.recorded import OffsetInstants, PlaylistTap, asked_start, parse_playlist

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
NAME = "recorded.ts?from={origin}&at={at}&until={until}"


def spans(*pairs: tuple[int, int]) -> list[tuple[datetime, datetime]]:
    """Spans as (start, end) in seconds after T0."""
    return [(T0 + timedelta(seconds=a), T0 + timedelta(seconds=b)) for a, b in pairs]


def test_the_dates_of_the_playlist_place_each_segment_across_a_gap():
    playlist = parse_playlist(demo_playlist(spans((0, 10), (100, 106)), T0, NAME), asked=0.0)
    assert playlist.dated
    t0 = T0.timestamp()
    assert [(s.instant - t0, s.media_start, s.duration) for s in playlist.segments] == [
        (0, 0, 4),
        (4, 4, 4),
        (8, 8, 2),
        (100, 10, 4),
        (104, 14, 2),
    ]


def test_a_seek_lands_in_the_segment_that_holds_the_instant_by_ffmpegs_measure():
    playlist = parse_playlist(demo_playlist(spans((0, 10), (100, 106)), T0, NAME), asked=0.0)
    t0 = T0.timestamp()
    assert playlist.seek_target(t0) == 0.0
    # Just before the segment's start, so FFmpeg keeps the key frame that opens it.
    assert playlist.seek_target(t0 + 5) == pytest.approx(4 - 0.001)
    # Past the gap: ten seconds of EXTINF in, not a hundred.
    assert playlist.seek_target(t0 + 103) == pytest.approx(10 - 0.001)
    # In the gap: the recording that resumes after it.
    assert playlist.seek_target(t0 + 50) == pytest.approx(10 - 0.001)
    # Past the end: nothing to seek to.
    assert playlist.seek_target(t0 + 106) is None


def test_without_dates_the_asked_start_places_the_segments():
    text = "#EXTM3U\n#EXTINF:2.0,\na.ts\n#EXTINF:2.5,\nb.ts\n#EXT-X-ENDLIST\n"
    playlist = parse_playlist(text, asked=1000.0)
    assert not playlist.dated
    assert [(s.instant, s.media_start) for s in playlist.segments] == [(1000.0, 0.0), (1002.0, 2.0)]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not a playlist", "playlist"),
        ("#EXTM3U\n#EXTINF:abc,\na.ts\n", "EXTINF"),
        ("#EXTM3U\n#EXTINF:-1,\na.ts\n", "EXTINF"),
        (
            "#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:yesterday\n#EXTINF:1,\na.ts\n",
            "EXT-X-PROGRAM-DATE-TIME",
        ),
        ("#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00\n", "EXT-X-PROGRAM-DATE-TIME"),
    ],
)
def test_a_playlist_that_cannot_be_read_is_a_malformed_response_naming_what(text, field):
    with pytest.raises(MalformedResponseError) as caught:
        parse_playlist(text, asked=0.0)
    assert caught.value.field == field


@given(st.text(max_size=400))
def test_any_text_parses_or_is_refused_as_malformed(text):
    try:
        playlist = parse_playlist(text, asked=0.0)
    except MalformedResponseError:
        return
    starts = [s.media_start for s in playlist.segments]
    assert starts == sorted(starts)


@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(1, 300)), min_size=1, max_size=8),
    st.floats(0, 1, allow_nan=False),
)
def test_every_recorded_instant_seeks_to_its_own_segment_or_the_one_before(runs, fraction):
    """Recorded runs (length, then gap after it): any instant inside one is sought to
    the start of the segment that holds it, less FFmpeg's rounding allowance."""
    pairs, at = [], 0
    for length, gap in runs:
        pairs.append((at, at + length))
        at += length + gap
    playlist = parse_playlist(demo_playlist(spans(*pairs), T0, NAME), asked=0.0)
    total = sum(b - a for a, b in pairs)
    target_run = pairs[int(fraction * (len(pairs) - 1))]
    instant = T0.timestamp() + target_run[0] + fraction * (target_run[1] - target_run[0]) * 0.999
    target = playlist.seek_target(instant)
    assert target is not None and 0 <= target <= total
    holder = [s for s in playlist.segments if s.instant <= instant < s.instant + s.duration]
    assert len(holder) == 1
    assert holder[0].media_start - 0.0011 <= target <= holder[0].media_start


def test_the_tap_keeps_the_first_playlist_and_passes_segments_through():
    bodies = {"http://x/p.m3u8": b"#EXTM3U\n", "http://x/s.ts": b"\x47" * 188}

    def opener(url, flags, options):
        return io.BytesIO(bodies[url])

    tap = PlaylistTap(opener)
    assert tap("http://x/p.m3u8", 0, {}).read() == b"#EXTM3U\n"
    assert tap.text == "#EXTM3U\n"
    assert tap("http://x/s.ts", 0, {}).read() == bodies["http://x/s.ts"]
    assert tap.text == "#EXTM3U\n"


def test_instants_count_from_the_first_timestamp_seen_even_after_a_seek():
    instants = OffsetInstants(epoch=1000.0)
    assert instants(None) is None
    assert instants(1.4) == 1000.0
    assert instants(5.4) == pytest.approx(1004.0)
    # A seek back reads earlier timestamps on the same scale.
    assert instants(1.9) == pytest.approx(1000.5)


def test_an_rtsp_playback_url_names_the_start_the_server_was_asked_for():
    url = "rtsp://u:p@127.0.0.1:8554/playback/c1?start=2026-03-29T00:30:05Z&speed=4"
    assert asked_start(url) == T0.timestamp() + 5
    assert asked_start("rtsp://h/playback/c1?startTime=2026-03-29T02:30:05%2B02:00") == (
        T0.timestamp() + 5
    )
    assert asked_start("rtsp://h/playback/c1?start=yesterday") is None
    assert asked_start("rtsp://h/playback/c1?start=2026-03-29T00:30:05") is None
    assert asked_start("rtsp://h/live/c1") is None


@given(st.text(max_size=200))
def test_any_query_gives_a_start_or_none(query):
    start = asked_start(f"rtsp://h/p?{query}")
    assert start is None or isinstance(start, float)
