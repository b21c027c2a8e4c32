"""System libraries the .deb takes from the distribution instead of carrying them.

PyInstaller copies every library the bundle links against from the build machine,
glibc's libmvec, libstdc++, X11, D-Bus, systemd's and the compression libraries among
them (12 MB). A .deb can name their packages in Depends instead: dpkg then guarantees
them, at least as new as the build machine's, and the distribution's security updates
reach them. Only packages whose names are the same on every release the package installs
on are taken (Debian 12 and 13, Ubuntu 24.04; the .deb needs the build machine's glibc
anyway): the 64-bit time_t transition renamed libssl3, libglib2.0-0 and libpng16-16 on
Debian 13 and Ubuntu 24.04 (``libssl3t64``...), so a dependency on the old name would
not install there, and those libraries stay in the bundle.

Which package provides a library is the build machine's dpkg's answer (``dpkg -S``); a
library no package of the list provides, or a build machine without dpkg, keeps it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

STABLE_PACKAGES = frozenset(
    {
        "libc6",
        "libstdc++6",
        "libgcc-s1",
        "zlib1g",
        "liblzma5",
        "libzstd1",
        "liblz4-1",
        "libbz2-1.0",
        "libbrotli1",
        "libsystemd0",
        "libgcrypt20",
        "libgpg-error0",
        "libcap2",
        "libpcre2-8-0",
        "libmd0",
        "libbsd0",
        "libuuid1",
        "libffi8",
        "libexpat1",
        "libdbus-1-3",
        "libfreetype6",
        "libfontconfig1",
        "libx11-6",
        "libx11-xcb1",
        "libxau6",
        "libxdmcp6",
        "libxkbcommon0",
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
        "libxcb-glx0",
        "libxcb-icccm4",
        "libxcb-image0",
        "libxcb-keysyms1",
        "libxcb-randr0",
        "libxcb-render0",
        "libxcb-render-util0",
        "libxcb-shape0",
        "libxcb-shm0",
        "libxcb-sync1",
        "libxcb-util1",
        "libxcb-xfixes0",
        "libxcb-xkb1",
    }
)
LIBRARY_FOLDERS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")


def take_from_distribution(internal: Path) -> dict[str, str]:
    """Remove from ``internal`` (the bundle's ``_internal`` folder) the host libraries a
    package of STABLE_PACKAGES provides; {package: minimum version} for Depends."""
    if not shutil.which("dpkg") or not shutil.which("dpkg-query"):
        return {}
    taken: dict[str, str] = {}
    for library in sorted(internal.iterdir()):
        if not _host_library(library):
            continue
        package = _package_of(library.name)
        if package is None or package not in STABLE_PACKAGES:
            continue
        taken[package] = upstream_version(_installed_version(package))
        library.unlink()
    return taken


def upstream_version(version: str) -> str:
    """``2:1.8.4-2+deb12u2`` -> ``2:1.8.4``: a Depends on the upstream version, so that
    another distribution's packaging of the same release (or a later one) satisfies it."""
    return version.rsplit("-", 1)[0] if "-" in version else version


def _host_library(path: Path) -> bool:
    """A library copied from the build machine: a plain file at the top of the bundle
    (the wheels' own libraries are in their packages' folders), not Python itself."""
    name = path.name
    return (
        path.is_file()
        and not path.is_symlink()
        and re.fullmatch(r"lib[\w+.-]+\.so(\.\d+)*", name) is not None
        and not name.startswith("libpython")
    )


def _package_of(name: str) -> str | None:
    """The package that installed a library of that name in a system folder."""
    for folder in LIBRARY_FOLDERS:
        for candidate in Path(folder).glob(f"*/{name}"):
            found = subprocess.run(  # noqa: S603
                ["dpkg", "-S", str(candidate)],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
            )
            if found.returncode == 0:  # "libx11-6:amd64: /usr/lib/..."
                return found.stdout.splitlines()[0].split(":", 1)[0].split(",")[0].strip()
    return None


def _installed_version(package: str) -> str:
    return subprocess.run(  # noqa: S603
        ["dpkg-query", "-W", "-f=${Version}", package],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
