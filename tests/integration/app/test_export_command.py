"""`vigil export --demo`: a clip, its manifest and checksums in the folder and exit 0;
an unknown camera or a span without recording: a clear message, another exit code, and
nothing written."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from viewer.export_command import NO_RECORDING, OK, UNKNOWN


def _export(out, camera: str, start: datetime, end: datetime) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "viewer", "export", "--demo", "--site", "Demo MiBee NVR"]
    command += ["--camera", camera, "--start", start.isoformat(), "--end", end.isoformat()]
    command += ["--out", str(out)]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _recorded_minute() -> datetime:
    """Two hours ago at :05 is recorded by the demo's rule (gaps at :40 every three
    hours, 13:00-14:00 UTC)."""
    moment = (datetime.now(UTC) - timedelta(hours=2)).replace(minute=5, second=0, microsecond=0)
    if moment.hour == 13:
        moment -= timedelta(hours=2)
    return moment


def test_an_export_writes_the_clip_manifest_and_checksums(tmp_path):
    start = _recorded_minute()
    done = _export(tmp_path, "Car park north", start, start + timedelta(seconds=20))
    assert done.returncode == OK, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 3
    assert "manifest.json" in written and "SHA256SUMS" in written
    assert sorted(line.rsplit("/", 1)[-1] for line in done.stdout.split()) == written
    assert "100%" in done.stderr
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, check=False)
    assert checked.returncode == 0


def test_an_unknown_camera_is_named(tmp_path):
    start = _recorded_minute()
    done = _export(tmp_path, "Front door", start, start + timedelta(seconds=20))
    assert done.returncode == UNKNOWN
    assert "no camera called 'Front door'" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_span_without_recording_says_so(tmp_path):
    start = datetime.now(UTC) - timedelta(days=3)
    done = _export(tmp_path, "cam02", start, start + timedelta(minutes=2))
    assert done.returncode == NO_RECORDING
    assert "no recording between" in done.stderr
    assert list(tmp_path.iterdir()) == []
