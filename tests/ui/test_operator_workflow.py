"""The operator's own work: cameras added by URL, the layout, the window, across restarts."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from viewer.app import DEMO_SITE_ID, DEMO_XPROTECT_ID, demo_backend, demo_layout
from viewer.core.models import CameraRef
from viewer.demo.footage import DEMO_CAMERAS
from viewer.demo.rtsp_auth import RtspAuth
from viewer.demo.site import DemoSiteThread
from viewer.media.state import PlayerState
from viewer.services.console import Console
from viewer.services.local_cameras import SITE as LOCAL_SITE
from viewer.services.settings import Layout
from viewer.ui.add_camera_dialog import AddCameraDialog
from viewer.ui.camera_tree import CAMERA_ROLE
from viewer.ui.main_window import MainWindow
from viewer.ui.video_tile import VideoTile

from .conftest import until
from .pixels import assert_shows


def visible_cameras(tree) -> list[str]:
    names = []
    model = tree.proxy

    def walk(parent):
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            if index.data(CAMERA_ROLE) is not None:
                names.append(index.data())
            walk(index)

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    return names


OPERATOR = "operator"
PASSWORD = "Lantern-Quarry-Velvet-2718"
"""Unlike the user name or any other word in Vigil's files, so finding it means a leak."""


@pytest.fixture(scope="module")
def operator_site(footage_cache):
    """Demo cameras of this module's own, behind the operator's own credentials."""
    site = DemoSiteThread(footage_cache, auth=RtspAuth(OPERATOR, PASSWORD, "digest"))
    site.start()
    yield site
    site.stop()


def assert_password_written_nowhere(*folders: Path) -> None:
    """Not in the settings, not in anything else Vigil keeps, not in the log."""
    files = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    assert files
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path


def plays(qloop, tile, camera) -> None:
    assert qloop.run_until_complete(
        until(lambda: tile.frame is not None and tile.frame.sequence > 2)
    )
    assert_shows(tile, camera)


def fill_and_submit(qloop, dialog, **fields):
    for name, value in fields.items():
        getattr(dialog, name).setText(value)
    QTest.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    qloop.run_until_complete(until(lambda: not dialog.isVisible() or dialog.error.isVisible()))


@pytest.mark.usefixtures("vigil_log")  # in tmp_path, searched for the password
def test_an_rtsp_camera_added_by_url_plays_and_survives_a_restart(
    qloop, make_window, operator_site, memory_keyring, tmp_path
):
    settings = tmp_path / "settings.json"
    window = make_window(settings_path=settings)
    camera = DEMO_CAMERAS[7]
    dialog = AddCameraDialog(window.console.local_cameras, keyring_available=True, parent=window)
    dialog.show()
    fill_and_submit(
        qloop,
        dialog,
        name="Back door",
        main_url=operator_site.site.rtsp.url(camera.id, "main"),
        sub_url=operator_site.site.rtsp.url(camera.id, "sub"),
        user=OPERATOR,
        password=PASSWORD,
    )
    assert dialog.added is not None
    assert "Back door" in visible_cameras(window.tree)
    ref = dialog.added
    assert ref.site_id == LOCAL_SITE.id
    window.grid.assign(0, ref)
    plays(qloop, window.grid.tiles[0], camera)

    # The password went to the keyring; the settings name the user only.
    assert memory_keyring.items == {("Vigil", f"cameras/{ref.camera_id}"): PASSWORD}
    saved = json.loads(settings.read_text())
    [entry] = saved["sites"][0]["cameras"]
    assert (entry["name"], entry["user"]) == ("Back door", OPERATOR)

    window.close()
    qloop.run_until_complete(window.console.stop())
    assert_password_written_nowhere(tmp_path, Path(os.environ["VIGIL_CONFIG_DIR"]).parent)

    again = make_window(settings_path=settings)
    assert "Back door" in visible_cameras(again.tree)
    assert again.grid.tiles[0].camera == ref
    plays(qloop, again.grid.tiles[0], camera)


def test_a_bad_url_is_explained_beside_the_field_and_nothing_is_saved(qloop, make_window, tmp_path):
    window = make_window()
    dialog = AddCameraDialog(window.console.local_cameras, keyring_available=True, parent=window)
    dialog.show()
    fill_and_submit(qloop, dialog, name="Typo", main_url="http://192.0.2.1/stream")
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert "rtsp://" in dialog.error.text()
    assert dialog.added is None
    assert "Typo" not in visible_cameras(window.tree)


