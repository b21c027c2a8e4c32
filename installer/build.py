"""Build Vigil for operators: the one-folder bundle and, on Linux, the .deb.

    uv run python installer/build.py              # dist/vigil/ and dist/vigil_<version>_<arch>.deb
    uv run python installer/build.py --no-package # dist/vigil/ only (what the Windows
                                                  # workflow does before Inno Setup)

The version is the package's own (pyproject.toml, read back from the installed
metadata), the icons are rendered from resources/icons/vigil.svg by Qt's SVG renderer, so
nothing generated is kept in git. Why .deb and not AppImage: installer/README.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from distro_libs import take_from_distribution  # installer/, beside this script
from stubs import replace_unused_libraries

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
SVG = ROOT / "resources" / "icons" / "vigil.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
UNOFFICIAL_MAINTAINER = "Unofficial Vigil build <nobody@localhost>"
DEB_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where results go")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="scratch space")
    parser.add_argument("--no-package", action="store_true", help="build the folder only")
    args = parser.parse_args(argv)
    version = importlib.metadata.version("vigil")
    icons = render_icons(args.work / "icons", version)
    bundle = build_bundle(args.dist, args.work, icons)
    if sys.platform.startswith("linux"):
        strip(bundle)
        for line in replace_unused_libraries(bundle):
            print(line)
    print(f"bundle: {bundle} ({megabytes(bundle)} MB)")
    if not args.no_package and sys.platform.startswith("linux"):
        deb = build_deb(bundle, icons, version, args.dist, args.work)
        print(f"package: {deb} ({deb.stat().st_size / 1e6:.0f} MB)")
    return 0


def render_icons(folder: Path, version: str) -> Path:
    """PNGs at the sizes desktops ask for, a Windows .ico holding them all and the
    Windows version resource, in ``folder``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image  # noqa: PLC0415 (only the build needs them)
    from PySide6.QtCore import Qt  # noqa: PLC0415
    from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: PLC0415
    from PySide6.QtSvg import QSvgRenderer  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    app = QGuiApplication.instance() or QGuiApplication(["build"])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not an SVG Qt can draw")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        image.save(str(folder / f"vigil-{size}.png"))
    del app
    largest = Image.open(folder / f"vigil-{ICON_SIZES[-1]}.png")
    largest.save(folder / "vigil.ico", sizes=[(size, size) for size in ICON_SIZES])
    (folder / "version_info.txt").write_text(windows_version_info(version), encoding="utf-8")
    return folder


