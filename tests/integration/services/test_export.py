"""Evidence export from a MiBee NVR's simulator into a folder: a clip ffprobe reads with
the span's duration, a manifest that tells what it holds, checksums `sha256sum -c`
accepts; a cancelled export leaves the folder as it was."""

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
from viewer.services.export import CHECKSUMS, MANIFEST, ExportCancelled, ExportJob

SEGMENT = 4.0
"""The simulator's recorded HLS has a key frame per 4 s segment."""


async def _recorded_span(backend, seconds: float) -> TimeSpan:
    now = datetime.now(UTC)
    timeline = await backend.timeline("cam02", TimeSpan(now - timedelta(hours=6), now))
    start = timeline.segments[0].span.start.replace(microsecond=0) + timedelta(minutes=3)
    return TimeSpan(start, start + timedelta(seconds=seconds))


def _camera() -> Camera:
    return Camera(CameraRef("nvr", "cam02"), "Car park north")


def test_two_minutes_from_an_nvr_make_a_clip_a_manifest_and_checksums(demo_site, tmp_path):
    hls = HlsService(demo_site.site.library)
    heard: list[tuple[float, str]] = []

    async def scenario():
        async with serving(hls=hls) as server, connected(server) as backend:
            span = await _recorded_span(backend, 120)
            job = ExportJob(
                backend, [_camera()], span, tmp_path, listener=lambda f, w: heard.append((f, w))
            )
            return span, await job.run()

    span, result = asyncio.run(scenario())
    clip_name = result.clips[0].file
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([clip_name, MANIFEST, CHECKSUMS])
    assert abs(duration(tmp_path / clip_name) - 120) <= SEGMENT
    shown = clock_instants(tmp_path / clip_name)
    assert abs((shown[0] - span.start).total_seconds()) <= SEGMENT
    assert span.end - timedelta(seconds=SEGMENT) <= shown[-1] < span.end

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
    assert entry["method"] in {"download", "playback-recording"}
    assert entry["reencoded"] is False
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
