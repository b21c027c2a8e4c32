"""Live HLS from the demo footage: a sliding window over a loop that never ends.

The footage loop is laid on the wall clock: loop ``k`` of a camera plays from Unix
second ``k * loop`` on, so the picture a segment carries for an instant is the one the
camera "took" then, and a client reading the frame-index marker can tell how far
behind the wall clock it plays. Segments are cut at key frames, each at least
``segment_seconds`` long (a camera with a 10 s key-frame interval gets 10 s segments:
HLS cannot cut elsewhere), and numbered from the Unix epoch, so the media sequence
advances with the clock without any state.

Segments are the footage's own coded pictures remuxed into MPEG-TS (stream copy: the
mpegts muxer's automatic bitstream filter turns the MP4's length-prefixed NAL units
into Annex B and puts SPS and PPS before every key frame, so each segment starts
decodable). Timestamps count from an origin an hour before the stream was first
asked for, so they start small and run for a day before the 33-bit clock of MPEG-TS
wraps (FFmpeg copes with the wrap).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av

ORIGIN_BACK = 3600.0
"""Seconds before its creation that a stream's timestamps start counting from."""


@dataclass(frozen=True)
class Segment:
    number: int
    start: float
    """Unix seconds of its first picture."""
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class _Picture:
    data: bytes
    ticks: int
    """From the start of the loop, in the footage's time base."""
    duration: int
    keyframe: bool


class LiveStream:
    """One camera's quality as a live HLS stream; thread-safe."""

    def __init__(self, footage: Path, segment_seconds: float, created: float) -> None:
        self._input = av.open(str(footage))
        self._lock = threading.Lock()
        stream = self._input.streams.video[0]
        self._template = stream
        if stream.time_base is None:
            self._input.close()
            raise ValueError(f"{footage} has no time base")
        self._time_base: Fraction = stream.time_base
        self._pictures = [
            _Picture(bytes(p), int(p.pts), int(p.duration or 0), p.is_keyframe)
            for p in self._input.demux(stream)
            if p.size and p.pts is not None
        ]
        if not self._pictures or not self._pictures[0].keyframe:
            self._input.close()
            raise ValueError(f"{footage} does not start with a key frame")
        last = self._pictures[-1]
        self._loop_ticks = last.ticks + last.duration
        self.loop_seconds = float(self._loop_ticks * self._time_base)
        self._cuts = self._cut_points(segment_seconds)
        self.target_duration = math.ceil(
            max(
                float((b - a) * self._time_base)
                for a, b in zip(self._cuts, [*self._cuts[1:], self._loop_ticks], strict=True)
            )
        )
        self._origin = math.floor((created - ORIGIN_BACK) / self.loop_seconds) * self.loop_seconds

    def _cut_points(self, segment_seconds: float) -> list[int]:
        """Loop ticks where segments start: key frames at least ``segment_seconds`` apart,
        never leaving a last piece shorter than that."""
        least = segment_seconds / self._time_base
        cuts = [0]
        for picture in self._pictures:
            if (
                picture.keyframe
                and picture.ticks - cuts[-1] >= least
                and self._loop_ticks - picture.ticks >= least
            ):
                cuts.append(picture.ticks)
        return cuts

    def segment(self, number: int) -> Segment:
        loop, index = divmod(number, len(self._cuts))
        start = self._cuts[index]
        end = self._cuts[index + 1] if index + 1 < len(self._cuts) else self._loop_ticks
        return Segment(
            number,
            loop * self.loop_seconds + float(start * self._time_base),
            float((end - start) * self._time_base),
        )

    def newest(self, now: float) -> int:
        """The number of the newest segment that has ended by ``now``."""
        loop = math.floor(now / self.loop_seconds)
        number = (loop + 1) * len(self._cuts)
        while self.segment(number).end > now:
            number -= 1
        return number

    def available(self, number: int, now: float) -> bool:
        """Ended by ``now`` and late enough that its timestamps are not negative."""
        segment = self.segment(number)
        return segment.end <= now and segment.start >= self._origin

    def playlist(self, now: float, window: int, name: str) -> str:
        newest = self.newest(now)
        first = max(newest - window + 1, 0)
        first = next(n for n in range(first, newest + 1) if self.available(n, now))
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{self.target_duration}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for number in range(first, newest + 1):
            segment = self.segment(number)
            stamp = datetime.fromtimestamp(segment.start, UTC).isoformat(timespec="milliseconds")
            lines += [
                f"#EXT-X-PROGRAM-DATE-TIME:{stamp.replace('+00:00', 'Z')}",
                f"#EXTINF:{segment.duration:.3f},",
                name.format(number=number),
            ]
        return "\n".join(lines) + "\n"

    def mpegts(self, number: int) -> bytes:
        """Segment ``number`` as MPEG-TS, its pictures copied from the footage."""
        segment = self.segment(number)
        loop, index = divmod(number, len(self._cuts))
        first = self._cuts[index]
        end = self._cuts[index + 1] if index + 1 < len(self._cuts) else self._loop_ticks
        shift = round((loop * self.loop_seconds - self._origin) / self._time_base)
        assert segment.start >= self._origin, "asked for a segment before the origin"
        buffer = io.BytesIO()
        with self._lock, av.open(buffer, "w", format="mpegts") as out:
            stream = out.add_stream_from_template(self._template)
            for picture in self._pictures:
                if not first <= picture.ticks < end:
                    continue
                packet = av.Packet(picture.data)
                packet.stream = stream
                packet.time_base = self._time_base
                packet.pts = packet.dts = picture.ticks + shift
                packet.duration = picture.duration
                packet.is_keyframe = picture.keyframe
                out.mux(packet)
        return buffer.getvalue()

    def close(self) -> None:
        with self._lock:
            self._input.close()
