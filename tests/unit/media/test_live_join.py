"""Joining a live HLS playlist: wait for the next segment only when the newest one is
old, the wait short and the server's clock plausibly ours."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from viewer.media.live_join import MARGIN, MAX_WAIT, join_delay

START = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC).timestamp()


def live(segments: int = 3, duration: float = 2.0, dated: bool = True, end: bool = False) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:7"]
    for number in range(segments):
        if dated:
            stamp = datetime.fromtimestamp(START + number * duration, UTC)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp.isoformat().replace('+00:00', 'Z')}")
        lines += [f"#EXTINF:{duration:.3f},", f"segment-{7 + number}.ts"]
    if end:
        lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


EDGE = START + 3 * 2.0  # the newest segment's end


def test_a_newest_segment_just_published_is_joined_at_once():
    assert join_delay(live(), EDGE + 0.3) is None


def test_an_old_newest_segment_waits_for_the_next_one():
    delay = join_delay(live(), EDGE + 1.5)
    assert delay is not None
    assert abs(delay - (0.5 + MARGIN)) < 1e-6


def test_a_wait_longer_than_allowed_is_not_taken():
    assert join_delay(live(), EDGE + 0.5) is None  # 1.5 s + margin > MAX_WAIT
    assert join_delay(live(), EDGE + 1.5, most=0.3) is None


def test_one_date_time_runs_on_through_the_segments_after_it():
    text = live().decode().split("\n")
    undated = [line for i, line in enumerate(text) if "DATE-TIME" not in line or i < 5]
    assert join_delay("\n".join(undated).encode(), EDGE + 1.5) is not None


def test_no_guess_without_date_times_a_finished_playlist_or_a_clock_that_disagrees():
    assert join_delay(live(dated=False), EDGE + 1.5) is None
    assert join_delay(live(end=True), EDGE + 1.5) is None
    assert join_delay(live(), EDGE - 5) is None  # our clock behind the server's
    assert join_delay(live(), EDGE + 30) is None  # or far ahead
    assert join_delay(live(), EDGE + 2.5) is None  # the next one is late: no guess


@given(st.binary(max_size=400), st.floats(allow_nan=False, allow_infinity=False))
def test_any_bytes_are_a_short_wait_or_none(body, now):
    delay = join_delay(body, now)
    assert delay is None or 0 < delay <= MAX_WAIT


@given(
    st.lists(
        st.sampled_from(
            [
                "#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:00Z",
                "#EXT-X-PROGRAM-DATE-TIME:9999-12-31T23:59:59+14:00",
                "#EXT-X-PROGRAM-DATE-TIME:not a date",
                "#EXTINF:2.000,",
                "#EXTINF:0,",
                "#EXTINF:999999.5,",
                "segment.ts",
            ]
        ),
        max_size=12,
    ),
    st.floats(min_value=START - 10, max_value=START + 100),
)
def test_playlist_shaped_text_never_raises(lines, now):
    delay = join_delay(("#EXTM3U\n" + "\n".join(lines)).encode(), now)
    assert delay is None or 0 < delay <= MAX_WAIT
