"""On a scaled screen (HiDPI) tiles count device pixels: they pick bigger streams and
paint them 1:1 across the whole tile, not in a corner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.demo.footage import DEMO_CAMERAS

REPO = Path(__file__).resolve().parents[2]


def probe(demo_site, scale: int) -> list[dict]:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        QT_SCALE_FACTOR=str(scale),
        # The child must not touch the operator's keyring either.
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.scaled_screen"],
        input=json.dumps(demo_site.site.describe()),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.slow
def test_the_same_window_plays_main_streams_on_a_screen_scaled_twice(demo_site):
    plain, scaled = probe(demo_site, 1), probe(demo_site, 2)

    # A 2x2 grid in 1000x700 logical pixels: tiles of about 400x330.
    for tile in plain:
        assert tile["ratio"] == 1.0
        assert tile["device_size"][0] < 640
        assert tile["quality"] == "sub"
    for tile in scaled:
        assert tile["ratio"] == 2.0
        assert tile["device_size"][0] > 640
        assert tile["quality"] == "main"

    for tiles in (plain, scaled):
        for tile, camera in zip(tiles, DEMO_CAMERAS, strict=False):
            # Converted to the tile's device pixels, and drawn over its whole width.
            _, _, width, height = tile["video_rect"]
            ratio = tile["ratio"]
            assert abs(tile["picture"][0] - width * ratio) <= 2
            assert abs(tile["picture"][1] - height * ratio) <= 2
            assert width >= tile["device_size"][0] / ratio - 2
            assert all(abs(a - e) <= 40 for a, e in zip(tile["patch"], camera.colour, strict=True))
