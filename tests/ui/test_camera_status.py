"""The camera tree shows what the site says of each camera: a camera the recording server
has lost is marked offline (a hollow grey dot, a greyed name, the words in its tooltip),
one in error red, in every group that holds it, and the marks go when it comes back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QIcon

from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.ui.camera_tree import CAMERA_ROLE

from .conftest import until

USER, PASSWORD = "operator", "Kettle-Harbour-Spindle-8093"
ENTRANCE, YARD = CAMERAS["cam01"], CAMERAS["cam06"]
"""Main entrance sits in two groups (Entrances and Outdoor), Service yard in one."""


@pytest.fixture
def gateway(qloop):
    server = MilestoneSimulator(user=USER, password=PASSWORD)
    qloop.run_until_complete(server.start())
    yield server
    qloop.run_until_complete(server.stop())


@pytest.fixture
def window(qloop, make_window, gateway):
    window = make_window()
    qloop.run_until_complete(
        window.console.sites.add(
            "milestone",
            "Head office",
            gateway.url,
            USER,
            PASSWORD,
            trusted_fingerprint=gateway.certificate.fingerprint,
        )
    )
    assert qloop.run_until_complete(until(lambda: len(shown(window.tree, ENTRANCE.name)) == 2))
    return window


def shown(tree, name: str) -> list[QModelIndex]:
    """The view's rows of the camera called ``name``, as the filter leaves them."""
    model, found = tree.proxy, []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            if index.data(CAMERA_ROLE) is not None and index.data() == name:
                found.append(index)
            walk(index)

    walk(QModelIndex())
    return found


def mark(index: QModelIndex) -> str:
    """What the row's icon shows: "", "hollow grey" or "red"."""
    icon = index.data(Qt.ItemDataRole.DecorationRole)
    if not isinstance(icon, QIcon) or icon.isNull():
        return ""
    image = icon.pixmap(QSize(12, 12)).toImage()
    centre, rim = image.pixelColor(6, 6), image.pixelColor(2, 6)
    if centre.alpha() == 0 and _near(rim, QColor(140, 140, 140)):
        return "hollow grey"
    if _near(centre, QColor(239, 68, 68)):
        return "red"
    return f"something else ({centre.name()}, {rim.name()})"


def _near(colour: QColor, expected: QColor) -> bool:
    pairs = zip(colour.getRgb()[:3], expected.getRgb()[:3], strict=True)
    return colour.alpha() > 100 and all(abs(a - b) < 40 for a, b in pairs)


def looks(tree, camera) -> list[tuple[str, str]]:
    """Each row of ``camera`` as the operator sees it: its mark and its tooltip."""
    return [
        (mark(index), index.data(Qt.ItemDataRole.ToolTipRole) or "")
        for index in shown(tree, camera.name)
    ]


OFFLINE = ("hollow grey", "Offline – the server has lost contact with the camera")
ERROR = ("red", "Error – the server reports a problem with the camera")
WELL = ("", "")


def test_a_camera_the_recording_server_loses_is_marked_offline_and_unmarked_when_back(
    qloop, window, gateway
):
    tree = window.tree
    assert looks(tree, ENTRANCE) == [WELL, WELL]
    tree.view.setCurrentIndex(shown(tree, ENTRANCE.name)[0])

    gateway.events.set_communication(ENTRANCE.id, online=False)
    assert qloop.run_until_complete(until(lambda: looks(tree, ENTRANCE) == [OFFLINE] * 2))
    name = shown(tree, ENTRANCE.name)[0].data(Qt.ItemDataRole.ForegroundRole).color()
    assert _near(name, QColor(140, 140, 140))
    assert looks(tree, YARD) == [WELL]
    # Restyled in place: the operator's selection stays where it was.
    assert tree.view.currentIndex().data() == ENTRANCE.name

    gateway.events.set_communication(YARD.id, online=False, error=True)
    assert qloop.run_until_complete(until(lambda: looks(tree, YARD) == [ERROR]))

    gateway.events.set_communication(ENTRANCE.id, online=True)
    assert qloop.run_until_complete(until(lambda: looks(tree, ENTRANCE) == [WELL, WELL]))
    assert looks(tree, YARD) == [ERROR]


def test_the_filter_keeps_working_and_keeps_the_marks(qloop, window, gateway):
    tree = window.tree
    gateway.events.set_communication(ENTRANCE.id, online=False)
    assert qloop.run_until_complete(until(lambda: looks(tree, ENTRANCE) == [OFFLINE] * 2))

    tree.filter.setText("entrance")
    assert looks(tree, ENTRANCE) == [OFFLINE] * 2
    assert shown(tree, YARD.name) == []

    # A camera that goes offline while filtered out is marked when it shows again.
    gateway.events.set_communication(YARD.id, online=False)
    assert qloop.run_until_complete(
        until(lambda: window.console.directory.camera(_ref(window, YARD)).status == "offline")
    )
    tree.filter.setText("yard")
    assert looks(tree, YARD) == [OFFLINE]
    assert shown(tree, ENTRANCE.name) == []
    tree.filter.clear()
    assert looks(tree, ENTRANCE) == [OFFLINE] * 2


def _ref(window, camera):
    (session,) = [s for s in window.console.directory.sessions if s.site.kind == "milestone"]
    (found,) = [c.ref for c in session.tree.all_cameras() if c.ref.camera_id == camera.id]
    return found
