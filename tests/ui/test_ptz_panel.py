"""The PTZ dock driven by mouse and keys, against a simulated MiBee NVR's ONVIF camera.

The dock follows the selected tile; the joystick is dragged with the mouse, the zoom
rocker pressed, presets picked from the list, and the simulator's own PTZ state (and the
requests it recorded) says what the camera did.
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.integration.backends.mibee.nvr import PASSWORD, SITE, USER
from tests.ui.conftest import until
from viewer.backends.mibee.backend import MibeeBackend
from viewer.core.models import CameraRef
from viewer.demo.mibee.server import MibeeSimulator
from viewer.services.settings import Layout

PTZ_CAMERA, FIXED_CAMERA = "cam04", "cam01"


@pytest.fixture
def nvr(qloop):
    server = MibeeSimulator(user=USER, password=PASSWORD)
    qloop.run_until_complete(server.start())
    yield server
    qloop.run_until_complete(server.stop())


@pytest.fixture
def window(nvr, make_window):
    """Torn down before the NVR (``nvr`` comes first): the site stops while its server
    still answers, as an operator's quit does."""
    window = make_window(layout=Layout(grid=2))
    window.nvr = nvr
    return window


def play(qloop, window, scenario) -> None:
    """Runs the scenario, then stops the dock's controller and the site on the running
    loop: pytest-qt processes Qt events after a test outside that loop, where a task
    still polling the camera would resume without one (docs/pitfalls.md)."""

    async def whole():
        try:
            await scenario
        finally:
            await window.ptz_panel.close_controller()
            await window.console.stop()

    qloop.run_until_complete(whole())


async def ready(window) -> None:
    """The NVR added and its PTZ camera in the selected tile, the fixed one beside it
    (on the running loop: the site's event stream and the tiles' streams start at once,
    and a task of theirs resumed while the loop is not running breaks httpx's pool)."""
    if window.console.directory.session(SITE.id) is None:
        backend = MibeeBackend(SITE, window.nvr.url, USER, PASSWORD)
        await window.console.add_site(backend)
    window.grid.assign(0, CameraRef(SITE.id, PTZ_CAMERA))
    window.grid.assign(1, CameraRef(SITE.id, FIXED_CAMERA))
    window.grid.select(0)
    panel = window.ptz_panel
    assert await until(lambda: panel.controller is not None), (
        panel.camera_label.text(),
        panel.problem_label.text(),
        panel.camera,
    )
    assert panel.joystick.isEnabled()


def at(nvr, pan: float, tilt: float, zoom: float) -> bool:
    """Whether the camera has arrived (a dome travels to a preset, it does not jump)."""
    status = nvr.ptz.status(PTZ_CAMERA)
    return not status["moving"] and all(
        abs(status[k] - v) < 0.01 for k, v in (("pan", pan), ("tilt", tilt), ("zoom", zoom))
    )


def stops(nvr) -> int:
    return sum(1 for _, path, _, _ in nvr.requests if path.endswith(f"{PTZ_CAMERA}/ptz/stop"))


def test_the_dock_follows_the_selected_tile_and_is_disabled_for_a_fixed_camera(qloop, window):
    async def scenario():
        panel = window.ptz_panel
        await ready(window)
        window.grid.select(1)
        assert await until(lambda: panel.camera == CameraRef(SITE.id, FIXED_CAMERA))
        assert not panel.joystick.isEnabled()
        assert "no PTZ" in panel.camera_label.text()
        window.grid.select(0)
        await ready(window)
        assert [panel.presets.item(i).text() for i in range(panel.presets.count())] == [
            "1  Home Position",
            "2  Corner View",
        ]

    play(qloop, window, scenario())


