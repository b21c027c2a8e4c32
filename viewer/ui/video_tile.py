"""One cell of the video grid: paints a camera's newest picture and says what is wrong.

Decode threads poke the tile through a queued signal; the tile then takes the newest
frame from its CameraView on the GUI thread and repaints. The picture arrives already
scaled to the tile's size in device pixels, so painting is a plain blit of a QImage
that wraps the decoder's buffer without copying.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QDrag,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QHideEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QWidget

from viewer.core.models import CameraRef
from viewer.core.streams import fit_inside
from viewer.media.frames import VideoImage
from viewer.media.state import PlayerState, StateInfo
from viewer.services.camera_view import CameraView
from viewer.ui.dragdrop import camera_from_mime, camera_mime
from viewer.ui.tasks import spawn
from viewer.ui.wording import detail_text, state_text

BACKGROUND = QColor(12, 12, 14)
SELECTED = QColor(64, 156, 255)
LIVE = QColor(220, 38, 38)
# A tile resized continuously (a window being dragged) settles before streams switch.
RESIZE_SETTLE_MS = 120


class VideoTile(QWidget):
    selected = Signal(int)
    maximise_requested = Signal(int)
    camera_dropped = Signal(int, object, object)
    """(this tile's index, CameraRef, index of the tile it was dragged from or None)"""
    state_changed = Signal(int)
    frame_painted = Signal(object)
    """Emitted after every paint with the VideoImage painted, or None for a paint
    without a picture; tests and benchmarks watch it."""
    _poked = Signal()

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAcceptDrops(True)
        self.setMinimumSize(32, 18)
        self._view: CameraView | None = None
        self._name = ""
        self._frame: VideoImage | None = None
        self._qimage: QImage | None = None
        self._state = StateInfo(PlayerState.STOPPED)
        self._is_selected = False
        self._drag_start: QPoint | None = None
        self._poked.connect(self._on_poke, Qt.ConnectionType.QueuedConnection)
        self._settle = QTimer(self, singleShot=True, interval=RESIZE_SETTLE_MS)
        self._settle.timeout.connect(self._apply_box)
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self.update)

    # -- what the grid sets ---------------------------------------------------------

    @property
    def camera(self) -> CameraRef | None:
        return self._view.ref if self._view else None

    @property
    def view(self) -> CameraView | None:
        return self._view

    @property
    def state(self) -> StateInfo:
        return self._state

    @property
    def frame(self) -> VideoImage | None:
        return self._frame

    def poke(self) -> None:
        """Thread-safe: a decode thread has something for this tile."""
        self._poked.emit()

    def show_camera(self, view: CameraView | None, name: str = "") -> None:
        """Start showing ``view`` (made with this tile's ``poke``), or nothing."""
        if self._view is not None:
            self._view.close()
        self._view, self._name = view, name
        self._frame = self._qimage = None
        self._set_state(view.state if view else StateInfo(PlayerState.STOPPED))
        if view is not None and self.isVisible():
            self._apply_box()
        self.update()

    def set_name(self, name: str) -> None:
        self._name = name
        self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self._is_selected:
            self._is_selected = selected
            self.update()

    def device_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return round(self.width() * ratio), round(self.height() * ratio)

    # -- frames and state -----------------------------------------------------------

    def _on_poke(self) -> None:
        view = self._view
        if view is None:
            return
        image = view.take()
        if image is not None:
            self._frame = image
            self._qimage = QImage(
                image.pixels, image.width, image.height, image.stride, QImage.Format.Format_RGB32
            )
            self.update()
        self._set_state(view.state)

    def _set_state(self, info: StateInfo) -> None:
        if info == self._state:
            return
        self._state = info
        if info.state is PlayerState.RECONNECTING:
            self._countdown.start()
        else:
            self._countdown.stop()
        self.setToolTip(detail_text(info) if info.error else "")
        self.state_changed.emit(self.index)
        self.update()

    def _apply_box(self) -> None:
        if self._view is not None and self.isVisible():
            spawn(self._view.set_box(*self.device_size()))

    # -- Qt events ------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._settle.start()

    def showEvent(self, event: QShowEvent) -> None:
        if self._view is not None:
            spawn(self._view.resume())
            self._apply_box()

    def hideEvent(self, event: QHideEvent) -> None:
        # Hidden tiles (another one maximised, a minimised window) stop decoding.
        if self._view is not None:
            self._view.suspend()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.show_camera(None)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_start = event.position().toPoint()
        self.selected.emit(self.index)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        start, ref = self._drag_start, self.camera
        if start is None or ref is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - start).manhattanLength() < 12:
            return
        self._drag_start = None
        drag = QDrag(self)
        drag.setMimeData(camera_mime(ref, from_tile=self.index))
        drag.exec(Qt.DropAction.MoveAction)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.maximise_requested.emit(self.index)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if camera_from_mime(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        dropped = camera_from_mime(event.mimeData())
        if dropped is not None:
            event.acceptProposedAction()
            self.camera_dropped.emit(self.index, dropped[0], dropped[1])

    # -- painting -------------------------------------------------------------------

    def video_rect(self) -> QRect:
        """Where the picture goes: the tile's rectangle fitted to the picture's shape."""
        if self._frame is None:
            return self.rect()
        width, height = fit_inside(
            self._frame.source_width, self._frame.source_height, self.width(), self.height()
        )
        return QRect((self.width() - width) // 2, (self.height() - height) // 2, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._qimage is not None:
            target = self.video_rect()
            if self._qimage.size() != target.size() * self.devicePixelRatioF():
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(target), self._qimage)
        if self._view is None:
            self._paint_centre_text(painter, "Drop a camera here", dim=True)
        else:
            self._paint_title(painter)
            text = state_text(self._state, time.monotonic())
            if text:
                self._paint_centre_text(painter, text, dim=False)
        if self._is_selected:
            painter.setPen(QPen(SELECTED, 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))
        painter.end()
        self.frame_painted.emit(self._frame)

    def _paint_title(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(10, min(14, self.height() // 14)))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        bar = QRect(0, 0, self.width(), metrics.height() + 6)
        painter.fillRect(bar, QColor(0, 0, 0, 140))
        live = self._state.state is PlayerState.PLAYING
        badge = "● LIVE" if live else ""
        badge_width = metrics.horizontalAdvance(badge) + 8 if badge else 0
        painter.setPen(QColor(235, 235, 235))
        name = metrics.elidedText(
            self._name, Qt.TextElideMode.ElideRight, max(0, bar.width() - badge_width - 12)
        )
        painter.drawText(bar.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, name)
        if badge:
            painter.setPen(LIVE)
            painter.drawText(
                bar.adjusted(0, 0, -6, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                badge,
            )

    def _paint_centre_text(self, painter: QPainter, text: str, *, dim: bool) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(10, min(16, self.height() // 12)))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = min(self.width() - 8, metrics.horizontalAdvance(text) + 24)
        box = QRect(0, 0, width, metrics.height() + 12)
        box.moveCenter(self.rect().center())
        if not dim:
            painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setPen(QColor(140, 140, 140) if dim else QColor(255, 255, 255))
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, box.width() - 8)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, elided)
