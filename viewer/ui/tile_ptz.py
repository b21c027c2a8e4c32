"""Steering on the tile itself, while the operator has PTZ mode on.

A drag from where the button went down steers like the joystick (the further, the
faster: half the tile's width is full speed), release stops; the wheel zooms in short
bursts. A small "PTZ" badge on the tile says the mouse steers the camera rather than
moving the picture between tiles. Installed as an event filter, so the tile itself
knows nothing about PTZ.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QLabel, QWidget

from viewer.services.ptz import PtzController

WHEEL_BURST_MS = 250
"""How long one wheel notch zooms for; notches in a row keep it zooming."""


class TileSteering(QObject):
    def __init__(self, controller: Callable[[], PtzController | None], parent: QObject) -> None:
        super().__init__(parent)
        self._controller = controller
        self._tile: QWidget | None = None
        self._badge: QLabel | None = None
        self._start: QPointF | None = None
        self._wheel = QTimer(self, singleShot=True, interval=WHEEL_BURST_MS)
        self._wheel.timeout.connect(self._wheel_done)

    @property
    def tile(self) -> QWidget | None:
        return self._tile

    def attach(self, tile: QWidget | None) -> None:
        """Steer through ``tile`` (None: no tile steers)."""
        if tile is self._tile:
            return
        if self._tile is not None:
            self._release()
            self._tile.removeEventFilter(self)
            if self._badge is not None:
                self._badge.deleteLater()
            self._badge = None
        self._tile = tile
        if tile is not None:
            tile.installEventFilter(self)
            badge = QLabel("PTZ", tile)
            badge.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            badge.setStyleSheet(
                "background: rgba(30, 110, 200, 200); color: white; padding: 1px 4px;"
                " border-radius: 3px; font-weight: bold"
            )
            badge.adjustSize()
            badge.move(6, tile.height() - badge.height() - 6)
            badge.show()
            self._badge = badge

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._tile:
            return False
        kind = event.type()
        if kind == QEvent.Type.Resize and self._badge is not None and self._tile is not None:
            self._badge.move(6, self._tile.height() - self._badge.height() - 6)
            return False
        controller = self._controller()
        if controller is None:
            return False
        if kind == QEvent.Type.MouseButtonPress:
            assert isinstance(event, QMouseEvent)
            if event.button() != Qt.MouseButton.LeftButton:
                return False
            self._start = event.position()
            return False  # the tile still takes the click as a selection
        if kind == QEvent.Type.MouseMove and self._start is not None:
            assert isinstance(event, QMouseEvent)
            offset = event.position() - self._start
            reach = max(1.0, watched.width() / 4) if isinstance(watched, QWidget) else 100.0
            controller.steer(offset.x() / reach, -offset.y() / reach)
            return True  # no drag of the camera to another tile
        if kind == QEvent.Type.MouseButtonRelease and self._start is not None:
            self._release()
            return False
        if kind == QEvent.Type.Wheel:
            assert isinstance(event, QWheelEvent)
            notches = event.angleDelta().y()
            if notches:
                controller.zoom(1.0 if notches > 0 else -1.0)
                self._wheel.start()
            return True
        return False

    def _release(self) -> None:
        if self._start is not None:
            self._start = None
            controller = self._controller()
            if controller is not None:
                controller.steer(0.0, 0.0)

    def _wheel_done(self) -> None:
        controller = self._controller()
        if controller is not None:
            controller.zoom(0.0)
