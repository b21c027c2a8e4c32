"""Digital zoom on a tile, as operators know it from XProtect Smart Client and Nx.

The wheel zooms the picture about the pointer (1x to 8x), a drag pans the zoomed
picture, a double-click goes back to the whole picture. While PTZ mode steers the
camera from the tile (ui/tile_ptz.py), its event filter takes the wheel and the drag
first, so the optical zoom wins there. A small overlay gives the factor and a mini-map
of where the part lies in the whole picture.

The tile only forwards events and paints: the arithmetic is ui/zoom_view.py, and the
sharp part comes from the decode thread (services CameraView.set_crop) on the raster
path, from the shader's texture coordinates on the GL path. Until the first part
cut for a new zoom arrives, the painter cuts it out of the picture it has.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from viewer.media.frames import Crop
from viewer.ui.zoom_view import WHEEL_NOTCH, ZoomView, relative_crop

MAP_WIDTH = 64
"""The mini-map's width in logical pixels; its height follows the picture's shape."""


class TileZoom:
    """One tile's zoom; ``changed`` is called with the new crop (None: the whole)."""

    def __init__(self, changed: Callable[[Crop | None], None]) -> None:
        self._changed = changed
        self._view = ZoomView()
        self._grab: QPointF | None = None

    @property
    def view(self) -> ZoomView:
        return self._view

    @property
    def crop(self) -> Crop | None:
        return self._view.crop

    @property
    def zoomed(self) -> bool:
        return self._view.zoomed

    def set_view(self, view: ZoomView) -> None:
        """Show ``view`` (clamped), as a restored layout or a test sets it."""
        self._set(view.clamped())

    def reset(self) -> None:
        """Back to the whole picture (the "1:1" of the operator's menu, a double-click)."""
        self._grab = None
        self._set(ZoomView())

    def wheel(self, picture: QRect, at: QPointF, angle: int) -> bool:
        """A wheel turn over the tile; False when it was not over the picture."""
        if not angle or picture.isEmpty() or not QRectF(picture).contains(at):
            return False
        x, y = _fractions(picture, at)
        self._set(self._view.notched(x, y, angle / WHEEL_NOTCH))
        return True

    def press(self, at: QPointF) -> bool:
        """A left button press: grabs the picture when zoomed (True), else lets the tile
        start a camera drag."""
        self._grab = at if self._view.zoomed else None
        return self._grab is not None

    def move(self, picture: QRect, at: QPointF) -> bool:
        """A move with the button held: pans (True) while the picture is grabbed."""
        if self._grab is None or picture.isEmpty():
            return False
        delta = at - self._grab
        self._grab = at
        self._set(self._view.panned(delta.x() / picture.width(), delta.y() / picture.height()))
        return True

    def release(self) -> None:
        self._grab = None

    def _set(self, view: ZoomView) -> None:
        if view != self._view:
            before = self._view.crop
            self._view = view
            if view.crop != before:
                self._changed(view.crop)

    def source_rect(self, shown: Crop | None, width: int, height: int) -> QRectF:
        """Which pixels of a ``width`` x ``height`` picture holding ``shown`` of the
        source make up the zoomed view."""
        x, y, w, h = relative_crop(shown, self.crop)
        return QRectF(x * width, y * height, w * width, h * height)

    def paint(self, painter: QPainter, picture: QRect) -> None:
        """The factor and a mini-map in the picture's bottom-right corner, while zoomed."""
        if not self._view.zoomed or picture.isEmpty():
            return
        view = self._view
        map_w = min(MAP_WIDTH, picture.width() // 4)
        map_h = max(1, round(map_w * picture.height() / picture.width()))
        whole = QRect(picture.right() - map_w - 6, picture.bottom() - map_h - 6, map_w, map_h)
        painter.save()
        painter.fillRect(whole, QColor(0, 0, 0, 140))
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1))
        painter.drawRect(whole)
        part = QRectF(
            whole.x() + view.left * map_w,
            whole.y() + view.top * map_h,
            max(2.0, view.span * map_w),
            max(2.0, view.span * map_h),
        )
        painter.setPen(QPen(QColor(250, 204, 21), 1))
        painter.drawRect(part)
        text = f"{view.factor:.1f}x"
        metrics = painter.fontMetrics()
        label = QRect(0, 0, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
        label.moveBottomRight(whole.topRight() - QPoint(0, 4))
        painter.fillRect(label, QColor(0, 0, 0, 170))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    @property
    def label(self) -> str:
        """What the overlay says: the factor, or nothing at 1x."""
        return f"{self._view.factor:.1f}x" if self._view.zoomed else ""


def _fractions(picture: QRect, at: QPointF) -> tuple[float, float]:
    x = (at.x() - picture.x()) / picture.width()
    y = (at.y() - picture.y()) / picture.height()
    return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
