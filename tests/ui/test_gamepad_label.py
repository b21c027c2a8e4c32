"""The PTZ dock names the gamepad attached, found when plugged in after the start."""

from __future__ import annotations

from tests.fake_sdl import FakeSdl
from viewer.services.directory import Directory
from viewer.services.gamepad import GamepadInput
from viewer.ui.gamepad import READ_MS, SEARCH_MS
from viewer.ui.ptz_panel import PtzPanel


def test_the_dock_says_which_gamepad_is_attached_and_forgets_it_when_pulled_out(qtbot):
    sdl = FakeSdl()
    panel = PtzPanel(Directory(), gamepad=lambda: GamepadInput(sdl))
    qtbot.addWidget(panel)
    panel.show()
    panel.gamepad.read()
    assert not panel.gamepad_label.isVisible()
    assert panel.gamepad._timer.interval() == SEARCH_MS  # looking once a second
    pad = sdl.plug(b"Logitech Extreme 3D")
    qtbot.waitUntil(panel.gamepad_label.isVisible, timeout=5000)
    assert panel.gamepad_label.text() == "Gamepad: Logitech Extreme 3D"
    assert panel.gamepad._timer.interval() == READ_MS
    sdl.unplug(pad)
    panel.gamepad.read()
    assert not panel.gamepad_label.isVisible()
    panel.gamepad.stop()
    assert not sdl.running


def test_without_the_library_the_dock_has_no_gamepad_and_no_timer(qtbot):
    panel = PtzPanel(Directory(), gamepad=lambda: None)
    qtbot.addWidget(panel)
    panel.gamepad.read()
    assert not panel.gamepad._timer.isActive()
    assert panel.gamepad_label.text() == ""
