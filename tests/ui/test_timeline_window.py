"""The timeline in the demo window: under the grid, following the selected tile, one row
per tile in sync mode."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import until
from viewer.app import DEMO_MIBEE_ID
from viewer.core.models import CameraRef
from viewer.services.timeline_feed import RowState

NVR_CAMERA = CameraRef(DEMO_MIBEE_ID, "cam01")


def test_the_timeline_follows_the_selected_tile_and_shows_every_tile_in_sync(
    demo_window, qtbot, qloop
):
    window = demo_window
    canvas = window.timeline.canvas
    grid = window.grid
    assert window.dockWidgetArea(window.timeline_dock) is Qt.DockWidgetArea.BottomDockWidgetArea
    assert "TimelineDock".encode("utf-16-be") in bytes(window.saveState().data())

    def states() -> list[tuple[CameraRef, RowState]]:
        return [(row.camera, row.state) for row in canvas.rows]

    first = grid.tiles[0].camera
    # The demo's own cameras are plain RTSP: they say they record nothing.
    assert qloop.run_until_complete(until(lambda: states() == [(first, RowState.NO_RECORDINGS)]))

    assert qloop.run_until_complete(until(lambda: window.console.directory.is_ready(DEMO_MIBEE_ID)))
    grid.assign(1, NVR_CAMERA)
    tile = grid.tiles[1]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=tile.rect().center())
    assert grid.selected == 1
    assert qloop.run_until_complete(until(lambda: states() == [(NVR_CAMERA, RowState.READY)]))
    assert canvas.rows[0].recorded  # the NVR recorded within the last hour

    qtbot.mouseClick(window.playback_bar.sync_button, Qt.MouseButton.LeftButton)
    everyone = [t.camera for t in grid.tiles]
    assert qloop.run_until_complete(until(lambda: [row.camera for row in canvas.rows] == everyone))
