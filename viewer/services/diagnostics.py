"""What an operator's IT asks for first: which Vigil, on which libraries, on which system.

Decoding and network problems usually depend on the FFmpeg inside PyAV's wheel, not on
Vigil's own version, so every library that touches a stream is named. The UI adds Qt's
versions (this layer knows no Qt).
"""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

import av

from viewer import __version__


def versions() -> dict[str, str]:
    """Vigil and the libraries below the UI, by name, in the order people ask for them."""
    return {
        "Vigil": __version__,
        "FFmpeg": av.ffmpeg_version_info,
        "PyAV": av.__version__,
        # From the package's metadata: importing aiortc only to ask costs most of a second.
        "aiortc": metadata.version("aiortc"),
        "Python": platform.python_version(),
        "OS": platform.platform(),
    }


def report(names: dict[str, str], log_file: Path | None = None) -> str:
    """``names`` one per line as ``name version``, then where the log is."""
    lines = [f"{name} {version}" for name, version in names.items()]
    if log_file is not None:
        lines.append(f"Log file {log_file}")
    return "\n".join(lines)
