"""The camera tree shows a site's server health on the site's node, as it shows a
camera's status: nothing while the server is healthy, an amber triangle when it says it
is degraded, a red dot when it is down, and its words in the node's tooltip."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QIcon

from tests.integration.backends.mibee.nvr import PASSWORD, SITE, USER
from viewer.backends.mibee.backend import MibeeBackend
from viewer.demo.mibee.server import MibeeSimulator
from viewer.services.directory import SiteSession
from viewer.ui.camera_tree import SITE_ROLE

from .conftest import until


@pytest.fixture
def nvr(qloop):
    server = MibeeSimulator(user=USER, password=PASSWORD)
    qloop.run_until_complete(server.start())
    yield server
    qloop.run_until_complete(server.stop())


@pytest.fixture
def window(make_window):
    return make_window()


def site_node(tree) -> QModelIndex:
    model = tree.proxy
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(SITE_ROLE) == SITE.id:
            return index
    return QModelIndex()


def mark(index: QModelIndex) -> str:
    """The node's icon: "", "amber triangle" or "red dot" (a triangle leaves its top
    corners empty, a dot its rim's middle filled)."""
    icon = index.data(Qt.ItemDataRole.DecorationRole)
    if not isinstance(icon, QIcon) or icon.isNull():
        return ""
    image = icon.pixmap(QSize(12, 12)).toImage()
    centre, top_left = image.pixelColor(6, 8), image.pixelColor(2, 3)
    if _near(centre, QColor(234, 179, 8)) and top_left.alpha() == 0:
        return "amber triangle"
    if _near(centre, QColor(239, 68, 68)):
        return "red dot"
    return f"something else ({centre.name()})"


def _near(colour: QColor, expected: QColor) -> bool:
    pairs = zip(colour.getRgb()[:3], expected.getRgb()[:3], strict=True)
    return colour.alpha() > 100 and all(abs(a - b) < 40 for a, b in pairs)


def tooltip(tree) -> str:
    return site_node(tree).data(Qt.ItemDataRole.ToolTipRole) or ""


def test_the_site_node_follows_the_servers_health(qloop, window, nvr):
    tree = window.tree

    async def scenario():
        # Added here, in the one run of the loop: qasync runs callbacks after
        # run_until_complete has stopped the loop, where httpx cannot work.
        backend = MibeeBackend(SITE, nvr.url, USER, PASSWORD)
        await window.console.directory.add(SiteSession(backend, health_every=0.2))
        assert await until(lambda: tooltip(tree).startswith("Server healthy"))
        assert mark(site_node(tree)) == ""
        assert site_node(tree).data() == SITE.name

        nvr.health = "degraded"
        assert await until(lambda: mark(site_node(tree)) == "amber triangle")
        assert tooltip(tree).splitlines()[0] == "Degraded: storage: recording disk 93 % full"

        nvr.health = "down"
        assert await until(lambda: mark(site_node(tree)) == "red dot")
        assert tooltip(tree).splitlines()[0] == "Down: database: database is not reachable"

        nvr.health = "ok"
        assert await until(lambda: mark(site_node(tree)) == "")
        assert tooltip(tree).startswith("Server healthy")
        await window.console.directory.remove(SITE.id)

    qloop.run_until_complete(scenario())