@pytest.mark.usefixtures("vigil_log")
def test_without_a_keyring_the_window_says_so_and_the_password_stays_in_memory(
    qloop, make_window, operator_site, no_keyring, tmp_path
):
    settings = tmp_path / "settings.json"
    window = make_window(settings_path=settings)
    assert not window.console.secrets.persistent
    labels = [w.text() for w in window.statusBar().findChildren(type(window.stream_summary))]
    assert any("No system keyring" in text for text in labels)
    camera = DEMO_CAMERAS[8]
    # Typed into the URL, as operators paste them.
    url = operator_site.site.rtsp.url(camera.id, "sub")
    url = url.replace("rtsp://", f"rtsp://{OPERATOR}:{PASSWORD}@", 1)
    ref = qloop.run_until_complete(window.console.local_cameras.add("Side gate", url))
    window.grid.assign(0, ref)
    plays(qloop, window.grid.tiles[0], camera)
    window.close()
    qloop.run_until_complete(window.console.stop())
    assert_password_written_nowhere(tmp_path, Path(os.environ["VIGIL_CONFIG_DIR"]).parent)

    # Next session: the camera is back, its password is not, and the operator is told.
    again = make_window(settings_path=settings)
    assert "Side gate" in visible_cameras(again.tree)
    assert [c.name for c in again.console.local_cameras.missing_passwords()] == ["Side gate"]
    assert "Passwords needed for Side gate" in again.statusBar().currentMessage()


def test_a_password_the_keyring_refuses_is_used_and_the_operator_told_it_is_not_saved(
    qloop, make_window, operator_site, refusing_keyring, vigil_log
):
    window = make_window()
    assert window.console.secrets.persistent
    camera = DEMO_CAMERAS[5]
    window.add_camera()
    dialog = window.findChild(AddCameraDialog)
    fill_and_submit(
        qloop,
        dialog,
        name="Annex",
        main_url=operator_site.site.rtsp.url(camera.id, "sub"),
        user=OPERATOR,
        password=PASSWORD,
    )
    assert dialog.added is not None
    message = window.statusBar().currentMessage()
    assert message == (
        "Camera added; its password could not be saved to the system keyring: "
        "kept for this session only"
    )
    window.grid.assign(0, dialog.added)
    plays(qloop, window.grid.tiles[0], camera)
    assert refusing_keyring.items == {}
    assert "PasswordSetError" in vigil_log.read_text()
    window.close()
    qloop.run_until_complete(window.console.stop())
    assert_password_written_nowhere(window.console.store.path.parent, vigil_log.parent)


def test_a_password_entered_later_that_the_keyring_refuses_is_said_so(
    qloop, make_window, operator_site, refusing_keyring
):
    window = make_window()
    camera = DEMO_CAMERAS[6]
    url = operator_site.site.rtsp.url(camera.id, "sub")
    ref = qloop.run_until_complete(window.console.local_cameras.add("Stores", url, user=OPERATOR))
    # What "Enter password…" in the camera's menu runs once the operator has typed it.
    qloop.run_until_complete(window._set_password(ref, PASSWORD))
    assert window.statusBar().currentMessage() == (
        "The password for Stores could not be saved to the system keyring: "
        "kept for this session only"
    )
    window.grid.assign(0, ref)
    plays(qloop, window.grid.tiles[0], camera)


def test_a_wrong_password_fixed_later_plays_in_every_tile_showing_the_camera(
    qloop, make_window, operator_site, memory_keyring
):
    window = make_window(layout=Layout(grid=2))
    camera = DEMO_CAMERAS[9]
    url = operator_site.site.rtsp.url(camera.id, "sub")
    ref = qloop.run_until_complete(
        window.console.local_cameras.add("Yard", url, user=OPERATOR, password="typo")
    )
    first, second = window.grid.tiles[:2]
    window.grid.assign(0, ref)
    window.grid.assign(1, ref)
    assert qloop.run_until_complete(
        until(lambda: all(t.state.state is PlayerState.FAILED for t in (first, second)))
    )
    # One stream for both tiles, which refused the password and ended: it must start
    # again with the new password, not be handed to the tiles as it is.
    qloop.run_until_complete(window._set_password(ref, PASSWORD))
    plays(qloop, first, camera)
    plays(qloop, second, camera)


