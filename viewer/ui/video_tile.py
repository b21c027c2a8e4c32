"""One cell of the video grid: paints a camera's newest picture and says what is wrong.

The grid's frame clock calls :meth:`VideoTile.refresh` at display rate; the tile takes
the newest frame from its CameraView, if one arrived, and repaints. Decode threads
never signal the GUI per frame: waking the GUI thread 400 times a second for 16
streams cost more than painting them (docs/pitfalls.md). The picture arrives already
scaled to the tile's size in device pixels, so painting is a plain blit of a QImage
that wraps the decoder's buffer without copying.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from viewer.core.models import CameraRef
from viewer.core.streams import fit_inside
from viewer.media.frames import Crop, VideoImage
from viewer.media.state import PlayerState, StateInfo
from viewer.services.camera_view import CameraView
from viewer.ui.digital_zoom import TileZoom
from viewer.ui.dragdrop import camera_from_mime, camera_mime
from viewer.ui.playback_bar import speed_text
from viewer.ui.tasks import spawn
from viewer.ui.wording import (
    NO_RECORDING,
    clock_text,
    detail_text,
    state_text,
    statistics_text,
)

BACKGROUND = QColor(12, 12, 14)
SELECTED = QColor(64, 156, 255)
LIVE = QColor(220, 38, 38)
PLAYBACK = QColor(250, 204, 21)
# A tile resized continuously (a window being dragged) settles before streams switch.
RESIZE_SETTLE_MS = 120


class VideoTile(QWidget):
    """A tile; ``frame_painted`` is emitted only while something is connected to it."""

    selected = Signal(int)
    maximise_requested = Signal(int)
    camera_dropped = Signal(int, object, object)
    """(this tile's index, CameraRef, index of the tile it was dragged from or None)"""
    state_changed = Signal(int)
    menu_requested = Signal(int, QPoint)
    """(this tile's index, where the operator right-clicked, in global coordinates)"""
    frame_painted = Signal(object)
    """Emitted after every paint with the VideoImage painted, or None for a paint
    without a picture; tests watch it."""

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
        self._title_cache = _PixmapCache()
        self._message_cache = _PixmapCache()
        self._clock_second = -1
        self._clock = ""
        self._badge = ""
        self._drag_start: QPoint | None = None
        self.painted_frames = 0
        """Distinct pictures painted so far: the frame rate the operator sees."""
        self._last_painted = -1
        self._settle = QTimer(self, singleShot=True, interval=RESIZE_SETTLE_MS)
        self._settle.timeout.connect(self._apply_box)
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._update_message)
        self._news = False
        self._message = ""
        self._statistics_visible = False
        self._statistics = ""
        self._statistics_cache = _PixmapCache()
        self._statistics_timer = QTimer(self, interval=1000)
        self._statistics_timer.timeout.connect(self._update_statistics)
        self._geometry_key: tuple[object, ...] | None = None
        self._video_rect = QRect()
        self._margins: tuple[QRect, ...] = ()
        self._one_to_one = False
        # Set when the grid's GL surface (ui/gl_video.py) draws the picture under this
        # tile: the tile then paints only its overlays, over a transparent background.
        self._gl_drawn = False
        self.zoom = TileZoom(self._zoom_changed)
        """Digital zoom (ui/digital_zoom.py): per tile, back to 1x with a new camera."""
        meta = self.metaObject()
        self._frame_painted_method = meta.method(meta.indexOfSignal("frame_painted(PyObject)"))
        self._update_message()

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

    def show_camera(self, view: CameraView | None, name: str = "") -> None:
        """Start showing ``view`` (made with this tile's ``notice``), or nothing."""
        if self._view is not None:
            self._view.close()
        self._view, self._name = view, name
        self._frame = self._qimage = None
        self.zoom.reset()
        self._news = view is not None
        self._set_state(view.state if view else StateInfo(PlayerState.STOPPED))
        self._update_message()
        self._update_statistics()
        if view is not None and self.isVisible():
            self._apply_box()
        self.update()

    def set_name(self, name: str) -> None:
        self._name = name
        self.update()

    def set_statistics_visible(self, visible: bool) -> None:
        """Show the stream's figures over the picture, refreshed once a second."""
        self._statistics_visible = visible
        if visible:
            self._statistics_timer.start()
        else:
            self._statistics_timer.stop()
        self._update_statistics()

    @property
    def statistics(self) -> str:
        """The figures shown over the picture; empty while they are hidden."""
        return self._statistics

    def set_selected(self, selected: bool) -> None:
        if selected != self._is_selected:
            self._is_selected = selected
            self.update()

    def device_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return round(self.width() * ratio), round(self.height() * ratio)

    # -- frames and state -----------------------------------------------------------

    def notice(self) -> None:
        """Thread-safe: a decode thread left a picture or a state change for this tile.

        Only a flag (one attribute store, atomic under the GIL): the frame clock looks
        at it and leaves quiet tiles alone.
        """
        self._news = True

    def set_gl_drawn(self, gl_drawn: bool) -> None:
        """The GL surface under the tile draws its picture (True) or the tile blits it."""
        self._gl_drawn = gl_drawn
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, not gl_drawn)
        self._qimage = None
        self.update()

    def refresh(self) -> bool:
        """Take the newest picture and state from the view; called by the frame clock.

        True when a new picture came, which the GL surface must draw."""
        view = self._view
        if view is None:
            return False
        badge = self.badge
        if badge != self._badge:
            # A pause or a new speed brings no new picture: the title bar changes anyway.
            self._badge = badge
            self.update()
        if not self._news:
            return False
        self._news = False
        image = view.take()
        if image is not None and self._gl_drawn:
            previous, self._frame = self._frame, image
            # The overlay changes with the clock's second or the picture's shape only.
            if previous is None or _overlay_key(previous) != _overlay_key(image):
                self.update()
        elif image is not None and image.planes is None:
            self._frame = image
            self._qimage = QImage(
                image.pixels, image.width, image.height, image.stride, QImage.Format.Format_RGB32
            )
            # Device pixels: on a scaled screen the picture covers fewer logical pixels.
            self._qimage.setDevicePixelRatio(self.devicePixelRatioF())
            self.update()
        self._set_state(view.state)
        return image is not None and self._gl_drawn

    def _set_state(self, info: StateInfo) -> None:
        if info is self._state or info == self._state:
            return
        self._state = info
        self._update_message()
        if info.state is PlayerState.RECONNECTING:
            self._countdown.start()
        else:
            self._countdown.stop()
        self.setToolTip(detail_text(info) if info.error else "")
        self.state_changed.emit(self.index)
        self.update()

    def _update_message(self) -> None:
        """The words in the middle of the tile; recomputed on change and each second."""
        if self._view is None:
            self._message = "Drop a camera here"
        elif self._view.playback is not None and self._view.recording_missing:
            self._message = NO_RECORDING
        else:
            self._message = state_text(self._state)
        self.update()

    def _update_statistics(self) -> None:
        view = self._view
        stats = view.statistics() if view is not None and self._statistics_visible else None
        text = statistics_text(stats, view.quality) if view is not None and stats else ""
        if text != self._statistics:
            self._statistics = text
            self.update()

    def _zoom_changed(self, crop: Crop | None) -> None:
        if self._view is not None:
            spawn(self._view.set_crop(crop))
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
        if event.button() == Qt.MouseButton.LeftButton and not self.zoom.press(event.position()):
            self._drag_start = event.position().toPoint()
        self.selected.emit(self.index)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.zoom.release()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # PTZ mode's filter (ui/tile_ptz.py) takes the wheel first for the optical zoom.
        if self._frame is None or not self.zoom.wheel(
            self.video_rect(), event.position(), event.angleDelta().y()
        ):
            event.ignore()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.zoom.move(self.video_rect(), event.position()):
            return
        start, ref = self._drag_start, self.camera
        if start is None or ref is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - start).manhattanLength() < 12:
            return
        self._drag_start = None
        drag = QDrag(self)
        drag.setMimeData(camera_mime(ref, from_tile=self.index))
        drag.exec(Qt.DropAction.MoveAction)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.selected.emit(self.index)
        self.menu_requested.emit(self.index, event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.zoom.zoomed:
            self.zoom.reset()
        else:
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
        """Where the picture goes: the tile's rectangle fitted to the picture's shape.

        A picture converted for this tile's size is drawn pixel for pixel (its width is
        rounded to even, so it can be a pixel narrower than the fit); anything else (the
        tile just resized, a stream shared with a bigger tile) is scaled into the fitted
        rectangle. On a scaled screen a picture's size in logical pixels can end in a
        half; the rectangle is rounded down so the picture, painted after the margins,
        covers every device pixel of it. Computed once per change of size.
        """
        frame = self._frame
        if frame is None:
            return self.rect()
        ratio = self.devicePixelRatioF()
        key = (
            frame.width,
            frame.height,
            frame.source_width,
            frame.source_height,
            self.size(),
            ratio,
        )
        if key != self._geometry_key:
            self._geometry_key = key
            width, height = fit_inside(
                frame.source_width, frame.source_height, self.width(), self.height()
            )
            self._one_to_one = (
                abs(frame.width - width * ratio) <= 2 and abs(frame.height - height * ratio) <= 2
            )
            if self._one_to_one:
                width, height = math.floor(frame.width / ratio), math.floor(frame.height / ratio)
            self._video_rect = QRect(
                (self.width() - width) // 2, (self.height() - height) // 2, width, height
            )
            self._margins = tuple(
                m for m in _margins(self.rect(), self._video_rect) if not m.isEmpty()
            )
        return self._video_rect

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        frame = self._frame
        if self._gl_drawn:
            self._paint_overlay(painter)
            painter.end()
            return
        if self._qimage is not None:
            target = self.video_rect()
            # Only the letterbox margins need clearing: the picture covers the rest.
            for margin in self._margins:
                painter.fillRect(margin, BACKGROUND)
            shown = frame.crop if frame is not None else None
            if shown != self.zoom.crop:
                # The part for this zoom is on its way: cut from the picture there is.
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                source = self.zoom.source_rect(shown, self._qimage.width(), self._qimage.height())
                painter.drawImage(QRectF(target), self._qimage, source)
            elif self._one_to_one:
                # A plain copy of rows; the rectangle overload checks for scaling first.
                painter.drawImage(target.topLeft(), self._qimage)
            else:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(QRectF(target), self._qimage)
        else:
            painter.fillRect(self.rect(), BACKGROUND)
        self._paint_overlay(painter)
        painter.end()
        self.picture_drawn(frame)

    def picture_drawn(self, frame: VideoImage | None) -> None:
        """Count and announce a paint of ``frame``; the GL surface calls it for its draws."""
        if frame is not None and frame.sequence != self._last_painted:
            self._last_painted = frame.sequence
            self.painted_frames += 1
        if self.isSignalConnected(self._frame_painted_method):
            self.frame_painted.emit(frame)

    def _paint_overlay(self, painter: QPainter) -> None:
        """Name, live badge, state words and selection frame over the picture.

        Laying out text costs more than blitting a whole picture, so each piece is
        rendered once into a small pixmap and redrawn only when what it says changes.
        """
        title = None
        if self._view is not None:
            badge = self.badge
            clock = self._clock_text()
            title = self._title_cache.get(
                (self.width(), self.devicePixelRatioF(), self._name, badge, clock),
                lambda: self._draw_title(badge, clock),
            )
            painter.drawPixmap(0, 0, title)
        if self._statistics:
            below = round(title.deviceIndependentSize().height()) if title is not None else 0
            self._paint_statistics(painter, below)
        text = self._message
        if text:
            message = self._message_cache.get(
                (self.size(), self.devicePixelRatioF(), text, self._view is None),
                lambda: self._draw_message(text, dim=self._view is None),
            )
            size = message.deviceIndependentSize()
            painter.drawPixmap(
                round((self.width() - size.width()) / 2),
                round((self.height() - size.height()) / 2),
                message,
            )
        self.zoom.paint(painter, self.video_rect())
        if self._is_selected:
            painter.setPen(QPen(SELECTED, 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))

    def _paint_statistics(self, painter: QPainter, below: int) -> None:
        """The figures go in the picture's top right corner, clear of the title bar."""
        text = self._statistics
        box = self._statistics_cache.get(
            (self.size(), self.devicePixelRatioF(), text), lambda: self._draw_statistics(text)
        )
        size = box.deviceIndependentSize()
        picture = self.video_rect()
        x = max(0, picture.right() + 1 - round(size.width()) - 4)
        y = max(picture.top(), below) + 4
        painter.drawPixmap(x, y, box)

    def _draw_statistics(self, text: str) -> QPixmap:
        font = self._font(max(9, min(13, self.height() // 18)))
        metrics = QFontMetrics(font)
        lines = text.split("\n")
        limit = max(1, self.width() - 16)
        lines = [metrics.elidedText(line, Qt.TextElideMode.ElideRight, limit) for line in lines]
        width = max(metrics.horizontalAdvance(line) for line in lines) + 12
        box = QRect(0, 0, width, metrics.lineSpacing() * len(lines) + 8)
        pixmap, painter = self._transparent(box.width(), box.height())
        painter.setFont(font)
        painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setPen(QColor(235, 235, 235))
        for row, line in enumerate(lines):
            painter.drawText(6, 4 + metrics.ascent() + row * metrics.lineSpacing(), line)
        painter.end()
        return pixmap

    def _font(self, pixels: int) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(pixels)
        return font

    def _transparent(self, width: int, height: int) -> tuple[QPixmap, QPainter]:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(width * ratio), round(height * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        return pixmap, QPainter(pixmap)

    @property
    def clock(self) -> str:
        """The instant of the picture shown, as the title bar says it (local time)."""
        return self._clock_text()

    def _clock_text(self) -> str:
        """When the shown picture was taken, to the second; formatted once a second."""
        frame = self._frame
        if frame is None or frame.instant is None:
            return ""
        second = int(frame.instant)
        if second != self._clock_second:
            self._clock_second, self._clock = second, clock_text(second)
        return self._clock

    @property
    def badge(self) -> str:
        """Live or recorded, as the title bar says it: a tile following the playback
        clock must never read LIVE, whatever its player's state."""
        playback = self._view.playback if self._view is not None else None
        if playback is not None:
            clock = playback.clock
            return "❚❚ PAUSED" if clock.paused else f"▶ PLAYBACK {speed_text(clock.speed)}"
        return "● LIVE" if self._state.state is PlayerState.PLAYING else ""

    def _draw_title(self, state: str, clock: str) -> QPixmap:
        font = self._font(max(10, min(14, self.height() // 14)))
        metrics = QFontMetrics(font)
        pixmap, painter = self._transparent(self.width(), metrics.height() + 6)
        bar = QRect(0, 0, self.width(), metrics.height() + 6)
        painter.setFont(font)
        painter.fillRect(bar, QColor(0, 0, 0, 140))
        badge = "  ".join(part for part in (state, clock) if part)
        badge_width = metrics.horizontalAdvance(badge) + 8 if badge else 0
        painter.setPen(QColor(235, 235, 235))
        name = metrics.elidedText(
            self._name, Qt.TextElideMode.ElideRight, max(0, bar.width() - badge_width - 12)
        )
        painter.drawText(bar.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, name)
        if badge:
            painter.setPen(LIVE if state.startswith("●") else PLAYBACK)
            painter.drawText(
                bar.adjusted(0, 0, -6, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                badge,
            )
        painter.end()
        return pixmap

    def _draw_message(self, text: str, *, dim: bool) -> QPixmap:
        font = self._font(max(10, min(16, self.height() // 12)))
        metrics = QFontMetrics(font)
        width = max(1, min(self.width() - 8, metrics.horizontalAdvance(text) + 24))
        box = QRect(0, 0, width, metrics.height() + 12)
        pixmap, painter = self._transparent(box.width(), box.height())
        painter.setFont(font)
        if not dim:
            painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setPen(QColor(140, 140, 140) if dim else QColor(255, 255, 255))
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, box.width() - 8)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, elided)
        painter.end()
        return pixmap


class _PixmapCache:
    """One pixmap, kept while its key (what it shows, at what size) stays the same."""

    def __init__(self) -> None:
        self._key: object = None
        self._pixmap = QPixmap()

    def get(self, key: object, draw: Callable[[], QPixmap]) -> QPixmap:
        if key != self._key:
            self._key, self._pixmap = key, draw()
        return self._pixmap


def _overlay_key(image: VideoImage) -> tuple[object, ...]:
    """What of a picture the overlays show or depend on: its second and its shape."""
    second = int(image.instant) if image.instant is not None else None
    return second, image.source_width, image.source_height, image.width, image.height


def _margins(outer: QRect, inner: QRect) -> tuple[QRect, ...]:
    """The parts of ``outer`` that ``inner`` (centred inside it) leaves uncovered."""
    return (
        QRect(outer.left(), outer.top(), outer.width(), inner.top() - outer.top()),
        QRect(outer.left(), inner.bottom() + 1, outer.width(), outer.bottom() - inner.bottom()),
        QRect(outer.left(), inner.top(), inner.left() - outer.left(), inner.height()),
        QRect(inner.right() + 1, inner.top(), outer.right() - inner.right(), inner.height()),
    )
