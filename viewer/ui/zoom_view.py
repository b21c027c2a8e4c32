"""Which part of a camera's picture a digitally zoomed tile shows, as plain arithmetic.

Kept apart from the widgets so the rules operators rely on can be checked for every
input: the point under the pointer stays put while the wheel turns, and neither a
zoom nor a pan ever shows anything beyond the picture's edges. Coordinates are
fractions of the whole picture (0..1 on each axis, origin top left), so one state
serves a raster tile, a GL tile and the converter in the decode thread alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from viewer.media.frames import Crop

MAX_FACTOR = 8.0
NOTCH_FACTOR = 1.25
"""Zoom per wheel notch: eight notches from 1x to about 6x, as in the usual VMS clients."""
WHEEL_NOTCH = 120
"""Qt's angle delta of one notch; touchpads send fractions of it."""


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@dataclass(frozen=True)
class ZoomView:
    """``factor`` times enlarged, its top-left corner at (``left``, ``top``)."""

    factor: float = 1.0
    left: float = 0.0
    top: float = 0.0

    @property
    def span(self) -> float:
        """How much of each axis shows: 1 / factor."""
        return 1.0 / self.factor

    @property
    def zoomed(self) -> bool:
        return self.factor > 1.0

    @property
    def crop(self) -> Crop | None:
        """The visible part, or None for the whole picture (which costs nothing extra)."""
        if not self.zoomed:
            return None
        return self.left, self.top, self.span, self.span

    def source_point(self, x: float, y: float) -> tuple[float, float]:
        """The picture's point under (``x``, ``y``), fractions of the tile's picture area."""
        return self.left + x * self.span, self.top + y * self.span

    def zoomed_about(self, x: float, y: float, factor: float) -> ZoomView:
        """Zoom to ``factor`` (clamped to 1..MAX_FACTOR) keeping the picture's point under
        (``x``, ``y``) where it is; near an edge the clamp moves it as little as it can."""
        factor = _clamp(factor, 1.0, MAX_FACTOR)
        source_x, source_y = self.source_point(x, y)
        span = 1.0 / factor
        return ZoomView(factor, source_x - x * span, source_y - y * span).clamped()

    def notched(self, x: float, y: float, notches: float) -> ZoomView:
        """``notches`` turns of the wheel (negative: out) about (``x``, ``y``)."""
        return self.zoomed_about(x, y, self.factor * NOTCH_FACTOR**notches)

    def panned(self, dx: float, dy: float) -> ZoomView:
        """The picture dragged by (``dx``, ``dy``) fractions of the tile's picture area:
        it follows the pointer, so the view moves the opposite way."""
        return ZoomView(
            self.factor, self.left - dx * self.span, self.top - dy * self.span
        ).clamped()

    def clamped(self) -> ZoomView:
        factor = _clamp(self.factor, 1.0, MAX_FACTOR)
        limit = 1.0 - 1.0 / factor
        return ZoomView(factor, _clamp(self.left, 0.0, limit), _clamp(self.top, 0.0, limit))


def relative_crop(shown: Crop | None, wanted: Crop | None) -> Crop:
    """Where ``wanted`` lies inside a picture that holds only ``shown`` of the source,
    as fractions of that picture: how a painter cuts the view out of a picture converted
    for another zoom (the decode thread is a frame behind the wheel), or out of a whole
    picture that arrived uncropped (the GL path, a stream shared with another tile)."""
    sx, sy, sw, sh = shown or (0.0, 0.0, 1.0, 1.0)
    wx, wy, ww, wh = wanted or (0.0, 0.0, 1.0, 1.0)
    return (wx - sx) / sw, (wy - sy) / sh, ww / sw, wh / sh