VERSION_LINE = r"^{} \d+(\.\d+)+$"


def test_about_and_copy_diagnostics_name_every_version_and_the_log_file(
    qloop, tmp_path, memory_keyring, vigil_log
):
    console = Console(tmp_path / "settings.json")
    window = MainWindow(console, log_file=vigil_log)
    try:
        window.show()
        window.about_action.trigger()
        about = window.about_box.text()
        window.about_box.close()
        window.copy_diagnostics_action.trigger()
        copied = QGuiApplication.clipboard().text()
    finally:
        window.close()
        qloop.run_until_complete(console.stop())
    for text in (about, copied):
        for name in ("Vigil", "Qt", "PySide6", "FFmpeg", "PyAV", "aiortc", "Python"):
            assert re.search(VERSION_LINE.format(name), text, re.MULTILINE), (name, text)
        assert f"Log file {vigil_log}" in text


def tree_rows(group) -> list[str]:
    """Every camera row a site's tree has: a camera in two groups is two rows."""
    return [c.name for c in group.cameras] + [n for g in group.groups for n in tree_rows(g)]


def test_typing_filters_the_tree_by_camera_name(qloop, demo_window):
    tree = demo_window.tree
    everything = visible_cameras(tree)
    # Every demo site's cameras: one row per camera in each group it sits in.
    rows = [name for s in demo_window.console.directory.sessions for name in tree_rows(s.tree)]
    assert sorted(everything) == sorted(rows)
    xprotect = demo_window.console.directory.session(DEMO_XPROTECT_ID).tree
    assert tree_rows(xprotect).count("Main entrance") == 2
    QTest.keyClicks(tree.filter, "PARK")
    assert sorted(visible_cameras(tree)) == sorted(n for n in rows if "park" in n.lower())
    assert "Visitor parking" in visible_cameras(tree)
    tree.filter.clear()
    assert visible_cameras(tree) == everything


def test_double_clicking_a_camera_fills_the_selected_tile_and_moves_on(qloop, demo_window):
    grid = demo_window.grid
    grid.select(3)
    index = demo_window.tree.camera_index(CameraRef(DEMO_SITE_ID, "cam12"))
    demo_window.tree.view.activated.emit(index)
    assert grid.tiles[3].camera == CameraRef(DEMO_SITE_ID, "cam12")
    assert grid.selected == 0
    tile = grid.tiles[3]
    qloop.run_until_complete(until(lambda: tile.frame is not None and tile.frame.sequence > 2))
    qloop.run_until_complete(until(lambda: False, within=0.2))
    assert_shows(tile, DEMO_CAMERAS[11])


def right_click(tile):
    """Open the tile's menu as a right-click does; returns the menu that pops up."""
    where = QPoint(20, 20)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where, tile.mapToGlobal(where))
    QApplication.sendEvent(tile, event)
    return QApplication.activePopupWidget()


def menu_entries(menu) -> dict[str, object]:
    return {action.text(): action for action in menu.actions() if not action.isSeparator()}


def test_right_clicking_a_tile_offers_maximise_statistics_and_emptying(qloop, demo_window):
    grid = demo_window.grid
    tile = grid.tiles[2]
    menu = right_click(tile)
    assert grid.selected == 2
    entries = menu_entries(menu)
    assert list(entries) == ["Maximise", "Statistics", "Add bookmark…", "Empty tile"]
    assert entries["Empty tile"].isEnabled()
    entries["Maximise"].trigger()
    menu.close()
    assert grid.maximised == 2

    menu = right_click(tile)
    entries = menu_entries(menu)
    assert list(entries) == [
        "Restore grid",
        "Statistics",
        "Add bookmark…",
        "Empty tile",
    ]
    entries["Statistics"].trigger()
    assert demo_window.statistics_action.isChecked()
    assert grid.statistics_visible
    entries["Restore grid"].trigger()
    menu.close()
    assert grid.maximised is None

    menu = right_click(tile)
    menu_entries(menu)["Empty tile"].trigger()
    menu.close()
    assert tile.camera is None
    assert grid.layout_settings().tiles[2] is None
    menu = right_click(tile)
    assert not menu_entries(menu)["Empty tile"].isEnabled()
    menu.close()


