"""Stand-ins for libraries the loader insists on and Vigil never calls (Linux bundles).

PyAV's FFmpeg is built with the x265 and SVT-AV1 encoders, so libavcodec names
``libx265`` (21 MB) and ``libSvtAv1Enc`` (7 MB) as needed libraries: without a file of
that name the loader refuses libavcodec, and with it PyAV, at start-up. Vigil never
encodes HEVC or AV1 (the demo and exports encode H.264 with x264), so the bundle gets a
few KB in their place: a library with the same SONAME defining every symbol the bundle's
own binaries import from it, each function giving the answer that library gives when it
cannot do the job, so FFmpeg reports the encoder as unusable instead of calling into
nothing.

Not so numpy's OpenBLAS (25 MB), though Vigil asks no linear algebra of numpy: numpy's
import checks itself with a float32 dot product (``_sanity_check``), so a stand-in would
have to compute; there is no answer for a BLAS function that is not a result.

The stand-in is generated at build time from the real library (``nm -D``, ``readelf``)
and compiled with the system's C compiler; where there is none, or a binary imports a
versioned symbol from the library (the stand-in would need the same version nodes), the
real library stays and the build says why.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LeftOut:
    """A library replaced by a stand-in: which files, and what its functions answer."""

    prefix: str
    """Start of the file name (auditwheel adds a hash: ``libx265-f5385bb8.so.216``)."""
    answer: int
    """What every function of the stand-in returns: the library's own way of saying no."""
    why: str


LEFT_OUT = (
    # x265_api_get_<build>(depth) is the library's only entry point; NULL is its answer
    # for "no encoder of that bit depth". FFmpeg asks it when it first lists its codecs
    # (the libx265 encoder's init_static_data), so the answer must be that, not a crash.
    LeftOut("libx265", 0, "HEVC encoding (x265): Vigil only decodes HEVC"),
    # Every svt_av1_enc_* call returns an EbErrorType; EB_ErrorUndefined (0x80001001)
    # makes FFmpeg's libsvtav1 encoder fail to open ("Invalid argument").
    LeftOut("libSvtAv1Enc", 0x80001001, "AV1 encoding (SVT-AV1): Vigil only decodes AV1"),
)
FUNCTION_TYPES = {"T", "W", "i"}
OBJECT_TYPES = {"D", "B", "R", "V", "G", "S"}


class NoStub(Exception):
    """Why a library keeps its real file."""


def replace_unused_libraries(bundle: Path) -> list[str]:
    """Swap each library of LEFT_OUT in ``bundle`` for a stand-in; one line per library
    saying what happened, for the build's output."""
    report = []
    for left_out in LEFT_OUT:
        for library in sorted(bundle.rglob(f"{left_out.prefix}[-.]*.so*")):
            if library.is_symlink() or not library.is_file():
                continue
            size = library.stat().st_size
            try:
                replace(library, left_out, bundle)
            except NoStub as reason:
                report.append(f"kept {library.name}: {reason}")
            else:
                saved = (size - library.stat().st_size) / 1e6
                report.append(f"stand-in for {library.name} ({left_out.why}): {saved:.1f} MB less")
    return report


def replace(library: Path, left_out: LeftOut, bundle: Path) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise NoStub("no C compiler (cc) on this machine")
    soname = _soname(library)
    defined = _defined(library)
    wanted = _imported_by_consumers(bundle, soname, set(defined))
    source = stub_source(left_out, {name: defined[name] for name in sorted(wanted)})
    with tempfile.TemporaryDirectory(prefix="vigil-stub-") as folder:
        c_file = Path(folder) / "stub.c"
        built = Path(folder) / library.name
        c_file.write_text(source, encoding="utf-8")
        # Nothing to call, so no dependency on libc at all.
        command = [compiler, "-shared", "-fPIC", "-O2", "-nostdlib", f"-Wl,-soname,{soname}"]
        compiled = subprocess.run(  # noqa: S603
            [*command, "-o", str(built), str(c_file)], capture_output=True, text=True, check=False
        )
        if compiled.returncode != 0:
            raise NoStub(f"the stand-in did not compile: {compiled.stderr.strip()[:300]}")
        if _soname(built) != soname or not wanted <= set(_defined(built)):
            raise NoStub("the compiled stand-in does not define what the bundle imports")
        shutil.copyfile(built, library)
    _run.cache_clear()  # what was read of the real library no longer holds


def stub_source(left_out: LeftOut, symbols: dict[str, tuple[str, int]]) -> str:
    """C for the stand-in: each function returns the answer, each object is zeros of
    the real one's size (nothing reads them: only the library's own functions would)."""
    lines = [f"/* Stand-in for {left_out.prefix}: {left_out.why}. Generated by build.py. */"]
    for name, (kind, size) in symbols.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise NoStub(f"{name!r} cannot be defined in C")
        if kind in FUNCTION_TYPES:
            lines.append(
                f'__attribute__((visibility("default"))) long {name}(void) '
                f"{{ return {left_out.answer:#x}L; }}"
            )
        else:
            lines.append(f'__attribute__((visibility("default"))) char {name}[{max(size, 1)}];')
    return "\n".join(lines) + "\n"


def _soname(library: Path) -> str:
    dynamic = _run("readelf", "-dW", str(library))
    match = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dynamic)
    if match is None:
        raise NoStub("it has no SONAME")
    return match[1]


def _defined(library: Path) -> dict[str, tuple[str, int]]:
    """Its exported symbols: name -> (nm's type letter, size)."""
    found: dict[str, tuple[str, int]] = {}
    for line in _run("nm", "-D", "--defined-only", "-S", str(library)).splitlines():
        parts = line.split()
        if len(parts) == 4:
            _address, size, kind, name = parts
        elif len(parts) == 3:
            _address, kind, name = parts
            size = "0"
        else:
            continue
        if kind in FUNCTION_TYPES | OBJECT_TYPES:
            found[name.split("@", 1)[0]] = (kind, int(size, 16))
    return found


def _imported_by_consumers(bundle: Path, soname: str, defined: set[str]) -> set[str]:
    """What the bundle's binaries that need ``soname`` import from it. A versioned
    import cannot be met by an unversioned stand-in, so it keeps the real library."""
    wanted: set[str] = set()
    consumers = 0
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file() or not _is_elf(path):
            continue
        if f"[{soname}]" not in _run("readelf", "-dW", str(path)):
            continue
        consumers += 1
        for line in _run("nm", "-D", "--undefined-only", str(path)).splitlines():
            name = line.split()[-1]
            bare, _, version = name.partition("@")
            if bare in defined:
                if version:
                    raise NoStub(f"{path.name} imports the versioned symbol {name}")
                wanted.add(bare)
    if not consumers:
        raise NoStub("nothing in the bundle needs it (the spec should leave it out)")
    return wanted


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


@functools.cache
def _run(*command: str) -> str:
    if shutil.which(command[0]) is None:
        raise NoStub(f"no {command[0]} on this machine")
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
