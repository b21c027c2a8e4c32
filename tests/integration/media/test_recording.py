"""Evidence clips cut from recording files: the right span, the recorded instants kept,
exact when re-encoded with a stamp, nothing when cancelled or when nothing was recorded;
the clip knows each picture's instant, so pictures the recorder lost show as a hole."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import av
import pytest

from tests.integration.media.clock_clips import clock_instants, duration, probe, write_clock_mp4
from viewer.core.errors import NotFoundError
from viewer.core.models import TimeSpan
from viewer.media.completeness import completeness
from viewer.media.recording import Piece, RecordingCancelled, Stamp, cut_files

T0 = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
KEY_INTERVAL = 2.0


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Two files as a recorder leaves them: 13:00:00-13:01:00 and 13:01:00-13:03:00."""
    folder = tmp_path_factory.mktemp("recordings")
    first = write_clock_mp4(folder / "a.mp4", "Gate", T0, 60, keyframe_every=KEY_INTERVAL)
    later = T0 + timedelta(seconds=60)
    second = write_clock_mp4(folder / "b.mp4", "Gate", later, 120, keyframe_every=KEY_INTERVAL)
    return [Piece(first, T0), Piece(second, later)]


def _span(start: float, end: float) -> TimeSpan:
    return TimeSpan(T0 + timedelta(seconds=start), T0 + timedelta(seconds=end))


def test_two_minutes_across_two_files_are_remuxed_from_the_key_frame_before(recordings, tmp_path):
    span = _span(31.1, 151.1)
    clip = cut_files(recordings, span, tmp_path / "clip.mp4")
    assert not clip.reencoded
    assert abs(duration(clip.path) - 120) <= KEY_INTERVAL
    shown = clock_instants(clip.path)
    assert None not in shown
    assert span.start - timedelta(seconds=KEY_INTERVAL) <= shown[0] <= span.start
    assert shown[0] == clip.first
    assert clip.lead == pytest.approx((span.start - shown[0]).total_seconds(), abs=0.01)
    assert span.end - timedelta(seconds=0.5) <= shown[-1] < span.end
    # Every picture once, in order, across the files' seam.
    assert shown == sorted(set(shown))
    assert len(shown) == round((shown[-1] - shown[0]).total_seconds() * 4) + 1
    video = probe(clip.path)["streams"][0]
    assert video["codec_name"] == "h264"
    assert (video["width"], video["height"]) == (320, 180)


def test_a_stamp_re_encodes_and_cuts_exactly(recordings, tmp_path):
    span = _span(31.1, 41.1)
    clip = cut_files(recordings, span, tmp_path / "stamped.mp4", stamp=Stamp("Gate"))
    assert clip.reencoded
    assert clip.lead == 0
    shown = clock_instants(clip.path)
    assert span.start <= shown[0] < span.start + timedelta(seconds=0.25)
    assert span.end - timedelta(seconds=0.25) <= shown[-1] < span.end
    with av.open(str(clip.path)) as container:
        picture = next(container.decode(video=0)).to_ndarray(format="rgb24")
    band = picture[: 180 // 24, :60]
    assert (band < 40).mean() > 0.5  # the stamp's dark band
    assert (picture[: 180 // 12, :200] > 200).any()  # with white writing on it


def test_cancel_stops_the_cut(recordings, tmp_path):
    stop = threading.Event()

    def progress(done: float) -> None:
        if done > 0.3:
            stop.set()

    with pytest.raises(RecordingCancelled):
        cut_files(recordings, _span(0, 150), tmp_path / "clip.mp4", progress=progress, stop=stop)


def test_a_span_without_recording_is_not_found(recordings, tmp_path):
    with pytest.raises(NotFoundError, match="no recording"):
        cut_files(recordings, _span(400, 500), tmp_path / "clip.mp4")


@pytest.mark.parametrize("stamp", [None, Stamp("Gate")], ids=["copied", "re-encoded"])
def test_pictures_lost_between_two_files_are_a_hole_of_the_clip(tmp_path, stamp):
    """The recorder says 13:00:00-13:00:20 is recorded, but its files skip 10 s-12 s."""
    first = write_clock_mp4(tmp_path / "a.mp4", "Gate", T0, 10, keyframe_every=KEY_INTERVAL)
    resumed = T0 + timedelta(seconds=12)
    second = write_clock_mp4(tmp_path / "b.mp4", "Gate", resumed, 8, keyframe_every=KEY_INTERVAL)
    span = _span(0, 20)
    clip = cut_files(
        [Piece(first, T0), Piece(second, resumed)], span, tmp_path / "clip.mp4", stamp=stamp
    )
    assert len(clip.instants) == clip.frames == len(clock_instants(clip.path)) == 72
    whole = completeness(clip.instants, span, [span])
    (hole,) = whole.holes
    # 10.00 s to 11.75 s at four pictures a second.
    assert hole.missing == whole.missing == 8
    assert (hole.start, hole.end) == (T0 + timedelta(seconds=9.75), resumed)
