"""Spring-loaded controls: a virtual joystick (pan and tilt) and a zoom rocker.

Both behave as the hardware an operator knows: the further the knob is pushed, the faster
the camera moves; let go and the knob springs back and the camera stops at once. They
report positions only (``moved``, ``released``); the controller decides what the VMS is
sent and how often.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BASE = QColor(45, 48, 54)
RIM = QColor(90, 96, 108)
KNOB = QColor(170, 178, 190)
KNOB_HELD = QColor(98, 160, 234)


class Joystick(QWidget):
    """``moved(pan, tilt)`` from -1 to 1 (right and up positive) while dragged."""

    moved = Signal(float, float)
    released = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Drag to pan and tilt: the further, the faster; let go to stop")
        self._deflection = QPointF()
        self._held = False

    @property
    def deflection(self) -> tuple[float, float]:
        return self._deflection.x(), self._deflection.y()

    def sizeHint(self) -> QSize:
        return QSize(160, 160)

    def _radius(self) -> float:
        return min(self.width(), self.height()) / 2 - 4

    def knob_radius(self) -> float:
        return max(8.0, self._radius() / 4)

    def centre(self) -> QPointF:
        return QPointF(self.width() / 2, self.height() / 2)

    def _travel(self) -> float:
        """How far the knob's centre may go from the middle: full deflection."""
        return max(1.0, self._radius() - self.knob_radius())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._held = True
        self._follow(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._held:
            self._follow(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._held:
            self.let_go()

    def let_go(self) -> None:
        """The knob springs back to the middle."""
        self._held = False
        self._deflection = QPointF()
        self.update()
        self.released.emit()

    def _follow(self, position: QPointF) -> None:
        offset = position - self.centre()
        x, y = offset.x() / self._travel(), -offset.y() / self._travel()
        length = math.hypot(x, y)
        if length > 1.0:
            x, y = x / length, y / length
        self._deflection = QPointF(x, y)
        self.update()
        self.moved.emit(x, y)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre, radius = self.centre(), self._radius()
        painter.setPen(QPen(RIM, 2))
        painter.setBrush(BASE)
        painter.drawEllipse(centre, radius, radius)
        painter.setPen(QPen(RIM, 1, Qt.PenStyle.DotLine))
        painter.drawLine(
            QPointF(centre.x() - radius, centre.y()), QPointF(centre.x() + radius, centre.y())
        )
        painter.drawLine(
            QPointF(centre.x(), centre.y() - radius), QPointF(centre.x(), centre.y() + radius)
        )
        knob = self.knob_radius()
        at = centre + QPointF(self._deflection.x(), -self._deflection.y()) * self._travel()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(KNOB_HELD if self._held else KNOB)
        painter.drawEllipse(at, knob, knob)
        painter.end()


FULL_ZOOM_FROM = 0.85
"""The rocker zooms at full speed from this far out on either half (0 middle, 1 end)."""


class ZoomRocker(QWidget):
    """``moved(speed)`` from -1 (out, left half) to 1 (in, right half) while pressed; the
    further from the middle, the faster."""

    moved = Signal(float)
    released = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 28)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Zoom: press − or + and hold; further out is faster")
        self._speed = 0.0
        self._held = False

    @property
    def speed(self) -> float:
        return self._speed

    def sizeHint(self) -> QSize:
        return QSize(160, 30)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._held = True
            self._follow(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._held:
            self._follow(event.position().x())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._held:
            self._held = False
            self._speed = 0.0
            self.update()
            self.released.emit()

    def _follow(self, x: float) -> None:
        half = max(1.0, self.width() / 2)
        # A press anywhere on a half zooms at least gently: the middle is not a dead spot;
        # the outer part of each end is full speed, so the hand need not find the last pixel
        # of a narrow dock.
        offset = (x - half) / half
        reach = min(1.0, abs(offset) / FULL_ZOOM_FROM)
        speed = math.copysign(0.3 + 0.7 * reach, offset) if offset else 0.3
        self._speed = max(-1.0, min(1.0, speed))
        self.update()
        self.moved.emit(self._speed)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        whole = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        half = whole.width() / 2
        for index, sign in enumerate(("−", "+")):
            part = QRectF(whole.left() + index * half, whole.top(), half, whole.height())
            pressed = self._held and (self._speed < 0) == (index == 0)
            painter.setPen(QPen(RIM, 1))
            painter.setBrush(KNOB_HELD if pressed else BASE)
            painter.drawRoundedRect(part.adjusted(1, 0, -1, 0), 4, 4)
            painter.setPen(KNOB)
            painter.drawText(part, Qt.AlignmentFlag.AlignCenter, sign)
        painter.end()
