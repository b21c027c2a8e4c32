"""What a simulated PTZ camera sees: a window into one 360° panorama, where its head points.

The panorama is drawn once (numpy and Pillow) in equirectangular form, ``PER_DEGREE``
pixels a degree, pan 0-360° across and tilt +90° (top) to -90° down: a city skyline of
buildings with lit windows standing on the horizon, a horizon scale with a tick every
degree and the bearing written every ten (N, E, S, W at the quarters), and a grid
every 10° of tilt and 30° of pan, so an operator sees at once which way the camera
turns and how far.

For tests the background carries the pose itself: its hue is the pan (a full turn of
the colour wheel round the horizon) and its brightness the tilt. The buildings carry it
too, in a stronger colour of the same hue and brightness, because zoomed in a window
can show little else; everything else drawn over it is grey, white or pale.
:func:`read_view` reads pan, tilt and field of view back from any decoded picture of
the window, through H.264 and a resize, to a degree or two.

A camera's picture (:func:`view`) is the window of ``WIDE_FOV / zoom`` degrees across
centred on its pose, sampled at ``WIDTH`` x ``HEIGHT``; :class:`ViewEncoder` encodes
such pictures with libx264 for a live stream (zero latency, a key frame every
``KEYFRAME_SECONDS``). Drawing and encoding are CPU work for a viewer's own thread,
never the demo's event loop.
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction
from functools import cache

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from viewer.demo.dome import Pose
from viewer.demo.on_demand import split_annex_b

PER_DEGREE = 10
PANORAMA_WIDTH, PANORAMA_HEIGHT = 360 * PER_DEGREE, 180 * PER_DEGREE
WIDTH, HEIGHT = 640, 360
WIDE_FOV = 60.0
"""Degrees across the picture at 1x."""
FPS = 15
KEYFRAME_SECONDS = 2
SATURATION = 0.6
BUILDING_SATURATION = 0.95
DARKEST, BRIGHTEST = 0.22, 0.94
"""Background brightness at tilt -90° and +90°."""
_GRID = (200, 200, 200)
_WINDOW = (235, 225, 180)
_BAND = (0.0, -1.6)
"""The horizon scale's tilts, top and bottom."""
_CARDINALS = {0: "N", 90: "E", 180: "S", 270: "W"}
_lock = threading.Lock()


def _hsv_to_rgb(hue: np.ndarray, saturation: float, value: np.ndarray) -> np.ndarray:
    """Vectorised HSV (hue in turns) to RGB floats 0-1, broadcasting hue over columns
    and value over rows."""
    sector = hue * 6.0
    channels = []
    for offset in (5.0, 3.0, 1.0):  # red, green, blue
        k = (offset + sector) % 6.0
        weight = np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
        channels.append(value[:, None] * (1.0 - saturation * weight[None, :]))
    return np.stack(channels, axis=-1)


def _row(tilt: float) -> int:
    return round((90.0 - tilt) * PER_DEGREE)


def _column(pan: float) -> int:
    return round(pan * PER_DEGREE)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def panorama() -> np.ndarray:
    """The whole panorama, RGB, drawn on first use (about a second) and kept."""
    with _lock:
        return _drawn()


@cache
def _drawn() -> np.ndarray:
    pans = (np.arange(PANORAMA_WIDTH) + 0.5) / PANORAMA_WIDTH
    tilts = 90.0 - (np.arange(PANORAMA_HEIGHT) + 0.5) / PER_DEGREE
    value = DARKEST + (BRIGHTEST - DARKEST) * (tilts + 90.0) / 180.0
    colour = _hsv_to_rgb(pans, SATURATION, value)
    canvas = Image.fromarray((colour * 255.0 + 0.5).astype(np.uint8), "RGB")
    pen = ImageDraw.Draw(canvas)
    for tilt in range(-80, 90, 10):
        pen.line([(0, _row(tilt)), (PANORAMA_WIDTH, _row(tilt))], fill=_GRID, width=2)
        for pan in range(0, 360, 30):
            pen.text((_column(pan) + 6, _row(tilt) + 4), f"{tilt:+d}°", font=_font(22), fill=_GRID)
    for pan in range(0, 360, 30):
        pen.line([(_column(pan), 0), (_column(pan), PANORAMA_HEIGHT)], fill=_GRID, width=2)
    buildings, windows = _skyline()
    mask = Image.new("L", canvas.size)
    for box in buildings:
        ImageDraw.Draw(mask).rectangle(box, fill=255)
    facade = _hsv_to_rgb(pans, BUILDING_SATURATION, value)
    canvas.paste(Image.fromarray((facade * 255.0 + 0.5).astype(np.uint8), "RGB"), mask=mask)
    for box in windows:
        pen.rectangle(box, fill=_WINDOW)
    _horizon_scale(pen)
    return np.asarray(canvas).copy()


