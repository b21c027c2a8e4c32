"""The picture a decode thread hands to whoever paints it."""

from __future__ import annotations

from dataclasses import dataclass

Crop = tuple[float, float, float, float]
"""(left, top, width, height) of a part of a picture, as fractions of the whole."""


@dataclass(slots=True, eq=False)
class VideoImage:
    """A decoded frame already scaled to its tile and converted to BGRA.

    ``pixels`` is a zero-copy view of the converted frame's buffer; holding the view
    keeps the buffer alive, so a painter may wrap it without copying. Rows are
    ``stride`` bytes apart, which can be more than ``width * 4``. BGRA bytes with
    alpha 255 are what Qt calls ``Format_RGB32`` on little-endian machines.
    ``instant`` is when the picture was taken, in UTC seconds since the epoch: the
    arrival for live video, the recorded time for playback where the stream tells it.
    Treat it as read-only; it is a plain slots class only because it is made 400
    times a second and a frozen dataclass costs several times more to build.
    """

    pixels: memoryview
    width: int
    height: int
    stride: int
    source_width: int
    source_height: int
    sequence: int
    pts: float | None
    decoded_at: float
    instant: float | None = None
    planes: Planes | None = None
    """Set on the GL path (media/planes.py): the decoder's planes at the source size,
    and ``pixels`` is then empty; a raster painter has nothing to draw from it."""
    crop: Crop | None = None
    """The part of the source picture this one holds (a digitally zoomed tile's), or
    None for all of it; ``source_width`` and ``source_height`` stay the whole's."""


@dataclass(slots=True, eq=False)
class Planes:
    """A decoded picture as the decoder left it, for a painter that converts on the GPU.

    ``layout`` is "yuv420p" (Y, U, V) or "nv12" (Y, interleaved UV). ``data`` are
    zero-copy views that keep the frame's buffers alive; rows are ``line_sizes`` bytes
    apart, often more than the visible width (decoders pad rows for SIMD). ``matrix``
    is (Kr, Kb) of the YUV colour matrix, ``full_range`` whether luma spans 0-255
    rather than 16-235.
    """

    layout: str
    data: tuple[memoryview, ...]
    line_sizes: tuple[int, ...]
    matrix: tuple[float, float]
    full_range: bool
