"""Recording files of clock faces for export tests, and ways to look into a clip.

Each picture shows its recorded instant in the clockface stripe (viewer/demo/
clockface.py), so a test reads from the decoded clip which instants it holds.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av

from viewer.demo import clockface

FFPROBE = "/usr/bin/ffprobe"
MS = Fraction(1, 1000)


def write_clock_mp4(
    path: Path,
    name: str,
    start: datetime,
    seconds: float,
    *,
    fps: int = 4,
    keyframe_every: float = 2.0,
) -> Path:
    """An MP4 like a recorder's file: ``seconds`` of clock faces from ``start``, its
    timestamps counting from zero, a key frame every ``keyframe_every`` seconds."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.codec_context.time_base = MS
        keyint = max(1, round(keyframe_every * fps))
        stream.options = {
            "preset": "ultrafast",
            "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=0",
        }
        step = 1000 // fps
        for ms in range(0, round(seconds * 1000), step):
            picture = clockface.draw(name, start + timedelta(milliseconds=ms))
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame = frame.reformat(width=320, height=180, format="yuv420p")
            frame.pts, frame.time_base = ms, MS
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def probe(path: Path) -> dict[str, object]:
    """What ffprobe says of the file's format and video stream (it must read it)."""
    done = subprocess.run(
        [
            FFPROBE,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])  # type: ignore[index]


def clock_instants(path: Path) -> list[datetime | None]:
    """The recorded instant each decoded picture of the clip shows, in order."""
    found: list[datetime | None] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            found.append(clockface.read_instant(frame.to_ndarray(format="rgb24")))
    return found
