"""The GL renderer draws what the raster path draws, picks itself only where it helps,
and never takes the viewer down: any failure leaves a raster grid and a log line.

Under Xvfb this is Mesa's llvmpipe, a real OpenGL 4.5 implementation on the CPU: the
pictures are the shader's, so the comparison holds for a graphics card too.
"""

from __future__ import annotations

import json

import pytest

MAD_LIMIT = 2.0
"""Mean absolute difference (levels of 255) between the two paths' paint of a tile."""


@pytest.fixture(scope="module", params=[1, 2], ids=["plain screen", "screen scaled twice"])
def comparison(request, x_display, footage_cache, demo_site):
    """The probe's comparison; ``demo_site`` encodes the footage once per machine first,
    rather than under the child's timeout."""
    import os
    import subprocess
    import sys

    from .conftest import REPO

    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.gl.probe", "compare", str(footage_cache)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(
            os.environ,
            DISPLAY=x_display,
            QT_QPA_PLATFORM="xcb",
            QT_SCALE_FACTOR=str(request.param),
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        ),
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answer = json.loads(result.stdout.splitlines()[-1])
    if "no_gl" in answer:
        pytest.skip(f"no OpenGL on this X server: {answer['no_gl']}")
    return answer


CASES = [
    "4x4 sub-streams",
    "1x1 main stream",
    "1x1 sub-stream enlarged",
    "padded rows 630x354",
    "full range",
    "BT.709 tagged",
    "yuv444p converted",
    "NV12 converted in software",
    "1x1 main stream zoomed 4x",
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_the_gl_path_paints_the_demo_cameras_as_the_raster_path_does(comparison, case):
    assert comparison["renderer"].startswith("GL (")
    result = comparison[case]
    for index, tile in enumerate(result["tiles"]):
        assert tile["gl_painted"] == 1, f"tile {index} was not drawn by GL"
        assert tile["mad"] <= MAD_LIMIT, f"tile {index}: {tile['mad']:.2f} levels apart"
        # The letterbox bars are the same colour, and the colour patch is the camera's.
        assert tile["bars"] > 0 and tile["bars_mad"] <= 1.0
        assert all(
            abs(a - b) <= 4 for a, b in zip(tile["patch_gl"], tile["patch_raster"], strict=True)
        )


@pytest.mark.slow
def test_the_cases_carry_what_they_are_named_for(comparison):
    formats = comparison["formats"]
    name, _, _, line_size = formats["padded rows 630x354"]
    assert name == "yuv420p" and line_size > 630
    assert formats["full range"][:2] == ["yuvj420p", 2]
    assert formats["BT.709 tagged"][2] == 1
    assert formats["yuv444p converted"][0] == "yuv444p"
    assert formats["1x1 main stream"][3] == 1920
    # Uploads happen per new picture, not per paint: each case showed each picture once.
    shown = sum(len(comparison[case]["tiles"]) for case in CASES)
    assert comparison["uploads"] == shown


@pytest.mark.slow
def test_textures_are_made_again_only_when_a_tile_s_picture_changes_size_or_layout(comparison):
    # (textures made, pictures uploaded) per round of four new pictures in a 2x2 grid.
    first, same_again, nv12, other_size = comparison["reuse"]
    assert same_again == [0, 4]
    assert nv12 == [4, 4]
    assert other_size == [4, 4]
    assert first[1] == 4
    assert comparison["broken"] == ""


@pytest.mark.slow
def test_auto_keeps_raster_on_a_software_renderer(gl_child):
    answer, _ = gl_child("choose", "auto")
    # Mesa's CPU rasterisers, named here rather than by the rule under test.
    if not any(name in answer["renderer"] for name in ("llvmpipe", "softpipe", "swrast")):
        pytest.skip(f"this X server's GL is not a software one: {answer['reason']}")
    assert answer["gl"] is False
    assert (answer["grid"], answer["active"]) == ("raster", "raster")
    assert answer["reason"] == f"{answer['renderer']} draws in software"


@pytest.mark.slow
def test_gl_forced_draws_with_gl_even_on_a_software_renderer(gl_child):
    answer, log = gl_child("choose", "gl")
    assert answer["gl"] is True
    assert answer["grid"].startswith("GL (") and answer["active"].startswith("GL (")
    assert "video drawn with OpenGL" in log


@pytest.mark.slow
def test_no_opengl_context_means_raster_with_a_log_line(gl_child):
    # Qt's xcb without its GL integration: what a machine without GL drivers offers.
    answer, log = gl_child("choose", "gl", extra_env={"QT_XCB_GL_INTEGRATION": "none"})
    assert answer["gl"] is False and answer["grid"] == "raster"
    assert "no OpenGL context could be made" in answer["reason"]
    assert "video renderer: raster (no OpenGL context could be made)" in log


@pytest.mark.slow
def test_a_failure_inside_initialize_gl_falls_back_to_raster_without_a_crash(gl_child):
    answer, log = gl_child("broken-start")
    assert answer["gl"] is True  # the start-up probe was fine
    assert answer["grid"] == "raster" and answer["active"] == "raster"
    assert "the driver refused the shader" in log
    assert "falling back to raster" in log


@pytest.mark.slow
def test_the_demo_window_plays_its_cameras_through_the_gl_path(gl_child, demo_site):
    description = json.dumps(demo_site.site.describe())
    answer, _ = gl_child("window", "gl", stdin=description)
    assert answer["renderer"].startswith("GL (")
    for tile in answer["tiles"]:
        assert tile["planes"], f"{tile['camera']} was not handed over as planes"
        assert tile["painted"] >= 10
        assert all(
            abs(a - e) <= 40 for a, e in zip(tile["patch"], tile["expected"], strict=True)
        ), tile
