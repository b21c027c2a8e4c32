"""`vigil --demo --self-check` from the checkout: the check an installation runs on itself.

It must pass where every kind of demo site plays, fail where none can, and leave the
operator's settings as they were.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

SITES = ("RTSP", "RTSPS", "XProtect WebRTC")


def self_check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "viewer", "--demo", "--self-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        check=False,
    )


def verdicts(stdout: str) -> dict[str, str]:
    """The final line of each site (the 'first frame' lines come as they happen)."""
    found = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r"self-check (.+?): (ok|FAILED), (.*)", line)
        if match:
            found[match[1]] = f"{match[2]}, {match[3]}"
    return found


@pytest.mark.slow
def test_every_kind_of_site_plays_the_right_camera_and_the_check_exits_0(tmp_path):
    settings = tmp_path / "config" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"layout": {"grid": 1, "tiles": [], "selected": 0}}')
    before = settings.read_bytes()

    result = self_check("--seconds", "120", env={"VIGIL_CONFIG_DIR": str(settings.parent)})

    assert result.returncode == 0, result.stdout + result.stderr
    found = verdicts(result.stdout)
    assert set(found) == set(SITES)
    cameras = {"RTSP": "cam01", "RTSPS": "cam02", "XProtect WebRTC": "cam01"}
    for site, verdict in found.items():
        match = re.fullmatch(
            r"ok, (\d+) frames of (cam\d+) \(640x360\), first after [\d.]+ s", verdict
        )
        assert match, (site, verdict)
        assert int(match[1]) >= 25
        assert match[2] == cameras[site]
    # The check played in a window of its own: the operator's settings are untouched.
    assert settings.read_bytes() == before


@pytest.mark.slow
def test_a_site_that_cannot_play_fails_the_check_naming_it(tmp_path):
    # The footage cache cannot be made (a file where its folder should be): no server
    # has anything to stream, the XProtect simulator's library included (under HOME).
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    result = self_check(
        "--seconds", "5", env={"VIGIL_CACHE_DIR": str(blocked), "HOME": str(blocked)}
    )

    assert result.returncode == 1
    found = verdicts(result.stdout)
    assert set(found) == set(SITES)
    for site, verdict in found.items():
        assert verdict.startswith("FAILED, no picture; tile: "), (site, verdict)
