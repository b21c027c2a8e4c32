"""A real browser plays live video from the simulated XProtect gateway (issue 9).

Chromium (Debian's package; skipped where it is not installed) loads a page of our own
(browser_page.html) that logs in at the IDP, asks a WebRTC session over REST, answers
it, trades candidates and reads the camera's colour marker off a decoded picture. It
runs with the simulator inside a private network namespace (browser_run.py), so
neither end can reach the machine's network; skipped where namespaces are not allowed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.demo.footage import camera_by_id

ROOT = Path(__file__).resolve().parents[4]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
UNSHARE = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
RUN_LIMIT = 90


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run([*UNSHARE, "true"], capture_output=True, check=False)
    return probe.returncode == 0


pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: chromium)"),
    pytest.mark.skipif(
        sys.platform != "linux" or not _namespaces_allowed(),
        reason="network namespaces are not allowed here (unshare -n, iproute2's ip)",
    ),
]


def near(colour: list[int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


def browser_plays(demo_id: str) -> dict[str, object]:
    """What the page reported, with the simulator's side of each session."""
    command = [*UNSHARE, "--", sys.executable, "-m", "tests.integration.demo.milestone.browser_run"]
    finished = subprocess.run(
        [*command, str(CHROMIUM), demo_id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    report: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    print("browser:", {key: report.get(key) for key in ("firstFrameMs", "width", "height")})
    return report


def test_chromium_plays_the_camera_asked_for_reaching_the_loopback_gateway_by_peer_reflexive_ice():
    report = browser_plays("cam03")

    assert "error" not in report, report.get("error")
    assert (report["width"], report["height"]) == (1920, 1080)
    assert near(report["colour"], camera_by_id("cam03").colour), report["colour"]
    # The browser told the gateway only mDNS names; the gateway learnt its real address
    # from its connectivity checks.
    (session,) = report["server"]["sessions"]
    assert session["posted"], "the page posted no candidate"
    assert all(".local " in candidate for candidate in session["posted"]), session["posted"]
    assert session["remote"]["type"] == "prflx", session["remote"]
    assert report["pair"]["remote"] == {"address": "127.0.0.1", "type": "host"}
