"""A recorder's RTSP playback: the recorded instants from ``start``, at ``speed``.

The REST gateway simulator hands out ``rtsp://…/playback/{cameraId}?start=…&speed=…``
(seed 000); the demo RTSP server routes ``/playback/`` here (on_demand.py). As the
XProtect simulator's WebRTC playback does, each picture is the clock face of its
recorded instant (clockface.py), drawn and encoded with libx264 while the session
plays, on a thread of the session's own so that the server's event loop (and every
live stream on it) never waits for an encoder.

As a recorder does, the server paces: ``SENT_FPS`` pictures a wall-clock second, each
``speed / SENT_FPS`` seconds of recorded time after the one before, sent on an
absolute schedule (so 4x shows four recorded seconds a second), a key frame every
second of sending. Gaps in the recording (recordings.py) are skipped: the first
picture after a gap follows the last one before it at once, and a start inside a gap
plays from the end of that gap. Playing catches up with the recorder at "now" and then
waits for what is recorded next. A start before the retention plays from the oldest
recording; with nothing recorded at or after the asked instant, PLAY is refused (457).

RTP timestamps count recorded time at 90 kHz from ``start`` (plus the session's random
origin): continuous across PAUSE and PLAY, and a skipped gap advances them by its
length, as the recorded instants do, so ``start`` plus a picture's time is its instant,
as in the HLS and XProtect simulators. PLAY takes a Range of ``npt=`` (seconds from
``start``; FFmpeg seeks so) or ``clock=`` (absolute UTC) and is answered with the
``npt=`` range actually played; PAUSE keeps the position, a PLAY without Range resumes.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cache
from urllib.parse import parse_qs

import av

from viewer.demo import clockface
from viewer.demo.on_demand import (
    PlayStart,
    SourceRefused,
    StreamParameters,
    TimedUnit,
    split_annex_b,
)
from viewer.demo.recordings import next_recorded

SENT_FPS = 10
KEYFRAME_EVERY = SENT_FPS  # pictures: one a second of sending
SPEEDS = (1.0, 2.0, 4.0, 8.0)
CLOCK_RATE = 90_000
IDLE_POLL = 0.5
# A session this far behind its schedule (a loaded machine) jumps to what is due now
# rather than send a burst of old pictures.
MAX_LAG = 1.0
_NPT = re.compile(r"npt\s*=\s*(?:(?P<seconds>[0-9]{1,12}(?:\.[0-9]{0,9})?)|(?P<now>now))\s*-")
_NPT_HMS = re.compile(
    r"npt\s*=\s*(?P<h>[0-9]{1,9}):(?P<m>[0-5]?[0-9]):(?P<s>[0-5]?[0-9](?:\.[0-9]{0,9})?)\s*-"
)
_CLOCK = re.compile(
    r"clock\s*=\s*(?P<date>[0-9]{8})T(?P<time>[0-9]{6})(?P<fraction>\.[0-9]{1,9})?Z\s*-"
)

Recorded = Callable[[datetime], "tuple[datetime, datetime] | None"]
"""The span recorded at an instant, or the next one after it (recordings.next_recorded)."""


@cache
def parameter_sets() -> tuple[bytes, bytes]:
    """SPS and PPS of the playback encoder: they depend on its settings, not on the
    pictures, so one encoded picture tells them for every session."""
    encoder = _encoder()
    frame = av.VideoFrame(clockface.WIDTH, clockface.HEIGHT, "yuv420p")
    frame.pts = 0
    data = b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])
    units = split_annex_b(data)
    sps = next(u for u in units if u[0] & 0x1F == 7)
    pps = next(u for u in units if u[0] & 0x1F == 8)
    return sps, pps


def _encoder() -> av.video.codeccontext.VideoCodecContext:
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height = clockface.WIDTH, clockface.HEIGHT
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, SENT_FPS)
    encoder.options = {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "profile": "baseline",
        "x264-params": f"keyint={KEYFRAME_EVERY}:min-keyint={KEYFRAME_EVERY}:scenecut=0",
    }
    return encoder


class RecordedPlayback:
    """One session's playback; its encoder lives on its own thread."""

    def __init__(
        self,
        camera_name: str,
        start: datetime,
        speed: float,
        recorded: Recorded = next_recorded,
    ) -> None:
        self._name = camera_name
        self._origin = start.astimezone(UTC)
        self._speed = speed
        self._step = timedelta(seconds=speed / SENT_FPS)
        self._recorded = recorded
        self._next = self._origin
        """The next instant to show: where a PLAY without Range goes on."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"demo playback {camera_name}")
        self._encoder: av.video.codeccontext.VideoCodecContext | None = None
        self._count = 0

    async def describe(self) -> StreamParameters:
        sps, pps = await asyncio.to_thread(parameter_sets)
        return StreamParameters(self._name, sps, pps, clockface.WIDTH, clockface.HEIGHT, SENT_FPS)

    def seek(self, range_header: str | None) -> PlayStart:
        if range_header is not None:
            instant = parse_range(range_header, self._origin)
            if instant is None:
                raise SourceRefused(457, "a Range that is not npt= or clock= from a time")
            self._next = instant
        span = self._recorded(self._next)
        if span is None:
            raise SourceRefused(457, "nothing recorded at or after that time")
        self._next = max(self._next, span[0])
        offset = (self._next - self._origin).total_seconds()
        return PlayStart(f"npt={offset:.3f}-", self._ticks(self._next))

    async def units(self) -> AsyncGenerator[TimedUnit, None]:
        loop = asyncio.get_running_loop()
        anchor = (time.monotonic(), self._next)  # (wall clock, recorded instant)
        fresh = True  # every PLAY starts with a new encoder, hence a key frame
        while True:
            span = self._recorded(self._next)
            if span is None:
                # Caught up with the recorder: wait for what it records next.
                await asyncio.sleep(IDLE_POLL)
                anchor = (time.monotonic(), self._next)
                continue
            if span[0] > self._next:
                # A gap: the first picture after it follows at once.
                self._next = span[0]
                anchor = (time.monotonic(), self._next)
            instant = self._next
            due = anchor[0] + (instant - anchor[1]).total_seconds() / self._speed
            if time.monotonic() - due > MAX_LAG:
                anchor = (time.monotonic(), instant)
                due = anchor[0]
            nal_units = await loop.run_in_executor(self._thread, self._encode, instant, fresh)
            fresh = False
            if nal_units:
                yield TimedUnit(nal_units, due, self._ticks(instant))
            # Reached only when the unit was taken for sending (or was empty).
            self._next = instant + self._step

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _ticks(self, instant: datetime) -> int:
        return round((instant - self._origin).total_seconds() * CLOCK_RATE)

    def _encode(self, instant: datetime, fresh: bool) -> tuple[bytes, ...]:
        if fresh or self._encoder is None:
            self._encoder, self._count = _encoder(), 0
        picture = clockface.draw(self._name, instant)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = self._count
        self._count += 1
        return split_annex_b(b"".join(bytes(p) for p in self._encoder.encode(frame)))


def parse_range(value: str, origin: datetime) -> datetime | None:
    """The instant a Range header asks to start from; None when it names none (or
    one out of the calendar's reach)."""
    try:
        return _range_start(value, origin)
    except (OverflowError, ValueError):
        return None


def _range_start(value: str, origin: datetime) -> datetime | None:
    if match := _NPT.match(value.strip()):
        if match["now"]:
            return None
        return origin + timedelta(seconds=float(match["seconds"]))
    if match := _NPT_HMS.match(value.strip()):
        seconds = int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])
        return origin + timedelta(seconds=seconds)
    if match := _CLOCK.match(value.strip()):
        whole = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
        fraction = float(match["fraction"] or 0)
        return whole.replace(tzinfo=UTC) + timedelta(seconds=fraction)
    return None


def parse_start(text: str) -> datetime | None:
    """An ISO 8601 instant with a zone (``Z`` or an offset), as the gateway writes it."""
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return instant.astimezone(UTC) if instant.tzinfo is not None else None
    except (OverflowError, ValueError):
        return None


def playback_sources(names: Mapping[str, str]) -> Callable[[str, str], RecordedPlayback | None]:
    """The factory of ``/playback/{id}?start=…&speed=…`` for the cameras in ``names``
    (camera id -> the name its pictures show)."""

    def make(camera_id: str, query: str) -> RecordedPlayback | None:
        name = names.get(camera_id)
        if name is None:
            return None
        fields = parse_qs(query)
        start = parse_start(fields.get("start", [""])[0])
        if start is None:
            raise SourceRefused(400, "playback without an ISO 8601 start")
        try:
            speed = float(fields.get("speed", ["1"])[0])
        except ValueError:
            speed = 0.0
        if speed not in SPEEDS:
            raise SourceRefused(400, "playback speed other than 1, 2, 4 or 8")
        return RecordedPlayback(name, start, speed)

    return make
