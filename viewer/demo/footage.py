"""Synthetic CCTV footage for the demo cameras, encoded once with PyAV and cached.

Each camera films a street scene (a building, a road, cars and a pedestrian moving
on a 10 s loop, a burned-in on-screen display) and carries two markers that tests and
benchmarks read back from decoded pixels:

- a patch of the camera's own colour in the bottom-right corner (x and y from 87.5 %
  to 100 % of the picture), so a test can tell which camera a tile shows;
- a 12-bit frame index in the bottom-left corner (block i, MSB first, covers x from
  i/32 to (i+1)/32 of the width and the bottom twelfth of the height; white = 1), so
  a benchmark can tell which frame a tile painted. It counts the pictures of the loop.

Streams are shaped like a real camera's: H.264, no B-frames, about 4 Mbit/s constant
bit rate for the 1920x1080 main stream and 0.5 Mbit/s for the 640x360 sub-stream. The
16 DEMO_CAMERAS stream 25 fps with a key frame every 2 s, which is what benchmarks
compare. The HABIT_CAMERAS have the habits of real sites that a viewer has to cope
with (a 10 s key-frame interval, 1 fps, a frame rate that drops on a still scene, a
stream that starts between key frames); their main streams are 1280x720 to keep a
first run's encoding short. Drawing is deterministic, so the two qualities, encoded
separately, show the same picture. Each file is encoded on its own so that a first run
can make every sub-stream (a few seconds each) before any main stream (several times
that).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Interpolation
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

# Bump when the picture or the encoding changes, so cached files are made again.
FOOTAGE_VERSION = 2
FPS = 25
LOOP_SECONDS = 10
INDEX_BITS = 12
# Sensor grain, different in every frame as a real camera's is: without it P-frames are
# mostly skipped blocks and decoding costs a fraction of what real footage costs.
GRAIN = 3
GRAIN_FIELDS = 16


@dataclass(frozen=True)
class Habit:
    """When a camera takes its pictures and how a new viewer joins its stream.

    Times are whole ticks of 1/``fps`` s on the loop, so a variable frame rate is a
    steady one with pictures left out, and the footage's timestamps are exact.
    """

    fps: int  # the frame rate, or the highest one of a variable-rate camera
    ticks: tuple[int, ...]  # when each picture of the loop is taken
    keyframe_interval: int  # seconds
    # False: a new session starts with the picture due now, as most real cameras do,
    # and the viewer waits for the next key frame.
    starts_on_keyframe: bool = True
    # The scene moves for this long from the start of the loop and then stands still.
    moving_seconds: int = LOOP_SECONDS

    def __post_init__(self) -> None:
        loop = self.loop_ticks
        if not self.ticks or self.ticks[0] != 0 or self.ticks[-1] >= loop:
            raise ValueError("a habit's pictures must start the loop and stay within it")
        if any(b <= a for a, b in itertools.pairwise(self.ticks)):
            raise ValueError("a habit's pictures must be in order")
        # x264 places key frames by counting pictures: they must fall on the interval.
        every = self.keyframe_every
        wanted = list(range(0, loop, self.keyframe_interval * self.fps))
        if len(self.ticks) % every or list(self.ticks[::every]) != wanted:
            raise ValueError("a habit's key frames must fall every keyframe_interval")

    @property
    def loop_ticks(self) -> int:
        return LOOP_SECONDS * self.fps

    @property
    def keyframe_every(self) -> int:
        """Pictures from one key frame to the next."""
        return sum(tick < self.keyframe_interval * self.fps for tick in self.ticks)

    def durations(self) -> tuple[int, ...]:
        """Ticks from each picture to the next; the last lasts until the loop restarts."""
        return tuple(
            b - a for a, b in zip(self.ticks, (*self.ticks[1:], self.loop_ticks), strict=True)
        )

    @property
    def min_fps(self) -> float:
        return self.fps / max(self.durations())

    @property
    def variable_fps(self) -> bool:
        return len(set(self.durations())) > 1

    def seconds(self, index: int) -> float:
        return self.ticks[index] / self.fps


def steady(fps: int, keyframe_interval: int, *, starts_on_keyframe: bool = True) -> Habit:
    return Habit(fps, tuple(range(LOOP_SECONDS * fps)), keyframe_interval, starts_on_keyframe)


def smart_codec(moving_seconds: int, fps: int, still_fps: int, keyframe_interval: int) -> Habit:
    """A "smart codec" camera: full rate while something moves, a trickle when the
    scene is still, to save bandwidth and storage."""
    moving = range(moving_seconds * fps)
    still = range(moving_seconds * fps, LOOP_SECONDS * fps, fps // still_fps)
    return Habit(fps, (*moving, *still), keyframe_interval, moving_seconds=moving_seconds)


@dataclass(frozen=True)
class StreamProfile:
    quality: str
    width: int
    height: int
    bit_rate: int


STANDARD_HABIT = steady(FPS, 2)
STANDARD_PROFILES = (
    StreamProfile("main", 1920, 1080, 4_000_000),
    StreamProfile("sub", 640, 360, 500_000),
)
PROFILES: dict[str, StreamProfile] = {profile.quality: profile for profile in STANDARD_PROFILES}


def _habit_profiles(main_bit_rate: int, sub_bit_rate: int) -> tuple[StreamProfile, ...]:
    return (
        StreamProfile("main", 1280, 720, main_bit_rate),
        StreamProfile("sub", 640, 360, sub_bit_rate),
    )


@dataclass(frozen=True)
class DemoCamera:
    id: str
    name: str
    colour: tuple[int, int, int]
    habit: Habit = STANDARD_HABIT
    profiles: tuple[StreamProfile, ...] = STANDARD_PROFILES

    def profile(self, quality: str) -> StreamProfile:
        for profile in self.profiles:
            if profile.quality == quality:
                return profile
        raise KeyError(quality)


# Colours from the corners, edge midpoints and face centres of the RGB cube (kept off
# the extremes so limited-range YUV does not clip them): any two differ by 100 or more
# in some channel.
DEMO_CAMERAS: tuple[DemoCamera, ...] = (
    DemoCamera("cam01", "Main entrance", (235, 20, 20)),
    DemoCamera("cam02", "Car park north", (20, 235, 20)),
    DemoCamera("cam03", "Loading bay", (20, 20, 235)),
    DemoCamera("cam04", "Reception lobby", (235, 235, 20)),
    DemoCamera("cam05", "Car park south", (20, 235, 235)),
    DemoCamera("cam06", "Service yard", (235, 20, 235)),
    DemoCamera("cam07", "Staff entrance", (235, 128, 20)),
    DemoCamera("cam08", "Perimeter east", (128, 20, 235)),
    DemoCamera("cam09", "Perimeter west", (20, 128, 235)),
    DemoCamera("cam10", "Bicycle shelter", (128, 235, 20)),
    DemoCamera("cam11", "Goods lift", (235, 20, 128)),
    DemoCamera("cam12", "Main gate", (20, 235, 128)),
    DemoCamera("cam13", "Plant room", (128, 20, 20)),
    DemoCamera("cam14", "Roof access", (20, 128, 20)),
    DemoCamera("cam15", "Visitor parking", (20, 20, 128)),
    DemoCamera("cam16", "Delivery road", (128, 128, 20)),
)

HABIT_CAMERAS: tuple[DemoCamera, ...] = (
    DemoCamera(
        "cam17",
        "Harbour gate",
        (20, 128, 128),
        steady(FPS, 10, starts_on_keyframe=False),
        _habit_profiles(2_000_000, 500_000),
    ),
    DemoCamera(
        "cam18", "Pumping station", (128, 20, 128), steady(1, 10), _habit_profiles(512_000, 128_000)
    ),
    DemoCamera(
        "cam19",
        "Archive room",
        (235, 235, 128),
        smart_codec(moving_seconds=4, fps=5, still_fps=1, keyframe_interval=10),
        _habit_profiles(1_000_000, 250_000),
    ),
    DemoCamera(
        "cam20",
        "Canteen",
        (128, 235, 235),
        steady(FPS, 2, starts_on_keyframe=False),
        _habit_profiles(2_000_000, 500_000),
    ),
)

ALL_CAMERAS = DEMO_CAMERAS + HABIT_CAMERAS


def camera_by_id(camera_id: str) -> DemoCamera:
    for camera in ALL_CAMERAS:
        if camera.id == camera_id:
            return camera
    raise KeyError(camera_id)


# -- the picture ------------------------------------------------------------------------

# Every picture is drawn at this size and scaled to each stream's.
WIDTH, HEIGHT = PROFILES["main"].width, PROFILES["main"].height


def _marker_rows() -> tuple[int, int]:
    return HEIGHT - HEIGHT // 12, HEIGHT


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _background(camera: DemoCamera) -> np.ndarray:
    """The static part of the scene, different for each camera."""
    seed = int(camera.id[3:])
    rng = np.random.default_rng(seed)
    picture = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    horizon = 380 + 20 * (seed % 4)
    sky = np.linspace(0, 1, horizon)[:, None]
    picture[:horizon] = (np.array([150, 180, 215]) * (1 - sky) + np.array([200, 210, 225]) * sky)[
        :, None, :
    ].astype(np.uint8)
    picture[horizon:] = (96, 100, 96)
    # Buildings along the horizon.
    x = 0
    while x < WIDTH:
        width = int(rng.integers(140, 320))
        top = horizon - int(rng.integers(80, 300))
        shade = int(rng.integers(90, 150))
        picture[top:horizon, x : x + width] = (shade, shade - 6, shade - 14)
        for wy in range(top + 20, horizon - 30, 46):
            for wx in range(x + 16, x + width - 30, 44):
                lit = rng.random() < 0.3
                picture[wy : wy + 24, wx : wx + 20] = (215, 205, 150) if lit else (60, 66, 76)
        x += width + int(rng.integers(0, 40))
    # The road with lane markings.
    road_top, road_bottom = 640, 860
    picture[road_top:road_bottom] = (62, 62, 66)
    for lx in range(0, WIDTH, 160):
        picture[748:756, lx : lx + 80] = (220, 220, 210)
    # Pavement texture: a little static grain, as a real sensor would show.
    grain = rng.integers(-8, 9, size=(HEIGHT - road_bottom, WIDTH, 1), dtype=np.int16)
    pavement = picture[road_bottom:].astype(np.int16) + grain + np.array([20, 18, 10])
    picture[road_bottom:] = np.clip(pavement, 0, 255).astype(np.uint8)
    # Kept clear of the extremes so per-frame grain can be added without clipping.
    np.clip(picture, GRAIN, 255 - GRAIN, out=picture)
    return picture


def _draw_car(picture: np.ndarray, x: int, y: int, colour: tuple[int, int, int]) -> None:
    body = [(0, 30, 220, 70), (40, 0, 170, 36)]
    for left, top, right, bottom in body:
        x0, x1 = max(0, x + left), min(WIDTH, x + right)
        if x0 < x1:
            picture[y + top : y + bottom, x0:x1] = colour
    for wheel in (40, 170):
        x0, x1 = max(0, x + wheel - 18), min(WIDTH, x + wheel + 18)
        if x0 < x1:
            picture[y + 62 : y + 86, x0:x1] = (20, 20, 20)


def _draw_person(picture: np.ndarray, x: int, y: int, step: int) -> None:
    x0, x1 = max(0, x - 14), min(WIDTH, x + 14)
    if x0 >= x1:
        return
    picture[y : y + 26, x0:x1] = (225, 190, 160)
    picture[y + 26 : y + 90, max(0, x - 20) : min(WIDTH, x + 20)] = (40, 60, 120)
    swing = 10 if step % 2 else -10
    for leg in (-10 + swing, 10 - swing):
        lx0, lx1 = max(0, x + leg - 6), min(WIDTH, x + leg + 6)
        if lx0 < lx1:
            picture[y + 90 : y + 140, lx0:lx1] = (30, 30, 40)


@cache
def _grain() -> tuple[np.ndarray, ...]:
    """Grain fields as uint8 that wrap around: adding one is a signed add of +-GRAIN.

    A uint8 add channel by channel is eight times cheaper than widening the 1080p frame
    to int16 and clipping (or than one add broadcast over the three channels), and exact
    because nothing in the scene comes within GRAIN of 0 or 255.
    """
    rng = np.random.default_rng(1)
    return tuple(
        rng.integers(-GRAIN, GRAIN + 1, size=(HEIGHT, WIDTH), dtype=np.int16).astype(np.uint8)
        for _ in range(GRAIN_FIELDS)
    )


def render_frame(camera: DemoCamera, index: int, background: np.ndarray) -> np.ndarray:
    """Picture ``index`` of the loop, as RGB, at the moment the camera's habit takes it.

    Motion repeats exactly every loop; a scene that stops moving part-way ends the
    motion where it began, so the loop stays seamless.
    """
    picture = background.copy()
    habit = camera.habit
    tick = min(habit.ticks[index], habit.moving_seconds * habit.fps)
    phase = tick / (habit.moving_seconds * habit.fps)
    seed = int(camera.id[3:])
    # Cars cross once or twice per loop, in both directions, so the loop is seamless.
    span = WIDTH + 260
    _draw_car(picture, int(phase * span) % span - 230, 660, (180, 30 + 10 * seed, 40))
    _draw_car(picture, WIDTH - int(2 * phase * span) % span, 760, (40, 70, 150))
    walk = (phase + seed / 16) % 1.0
    _draw_person(picture, int(300 + walk * 1200), 836, tick * FPS // habit.fps // 6)
    grain = _grain()[index % GRAIN_FIELDS]
    for channel in range(3):
        np.add(picture[:, :, channel], grain, out=picture[:, :, channel])
    _draw_osd(picture, camera, index)
    _draw_markers(picture, camera, index)
    return picture


def _draw_osd(picture: np.ndarray, camera: DemoCamera, index: int) -> None:
    """Camera name and footage clock, top left, as a camera's on-screen display."""
    seconds = camera.habit.seconds(index)
    clock = f"{int(seconds // 60):02d}:{seconds % 60:05.2f}"
    panel = Image.new("RGB", (760, 120), (0, 0, 0))
    draw = ImageDraw.Draw(panel)
    draw.text((14, 6), camera.name.upper(), font=_font(48), fill=(255, 255, 255))
    draw.text((14, 62), f"{camera.id}   {clock}", font=_font(42), fill=(255, 240, 120))
    area = picture[24:144, 24:784]
    osd = np.asarray(panel)
    mask = osd.max(axis=2, keepdims=True) > 40
    # Text over a darkened band, like a camera's OSD with background shading.
    np.copyto(area, (area * 0.45).astype(np.uint8))
    np.copyto(area, osd, where=mask)


