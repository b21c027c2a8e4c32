"""The operator's first minute, end to end: `vigil --demo` in a test.

The real window, the real demo RTSP server on 127.0.0.1, real decoding; the checks
read the painted pixels of each tile.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from viewer.app import DEMO_SITE_ID
from viewer.core.models import CameraRef
from viewer.demo.footage import DEMO_CAMERAS
from viewer.services.directory import SiteStatus
from viewer.ui.camera_tree import CAMERA_ROLE, SITE_ROLE

from .conftest import until
from .pixels import assert_shows


def test_demo_grid_plays_drags_and_maximises_without_a_blank_paint(qloop, demo_window):
    window = demo_window
    tiles = window.grid.tiles
    assert window.grid.grid_size == 2
    assert len(tiles) == 4

    async def scenario():
        # 1. All four tiles paint decoded pictures of their own cameras.
        assert await until(lambda: all(t.frame is not None for t in tiles))
        await asyncio.sleep(0.3)
        for tile, camera in zip(tiles, DEMO_CAMERAS[:4], strict=True):
            assert tile.camera == CameraRef(DEMO_SITE_ID, camera.id)
            assert_shows(tile, camera)
            # A 2x2 grid in a 1000x700 window is small: each tile plays the sub-stream.
            assert (tile.frame.source_width, tile.frame.source_height) == (640, 360)

        # 2. Drag camera 7 from the tree and drop it on tile 2.
        target = tiles[2]
        new_camera = DEMO_CAMERAS[6]
        index = window.tree.camera_index(CameraRef(DEMO_SITE_ID, new_camera.id))
        assert index.data(CAMERA_ROLE) == CameraRef(DEMO_SITE_ID, new_camera.id)
        mime = window.tree.proxy.mimeData([index])
        centre = QPointF(target.rect().center())
        enter = QDragEnterEvent(
            centre.toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(target, enter)
        assert enter.isAccepted()
        drop = QDropEvent(
            centre,
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(target, drop)
        assert target.camera == CameraRef(DEMO_SITE_ID, new_camera.id)
        assert await until(lambda: target.frame is not None)
        await asyncio.sleep(0.3)
        assert_shows(target, new_camera)

        # 3. Double-click tile 0: it fills the grid, switches to the 1080p main stream,
        #    and every paint on the way shows a picture.
        tile = tiles[0]
        painted = []
        tile.frame_painted.connect(painted.append)
        QTest.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        assert window.grid.maximised == 0
        assert all(not t.isVisible() for t in tiles[1:])
        assert await until(lambda: tile.frame is not None and tile.frame.source_width == 1920)
        await asyncio.sleep(0.3)
        assert (tile.frame.source_width, tile.frame.source_height) == (1920, 1080)
        assert_shows(tile, DEMO_CAMERAS[0])
        assert painted, "the maximised tile must have repainted"
        assert all(image is not None for image in painted), "a paint without a picture"
        # The hidden tiles stopped decoding but keep their streams, to come back at once.
        assert await until(lambda: len(window.console.hub.players()) == 4, within=5)
        hidden = [p for p in window.console.hub.players() if p.hidden]
        assert len(hidden) == 3
        decoded = [p.statistics().frames_decoded for p in hidden]
        await asyncio.sleep(0.5)
        assert [p.statistics().frames_decoded for p in hidden] == decoded

        # 4. Double-click again: back to the grid and to sub-streams.
        QTest.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        assert window.grid.maximised is None
        assert await until(lambda: tile.frame.source_width == 640)
        assert await until(lambda: all(t.frame is not None for t in tiles))

    qloop.run_until_complete(scenario())


def tree_outline(model, parent, depth=0) -> list[str]:
    """The tree's rows below ``parent`` as indented names, groups and cameras alike."""
    lines = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        lines.append("  " * depth + index.data())
        lines += tree_outline(model, index, depth + 1)
    return lines


def test_the_demo_includes_its_xprotect_site_pinned_and_kept_out_of_settings_and_keyring(
    qloop, demo_window, demo_site, memory_keyring
):
    from viewer.app import DEMO_XPROTECT_ID

    console = demo_window.console
    session = console.directory.session(DEMO_XPROTECT_ID)
    assert session is not None and session.status is SiteStatus.ONLINE
    # Trusted by the demo's own fingerprint: nobody was asked, nothing else was trusted.
    gateway = demo_site.site.milestone
    assert session.backend._certificate.fingerprint == gateway.certificate.fingerprint
    model = demo_window.tree.model
    (site,) = [
        model.index(row, 0)
        for row in range(model.rowCount())
        if model.index(row, 0).data(SITE_ROLE) == DEMO_XPROTECT_ID
    ]
    outline = tree_outline(model, site)
    # The groups nest as the gateway arranges them, three deep.
    for nested in (
        ["Entrances", "  Visitors", "    Reception lobby"],
        ["Outdoor", "  Car parks", "    Perimeter", "      Perimeter east"],
    ):
        start = outline.index(nested[0])
        assert outline[start : start + len(nested)] == nested, outline
    assert outline.count("  Main entrance") == 2
    # For this session only: not in the settings, its password in no keyring.
    assert console.settings.sites == []
    assert console.sites.saved(DEMO_XPROTECT_ID) is None
    assert memory_keyring.items == {}
    console.store.flush()
    saved = console.store.path.read_text() if console.store.path.exists() else ""
    assert "milestone" not in saved and gateway.url not in saved
