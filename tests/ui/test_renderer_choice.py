"""Which renderer ``auto`` picks from what a GL context says of itself (the context is
made for real in tests/ui/gl; here the rule, for renderers this machine does not have)."""

from __future__ import annotations

import pytest

from viewer.ui.renderer import Probe, choose, is_software

SOFTWARE = [
    "llvmpipe (LLVM 15.0.6, 256 bits)",
    "softpipe",
    "GDI Generic",
    "Microsoft Basic Render Driver",
    "Google SwiftShader",
]
GPUS = [
    "NVIDIA GeForce RTX 3060/PCIe/SSE2",
    "AMD Radeon RX 6600 (radeonsi, navi23)",
    "Mesa Intel(R) UHD Graphics 630 (CFL GT2)",
    "ANGLE (Intel, Intel(R) UHD Graphics)",
]


@pytest.mark.parametrize("name", SOFTWARE)
def test_software_rasterisers_keep_auto_on_raster(name):
    assert is_software(name)
    choice = choose("auto", Probe(renderer=name, version=(4, 5)))
    assert not choice.gl and "software" in choice.reason
    assert choose("gl", Probe(renderer=name, version=(4, 5))).gl


@pytest.mark.parametrize("name", GPUS)
def test_a_graphics_card_with_opengl_3_draws_with_gl(name):
    assert not is_software(name)
    choice = choose("auto", Probe(renderer=name, version=(3, 0), es=True))
    assert choice.gl and choice.describe() == f"GL ({name})"


def test_older_than_3_0_or_no_context_is_raster_even_when_forced():
    old = choose("gl", Probe(renderer=GPUS[0], version=(2, 1)))
    assert not old.gl and "older than 3.0" in old.reason
    none = choose("gl", Probe(problem="no OpenGL context could be made"))
    assert not none.gl and none.reason == "no OpenGL context could be made"


def test_raster_forced_never_asks_for_a_context():
    choice = choose("raster", Probe(problem="must not be looked at"))
    assert not choice.gl and choice.describe() == "raster"


def test_gl_asked_for_on_the_offscreen_platform_is_raster_with_a_log_line(qapp, caplog):
    from viewer.app import choose_video_path, parse_args
    from viewer.media import hwaccel
    from viewer.media.planes import DELIVERY
    from viewer.ui import renderer

    assert parse_args(["--renderer", "gl"]).renderer == "gl"
    try:
        with caplog.at_level("INFO", logger="viewer.ui.renderer"):
            choose_video_path("gl", "auto")
        assert not renderer.active().gl and not DELIVERY.planes
        assert hwaccel.HARDWARE.device is None  # auto: no GPU decoding for raster
        assert "video renderer: raster (the offscreen platform cannot show OpenGL widgets)" in (
            caplog.text
        )
    finally:
        renderer.configure(renderer.Choice(gl=False, reason="test over"))
        hwaccel.configure("off", gl_renderer=False)


def test_an_unknown_renderer_on_the_command_line_is_refused(capsys):
    from viewer.app import parse_args

    with pytest.raises(SystemExit) as stopped:
        parse_args(["--renderer", "vulkan"])
    assert stopped.value.code == 2
    assert "invalid choice: 'vulkan'" in capsys.readouterr().err
