"""The demo's HLS service: a live window that slides with the clock over remuxed footage,
recorded spans as VOD playlists whose pictures show the recorded instant, and a muxer
that answers 503 while it warms up."""

from __future__ import annotations

import asyncio
import io
import itertools
import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import av
import numpy as np
import pytest

from viewer.demo import clockface
from viewer.demo.footage import FPS, FootageLibrary, camera_by_id, frame_index_from_pixels
from viewer.demo.hls import HlsService

from .hls_serving import hls_server

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC).timestamp() + 0.7


@pytest.fixture(scope="module")
def library(footage_cache):
    return FootageLibrary(footage_cache)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ask(service: HlsService, *calls):
    """Run the service's coroutines in order on one loop, then stop it."""

    async def scenario():
        try:
            return [await call() for call in calls]
        finally:
            await service.stop()

    return asyncio.run(scenario())


def playlist(text: bytes) -> dict:
    lines = text.decode("ascii").splitlines()
    assert lines[0] == "#EXTM3U"
    tags = dict(
        line[7:].split(":", 1) for line in lines if line.startswith("#EXT-X-") and ":" in line
    )
    return {
        "tags": tags,
        "lines": lines,
        "uris": [line for line in lines if line and not line.startswith("#")],
        "durations": [float(line[8:].rstrip(",")) for line in lines if line.startswith("#EXTINF:")],
    }


def decode(segment: bytes) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(segment), format="mpegts") as container:
        return list(container.decode(video=0))