Box = tuple[int, int, int, int]


def _skyline() -> tuple[list[Box], list[Box]]:
    """Buildings of varied width and height all round and their lit windows, the same
    on every run."""
    random = np.random.default_rng(13)
    buildings: list[Box] = []
    windows: list[Box] = []
    pan = 0.0
    while pan < 357.0:
        width = float(random.uniform(3.0, 9.0))
        height = float(random.uniform(4.0, 22.0))
        left, right = _column(pan), _column(min(pan + width, 359.5))
        top, bottom = _row(height), _row(_BAND[0])
        buildings.append((left, top, right, bottom))
        for y in range(top + 12, bottom - 16, 24):
            for x in range(left + 10, right - 14, 22):
                if random.random() < 0.55:
                    windows.append((x, y, x + 9, y + 12))
        pan += width + float(random.uniform(0.5, 6.0))
    return buildings, windows


def _horizon_scale(pen: ImageDraw.ImageDraw) -> None:
    top, bottom = _row(_BAND[0]), _row(_BAND[1])
    pen.rectangle([0, top, PANORAMA_WIDTH, bottom], fill=(240, 240, 240))
    for degree in range(360):
        x = _column(degree)
        tall = bottom - top if degree % 10 == 0 else (bottom - top) // (2 if degree % 5 else 1.4)
        pen.line([(x, bottom - tall), (x, bottom)], fill=(10, 10, 10), width=2)
    for degree in range(0, 360, 10):
        label = _CARDINALS.get(degree, str(degree))
        x = _column(degree)
        size = 40 if degree in _CARDINALS else 28
        box = pen.textbbox((0, 0), label, font=_font(size))
        for turn in (-PANORAMA_WIDTH, 0, PANORAMA_WIDTH):  # north's label wraps round
            left = x + turn - (box[2] - box[0]) // 2 - 4
            right = left + box[2] - box[0] + 8
            pen.rectangle([left, bottom + 2, right, bottom + 8 + box[3]], fill=(240, 240, 240))
            pen.text((left + 4, bottom + 4), label, font=_font(size), fill=(10, 10, 10))


def field_of_view(zoom: float) -> float:
    return WIDE_FOV / zoom


