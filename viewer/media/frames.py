"""The picture a decode thread hands to whoever paints it."""

from __future__ import annotations

from dataclasses import dataclass


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