def test_menus_are_freed_once_closed(qloop, demo_window):
    # A shift is thousands of right-clicks: each menu must go when it closes.
    menu_bar_menus = demo_window.menuBar().findChildren(QMenu)
    for _ in range(10):
        right_click(demo_window.grid.tiles[0]).close()
    qloop.run_until_complete(until(lambda: False, within=0.1))
    assert demo_window.findChildren(QMenu) == menu_bar_menus


def test_f11_shows_only_the_video_on_the_whole_screen_and_escape_leaves(qloop, demo_window):
    window = demo_window
    chrome = (
        window.menuBar(),
        window.toolbar,
        window.statusBar(),
        window.camera_dock,
        window.events_dock,
    )
    QTest.keyClick(window, Qt.Key.Key_F11)
    assert window.isFullScreen()
    assert not any(part.isVisible() for part in chrome)
    # The hidden toolbar's keys still work: a grid size, then back.
    QTest.keyClick(window, Qt.Key.Key_3)
    assert window.grid.grid_size == 3
    QTest.keyClick(window, Qt.Key.Key_2)
    tile = window.grid.tiles[0]
    painted = tile.painted_frames
    # Video keeps playing full screen.
    assert qloop.run_until_complete(until(lambda: tile.painted_frames > painted + 5))
    window.grid.maximise(0)
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.grid.maximised is None and window.isFullScreen()
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isFullScreen()
    assert all(part.isVisible() for part in chrome)


def test_arrow_keys_move_the_selection_and_step_a_maximised_tile(qloop, demo_window):
    grid = demo_window.grid
    grid.setFocus()
    for key, selected in [
        (Qt.Key.Key_Right, 1),
        (Qt.Key.Key_Right, 1),
        (Qt.Key.Key_Down, 3),
        (Qt.Key.Key_Left, 2),
        (Qt.Key.Key_Up, 0),
    ]:
        QTest.keyClick(grid, key)
        assert grid.selected == selected
    grid.maximise(0)
    QTest.keyClick(grid, Qt.Key.Key_Right)
    assert grid.maximised == 1 and grid.selected == 1
    assert grid.tiles[1].isVisible() and not grid.tiles[0].isVisible()


def test_grid_sizes_from_keys_and_toolbar(qloop, demo_window):
    window = demo_window
    for key, size in [(Qt.Key.Key_3, 3), (Qt.Key.Key_8, 8), (Qt.Key.Key_1, 1), (Qt.Key.Key_2, 2)]:
        QTest.keyClick(window, key)
        assert window.grid.grid_size == size
        assert len(window.grid.tiles) == size * size
        checked = [a.data() for a in window.grid_actions.actions() if a.isChecked()]
        assert checked == [size]
    # Tiles beyond the grid go: a shift of size changes leaves none behind.
    assert qloop.run_until_complete(until(lambda: len(window.grid.findChildren(VideoTile)) == 4, 2))
    # Going down to 1x1 and back did not lose the cameras of the 2x2 grid.
    assert [t.camera for t in window.grid.tiles] == demo_layout().tiles
    window.grid_actions.actions()[3].trigger()
    assert window.grid.grid_size == 4


def test_quit_and_start_again_brings_back_grid_cameras_and_geometry(
    qloop, make_window, demo_site, tmp_path
):
    settings = tmp_path / "settings.json"
    backend = demo_backend(demo_site.site.describe())
    window = make_window(backend, layout=demo_layout(), settings_path=settings, size=(720, 520))
    window.set_grid(3)
    window.grid.assign(8, CameraRef(DEMO_SITE_ID, "cam16"))
    window.grid.select(8)
    window.close()
    qloop.run_until_complete(window.console.stop())
    data = json.loads(settings.read_text())
    assert data["layout"]["grid"] == 3

    again = make_window(
        demo_backend(demo_site.site.describe()),
        layout=Layout(grid=1),
        settings_path=settings,
        size=None,
    )
    assert again.grid.grid_size == 3
    assert again.grid.tiles[8].camera == CameraRef(DEMO_SITE_ID, "cam16")
    assert again.grid.selected == 8
    assert [t.camera for t in again.grid.tiles[:4]] == demo_layout().tiles
    assert (again.width(), again.height()) == (720, 520)
