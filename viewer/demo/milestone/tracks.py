"""The video a simulated XProtect session sends: live footage passed through, a PTZ
camera's live view and playback pictures encoded on demand.

Both tracks hand aiortc ``av.Packet`` objects of Annex B H.264, which its sender
packetizes without decoding or encoding (``MediaPlayer(decode=False)`` delivered
nothing, docs/pitfalls.md). aiortc turns a packet's ``pts`` in ``time_base`` into the
90 kHz RTP clock; playback packets claim a 1/90000 time base while counting
milliseconds, so that the RTP timestamp counts milliseconds from ``playbackTime`` as
XProtect's do (with the sender's random origin made zero: loopback.py).
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from fractions import Fraction

import av
from aiortc import MediaStreamTrack
from av.stream import Stream

from viewer.demo import clockface, panorama
from viewer.demo.dome import Dome
from viewer.demo.footage import Footage
from viewer.demo.recordings import next_recorded

RTP_CLOCK = Fraction(1, 90_000)
START_CODE = b"\x00\x00\x00\x01"
PLAYBACK_FPS = 5
"""Pictures per second of recorded time, as a recorder set to 5 fps stores them."""
MAX_SENT_FPS = 25
"""Fast playback thins the pictures out rather than encode more than this a second."""
IDLE_POLL = 0.5
MAX_LAG = 1.0


def _packet(data: bytes, pts: int) -> av.Packet[Stream]:
    packet = av.Packet(data)
    packet.pts = packet.dts = pts
    packet.time_base = RTP_CLOCK
    return packet


class LiveTrack(MediaStreamTrack):
    """A camera's footage in real time, looped, from the key frame before the live picture.

    Every session of one (camera, stream) shares the Footage the library demuxed once
    and the feature's clock, so all viewers see the same moment and a session costs a
    few byte joins per picture. A new session gets the pictures since the last key
    frame at once, then one at each picture's own time in the footage.
    """

    kind = "video"

    def __init__(self, footage: Footage, epoch: float) -> None:
        super().__init__()
        self._footage = footage
        self._epoch = epoch
        self._index: int | None = None
        self._lap = 0  # times round the loop (not _loop: the track's event loop)

    async def recv(self) -> av.Packet[Stream]:
        units = self._footage.access_units
        length = self._footage.loop_seconds
        if self._index is None:
            into = time.monotonic() - self._epoch
            self._lap = int(into // length)
            live = self._footage.unit_at(into - self._lap * length)
            self._index = max(i for i in range(live + 1) if units[i].keyframe)
        unit = units[self._index]
        at = self._lap * length + unit.time
        await asyncio.sleep(max(0.0, self._epoch + at - time.monotonic()))
        nal_units = unit.nal_units
        if unit.keyframe:
            nal_units = (self._footage.sps, self._footage.pps, *nal_units)
        self._index += 1
        if self._index == len(units):
            self._index, self._lap = 0, self._lap + 1
        return _packet(b"".join(START_CODE + nal for nal in nal_units), round(at * 90_000))


class PanoramaTrack(MediaStreamTrack):
    """A PTZ camera live: the panorama's window where its dome points, ``panorama.FPS``
    pictures a second, each showing the pose at its moment.

    Drawn and encoded on the track's own thread, so the simulator's loop (signalling,
    every other session's packets) never waits for an encoder. A late picture (a loaded
    machine) is sent at once; more than ``MAX_LAG`` s behind, the schedule
    starts again from now rather than send a burst of stale views.
    """

    kind = "video"

    def __init__(self, camera_name: str, dome: Dome) -> None:
        super().__init__()
        self._dome = dome
        self._pictures = panorama.ViewPictures()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"demo PTZ {camera_name}")
        self._start: float | None = None
        self._count = 0  # pictures since the schedule's start
        self._sent = 0

    async def recv(self) -> av.Packet[Stream]:
        now = time.monotonic()
        if self._start is None or now - (self._start + self._count / panorama.FPS) > MAX_LAG:
            self._start, self._count = now, 0
        due = self._start + self._count / panorama.FPS
        await asyncio.sleep(max(0.0, due - now))
        pose = self._dome.pose()
        loop = asyncio.get_running_loop()
        nal_units = await loop.run_in_executor(
            self._thread, self._pictures.encode, pose, self._sent == 0
        )
        pts = self._sent * 90_000 // panorama.FPS
        self._count += 1
        self._sent += 1
        return _packet(b"".join(START_CODE + nal for nal in nal_units), pts)

    def stop(self) -> None:
        super().stop()
        self._thread.shutdown(wait=False, cancel_futures=True)


class PlaybackTrack(MediaStreamTrack):
    """Recorded pictures from ``start`` on, at ``speed`` times the wall clock.

    Each is drawn for its instant (clockface.py) and encoded with libx264 there and then.
    In a gap nothing is sent; with ``skip_gaps`` the next recorded span follows at once.
    A packet's ``pts`` is milliseconds from ``start``.
    """

    kind = "video"

    def __init__(self, camera_name: str, start: datetime, speed: float, skip_gaps: bool) -> None:
        super().__init__()
        self._name = camera_name
        self._start = start
        self._speed = speed
        self._skip_gaps = skip_gaps
        self._step = timedelta(seconds=max(1 / PLAYBACK_FPS, speed / MAX_SENT_FPS))
        self._next = start
        self._anchor: tuple[float, datetime] | None = None  # (wall clock, recorded instant)
        self._encoder = av.CodecContext.create("libx264", "w")
        self._encoder.width, self._encoder.height = clockface.WIDTH, clockface.HEIGHT
        self._encoder.pix_fmt = "yuv420p"
        self._encoder.time_base = Fraction(1, PLAYBACK_FPS)
        self._encoder.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "x264-params": f"keyint={PLAYBACK_FPS}:min-keyint={PLAYBACK_FPS}:scenecut=0",
        }
        self._count = 0

    async def recv(self) -> av.Packet[Stream]:
        while True:
            if self._anchor is None:
                self._anchor = (time.monotonic(), self._next)
            span = next_recorded(self._next)
            if span is None:  # nothing recorded from here on (yet)
                await asyncio.sleep(IDLE_POLL)
                continue
            if span[0] > self._next:
                self._next = span[0]
                if self._skip_gaps:
                    self._anchor = (time.monotonic(), self._next)
            wall, recorded = self._anchor
            due = wall + (self._next - recorded).total_seconds() / self._speed
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            instant = self._next
            self._next += self._step
            data = await asyncio.to_thread(self._encode, instant)
            if data:
                return _packet(data, (instant - self._start) // timedelta(milliseconds=1))

    def _encode(self, instant: datetime) -> bytes:
        picture = av.VideoFrame.from_ndarray(clockface.draw(self._name, instant), format="rgb24")
        frame = picture.reformat(format="yuv420p")
        frame.pts = self._count
        self._count += 1
        return b"".join(bytes(packet) for packet in self._encoder.encode(frame))
