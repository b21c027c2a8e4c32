"""The playback controls under the grid: play and pause, speed, frame steps, skip gaps,
previous and next event, sync and Live.

The bar decides nothing: each control is a signal, and ``connect_controls`` wires them
to any object with the PlaybackControls methods (the services' playback session), so
the bar and the session are joined by one call and each is tested alone. What the
session then reports (playing or not, the speed, whether the site can step back)
comes back through the ``set_…`` methods; a control the site cannot honour is
disabled rather than left to fail.

Icons are drawn, not taken from a font: a control room's machine may lack the
glyphs, and a drawn triangle looks the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from viewer.core.playback import SPEEDS

ICON_SIZE = 18
ICON_COLOUR = QColor(222, 224, 228)
LIVE_COLOUR = QColor(230, 64, 64)


class PlaybackControls(Protocol):
    """What the bar drives; the playback session implements it."""

    def play(self) -> None: ...
    def pause(self) -> None: ...
    def set_speed(self, speed: float) -> None: ...
    def step(self, frames: int) -> None: ...
    def previous_event(self) -> None: ...
    def next_event(self) -> None: ...
    def set_skip_gaps(self, on: bool) -> None: ...
    def set_sync(self, on: bool) -> None: ...
    def go_live(self) -> None: ...


def speed_text(speed: float) -> str:
    fractions = {0.25: "¼", 0.5: "½"}
    return f"{fractions.get(speed, f'{speed:g}')}×"


def _icon(kind: str, colour: QColor = ICON_COLOUR) -> QIcon:
    """A control's symbol drawn at twice its size (sharp on scaled screens)."""
    scale = 2
    size = ICON_SIZE * scale
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    s = size / 18

    def triangle(left: float, right: float) -> None:
        """Pointing right when ``right`` > ``left``, else left."""
        painter.drawPolygon(
            QPolygonF(
                [QPointF(left * s, 3 * s), QPointF(left * s, 15 * s), QPointF(right * s, 9 * s)]
            )
        )

    def bar(x: float, width: float = 2.5) -> None:
        painter.drawRect(QRectF(x * s, 3 * s, width * s, 12 * s))

    match kind:
        case "play":
            triangle(4, 15)
        case "pause":
            bar(4, 3.5)
            bar(10.5, 3.5)
        case "step-forward":
            triangle(3, 11)
            bar(12)
        case "step-back":
            bar(3.5)
            triangle(15, 7)
        case "next-event":
            triangle(1, 8)
            triangle(8, 15)
            bar(15, 2)
        case "previous-event":
            bar(1, 2)
            triangle(10, 3)
            triangle(17, 10)
        case "live":
            painter.drawEllipse(QRectF(5 * s, 5 * s, 8 * s, 8 * s))
    painter.end()
    return QIcon(pixmap)


