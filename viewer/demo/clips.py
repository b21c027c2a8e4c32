"""Recorded clips as files, for the simulators' downloads and exports.

A recorder hands out what it stored as MP4; the demo stores nothing, so a clip is
encoded when first asked for: clock-face pictures (demo/clockface.py) of each recorded
instant, one a second of recorded time, H.264 at the sub-stream's 640x360 (libx264
ultrafast, a key frame every two pictures and at the start of each span, no B-frames),
``+faststart`` as files meant for download are written. Spans are laid end to end, as
an export leaves out the gaps between them; a long clip gets fewer pictures (each shown
until the next) so that no clip costs more than MAX_PICTURES drawings (about 6 ms each).
The file lasts exactly as long as its spans together, to the millisecond, so a test can
compare the two. Built clips are kept, up to ``limit`` bytes, most recently used first.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import tempfile
from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

import av

from viewer.demo import clockface

if TYPE_CHECKING:
    from av.video.stream import VideoStream

    Packet = av.Packet[VideoStream]

Span = tuple[datetime, datetime]

STEP_MS = 1000
MAX_PICTURES = 1200
CACHE_BYTES = 64 << 20
_MS = Fraction(1, 1000)


def pictures(spans: Sequence[Span]) -> list[tuple[int, datetime, bool]]:
    """Each picture of the clip: its time in the file (ms), the recorded instant it
    shows, and whether it starts a span (a key frame)."""
    lengths = [max(0, (end - start) // timedelta(milliseconds=1)) for start, end in spans]
    step = max(STEP_MS, -(-sum(lengths) // MAX_PICTURES))
    found: list[tuple[int, datetime, bool]] = []
    offset = 0
    for (start, _), length in zip(spans, lengths, strict=True):
        found += [
            (offset + at, start + timedelta(milliseconds=at), at == 0)
            for at in range(0, length, step)
        ]
        offset += length
    return found


def duration_ms(spans: Sequence[Span]) -> int:
    return sum(max(0, (end - start) // timedelta(milliseconds=1)) for start, end in spans)


def mp4(camera_name: str, spans: Sequence[Span]) -> bytes:
    """The clip of ``spans`` (aware datetimes, oldest first) as MP4 bytes; an empty
    ``spans`` is refused with ValueError (a recorder has no empty files)."""
    shown = pictures(spans)
    if not shown:
        raise ValueError("no recorded time to put in a clip")
    total = duration_ms(spans)
    ends = {at: following for (at, _, _), (following, _, _) in itertools.pairwise(shown)}
    ends[shown[-1][0]] = total
    with tempfile.TemporaryDirectory(prefix="vigil-clip-") as folder:
        path = os.path.join(folder, "clip.mp4")
        # faststart rewrites the file in a second pass, which a memory buffer cannot do.
        with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream("libx264", rate=1)
            stream.width, stream.height = clockface.WIDTH, clockface.HEIGHT
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = _MS
            stream.options = {
                "preset": "ultrafast",
                "tune": "stillimage",
                "x264-params": "keyint=2:min-keyint=1:scenecut=0:bframes=0",
            }

            def write(packets: Iterable[Packet]) -> None:
                for packet in packets:
                    if packet.pts is not None:
                        packet.duration = ends[int(packet.pts)] - int(packet.pts)
                    out.mux(packet)

            for at, instant, first in shown:
                picture = clockface.draw(camera_name, instant)
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(
                    format="yuv420p"
                )
                frame.pts, frame.time_base = at, _MS
                if first:
                    frame.pict_type = av.video.frame.PictureType.I
                write(stream.encode(frame))
            write(stream.encode())
        with open(path, "rb") as built:
            return built.read()


class ClipCache:
    """Clips by key, each built once (in a thread: a clip takes seconds of CPU) however
    many ask for it at the same time, the least recently used let go beyond ``limit``."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self._limit = limit
        self._built: collections.OrderedDict[Hashable, bytes] = collections.OrderedDict()
        self._building: dict[Hashable, asyncio.Future[bytes]] = {}

    async def get(self, key: Hashable, camera_name: str, spans: Sequence[Span]) -> bytes:
        if key in self._built:
            self._built.move_to_end(key)
            return self._built[key]
        pending = self._building.get(key)
        if pending is None:
            pending = asyncio.ensure_future(asyncio.to_thread(mp4, camera_name, list(spans)))
            self._building[key] = pending
            pending.add_done_callback(lambda done: self._keep(key, done))
        return await asyncio.shield(pending)

    def _keep(self, key: Hashable, done: asyncio.Future[bytes]) -> None:
        self._building.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._built[key] = done.result()
        while sum(map(len, self._built.values())) > self._limit and len(self._built) > 1:
            self._built.popitem(last=False)
