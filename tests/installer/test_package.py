"""The Linux package, built from this checkout the way a maintainer builds it, extracted
into an empty folder and run with no Python anywhere on the path: what an operator's
machine gets. Builds take minutes, so this runs only with ``--package`` (.ci/run)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from viewer import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.package


@pytest.fixture(scope="module")
def package() -> Path:
    subprocess.run([sys.executable, "installer/build.py"], cwd=ROOT, check=True, timeout=1800)
    return ROOT / "dist" / f"vigil_{__version__}_amd64.deb"


@pytest.fixture(scope="module")
def installed(package, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("installed")
    subprocess.run(["dpkg-deb", "--extract", str(package), str(root)], check=True)
    return root


def bare(tmp_path: Path) -> dict[str, str]:
    """An environment with nothing on the path (no Python, no tools) and a fresh home."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return {
        "PATH": str(empty),
        "HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def test_the_package_says_what_it_is_and_where_it_goes(package, installed):
    fields = subprocess.run(
        ["dpkg-deb", "--field", str(package)], capture_output=True, text=True, check=True
    ).stdout
    control = dict(re.findall(r"^([\w-]+): (.*)$", fields, re.MULTILINE))
    assert control["Package"] == "vigil"
    assert control["Version"] == __version__
    assert re.fullmatch(r"libc6 \(>= 2\.\d+\), libgl1, .*", control["Depends"])
    # System libraries come from the distribution where the package's name is the same on
    # every release the .deb installs on (installer/distro_libs.py); OpenSSL's is not.
    depends = {entry.split(" ", 1)[0] for entry in control["Depends"].split(", ")}
    assert {"libstdc++6", "libx11-6", "libsystemd0", "zlib1g"} <= depends
    assert not depends & {"libssl3", "libglib2.0-0", "libpng16-16"}
    assert (installed / "opt/vigil/vigil").stat().st_mode & 0o111
    assert (installed / "usr/bin/vigil").readlink() == Path("/opt/vigil/vigil")
    desktop = (installed / "usr/share/applications/vigil.desktop").read_text()
    assert "\nExec=vigil\n" in desktop
    assert "\nIcon=vigil\n" in desktop
    assert (installed / "usr/share/icons/hicolor/256x256/apps/vigil.png").read_bytes()[:4] == (
        b"\x89PNG"
    )
    # The trimming kept out what the spec leaves out.
    bundle = installed / "opt/vigil/_internal"
    assert not list(bundle.rglob("*/translations/*.qm"))
    assert not list(bundle.rglob("libqgtk3.so"))
    assert not list(bundle.rglob("libgtk-3.so*"))
    # The encoders Vigil never uses are stand-ins of a few KB (installer/stubs.py): the
    # self-check below decodes every simulator with them in place.
    for prefix in ("libx265", "libSvtAv1Enc"):
        (library,) = [p for p in bundle.rglob(f"{prefix}-*.so*") if not p.is_symlink()]
        assert library.stat().st_size < 100_000, library
    assert not (bundle / "libstdc++.so.6").exists()
    assert not (bundle / "libX11.so.6").exists()
    assert (bundle / "libssl.so.3").is_file()
    # The GPU renderer's Qt modules stay in.
    assert list(bundle.rglob("PySide6/QtOpenGLWidgets.abi3.so"))
    assert list(bundle.rglob("libQt6OpenGLWidgets.so.6"))


def test_the_installed_binary_runs_without_python(installed, tmp_path):
    result = subprocess.run(
        [str(installed / "opt/vigil/vigil"), "--version"],
        env=bare(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    versions = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert versions["Vigil"] == __version__
    for name in ("Qt", "FFmpeg", "PyAV", "aiortc", "Python"):
        assert re.fullmatch(r"\d+(\.\d+)+", versions[name]), name


def test_the_installed_binary_plays_every_kind_of_demo_site_headless(installed, tmp_path):
    # A fresh home: the package encodes the footage the check needs itself (x264 through
    # its own FFmpeg, text through Pillow's own font), then plays it.
    result = subprocess.run(
        [str(installed / "opt/vigil/vigil"), "--demo", "--self-check", "--seconds", "240"],
        env=bare(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = re.findall(r"^self-check (.+?): ok, (\d+) frames of", result.stdout, re.MULTILINE)
    assert {site for site, _ in verdicts} == {
        "RTSP",
        "RTSPS",
        "XProtect WebRTC",
        "MiBee HLS",
        "Gateway RTSP",
    }
    assert all(int(frames) >= 25 for _, frames in verdicts)
    logs = tmp_path / "home"
    assert list(logs.rglob("vigil.log")), "the log file goes to the operator's home"
