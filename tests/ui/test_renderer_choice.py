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
