"""Recorded HLS: a VOD playlist for a span, its segments drawn and encoded when asked.

A day of video cannot be stored, so nothing is: a segment is the clockface picture of
each recorded instant it covers (demo/clockface.py, 640x360, ``FPS`` pictures a
second, the first one a key frame), encoded with libx264 into MPEG-TS the moment a
client asks for it. Only recorded spans (demo/recordings.py, the same rule the
other simulated recorders use) get segments; a gap between two spans is an
``#EXT-X-DISCONTINUITY`` with the next span's ``#EXT-X-PROGRAM-DATE-TIME``.

MPEG-TS, not the fMP4 the real MiBee server sends for playback (../shared/docs/
backends.md): every segment here is encoded on its own, and fMP4 would need one init
segment whose parameter sets all of them share. PyAV and ffprobe play both the same way.

Timestamps count milliseconds from the playlist's start (the ``from`` every segment URL
carries), so a client maps a picture's time to the recorded instant with one addition,
across gaps too: the timestamps jump over a gap as the instants do.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import av

from viewer.demo import clockface

FPS = 4
SEGMENT_SECONDS = 4
_MS = Fraction(1, 1000)

Spans = Callable[[datetime, datetime], list[tuple[datetime, datetime]]]
"""The recorded spans that meet ``[start, end)``, cut to it, oldest first."""


def milliseconds(instant: datetime) -> int:
    return (instant - clockface.EPOCH) // timedelta(milliseconds=1)


def instant(ms: int) -> datetime:
    return clockface.EPOCH + timedelta(milliseconds=ms)


def playlist(spans: list[tuple[datetime, datetime]], start: datetime, name: str) -> str:
    """The VOD playlist of ``spans``; ``name`` is a segment's URL with ``{origin}``,
    ``{at}`` and ``{until}`` (milliseconds since the Unix epoch) to fill in."""
    origin = milliseconds(start)
    longest = max(
        min(SEGMENT_SECONDS * 1000, milliseconds(end) - milliseconds(begin)) for begin, end in spans
    )
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(longest / 1000)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for index, (begin, end) in enumerate(spans):
        if index:
            lines.append("#EXT-X-DISCONTINUITY")
        stamp = begin.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp}")
        at, stop = milliseconds(begin), milliseconds(end)
        while at < stop:
            until = min(at + SEGMENT_SECONDS * 1000, stop)
            lines += [
                f"#EXTINF:{(until - at) / 1000:.3f},",
                name.format(origin=origin, at=at, until=until),
            ]
            at = until
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def segment(camera_name: str, origin: int, at: int, until: int) -> bytes:
    """MPEG-TS of the pictures recorded in ``[at, until)`` (milliseconds since the
    epoch), stamped in milliseconds from ``origin``."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mpegts") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = clockface.WIDTH, clockface.HEIGHT, "yuv420p"
        stream.codec_context.time_base = _MS
        # One key frame, at the start: a segment is where a client seeks to.
        stream.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "x264-params": "keyint=infinite:scenecut=0:bframes=0",
        }
        step = 1000 // FPS
        for ms in range(at, until, step):
            picture = clockface.draw(camera_name, instant(ms))
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = ms - origin, _MS
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()
