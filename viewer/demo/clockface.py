"""The picture of a recorded instant: what the simulated recorder shows in playback.

A week of recordings cannot be stored, so every playback picture is drawn for the
instant asked: the camera's name, the date and the time to the second for people, and
a stripe across the bottom for tests. The stripe holds the instant in milliseconds
since the Unix epoch as STRIPE_BITS black or white blocks (most significant first),
then CHECK_BITS of a check value, so that a picture that carries no stripe (live
footage, a grey frame) reads as None rather than as some instant in 1970. The blocks
are a whole band tall and a fortieth of the width wide: H.264 at a low bit rate and a
shrink to a small tile both keep them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 640, 360
STRIPE_BITS = 42  # milliseconds: 2**42 ms is 139 years
CHECK_BITS = 6
BLOCKS = STRIPE_BITS + CHECK_BITS
BAND = (0.84, 0.97)  # the stripe's rows, as parts of the height
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BACKGROUND = (58, 66, 80)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _check(value: int) -> int:
    """A few bits that depend on every bit of ``value``; never 0 for 0, so black fails."""
    folded = 0x2D
    while value:
        folded ^= value & 0x3F
        value >>= 6
    return folded


def _bits(instant: datetime) -> list[int]:
    milliseconds = (instant - EPOCH) // timedelta(milliseconds=1)
    if not 0 <= milliseconds < 1 << STRIPE_BITS:
        raise ValueError(f"{instant} cannot be written in the stripe")
    word = (milliseconds << CHECK_BITS) | _check(milliseconds)
    return [(word >> (BLOCKS - 1 - i)) & 1 for i in range(BLOCKS)]


def draw(
    camera_name: str, instant: datetime, width: int = WIDTH, height: int = HEIGHT
) -> np.ndarray:
    """The recorded picture of ``instant`` (aware, any zone) as RGB, shown in UTC."""
    instant = instant.astimezone(UTC)
    panel = Image.new("RGB", (width, height), _BACKGROUND)
    pen = ImageDraw.Draw(panel)
    pen.text((width // 20, height // 14), camera_name, font=_font(height // 10), fill="white")
    pen.text(
        (width // 20, height * 3 // 10),
        instant.strftime("%Y-%m-%d"),
        font=_font(height // 8),
        fill=(255, 240, 120),
    )
    pen.text(
        (width // 20, height * 9 // 20),
        instant.strftime("%H:%M:%S UTC"),
        font=_font(height // 6),
        fill=(255, 240, 120),
    )
    picture = np.asarray(panel).copy()
    top, bottom = int(height * BAND[0]), int(height * BAND[1])
    for i, bit in enumerate(_bits(instant)):
        x0, x1 = i * width // BLOCKS, (i + 1) * width // BLOCKS
        picture[top:bottom, x0:x1] = 235 if bit else 16
    return picture


def read_instant(image: np.ndarray) -> datetime | None:
    """The instant a decoded picture's stripe holds, or None if it holds none.

    ``image`` is HxWx3 or HxWx4 in any channel order (RGB, BGR, BGRA: the stripe is
    black and white), of any size.
    """
    height, width = image.shape[:2]
    y0, y1 = int(height * BAND[0]), int(height * BAND[1])
    rows = image[y0 + (y1 - y0) // 4 : y1 - (y1 - y0) // 4, :, :3]
    word = 0
    for i in range(BLOCKS):
        x0, x1 = i * width / BLOCKS, (i + 1) * width / BLOCKS
        inset = (x1 - x0) / 4
        block = rows[:, int(x0 + inset) : max(int(x1 - inset), int(x0 + inset) + 1)]
        word = (word << 1) | int(block.mean() > 128)
    milliseconds = word >> CHECK_BITS
    if word & ((1 << CHECK_BITS) - 1) != _check(milliseconds):
        return None
    return EPOCH + timedelta(milliseconds=milliseconds)
