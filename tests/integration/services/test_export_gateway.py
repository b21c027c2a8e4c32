"""Evidence export from the REST gateway's simulator: the clip comes from the gateway's
own export job (ordered, polled, its file fetched), cut to the span to the second the
gateway cannot order; a gap inside the span stays a gap in time; the progress moves
while the gateway builds the file; a cancel while the job is still being polled leaves
the folder as it was."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.backends.gateway.rest import CAM03, connected, requests, serving, simulator
from tests.integration.media.clock_clips import clock_instants, duration
from viewer.core.models import Camera, CameraRef, TimeSpan
from viewer.demo.recordings import recorded_spans
from viewer.services.export import (
    CHECKSUMS,
    MANIFEST,
    SERVER_JOB_SHARE,
    ExportCancelled,
    ExportJob,
)

SECOND = timedelta(seconds=1)
KEY_INTERVAL = 2.0
"""The simulator's export files have a picture a second and a key frame every two."""
CAMERA = Camera(CameraRef("gw", CAM03), "Yard")


def _last_spans() -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The last two recorded spans of the demo's rule, the gap between them."""
    now = datetime.now(UTC).replace(microsecond=0)
    *_, before, after = recorded_spans(now - timedelta(hours=8), now)
    return before, after


def _sums_verify(folder) -> None:
    checked = subprocess.run(
        ["sha256sum", "-c", CHECKSUMS], cwd=folder, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_two_minutes_come_from_the_gateways_export_job_cut_to_the_span(tmp_path):
    (start, _), _ = _last_spans()
    # A start between seconds: the gateway orders whole seconds, the clip is cut here.
    begin = start + timedelta(minutes=30, milliseconds=400)
    span = TimeSpan(begin, begin + timedelta(minutes=2))

    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            result = await ExportJob(b, [CAMERA], span, tmp_path).run()
            return result, requests(server, "/recordings/")

    result, asked = asyncio.run(scenario())
    assert [line for line in asked if line.startswith("POST /api/rest/v1/recordings/export ")]
    assert [line for line in asked if "/download" in line]
    assert not [line for line in asked if f"{CAM03}/playback" in line]
    (clip,) = result.clips
    path = tmp_path / clip.file
    assert abs(duration(path) - 120) <= KEY_INTERVAL
    shown = clock_instants(path)
    assert span.start - timedelta(seconds=KEY_INTERVAL) <= shown[0] <= span.start
    assert span.end - SECOND <= shown[-1] < span.end
    assert shown == [shown[0] + i * SECOND for i in range(len(shown))]
    _sums_verify(tmp_path)

    (entry,) = json.loads((tmp_path / MANIFEST).read_text())["clips"]
    assert entry["method"] == "server-export"
    assert "export job" in entry["how"]
    # The manifest's instants are those the pictures show.
    assert datetime.fromisoformat(entry["first_picture_utc"]) == shown[0]
    assert datetime.fromisoformat(entry["last_picture_utc"]) == shown[-1]
    assert entry["starts_before_span_seconds"] == pytest.approx(
        (span.start - shown[0]).total_seconds(), abs=0.001
    )
    assert entry["completeness"]["complete"] is True
    assert entry["completeness"]["picture_interval_seconds"] == 1.0


def test_the_progress_moves_while_the_gateway_builds_the_file(tmp_path):
    (start, _), _ = _last_spans()
    span = TimeSpan(start + timedelta(minutes=30), start + timedelta(minutes=31))
    heard: list[tuple[float, str]] = []

    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            job = ExportJob(b, [CAMERA], span, tmp_path, listener=lambda f, w: heard.append((f, w)))
            await job.run()

    asyncio.run(scenario())
    waiting = [f for f, words in heard if "waiting for the site's export" in words]
    # The job's own percentages, within its share, before the download begins.
    assert len({f for f in waiting if 0 < f < SERVER_JOB_SHARE}) >= 3
    assert max(waiting) == SERVER_JOB_SHARE
    assert [f for f, _ in heard] == sorted(f for f, _ in heard)
    assert heard[-1][0] == 1.0


def test_a_gap_inside_the_span_keeps_each_picture_at_its_recorded_instant(tmp_path):
    """The gateway's file lays the recorded parts end to end; the clip does not."""
    (_, gap_start), (gap_end, _) = _last_spans()
    span = TimeSpan(gap_start - timedelta(seconds=60), gap_end + timedelta(seconds=60))

    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            return await ExportJob(b, [CAMERA], span, tmp_path).run()

    (clip,) = asyncio.run(scenario()).clips
    # The gap is the recorder's, as its timeline says: no picture is missing.
    assert clip.completeness.complete and clip.completeness.timeline_known
    shown = clock_instants(tmp_path / clip.file)
    before = [s for s in shown if s < gap_start]
    after = [s for s in shown if s >= gap_end]
    assert before + after == shown
    assert before == [span.start + i * SECOND for i in range(60)]
    assert after == [gap_end + i * SECOND for i in range(60)]
    # The gap is time in the clip, as it was on the recorder.
    assert abs(duration(tmp_path / clip.file) - span.duration.total_seconds()) <= KEY_INTERVAL
    assert clip.clip.last == shown[-1]
    _sums_verify(tmp_path)


def test_a_cancel_while_the_export_job_is_polled_leaves_nothing_behind(tmp_path):
    (start, _), _ = _last_spans()
    span = TimeSpan(start + timedelta(minutes=30), start + timedelta(minutes=32))
    (tmp_path / "notes.txt").write_text("the investigator's own file")

    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            job = ExportJob(b, [CAMERA], span, tmp_path)
            running = asyncio.ensure_future(job.run())
            async with asyncio.timeout(30):
                while not requests(server, "GET /api/rest/v1/recordings/export/exp-"):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            job.cancel()
            with pytest.raises(ExportCancelled):
                await running
            return requests(server, "/recordings/export/")

    asked = asyncio.run(scenario())
    assert not [line for line in asked if "/download" in line]
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