def test_dragging_the_knob_right_pans_the_camera_and_letting_go_stops_it_at_once(
    qloop, window, nvr
):
    async def scenario():
        await ready(window)
        before = nvr.ptz.status(PTZ_CAMERA)
        stick = window.ptz_panel.joystick
        centre = stick.rect().center()
        QTest.mousePress(stick, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
        for step in range(1, 11):
            QTest.mouseMove(stick, centre + QPoint(step * 8, 0))
        assert stick.deflection[0] > 0.9
        assert await until(lambda: nvr.ptz.moving(PTZ_CAMERA))
        await asyncio.sleep(0.8)
        QTest.mouseRelease(
            stick, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(80, 0)
        )
        assert stick.deflection == (0.0, 0.0)
        assert await until(lambda: not nvr.ptz.moving(PTZ_CAMERA))
        assert stops(nvr) == 1
        moved = nvr.ptz.status(PTZ_CAMERA)
        assert moved["pan"] > before["pan"] + 0.04
        assert moved["tilt"] == pytest.approx(before["tilt"], abs=0.01)
        # The moves the NVR saw: paced, continuous, rightwards.
        assert len(nvr.ptz.moves) <= 12
        assert all(m["mode"] == "continuous" and m["pan"] > 0 for m in nvr.ptz.moves)

    play(qloop, window, scenario())


def test_the_zoom_rocker_zooms_in_while_pressed_and_stops_on_release(qloop, window, nvr):
    async def scenario():
        await ready(window)
        rocker = window.ptz_panel.rocker
        assert rocker.isEnabled()
        plus = QPoint(rocker.width() - 4, rocker.height() // 2)
        QTest.mousePress(rocker, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, plus)
        assert await until(lambda: nvr.ptz.status(PTZ_CAMERA)["zoom"] > 0.02)
        QTest.mouseRelease(rocker, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, plus)
        assert await until(lambda: not nvr.ptz.moving(PTZ_CAMERA))
        assert nvr.ptz.moves[-1]["zoom"] == 1.0
        assert stops(nvr) == 1

    play(qloop, window, scenario())


def test_a_preset_saved_from_the_dock_is_listed_and_a_double_click_returns_there(
    qloop, window, nvr
):
    async def scenario():
        await ready(window)
        panel = window.ptz_panel
        head = nvr.ptz.heads[PTZ_CAMERA]
        head.pan, head.tilt, head.zoom = 0.25, -0.2, 0.4
        panel.preset_name.setText("Dock door")
        QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
        assert await until(lambda: panel.presets.count() == 3), panel.problem_label.text()
        item = panel.presets.item(2)
        assert item.text() == "3  Dock door"
        head.pan, head.tilt, head.zoom = -0.9, 0.9, 0.0
        panel.presets.scrollToItem(item)
        rect = panel.presets.visualItemRect(item)
        # A real double-click: Qt pairs the second press with the click before it.
        QTest.mouseClick(
            panel.presets.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            rect.center(),
        )
        QTest.mouseDClick(
            panel.presets.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            rect.center(),
        )
        assert await until(lambda: at(nvr, 0.25, -0.2, 0.4))
        # Number keys go too; the delete button removes the selected preset.
        panel.body.setFocus()
        QTest.keyClick(panel.body, Qt.Key.Key_2)
        corner = head.presets["preset_2"][1]
        assert await until(lambda: at(nvr, *corner))
        panel.presets.setCurrentRow(2)
        QTest.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
        assert await until(lambda: panel.presets.count() == 2)

    play(qloop, window, scenario())


def test_a_held_arrow_key_moves_with_auto_repeat_ignored_and_escape_stops(qloop, window, nvr):
    async def scenario():
        await ready(window)
        panel = window.ptz_panel
        panel.body.setFocus()
        QTest.keyPress(panel.body, Qt.Key.Key_Left)
        for _ in range(30):
            QTest.keyPress(panel.body, Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier, -1)
        assert await until(lambda: nvr.ptz.moving(PTZ_CAMERA))
        await asyncio.sleep(0.3)
        assert len(nvr.ptz.moves) == 1
        assert nvr.ptz.moves[0]["pan"] == -0.6
        QTest.keyClick(panel.body, Qt.Key.Key_Escape)
        assert await until(lambda: not nvr.ptz.moving(PTZ_CAMERA))
        assert stops(nvr) == 1

    play(qloop, window, scenario())


def test_with_tile_mode_on_a_drag_on_the_tile_steers_and_shows_the_badge(qloop, window, nvr):
    async def scenario():
        await ready(window)
        panel = window.ptz_panel
        panel.tile_mode.setChecked(True)
        tile = window.grid.tiles[0]
        before = nvr.ptz.status(PTZ_CAMERA)
        assert await until(lambda: window.tile_steering.tile is tile)
        start = tile.rect().center()
        QTest.mousePress(tile, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        QTest.mouseMove(tile, start + QPoint(0, -tile.width() // 4))
        assert await until(lambda: nvr.ptz.moving(PTZ_CAMERA))
        assert nvr.ptz.moves[-1]["tilt"] == 1.0
        QTest.mouseRelease(
            tile, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(0, -60)
        )
        assert await until(lambda: not nvr.ptz.moving(PTZ_CAMERA))
        assert nvr.ptz.status(PTZ_CAMERA)["tilt"] > before["tilt"]

    play(qloop, window, scenario())


def test_quitting_while_the_stick_is_held_stops_the_camera_before_the_site_closes(
    qloop, qapp, window, nvr
):
    # As `vigil` runs: closing the window ends the session, not the loop (docs/pitfalls.md).
    qapp.setQuitOnLastWindowClosed(False)

    async def scenario():
        await ready(window)
        stick = window.ptz_panel.joystick
        centre = stick.rect().center()
        QTest.mousePress(stick, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
        QTest.mouseMove(stick, centre + QPoint(80, 0))
        assert await until(lambda: nvr.ptz.moving(PTZ_CAMERA))

        window.close()  # as the operator quits, the stick still held
        await window.closed()
        await window.console.stop()

        assert stops(nvr) == 1, [(m, p, st) for m, p, st, _ in nvr.requests if "ptz" in p]
        assert not nvr.ptz.moving(PTZ_CAMERA)

    try:
        qloop.run_until_complete(scenario())
    finally:
        qapp.setQuitOnLastWindowClosed(True)