def view(pose: Pose, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The camera's picture at ``pose``, RGB ``height`` x ``width``: the panorama's
    window round the pose (nearest pixel), wrapping round north, kept inside the
    panorama's top and bottom."""
    source = panorama()
    across = field_of_view(pose.zoom)
    down = across * height / width
    tilt = min(90.0 - down / 2, max(-90.0 + down / 2, pose.tilt))
    pans = pose.pan - across / 2 + (np.arange(width) + 0.5) * across / width
    tilts = tilt + down / 2 - (np.arange(height) + 0.5) * down / height
    columns = np.floor(pans * PER_DEGREE).astype(np.intp) % PANORAMA_WIDTH
    rows = np.clip(np.floor((90.0 - tilts) * PER_DEGREE).astype(np.intp), 0, PANORAMA_HEIGHT - 1)
    return source[rows[:, None], columns[None, :]]


def _hsv(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue (degrees), whether each pixel shows the background (saturated, not dark),
    and value, for an RGB array."""
    rgb = pixels.astype(np.float64) / 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    high, low = rgb.max(axis=-1), rgb.min(axis=-1)
    spread = np.maximum(high - low, 1e-9)
    saturation = (high - low) / np.maximum(high, 1e-9)
    sector = np.where(
        high == red,
        ((green - blue) / spread) % 6.0,
        np.where(high == green, (blue - red) / spread + 2.0, (red - green) / spread + 4.0),
    )
    return sector * 60.0, (saturation > 0.4) & (high > 0.15), high


def _circular_mean(degrees: np.ndarray) -> float:
    radians = np.radians(degrees)
    return math.degrees(math.atan2(float(np.sin(radians).mean()), float(np.cos(radians).mean())))


def read_view(picture: np.ndarray) -> tuple[float, float, float] | None:
    """(pan, tilt, degrees across) of a decoded RGB picture of the window, or None
    when too little background shows (a picture of something else).

    Each column's hue (background's and buildings' alike) is its pan, so a line fitted
    through the columns that show enough of them gives the pan at the centre and the
    degrees per pixel, even with windows, grid and scale in front; each row's
    brightness is its tilt, and the rows' median, moved to the centre by that scale,
    the tilt.
    """
    height, width = picture.shape[:2]
    if height < 8 or width < 8:
        return None
    rows = np.arange(0, height, max(1, height // 90))
    columns = np.arange(0, width, max(1, width // 160))
    hue, background, value = _hsv(picture[rows][:, columns, :3])
    xs: list[float] = []
    pans: list[float] = []
    for j, x in enumerate(columns):
        shown = background[:, j]
        if shown.sum() >= max(3, len(rows) // 10):
            angle = _circular_mean(hue[shown, j])
            step = 0.0 if not pans else (angle - pans[-1] + 180.0) % 360.0 - 180.0
            pans.append(angle if not pans else pans[-1] + step)
            xs.append(float(x) + 0.5)
    if len(xs) < 3 or xs[-1] - xs[0] < width / 4:
        return None
    slope, intercept = np.polyfit(xs, pans, 1)
    across = float(slope) * width
    if not 0.5 < across < 2 * WIDE_FOV:
        return None
    per_pixel = across / width
    tilts = [
        (float(np.median(value[i, background[i]])) - DARKEST) / (BRIGHTEST - DARKEST) * 180.0
        - 90.0
        + (float(y) + 0.5 - height / 2) * per_pixel
        for i, y in enumerate(rows)
        if background[i].sum() >= max(3, len(columns) // 4)
    ]
    if not tilts:
        return None
    pan = (float(intercept) + float(slope) * width / 2) % 360.0
    return pan, float(np.median(tilts)), across


@cache
def parameter_sets() -> tuple[bytes, bytes]:
    """SPS and PPS of the view encoder; they depend on its settings alone."""
    encoder = ViewEncoder()
    units = encoder.encode(np.zeros((HEIGHT, WIDTH, 3), np.uint8))
    sps = next(u for u in units if u[0] & 0x1F == 7)
    pps = next(u for u in units if u[0] & 0x1F == 8)
    return sps, pps


class ViewEncoder:
    """libx264 for one viewer's stream; use it from one thread. The first picture is
    a key frame, then one every ``KEYFRAME_SECONDS``."""

    def __init__(self) -> None:
        every = FPS * KEYFRAME_SECONDS
        self._codec = av.CodecContext.create("libx264", "w")
        self._codec.width, self._codec.height = WIDTH, HEIGHT
        self._codec.pix_fmt = "yuv420p"
        self._codec.time_base = Fraction(1, FPS)
        self._codec.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "x264-params": f"keyint={every}:min-keyint={every}:scenecut=0:repeat-headers=1",
        }
        self._count = 0

    def encode(self, picture: np.ndarray) -> tuple[bytes, ...]:
        """The NAL units (no start codes) of one RGB picture; parameter sets come
        before every key frame."""
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = self._count
        self._count += 1
        data = b"".join(bytes(packet) for packet in self._codec.encode(frame))
        return split_annex_b(data)


class ViewPictures:
    """One viewer's encoded pictures of a camera's view; use it from one thread.

    A still head shows the same picture, which is drawn once and only encoded again.
    """

    def __init__(self) -> None:
        self._encoder: ViewEncoder | None = None
        self._last: tuple[Pose, np.ndarray] | None = None

    def encode(self, pose: Pose, fresh: bool = False) -> tuple[bytes, ...]:
        """The picture at ``pose`` as NAL units; ``fresh`` starts a new encoder, so
        this one is a key frame."""
        if fresh or self._encoder is None:
            self._encoder = ViewEncoder()
        if self._last is None or self._last[0] != pose:
            self._last = (pose, view(pose))
        return self._encoder.encode(self._last[1])
