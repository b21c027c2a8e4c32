"""The .deb takes the system libraries whose packages keep their names across the
releases it installs on from the distribution (installer/distro_libs.py), and carries
every other library itself. Asked of this machine's dpkg, so only on a Debian-family
build machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not shutil.which("dpkg") or not Path("/usr/lib/x86_64-linux-gnu/libssl.so.3").exists(),
    reason="needs a Debian-family x86-64 machine with zlib and OpenSSL 3 installed",
)


@pytest.fixture
def distro_libs(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "installer"))  # where build.py finds it
    import distro_libs

    return distro_libs


def installed_version(package: str) -> str:
    return subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=True
    ).stdout


def test_a_library_of_a_stable_package_goes_and_becomes_a_dependency(distro_libs, tmp_path):
    internal = tmp_path / "_internal"
    internal.mkdir()
    # What PyInstaller leaves at the top of the bundle: host libraries as files, a
    # wheel's library as a link into its package, Python itself.
    for name in ("libz.so.1", "libssl.so.3", "libstdc++.so.6"):
        shutil.copyfile(Path("/usr/lib/x86_64-linux-gnu") / name, internal / name)
    (internal / "av.libs").mkdir()
    (internal / "av.libs" / "libx264-d6533a8d.so.165").write_bytes(b"\x7fELF")
    (internal / "libx264-d6533a8d.so.165").symlink_to("av.libs/libx264-d6533a8d.so.165")
    shutil.copyfile(Path(sys.executable).resolve(), internal / "libpython3.11.so.1.0")

    taken = distro_libs.take_from_distribution(internal)

    assert taken == {
        "zlib1g": distro_libs.upstream_version(installed_version("zlib1g")),
        "libstdc++6": distro_libs.upstream_version(installed_version("libstdc++6")),
    }
    assert sorted(path.name for path in internal.iterdir()) == [
        "av.libs",
        "libpython3.11.so.1.0",
        # Renamed libssl3t64 on Debian 13 and Ubuntu 24.04: a Depends on libssl3 would
        # not install there, so the package carries its own.
        "libssl.so.3",
        "libx264-d6533a8d.so.165",
    ]


@pytest.mark.parametrize(
    ("debian", "upstream"),
    [
        ("2:1.8.4-2+deb12u2", "2:1.8.4"),
        ("1:1.2.13.dfsg-1", "1:1.2.13.dfsg"),
        ("1.5.4+dfsg2-5", "1.5.4+dfsg2"),
        ("1.0.9-2+b6", "1.0.9"),
        ("252.38-1~deb12u1", "252.38"),
        ("1.15", "1.15"),
    ],
)
def test_dependencies_ask_for_the_upstream_release_not_debians_packaging_of_it(
    distro_libs, debian, upstream
):
    assert distro_libs.upstream_version(debian) == upstream