def windows_version_info(version: str) -> str:
    """The version resource Explorer shows in the file's properties (PyInstaller's format)."""
    numbers = [int(part) for part in re.findall(r"\d+", version)[:4]]
    numbers += [0] * (4 - len(numbers))
    fields = {
        "CompanyName": "Vigil",
        "FileDescription": "Vigil video surveillance console",
        "FileVersion": version,
        "InternalName": "vigil",
        "LegalCopyright": "GPL-3.0-or-later",
        "OriginalFilename": "vigil.exe",
        "ProductName": "Vigil",
        "ProductVersion": version,
    }
    strings = ",\n".join(f"          StringStruct('{k}', '{v}')" for k, v in fields.items())
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={tuple(numbers)}, prodvers={tuple(numbers)}),
  kids=[
    StringFileInfo([StringTable('040904B0', [
{strings}
    ])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def build_bundle(dist: Path, work: Path, icons: Path) -> Path:
    env = {**os.environ, "VIGIL_BUILD_ICON_DIR": str(icons)}
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work / "pyinstaller"),
        str(INSTALLER / "vigil.spec"),
    ]
    subprocess.run(command, check=True, env=env, cwd=ROOT)  # noqa: S603
    return dist / "vigil"


def strip(bundle: Path) -> None:
    """Drop symbol tables, which an operator has no use for (libpython alone loses 17 MB).

    Not PyInstaller's ``strip`` option, and not the libraries wheels vendor (``*.libs``
    folders): auditwheel rewrote their headers with patchelf, and ``strip`` turns those
    into files the loader refuses ("ELF load command address/offset not page-aligned",
    docs/pitfalls.md)."""
    tool = shutil.which("strip")
    if tool is None:
        return
    for path in bundle.rglob("*"):
        vendored = any(part.endswith(".libs") for part in path.relative_to(bundle).parts)
        if path.is_file() and not path.is_symlink() and not vendored and is_elf(path):
            subprocess.run([tool, "--strip-unneeded", str(path)], check=True)  # noqa: S603


def build_deb(bundle: Path, icons: Path, version: str, dist: Path, work: Path) -> Path:
    """/opt/vigil (the bundle, less the system libraries the distribution provides),
    /usr/bin/vigil, a desktop entry and hicolor icons."""
    root = work / "deb"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle, root / "opt" / "vigil", symlinks=True)
    from_distribution = take_from_distribution(root / "opt" / "vigil" / "_internal")
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "vigil").symlink_to("/opt/vigil/vigil")
    share = root / "usr" / "share"
    install(INSTALLER / "linux" / "vigil.desktop", share / "applications" / "vigil.desktop")
    install(SVG, share / "icons" / "hicolor" / "scalable" / "apps" / "vigil.svg")
    for size in (16, 24, 32, 48, 64, 128, 256):
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "vigil.png"
        install(icons / f"vigil-{size}.png", target)
    install(INSTALLER / "linux" / "copyright", share / "doc" / "vigil" / "copyright")
    control = (INSTALLER / "linux" / "control").read_text(encoding="utf-8")
    control = control.format(
        version=version,
        architecture=DEB_ARCHITECTURES.get(platform.machine(), platform.machine()),
        installed_size=kibibytes(root),
        maintainer=maintainer(),
    )
    glibc = newest_glibc(root / "opt" / "vigil")
    if glibc:
        control = control.replace("libc6 (>= 2.31)", f"libc6 (>= {glibc})")
    extra = [f"{name} (>= {version})" for name, version in sorted(from_distribution.items())]
    if extra := [entry for entry in extra if not entry.startswith("libc6 ")]:
        control = re.sub(r"^(Depends: .*)$", rf"\1, {', '.join(extra)}", control, flags=re.M)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    normalise_modes(root)
    deb = dist / f"vigil_{version}_{DEB_ARCHITECTURES.get(platform.machine(), 'all')}.deb"
    deb.unlink(missing_ok=True)
    # gzip: every dpkg reads it, and it packs 280 MB in seconds where xz takes minutes.
    subprocess.run(  # noqa: S603
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return deb


def maintainer() -> str:
    """Who answers for this package: ``VIGIL_MAINTAINER`` ("Name <email>"), else Debian's
    own ``DEBFULLNAME`` and ``DEBEMAIL``, else the git identity the checkout commits
    with; a build with none of them says in the package that it is unofficial."""
    if explicit := os.environ.get("VIGIL_MAINTAINER"):
        return explicit
    name, email = os.environ.get("DEBFULLNAME"), os.environ.get("DEBEMAIL")
    if not (name and email) and shutil.which("git"):
        name, email = (
            subprocess.run(  # noqa: S603
                ["git", "config", f"user.{key}"],  # noqa: S607
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            for key in ("name", "email")
        )
    if name and email:
        return f"{name} <{email}>"
    print(f"warning: no maintainer set (VIGIL_MAINTAINER): {UNOFFICIAL_MAINTAINER}")
    return UNOFFICIAL_MAINTAINER


def install(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def newest_glibc(folder: Path) -> str | None:
    """The newest glibc symbol version any bundled binary needs: the package's real
    minimum (the build machine's system libraries come along, with their requirements)."""
    if not shutil.which("objdump"):
        return None
    found: set[tuple[int, ...]] = set()
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            dump = subprocess.run(  # noqa: S603
                ["objdump", "-T", str(path)],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            for match in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", dump):
                found.add(tuple(int(part) for part in match.split(".")))
    return ".".join(map(str, max(found))) if found else None


def is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def normalise_modes(root: Path) -> None:
    """Files 0644, folders and programs 0755, whatever the checkout's umask was."""
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & 0o111
        path.chmod(0o755 if executable else 0o644)


def kibibytes(folder: Path) -> int:
    total = sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024


def megabytes(folder: Path) -> int:
    return round(sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_dir()) / 1e6)


if __name__ == "__main__":
    raise SystemExit(main())