class PlaybackBar(QWidget):
    play_requested = Signal()
    pause_requested = Signal()
    speed_changed = Signal(float)
    step_requested = Signal(int)
    """+1 a frame forward, -1 a frame back."""
    previous_event_requested = Signal()
    next_event_requested = Signal()
    skip_gaps_changed = Signal(bool)
    sync_changed = Signal(bool)
    live_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PlaybackBar")
        self._playing = False
        self._can_step_back = False
        self._icons = {
            name: _icon(name)
            for name in (
                "play",
                "pause",
                "step-forward",
                "step-back",
                "next-event",
                "previous-event",
            )
        }
        self.previous_event_button = self._button(
            "previous-event", "Previous event", self.previous_event_requested.emit
        )
        self.step_back_button = self._button(
            "step-back", "One frame back", lambda: self.step_requested.emit(-1)
        )
        self.play_button = self._button("play", "Play (Space)", self._toggle_play)
        self.step_forward_button = self._button(
            "step-forward", "One frame forward", lambda: self.step_requested.emit(1)
        )
        self.next_event_button = self._button(
            "next-event", "Next event", self.next_event_requested.emit
        )
        self.speed_box = QComboBox(self)
        self.speed_box.setToolTip("Playback speed")
        for speed in SPEEDS:
            self.speed_box.addItem(speed_text(speed), speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.currentIndexChanged.connect(self._speed_picked)
        self.skip_gaps_button = self._toggle(
            "Skip gaps", "Play on over gaps in the recording", self.skip_gaps_changed.emit
        )
        self.sync_button = self._toggle(
            "Sync", "Every tile follows one playback clock", self.sync_changed.emit
        )
        # Fusion's dark palette barely marks a pressed toggle; the accent does.
        self.setStyleSheet(
            "QToolButton:checked { background: rgb(38, 86, 140);"
            " border: 1px solid rgb(64, 156, 255); border-radius: 3px; }"
        )
        self.time_label = QLabel(self)
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_label.setToolTip("The instant shown, in local time")
        self.live_button = QToolButton(self)
        self.live_button.setText("Live")
        self.live_button.setIcon(_icon("live", LIVE_COLOUR))
        self.live_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.live_button.setToolTip("Back to live video")
        self.live_button.setCheckable(True)
        self.live_button.clicked.connect(self._live_clicked)
        self.time_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        for widget in (
            self.previous_event_button,
            self.step_back_button,
            self.play_button,
            self.step_forward_button,
            self.next_event_button,
        ):
            layout.addWidget(widget)
        layout.addSpacing(4)
        layout.addWidget(self.speed_box)
        layout.addSpacing(4)
        layout.addWidget(self.skip_gaps_button)
        layout.addWidget(self.sync_button)
        layout.addSpacing(6)
        layout.addWidget(self.time_label, 1)
        layout.addWidget(self.live_button)
        # The transport controls and Live always fit; the toggles only where there is
        # room, so the bar never makes the window wider than the grid needs.
        self._toggles = (self.skip_gaps_button, self.sync_button)
        folded = sum(button.sizeHint().width() + layout.spacing() for button in self._toggles)
        self.setMinimumWidth(max(1, layout.minimumSize().width() - folded))
        # Space plays and pauses anywhere in the window (a text field keeps its spaces).
        self.play_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.play_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.play_shortcut.activated.connect(self._toggle_play)
        self.set_live(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        layout = self.layout()
        if layout is not None:
            shown = not any(button.isHidden() for button in self._toggles)
            folded = sum(button.sizeHint().width() + 2 for button in self._toggles)
            needed = layout.minimumSize().width() + (0 if shown else folded)
            for button in self._toggles:
                button.setVisible(event.size().width() >= needed)
        super().resizeEvent(event)

    def _button(self, icon: str, tip: str, slot: Callable[..., object]) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(self._icons[icon])
        button.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def _toggle(self, text: str, tip: str, slot: Callable[..., object]) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.toggled.connect(slot)
        return button

    # -- what the session reports --------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> float:
        return float(self.speed_box.currentData())

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.play_button.setIcon(self._icons["pause" if playing else "play"])
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")

    def set_speed(self, speed: float) -> None:
        index = self.speed_box.findData(speed)
        if index >= 0:
            blocked = self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(index)
            self.speed_box.blockSignals(blocked)

    def set_live(self, live: bool) -> None:
        """Live video: the Live button lit; stepping and speeds wait for playback."""
        self.live_button.setChecked(live)
        for widget in (self.step_forward_button, self.step_back_button, self.speed_box):
            widget.setEnabled(not live)
        if live:
            self.set_playing(True)
        else:
            self.step_forward_button.setEnabled(True)
            self.step_back_button.setEnabled(self._can_step_back)

    def set_can_step_back(self, possible: bool) -> None:
        """Whether the camera's site can play a frame back (not every protocol can)."""
        self._can_step_back = possible
        self.step_back_button.setEnabled(possible and not self.live_button.isChecked())
        self.step_back_button.setToolTip(
            "One frame back" if possible else "One frame back (this site cannot step back)"
        )

    def set_time_text(self, text: str) -> None:
        """The instant playback shows (or Live), to the millisecond, with its zone."""
        self.time_label.setText(text)

    def set_skip_gaps(self, on: bool) -> None:
        blocked = self.skip_gaps_button.blockSignals(True)
        self.skip_gaps_button.setChecked(on)
        self.skip_gaps_button.blockSignals(blocked)

    def set_sync(self, on: bool) -> None:
        blocked = self.sync_button.blockSignals(True)
        self.sync_button.setChecked(on)
        self.sync_button.blockSignals(blocked)

    # -- wiring ------------------------------------------------------------------------------

    def connect_controls(self, controls: PlaybackControls) -> None:
        self.play_requested.connect(controls.play)
        self.pause_requested.connect(controls.pause)
        self.speed_changed.connect(controls.set_speed)
        self.step_requested.connect(controls.step)
        self.previous_event_requested.connect(controls.previous_event)
        self.next_event_requested.connect(controls.next_event)
        self.skip_gaps_changed.connect(controls.set_skip_gaps)
        self.sync_changed.connect(controls.set_sync)
        self.live_requested.connect(controls.go_live)

    def toggle_play(self) -> None:
        """Space: pause what plays, play what is paused."""
        self._toggle_play()

    def _toggle_play(self) -> None:
        if self._playing:
            # Pausing live video holds the picture: it is playback from then on.
            if self.live_button.isChecked():
                self.set_live(False)
            self.set_playing(False)
            self.pause_requested.emit()
        else:
            self.set_playing(True)
            self.play_requested.emit()

    def _speed_picked(self, _index: int) -> None:
        self.speed_changed.emit(self.speed)

    def _live_clicked(self) -> None:
        self.set_live(True)
        self.live_requested.emit()
