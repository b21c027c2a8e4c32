"""`vigil --demo --self-check` from the checkout: the check an installation runs on itself.

It must pass where every kind of demo site plays, fail naming the site where one cannot,
and leave the operator's settings as they were.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from viewer.demo.footage import FootageLibrary

SITES = ("RTSP", "RTSPS", "XProtect WebRTC", "MiBee HLS", "Gateway RTSP")
CAMERAS = {
    "RTSP": "cam01",
    "RTSPS": "cam02",
    "XProtect WebRTC": "cam01",
    "MiBee HLS": "cam07",
    "Gateway RTSP": "cam03",
}


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
    for site, verdict in found.items():
        match = re.fullmatch(
            r"ok, (\d+) frames of (cam\d+) \((\d+)x(\d+)\), first after [\d.]+ s", verdict
        )
        assert match, (site, verdict)
        assert int(match[1]) >= 25
        assert match[2] == CAMERAS[site]
        # Sub-streams where the site has them; the NVR lists one stream per camera.
        assert (match[3], match[4]) == (("1920", "1080") if site == "MiBee HLS" else ("640", "360"))
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


def demo_cache() -> Path:
    """Where `vigil --demo` keeps the encoded footage on this machine."""
    configured = os.environ.get("VIGIL_CACHE_DIR")
    return (Path(configured) if configured else platformdirs.user_cache_path("vigil")) / "demo"


@pytest.mark.slow
def test_one_site_that_cannot_play_fails_the_check_naming_it_while_the_others_pass(tmp_path):
    # The demo footage as this machine has it, except the stream the MiBee NVR's tile
    # plays, which is damaged on disk: the NVR fails every request for it.
    cache = tmp_path / "cache"
    footage = cache / "demo"
    footage.mkdir(parents=True)
    for path in demo_cache().glob("footage-*.mp4"):
        (footage / path.name).symlink_to(path)
    damaged = FootageLibrary(footage).path("cam07", "main")
    damaged.unlink(missing_ok=True)
    damaged.write_bytes(b"\x00\x00\x00\x08free" * 100)

    result = self_check("--seconds", "40", env={"VIGIL_CACHE_DIR": str(cache)})

    assert result.returncode == 1, result.stdout + result.stderr
    found = verdicts(result.stdout)
    assert set(found) == set(SITES)
    assert found.pop("MiBee HLS").startswith("FAILED, no picture; tile: "), result.stdout
    for site, verdict in found.items():
        assert verdict.startswith("ok, "), (site, verdict)
        assert f" frames of {CAMERAS[site]} " in verdict