def colour_patch(picture: np.ndarray) -> np.ndarray:
    height, width = picture.shape[:2]
    return picture[height * 15 // 16, width * 15 // 16].astype(int)


def test_the_live_window_slides_with_the_wall_clock(library):
    clock = Clock()
    service = HlsService(library, clock=clock)

    def later():
        clock.now += 4.0
        return service.live("cam01", "sub", "index.m3u8", {})

    first, second = ask(service, lambda: service.live("cam01", "sub", "index.m3u8", {}), later)
    assert first.status == second.status == 200
    assert first.content_type == "application/vnd.apple.mpegurl"
    before, after = playlist(first.body), playlist(second.body)
    assert before["tags"]["TARGETDURATION"] == "2"
    assert before["durations"] == [2.0] * 6
    assert "#EXT-X-ENDLIST" not in before["lines"]
    assert int(after["tags"]["MEDIA-SEQUENCE"]) == int(before["tags"]["MEDIA-SEQUENCE"]) + 2
    # Relative names, numbered by the sequence.
    sequence = int(before["tags"]["MEDIA-SEQUENCE"])
    assert before["uris"] == [f"segment-{sequence + i}.ts" for i in range(6)]
    # The newest segment has just ended: the edge is within a segment of the clock.
    newest = datetime.fromisoformat(before["tags"]["PROGRAM-DATE-TIME"].replace("Z", "+00:00"))
    assert NOW - 2.0 < newest.timestamp() + 2.0 <= NOW


def test_live_segments_are_the_footage_of_their_wall_clock_time(library):
    clock = Clock()
    service = HlsService(library, clock=clock)

    async def window():
        listed = playlist((await service.live("cam03", "sub", "index.m3u8", {})).body)
        return [await service.live("cam03", "sub", uri, {}) for uri in listed["uris"]], listed

    ((segments, listed),) = ask(service, window)
    starts = [
        datetime.fromisoformat(line[25:].replace("Z", "+00:00")).timestamp()
        for line in listed["lines"]
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:")
    ]
    indices = []
    for segment, start in zip(segments, starts, strict=True):
        assert segment.status == 200
        assert segment.content_type == "video/mp2t"
        frames = decode(segment.body)
        assert frames[0].key_frame  # every segment starts decodable
        pictures = [frame.to_ndarray(format="rgb24") for frame in frames]
        assert (frames[0].width, frames[0].height) == (640, 360)
        # The picture the loop shows at the segment's wall-clock start.
        assert frame_index_from_pixels(pictures[0]) == round(start % 10 * FPS)
        assert np.abs(colour_patch(pictures[0]) - camera_by_id("cam03").colour).max() < 30
        indices += [frame_index_from_pixels(picture) for picture in pictures]
    # Twelve seconds of pictures in order, across the loop's end, none missing.
    assert len(indices) == 12 * FPS
    assert all((b - a) % (10 * FPS) == 1 for a, b in itertools.pairwise(indices))


def test_the_main_stream_is_served_too(library):
    service = HlsService(library, clock=Clock())

    async def newest():
        listed = playlist((await service.live("cam05", "main", "index.m3u8", {})).body)
        return await service.live("cam05", "main", listed["uris"][-1], {})

    (segment,) = ask(service, newest)
    frames = decode(segment.body)
    assert (frames[0].width, frames[0].height) == (1920, 1080)
    assert len(frames) == 2 * FPS


def test_segments_are_cut_at_key_frames_so_a_ten_second_gop_makes_ten_second_segments(library):
    service = HlsService(library, clock=Clock())
    (answer,) = ask(service, lambda: service.live("cam18", "sub", "index.m3u8", {}))
    listed = playlist(answer.body)
    assert listed["tags"]["TARGETDURATION"] == "10"
    assert listed["durations"] == [10.0] * 6


def test_only_segments_of_the_window_are_served(library):
    clock = Clock()
    service = HlsService(library, clock=clock)

    async def answers():
        listed = playlist((await service.live("cam01", "sub", "index.m3u8", {})).body)
        newest = int(listed["uris"][-1][8:-3])
        return [
            await service.live("cam01", "sub", f"segment-{newest + 1}.ts", {}),  # not yet
            await service.live("cam01", "sub", f"segment-{newest - 12}.ts", {}),  # long gone
            await service.live("cam01", "sub", f"segment-{newest - 7}.ts", {}),  # just left
            await service.live("cam01", "sub", "segment_001.ts", {}),
            await service.live("cam99", "sub", "index.m3u8", {}),
            await service.live("cam01", "fourth", "index.m3u8", {}),
        ]

    ((ahead, gone, just_left, other_name, no_camera, no_quality),) = ask(service, answers)
    assert (ahead.status, gone.status, just_left.status) == (404, 404, 200)
    assert other_name is None and no_camera is None and no_quality is None


def test_a_warming_muxer_answers_503_for_its_first_second_and_again_after_eviction(library):
    clock = Clock()
    service = HlsService(library, clock=clock, warm_up=1.0, idle_eviction=60.0)

    def at(offset: float, name: str = "index.m3u8"):
        def call():
            clock.now = NOW + offset
            return service.live("cam02", "sub", name, {})

        return call

    answers = ask(service, at(0.0), at(0.9), at(1.0), at(30.0), at(91.0), at(91.5), at(92.0))
    assert [a.status for a in answers] == [503, 503, 200, 200, 503, 503, 200]
    assert b"STREAM_STARTING" in answers[0].body


def test_each_quality_warms_up_on_its_own(library):
    clock = Clock()
    service = HlsService(library, clock=clock, warm_up=1.0)

    def main_later():
        clock.now += 1.5
        return service.live("cam02", "main", "index.m3u8", {})

    sub, main = ask(service, lambda: service.live("cam02", "sub", "index.m3u8", {}), main_later)
    assert (sub.status, main.status) == (503, 503)


# -- recorded -------------------------------------------------------------------------------

GAP_START = datetime(2026, 3, 10, 2, 40, tzinfo=UTC)  # recordings.py: 02:40-03:00 is a gap
GAP_END = GAP_START + timedelta(minutes=20)


def test_a_recorded_span_is_a_vod_playlist_with_a_discontinuity_at_each_gap(library):
    service = HlsService(library, clock=Clock())
    start, end = GAP_START - timedelta(seconds=10), GAP_END + timedelta(seconds=10)
    query = {
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": str(int(end.timestamp() * 1000)),
    }
    (answer,) = ask(service, lambda: service.recorded("cam01", "playlist.m3u8", query))
    assert answer.status == 200
    listed = playlist(answer.body)
    assert listed["tags"]["PLAYLIST-TYPE"] == "VOD"
    assert listed["lines"][-1] == "#EXT-X-ENDLIST"
    assert listed["lines"].count("#EXT-X-DISCONTINUITY") == 1
    assert listed["durations"] == [4.0, 4.0, 2.0, 4.0, 4.0, 2.0]
    after_gap = listed["lines"].index("#EXT-X-DISCONTINUITY") + 1
    assert listed["lines"][after_gap] == "#EXT-X-PROGRAM-DATE-TIME:2026-03-10T03:00:00.000Z"


def test_recorded_segments_show_the_instant_they_were_recorded(library):
    service = HlsService(library, clock=Clock())
    start = GAP_START - timedelta(seconds=10, milliseconds=250)
    query = {"start": start.isoformat(), "end": (GAP_END + timedelta(seconds=5)).isoformat()}

    def split(uri):
        name, _, query_text = uri.partition("?")
        return name, dict(pair.split("=") for pair in query_text.split("&"))

    async def fetch():
        listed = playlist((await service.recorded("cam07", "playlist.m3u8", query)).body)
        return [
            await service.recorded("cam07", *split(uri))
            for uri in (listed["uris"][0], listed["uris"][3])
        ]

    (answers,) = ask(service, fetch)
    first, after_gap = (decode(answer.body) for answer in answers)
    assert answers[0].content_type == "video/mp2t"
    assert first[0].key_frame and (first[0].width, first[0].height) == (640, 360)
    assert clockface.read_instant(first[0].to_ndarray(format="rgb24")) == start
    # Timestamps count from the playlist's start, jumping over the gap as the instants do.
    assert first[0].time == 0.0
    assert clockface.read_instant(after_gap[0].to_ndarray(format="rgb24")) == GAP_END
    assert after_gap[0].time == pytest.approx((GAP_END - start).total_seconds())
    assert len(first) == 4 * 4  # four pictures a second


def test_nothing_recorded_is_a_404_and_a_span_over_two_days_a_400(library):
    service = HlsService(library, clock=Clock())
    gap = {
        "start": (GAP_START + timedelta(minutes=1)).isoformat(),
        "end": (GAP_END - timedelta(minutes=1)).isoformat(),
    }
    long = {"start": "2026-03-07T12:00:00Z", "end": "2026-03-09T12:00:01Z"}
    unrecorded_segment = {
        "from": str(int(GAP_START.timestamp() * 1000)),
        "at": str(int(GAP_START.timestamp() * 1000)),
        "until": str(int(GAP_START.timestamp() * 1000) + 4000),
    }
    in_gap, too_long, segment = ask(
        service,
        lambda: service.recorded("cam01", "playlist.m3u8", gap),
        lambda: service.recorded("cam01", "playlist.m3u8", long),
        lambda: service.recorded("cam01", "recorded.ts", unrecorded_segment),
    )
    assert (in_gap.status, too_long.status, segment.status) == (404, 400, 404)
    assert b"INVALID_INPUT" in too_long.body


# -- real clients over HTTP ----------------------------------------------------------------


def ffprobe(url: str) -> str:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "compact", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ffprobe_reads_a_live_and_a_recorded_playlist(library):
    now = datetime.now(UTC)
    recorded_start = now.replace(hour=11, minute=0, second=0, microsecond=0) - timedelta(days=1)
    query = urlencode(
        {
            "start": recorded_start.isoformat(),
            "end": (recorded_start + timedelta(seconds=30)).isoformat(),
        }
    )
    with hls_server(library) as served:
        live = ffprobe(served.live("cam04", "sub"))
        recorded = ffprobe(served.recorded("cam04", query))
    for streams in (live, recorded):
        assert "codec_name=h264" in streams
        assert "width=640|height=360" in streams
