"""The PTZ dock: steering the camera of the selected tile.

Enabled only while that camera can move. The joystick and the zoom rocker move it while
held; the arrow keys and +/- do the same while held (auto-repeat ignored, so a held key
is one move, not thirty), Esc stops, and the number keys go to the presets in the list's
order. Presets can be saved and deleted where the VMS allows it. The position shows where
the VMS reports one; a refusal shows in words under the controls.

Any other input (a drag on the tile, a gamepad) drives the same :class:`PtzController`
through :meth:`PtzPanel.controller`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from viewer.core.models import Camera, CameraRef
from viewer.services.directory import Directory
from viewer.services.gamepad import GamepadInput
from viewer.services.ptz import PtzController
from viewer.ui.gamepad import GamepadDriver, default_input
from viewer.ui.joystick import Joystick, ZoomRocker
from viewer.ui.tasks import spawn
from viewer.ui.wording import ptz_problem

KEY_SPEED = 0.6
"""Deflection of a held arrow key: brisk, but finer than the stick pushed to its rim."""
_ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, 1),
    Qt.Key.Key_Down: (0, -1),
}
_ZOOM_KEYS = {Qt.Key.Key_Plus: 1, Qt.Key.Key_Equal: 1, Qt.Key.Key_Minus: -1}
PRESET_ROLE = Qt.ItemDataRole.UserRole


class PtzPanel(QDockWidget):
    """``mode_changed(on)``: the operator turned steering on the tile itself on or off;
    ``controller_changed()``: :attr:`controller` became another (a camera known to move,
    or None)."""

    mode_changed = Signal(bool)
    controller_changed = Signal()

    def __init__(
        self,
        directory: Directory,
        parent: QWidget | None = None,
        *,
        gamepad: Callable[[], GamepadInput | None] = default_input,
    ) -> None:
        """``gamepad`` opens the pad's input (SDL where the extra is installed)."""
        super().__init__("PTZ", parent)
        self.setObjectName("PtzDock")
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self._directory = directory
        self._ref: CameraRef | None = None
        self._camera: Camera | None = None
        """The camera as the directory knew it: a site still loading knows none yet."""
        self._controller: PtzController | None = None
        self._announced: PtzController | None = None
        self._closed = False
        self._keys: set[Qt.Key] = set()
        self._build()
        self._connect()
        self._show_controls()
        self.gamepad = GamepadDriver(lambda: self.controller, gamepad(), self)
        self.gamepad.attached.connect(self._gamepad_attached)
        # A site that comes online makes the selected camera known (and maybe movable).
        directory.subscribe(self._directory_changed)

    def _build(self) -> None:
        body = QWidget(self)
        body.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        body.installEventFilter(self)
        self.body = body
        layout = QVBoxLayout(body)
        self.camera_label = QLabel("No camera selected", body)
        self.camera_label.setWordWrap(True)
        layout.addWidget(self.camera_label)
        self.joystick = Joystick(body)
        layout.addWidget(self.joystick, 1)
        self.rocker = ZoomRocker(body)
        layout.addWidget(self.rocker)
        row = QHBoxLayout()
        self.home_button = QPushButton("Home", body)
        self.home_button.setToolTip("Back to the camera's home position")
        self.stop_button = QPushButton("Stop", body)
        self.stop_button.setToolTip("Stop the camera now (Esc)")
        row.addWidget(self.home_button)
        row.addWidget(self.stop_button)
        layout.addLayout(row)
        self.tile_mode = QCheckBox("Steer on the tile", body)
        self.tile_mode.setToolTip("Drag on the selected tile to steer; its wheel zooms the camera")
        layout.addWidget(self.tile_mode)
        self.position_label = QLabel("", body)
        layout.addWidget(self.position_label)
        self._build_presets(body, layout)
        self.gamepad_label = QLabel("", body)
        self.gamepad_label.setToolTip(
            "A gamepad steers too: left stick, triggers zoom, A B X Y"
            " go to presets 1-4, Start goes home"
        )
        self.gamepad_label.hide()
        layout.addWidget(self.gamepad_label)
        self.problem_label = QLabel("", body)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #e07070")
        layout.addWidget(self.problem_label)
        # In a small window the dock scrolls rather than make the window taller.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)

    def _build_presets(self, body: QWidget, layout: QVBoxLayout) -> None:
        title = QLabel("Presets (double-click or 1-9 to go)", body)
        title.setWordWrap(True)
        layout.addWidget(title)
        self.presets = QListWidget(body)
        layout.addWidget(self.presets, 1)
        # The name on a row of its own: beside the buttons it made the dock wider than
        # its column, which then scrolled sideways and cut the joystick off.
        self.preset_name = QLineEdit(body)
        self.preset_name.setPlaceholderText("New preset name")
        layout.addWidget(self.preset_name)
        save_row = QHBoxLayout()
        self.save_button = QPushButton("Save here", body)
        self.save_button.setToolTip("Keep where the camera points now as a new preset")
        self.delete_button = QPushButton("Delete", body)
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.delete_button)
        layout.addLayout(save_row)

    def _connect(self) -> None:
        self.joystick.moved.connect(self._steer)
        self.joystick.released.connect(self._steer_released)
        self.rocker.moved.connect(self._zoom)
        self.rocker.released.connect(lambda: self._zoom(0.0))
        self.home_button.clicked.connect(lambda: self._act(lambda c: c.home()))
        self.stop_button.clicked.connect(self.stop)
        self.presets.itemDoubleClicked.connect(self._go)
        self.save_button.clicked.connect(self._save)
        self.delete_button.clicked.connect(self._delete)
        self.tile_mode.toggled.connect(self.mode_changed)

    # -- following the selection ----------------------------------------------------------

    @property
    def controller(self) -> PtzController | None:
        """The controller of the camera shown, once it is known to move."""
        controller = self._controller
        return controller if controller is not None and controller.capabilities else None

    @property
    def camera(self) -> CameraRef | None:
        return self._ref

    def follow(self, ref: CameraRef | None) -> None:
        """Show the controls of ``ref`` (the selected tile's camera); the previous camera
        is stopped if it was moving."""
        camera = self._directory.camera(ref) if ref is not None else None
        if ref == self._ref and (camera is None) == (self._camera is None):
            return
        self._ref, self._camera = ref, camera
        self._keys.clear()
        old, self._controller = self._controller, None
        if old is not None:
            spawn(old.close())
        session = self._directory.session(ref.site_id) if ref is not None else None
        if ref is None or camera is None or session is None or not camera.ptz:
            self.camera_label.setText(
                f"{camera.name}: no PTZ" if camera is not None else "No camera selected"
            )
            self._show_controls()
            return
        self.camera_label.setText(camera.name)
        controller = PtzController(session.backend, ref.camera_id)
        controller.changed = lambda: self._changed(controller)
        self._controller = controller
        self._show_controls()
        spawn(self._start(controller))

    async def _start(self, controller: PtzController) -> None:
        if await controller.start() and controller is self._controller:
            controller.watch_position(self.isVisible())
        self._changed(controller)

    def _directory_changed(self) -> None:
        if not self._closed:
            self.follow(self._ref)

    def _gamepad_attached(self, name: str) -> None:
        self.gamepad_label.setText(f"Gamepad: {name}" if name else "")
        self.gamepad_label.setVisible(bool(name))

    async def close_controller(self) -> None:
        """Stops the camera, the polling and the gamepad; the window is going."""
        self._closed = True
        self.gamepad.stop()
        old, self._controller, self._ref, self._camera = self._controller, None, None, None
        if old is not None:
            await old.close()

    def showEvent(self, event: object) -> None:
        if self.controller is not None:
            self.controller.watch_position(True)

    def hideEvent(self, event: object) -> None:
        if self.controller is not None:
            self.controller.release()
            self.controller.watch_position(False)

    def _changed(self, controller: PtzController) -> None:
        if controller is self._controller:
            self._show_controls()

    def _show_controls(self) -> None:
        controller = self.controller
        movable = controller is not None
        for part in (self.joystick, self.home_button, self.stop_button, self.tile_mode):
            part.setEnabled(movable)
        self.rocker.setEnabled(movable and controller is not None and controller.can_zoom)
        can_save = controller is not None and controller.can_save_presets
        self.preset_name.setEnabled(can_save)
        self.save_button.setEnabled(can_save)
        self.delete_button.setEnabled(controller is not None and controller.can_delete_presets)
        self.presets.setEnabled(movable)
        self._fill_presets(controller)
        position = controller.position if controller is not None else None
        self.position_label.setText(
            ""
            if position is None
            else f"Pan {position.pan:+.2f}  Tilt {position.tilt:+.2f}  Zoom {position.zoom:.2f}"
        )
        problem = self._controller.problem if self._controller is not None else None
        self.problem_label.setText(ptz_problem(problem))
        if not movable and self.tile_mode.isChecked():
            self.tile_mode.setChecked(False)
        if controller is not self._announced:
            self._announced = controller
            self.controller_changed.emit()

    def _fill_presets(self, controller: PtzController | None) -> None:
        presets = controller.presets if controller is not None else ()
        shown = tuple(
            self.presets.item(row).data(PRESET_ROLE) for row in range(self.presets.count())
        )
        if shown == presets:
            return
        self.presets.clear()
        for number, preset in enumerate(presets, start=1):
            label = f"{number}  {preset.name}" if number <= 9 else f"    {preset.name}"
            item = QListWidgetItem(label)
            item.setData(PRESET_ROLE, preset)
            self.presets.addItem(item)

    # -- the operator's hand --------------------------------------------------------------

    def _steer(self, pan: float, tilt: float) -> None:
        if self.controller is not None:
            self.controller.steer(pan, tilt)

    def _steer_released(self) -> None:
        if self.controller is not None:
            self.controller.steer(0.0, 0.0)

    def _zoom(self, speed: float) -> None:
        if self.controller is not None:
            self.controller.zoom(speed)

    def stop(self) -> None:
        self._keys.clear()
        if self.controller is not None:
            self.controller.stop()

    def _act(self, action: Callable[[PtzController], Coroutine[Any, Any, object]]) -> None:
        controller = self.controller
        if controller is not None:
            spawn(action(controller))

    def _go(self, item: QListWidgetItem) -> None:
        preset = item.data(PRESET_ROLE)
        self._act(lambda c: c.goto_preset(preset.id))

    def go_to_number(self, number: int) -> None:
        item = self.presets.item(number - 1)
        if item is not None:
            self._go(item)

    def _save(self) -> None:
        name = self.preset_name.text().strip()
        if not name:
            self.problem_label.setText("Name the preset first")
            self.preset_name.setFocus()
            return
        self.preset_name.clear()
        self._act(lambda c: c.save_preset(name))

    def _delete(self) -> None:
        item = self.presets.currentItem()
        if item is None:
            self.problem_label.setText("Pick the preset to delete first")
            return
        preset = item.data(PRESET_ROLE)
        self._act(lambda c: c.delete_preset(preset.id))

    # -- keyboard -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.body:
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.ShortcutOverride:
            # The window's shortcuts (1-8 pick the grid, Esc restores it) would take
            # these keys before the panel sees them.
            assert isinstance(event, QKeyEvent)
            if _is_panel_key(Qt.Key(event.key())):
                event.accept()
                return True
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            assert isinstance(event, QKeyEvent)
            return self.key(event)
        return super().eventFilter(watched, event)

    def key(self, event: QKeyEvent) -> bool:
        """Arrow keys and +/- move while held, Esc stops, 1-9 go to a preset. True when
        the key was the panel's."""
        key = Qt.Key(event.key())
        pressed = event.type() == QEvent.Type.KeyPress
        if key == Qt.Key.Key_Escape and pressed:
            self.stop()
            return True
        if pressed and Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not event.isAutoRepeat():
            self.go_to_number(key - Qt.Key.Key_0)
            return True
        if key not in _ARROWS and key not in _ZOOM_KEYS:
            return False
        if event.isAutoRepeat():
            return True
        if pressed:
            self._keys.add(key)
        else:
            self._keys.discard(key)
        pan = sum(_ARROWS[k][0] for k in self._keys if k in _ARROWS) * KEY_SPEED
        tilt = sum(_ARROWS[k][1] for k in self._keys if k in _ARROWS) * KEY_SPEED
        zoom = sum(_ZOOM_KEYS[k] for k in self._keys if k in _ZOOM_KEYS)
        controller = self.controller
        if controller is not None:
            controller.steer(pan, tilt)
            controller.zoom(max(-1, min(1, zoom)) * KEY_SPEED)
        return True


def _is_panel_key(key: Qt.Key) -> bool:
    return (
        key == Qt.Key.Key_Escape
        or Qt.Key.Key_1 <= key <= Qt.Key.Key_9
        or key in _ARROWS
        or key in _ZOOM_KEYS
    )
