"""Digital zoom on a tile, driven as an operator does: the wheel over the picture's
corner zooms into it (the demo's corner patch then fills the tile, sharply, from the
decode thread), a drag pans, a double-click goes back to the whole picture."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.demo.footage import DEMO_CAMERAS
from viewer.media.state import PlayerState
from viewer.services.settings import Layout
from viewer.ui.zoom_view import MAX_FACTOR

from .conftest import until

CORNER = pytest.approx((0.875, 0.875, 0.125, 0.125), abs=0.01)


def wheel(tile, at: QPointF, notches: int) -> None:
    event = QWheelEvent(
        at,
        tile.mapToGlobal(at),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(tile, event)


def painted(tile) -> np.ndarray:
    """The tile's picture area as painted, RGB."""
    rect = tile.video_rect()
    image = tile.grab(rect).toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return data[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


def patch_share(tile, colour) -> float:
    """How much of the picture area is the camera's corner patch colour."""
    pixels = painted(tile)
    return float((np.abs(pixels - np.array(colour)).max(axis=2) < 40).mean())


def test_the_wheel_zooms_into_the_corner_a_drag_pans_and_a_double_click_resets(
    qloop, qtbot, make_window, demo_site
):
    camera = DEMO_CAMERAS[3]
    layout = Layout(grid=1, tiles=[CameraRef(DEMO_SITE_ID, camera.id)])
    window = make_window(demo_backend(demo_site.site.describe()), layout=layout)
    (tile,) = window.grid.tiles
    maximised = []
    tile.maximise_requested.connect(maximised.append)

    async def scenario():
        assert await until(lambda: tile.state.state is PlayerState.PLAYING and tile.frame)
        assert patch_share(tile, camera.colour) < 0.1
        rect = tile.video_rect()
        corner = QPointF(rect.right() - 1, rect.bottom() - 1)
        wheel(tile, corner, 20)
        assert tile.zoom.view.factor == MAX_FACTOR
        assert tile.zoom.crop == CORNER
        # The part cut in the decode thread arrives and the patch fills the tile.
        assert await until(lambda: tile.frame.crop == tile.zoom.crop)
        assert await until(lambda: patch_share(tile, camera.colour) > 0.9)
        assert tile.zoom.label == "8.0x"

        # Dragging the picture right and down shows what lies up and left of the corner.
        middle = rect.center()
        qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=middle)
        qtbot.mouseMove(tile, middle + QPoint(rect.width() // 2, rect.height() // 2))
        qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=middle)
        left, top, _, _ = tile.zoom.crop
        assert left < 0.875 and top < 0.875
        assert await until(lambda: patch_share(tile, camera.colour) < 0.9)

        qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=middle)
        assert tile.zoom.crop is None and not maximised
        assert await until(lambda: tile.frame.crop is None)
        assert await until(lambda: patch_share(tile, camera.colour) < 0.1)
        # Unzoomed, a double-click maximises as ever.
        qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=middle)
        assert maximised == [0]

    qloop.run_until_complete(scenario())


def test_a_new_camera_on_the_tile_starts_unzoomed(qloop, make_window, demo_site):
    layout = Layout(grid=1, tiles=[CameraRef(DEMO_SITE_ID, "cam01")])
    window = make_window(demo_backend(demo_site.site.describe()), layout=layout)
    (tile,) = window.grid.tiles

    async def scenario():
        assert await until(lambda: tile.state.state is PlayerState.PLAYING and tile.frame)
        wheel(tile, QPointF(tile.video_rect().center()), 3)
        assert tile.zoom.zoomed
        tile.show_camera(None)
        assert not tile.zoom.zoomed and tile.zoom.label == ""

    qloop.run_until_complete(scenario())
