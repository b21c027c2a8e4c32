"""Evidence export from a MiBee NVR's simulator into a folder: the recorder's own files
downloaded and cut, a clip ffprobe reads with the span's duration holding every recorded
second once across the files' seam, a manifest that tells what it holds, checksums
`sha256sum -c` accepts; a cancelled export leaves the folder as it was."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.backends.mibee.nvr import connected, serving
from tests.integration.media.clock_clips import clock_instants, duration
from viewer.core.models import Camera, CameraRef, TimeSpan
from viewer.demo.hls.service import HlsService
from viewer.demo.mibee.archive import FILE_LENGTH
from viewer.services.export import CHECKSUMS, MANIFEST, ExportCancelled, ExportJob

SECOND = timedelta(seconds=1)
KEY_INTERVAL = 2.0
"""The simulator's recording files have a picture a second and a key frame every two."""


def _inside_a_segment(segments, seconds: float) -> TimeSpan:
    """``seconds`` from three minutes into the first recorded segment that holds them
    with a minute to spare. The simulator's gaps fall at fixed times of day, so the
    first segment of the last six hours can be a few minutes long (the query began
    just before a gap)."""
    for segment in segments:
        start = segment.span.start.replace(microsecond=0) + timedelta(minutes=3)
        end = start + timedelta(seconds=seconds)
        if end + timedelta(minutes=1) <= segment.span.end:
            return TimeSpan(start, end)
    raise AssertionError(f"no recorded segment holds {seconds} s")


async def _recorded_span(backend, seconds: float) -> TimeSpan:
    now = datetime.now(UTC)
    timeline = await backend.timeline("cam02", TimeSpan(now - timedelta(hours=6), now))
    return _inside_a_segment(timeline.segments, seconds)


async def _span_across_two_files(backend, seconds: float) -> TimeSpan:
    """A recorded span that crosses a seam between the recorder's ten-minute files."""
    now = datetime.now(UTC)
    timeline = await backend.timeline("cam02", TimeSpan(now - timedelta(hours=6), now))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for segment in timeline.segments:
        seam = epoch + ((segment.span.start - epoch) // FILE_LENGTH + 1) * FILE_LENGTH
        start = seam - timedelta(seconds=seconds / 2)
        if segment.span.start <= start and start + timedelta(seconds=seconds) <= segment.span.end:
            return TimeSpan(start, start + timedelta(seconds=seconds))
    raise AssertionError("no recorded span across a file seam")


def sent_paths(server) -> list[str]:
    return [path for _, path, _, _ in server.requests]


def _camera() -> Camera:
    return Camera(CameraRef("nvr", "cam02"), "Car park north")


def test_two_minutes_from_an_nvr_are_its_own_files_cut_with_a_manifest_and_checksums(
    demo_site, tmp_path
):
    hls = HlsService(demo_site.site.library)
    heard: list[tuple[float, str]] = []

    async def scenario():
        async with serving(hls=hls) as server, connected(server) as backend:
            span = await _span_across_two_files(backend, 120)
            job = ExportJob(
                backend, [_camera()], span, tmp_path, listener=lambda f, w: heard.append((f, w))
            )
            result = await job.run()
            return span, result, sent_paths(server)

    span, result, paths = asyncio.run(scenario())
    # The recorder's files were downloaded, one on each side of the seam; nothing played.
    assert len([p for p in paths if p.endswith("/download")]) == 2
    assert not [p for p in paths if "playback" in p]
    clip_name = result.clips[0].file
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([clip_name, MANIFEST, CHECKSUMS])
    assert abs(duration(tmp_path / clip_name) - 120) <= KEY_INTERVAL
    shown = clock_instants(tmp_path / clip_name)
    assert span.start - timedelta(seconds=KEY_INTERVAL) <= shown[0] <= span.start
    assert span.end - timedelta(seconds=1) <= shown[-1] < span.end
    # Every recorded second once, in order, across the files' seam.
    assert shown == [shown[0] + i * SECOND for i in range(len(shown))]

    checked = subprocess.run(
        ["sha256sum", "-c", CHECKSUMS], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{clip_name}: OK" in checked.stdout and f"{MANIFEST}: OK" in checked.stdout

    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["site"] == {"id": "nvr", "name": "Warehouse NVR", "kind": "mibee"}
    assert manifest["span"]["start_utc"] == span.start.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    assert datetime.fromisoformat(manifest["span"]["start_local"]) == span.start
    assert manifest["operator"] and manifest["vigil_version"]
    (entry,) = manifest["clips"]
    assert entry["file"] == clip_name
    assert entry["size"] == (tmp_path / clip_name).stat().st_size
    assert entry["camera"] == {"id": "cam02", "name": "Car park north"}
    assert entry["method"] == "download"
    assert "2 recording files" in entry["how"]
    assert entry["reencoded"] is False
    assert datetime.fromisoformat(entry["first_picture_utc"]) == shown[0]
    assert datetime.fromisoformat(entry["last_picture_utc"]) == shown[-1]
    assert entry["pictures"] == len(shown)
    assert heard[-1][0] == 1.0
    assert [f for f, _ in heard] == sorted(f for f, _ in heard)


def test_a_cancelled_export_leaves_nothing_behind(demo_site, tmp_path):
    hls = HlsService(demo_site.site.library)
    (tmp_path / "notes.txt").write_text("the investigator's own file")

    async def scenario():
        async with serving(hls=hls) as server, connected(server) as backend:
            span = await _recorded_span(backend, 120)

            def listener(fraction: float, _words: str) -> None:
                if fraction > 0.25:
                    job.cancel()

            job = ExportJob(backend, [_camera()], span, tmp_path, listener=listener)
            with pytest.raises(ExportCancelled):
                await job.run()

    asyncio.run(scenario())
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