def _draw_markers(picture: np.ndarray, camera: DemoCamera, index: int) -> None:
    picture[HEIGHT * 7 // 8 :, WIDTH * 7 // 8 :] = camera.colour
    top, bottom = _marker_rows()
    for bit in range(INDEX_BITS):
        on = (index >> (INDEX_BITS - 1 - bit)) & 1
        x0, x1 = bit * WIDTH // 32, (bit + 1) * WIDTH // 32
        picture[top:bottom, x0:x1] = 235 if on else 16


def frame_index_from_pixels(image: np.ndarray) -> int:
    """Read the frame-index marker back from a decoded picture of any size.

    ``image`` is HxWx3 or HxWx4 (RGB, BGR, BGRA: the marker is black and white).
    """
    height, width = image.shape[:2]
    y = int(height * (1 - 1 / 24))
    value = 0
    for bit in range(INDEX_BITS):
        x = int((bit + 0.5) * width / 32)
        luma = int(image[y, x, :3].astype(np.int32).mean())
        value = (value << 1) | (luma > 128)
    return value


# -- encoding and the cache ----------------------------------------------------------------


def _open_encoder(
    path: Path, profile: StreamProfile, habit: Habit
) -> tuple[av.container.OutputContainer, av.VideoStream]:
    out = av.open(str(path), "w", format="mp4")
    # Time base 1/fps: every picture's time is a whole tick (see Habit).
    stream = out.add_stream("libx264", rate=habit.fps)
    stream.width, stream.height, stream.pix_fmt = profile.width, profile.height, "yuv420p"
    stream.bit_rate = profile.bit_rate
    kbit = profile.bit_rate // 1000
    every = habit.keyframe_every
    if habit.variable_fps:
        # No force-cfr, so that x264 keeps the timestamps; variable bit rate, as smart
        # codecs' streams are (a still scene costs little).
        rate_control = f"nal-hrd=vbr:vbv-maxrate={kbit}:vbv-bufsize={kbit}"
    else:
        rate_control = f"nal-hrd=cbr:vbv-maxrate={kbit}:vbv-bufsize={kbit}:force-cfr=1"
    stream.options = {
        "preset": "veryfast",
        "tune": "zerolatency",
        "x264-params": f"keyint={every}:min-keyint={every}:scenecut=0:bframes=0:{rate_control}",
    }
    return out, stream


class EncodingCancelled(Exception):
    """The library was closed while footage was being encoded."""


def encode_stream(
    camera: DemoCamera, quality: str, path: Path, cancel: threading.Event | None = None
) -> None:
    """Draw the loop and encode it at one profile's size into ``path``."""
    profile = camera.profile(quality)
    habit = camera.habit
    durations = dict(zip(habit.ticks, habit.durations(), strict=True))
    background = _background(camera)
    out, stream = _open_encoder(path, profile, habit)

    def mux(packets: list[av.Packet[av.VideoStream]]) -> None:
        for packet in packets:
            # The muxer would guess the last picture's duration from the one before; the
            # loop's length is read back from it.
            if packet.pts is not None:
                packet.duration = durations[packet.pts]
            out.mux(packet)

    try:
        for index, tick in enumerate(habit.ticks):
            if cancel is not None and cancel.is_set():
                raise EncodingCancelled(camera.id)
            frame = av.VideoFrame.from_ndarray(
                render_frame(camera, index, background), format="rgb24"
            )
            scaled = frame.reformat(
                profile.width, profile.height, "yuv420p", interpolation=Interpolation.AREA
            )
            scaled.pts = tick
            mux(stream.encode(scaled))
        mux(stream.encode())
    finally:
        out.close()


@dataclass(frozen=True)
class AccessUnit:
    """One coded picture as the NAL units (without start codes) that make it up."""

    nal_units: tuple[bytes, ...]
    keyframe: bool
    time: float  # seconds from the start of the loop
    duration: float  # seconds until the next picture; the last one's until the loop restarts


@dataclass(frozen=True)
class Footage:
    sps: bytes
    pps: bytes
    width: int
    height: int
    access_units: tuple[AccessUnit, ...]

    @property
    def loop_seconds(self) -> float:
        last = self.access_units[-1]
        return last.time + last.duration

    @property
    def fps(self) -> float:
        """The frame rate, or the highest one of a variable-rate stream."""
        return round(1 / min(unit.duration for unit in self.access_units), 3)

    def unit_at(self, seconds: float) -> int:
        """The picture on show ``seconds`` after some start of the loop."""
        into_loop = seconds % self.loop_seconds
        return max(0, bisect.bisect_right(self.access_units, into_loop, key=_unit_time) - 1)

    @property
    def profile_level_id(self) -> str:
        return self.sps[1:4].hex().upper()


def parse_avcc_config(extradata: bytes) -> tuple[bytes, bytes]:
    """SPS and PPS from an ISO 14496-15 AVCDecoderConfigurationRecord.

    The first of each kind is the one streamed; a record cut short anywhere is a
    ValueError rather than a silently shortened parameter set.
    """
    if len(extradata) < 7 or extradata[0] != 1:
        raise ValueError("not an avcC record")
    offset = 5
    found = []
    for count_mask in (0x1F, 0xFF):  # SPS count in the low five bits, then PPS count
        if offset >= len(extradata):
            raise ValueError("avcC record cut short")
        count = extradata[offset] & count_mask
        offset += 1
        first = b""
        for _ in range(count):
            end = offset + 2 + int.from_bytes(extradata[offset : offset + 2], "big")
            if offset + 2 > len(extradata) or end > len(extradata):
                raise ValueError("avcC record cut short")
            first = first or extradata[offset + 2 : end]
            offset = end
        found.append(first)
    sps, pps = found
    if not sps or not pps:
        raise ValueError("avcC record without SPS or PPS")
    return sps, pps


def split_length_prefixed(data: bytes, length_size: int = 4) -> tuple[bytes, ...]:
    """NAL units of an AVCC (length-prefixed) packet; ValueError if one is cut short."""
    if not 1 <= length_size <= 4:
        raise ValueError(f"NAL length prefix of {length_size} bytes")
    units = []
    offset = 0
    while offset < len(data):
        start = offset + length_size
        end = start + int.from_bytes(data[offset:start], "big")
        if start > len(data) or end > len(data):
            raise ValueError(f"NAL unit at byte {offset} runs past the packet's end")
        units.append(data[start:end])
        offset = end
    return tuple(units)


def _unit_time(unit: AccessUnit) -> float:
    return unit.time


def read_footage(path: Path) -> Footage:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        extradata = stream.codec_context.extradata
        if extradata is None:
            raise ValueError(f"{path} has no avcC")
        sps, pps = parse_avcc_config(bytes(extradata))
        length_size = (extradata[4] & 0x03) + 1
        base = stream.time_base
        if base is None:
            raise ValueError(f"{path} has no time base")
        units = []
        for packet in container.demux(stream):
            if not packet.size:
                continue
            if packet.pts is None or not packet.duration:
                raise ValueError(f"{path} has a picture without a time or a duration")
            units.append(
                AccessUnit(
                    split_length_prefixed(bytes(packet), length_size),
                    packet.is_keyframe,
                    float(packet.pts * base),
                    float(packet.duration * base),
                )
            )
        if not units:
            raise ValueError(f"{path} has no pictures")
        return Footage(
            sps=sps,
            pps=pps,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            access_units=tuple(units),
        )


class FootageLibrary:
    """Encoded footage per camera and quality, generated on first use and cached on disk."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._remove_abandoned_work()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._stream_locks: dict[tuple[str, str], threading.Lock] = {}
        # Encodings asked for by clients and by prepare() share the cores: more at once
        # would only make the first streams ready later.
        self._encoders = threading.Semaphore(os.cpu_count() or 1)
        self._loaded: dict[tuple[str, str], Footage] = {}

    def _remove_abandoned_work(self) -> None:
        """Scratch folders of encodings that were killed (the app quit mid-way)."""
        horizon = time.time() - 600
        for scratch in self.cache_dir.glob(".encoding-*"):
            with contextlib.suppress(OSError):  # another process may be tidying too
                if scratch.stat().st_mtime < horizon:
                    shutil.rmtree(scratch, ignore_errors=True)

    def path(self, camera_id: str, quality: str) -> Path:
        return self.cache_dir / f"footage-v{FOOTAGE_VERSION}-{camera_id}-{quality}.mp4"

    def load(self, camera_id: str, quality: str) -> Footage:
        """The footage, encoding it first if this machine has none yet (seconds)."""
        key = (camera_id, quality)
        if key in self._loaded:
            return self._loaded[key]
        self._ensure(camera_by_id(camera_id), quality)
        footage = read_footage(self.path(camera_id, quality))
        with self._lock:
            return self._loaded.setdefault(key, footage)

    def prepare(self, camera_ids: Iterable[str], workers: int | None = None) -> None:
        """Encode what is missing, a stream per core: every sub-stream first, then the
        main streams, each in the order given (a grid needs sub-streams; only a
        maximised tile or a big screen needs a main stream)."""
        cameras = [camera_by_id(camera_id) for camera_id in camera_ids]
        work = [(camera, quality) for quality in ("sub", "main") for camera in cameras]
        with ThreadPoolExecutor(workers or os.cpu_count() or 1, "demo footage") as pool:
            try:
                list(pool.map(lambda item: self._ensure(*item), work))
            except EncodingCancelled:
                pool.shutdown(cancel_futures=True)

    def progress(self, camera_ids: Iterable[str]) -> tuple[int, int]:
        """(streams encoded, streams in all) for these cameras."""
        paths = [
            self.path(camera_id, profile.quality)
            for camera_id in camera_ids
            for profile in camera_by_id(camera_id).profiles
        ]
        return sum(path.exists() for path in paths), len(paths)

    def close(self) -> None:
        """Stop encoding within a frame; half-made files are thrown away."""
        self._closing.set()

    def _ensure(self, camera: DemoCamera, quality: str) -> None:
        with self._lock:
            lock = self._stream_locks.setdefault((camera.id, quality), threading.Lock())
        with lock:
            path = self.path(camera.id, quality)
            if path.exists():
                return
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with self._encoders:
                started = time.monotonic()
                # Encode beside the cache and rename, so another process never reads half
                # a file.
                with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".encoding-") as tmp:
                    temporary = Path(tmp) / path.name
                    encode_stream(camera, quality, temporary, self._closing)
                    os.replace(temporary, path)
                elapsed = time.monotonic() - started
            log.info("encoded demo footage %s/%s in %.1f s", camera.id, quality, elapsed)
