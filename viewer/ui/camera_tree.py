"""The camera tree: sites, groups and cameras, with a filter box and live status.

Built from the services' Directory each time it changes: sites and groups at once,
cameras in batches on the next turns of the event loop, so a site of 10,000 cameras
never holds the loop for long (built in one go they held it for 0.6-1 s, most of it in
item creation and in the filter proxy's Python callback; benchmarks/site_load.py).
Cameras can be dragged onto a tile or double-clicked into the selected one. A site
that failed to connect says why on its own node, and when it tries again, counting
down each second; a camera on screen shows the state of its stream. A camera the site
reports offline has a hollow grey dot and a greyed name, one in error a red dot (the
shapes differ for colour-blind eyes), with the words in its tooltip; status changes
restyle the items in place, so the operator's selection and scroll position survive
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QIcon,
    QPainter,
    QPen,
    QPixmap,
    QPolygonF,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from viewer.core.models import Camera, CameraGroup, CameraRef, CameraStatus, HealthState
from viewer.media.state import PlayerState, StateInfo
from viewer.services.directory import Directory, SiteSession, SiteStatus
from viewer.ui.dragdrop import camera_mime
from viewer.ui.wording import camera_status_text, detail_text, health_text, site_text

CAMERA_ROLE = Qt.ItemDataRole.UserRole + 1
SITE_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
"""A camera item's CameraStatus value, as the site last reported it (Qt keeps a str)."""
HEALTH_ROLE = Qt.ItemDataRole.UserRole + 4
"""A site item's HealthState value, as its server last described itself; None unknown."""
# Camera items added per turn of the event loop (about 10 ms of work on a busy machine).
BATCH = 250

STATE_COLOURS = {
    PlayerState.PLAYING: QColor(34, 197, 94),
    PlayerState.CONNECTING: QColor(234, 179, 8),
    PlayerState.STALLED: QColor(234, 179, 8),
    PlayerState.RECONNECTING: QColor(249, 115, 22),
    PlayerState.FAILED: QColor(239, 68, 68),
}
STATUS_COLOURS = {
    CameraStatus.OFFLINE: QColor(140, 140, 140),
    CameraStatus.ERROR: QColor(239, 68, 68),
}
HEALTH_COLOURS = {
    HealthState.DEGRADED: QColor(234, 179, 8),
    HealthState.DOWN: QColor(239, 68, 68),
}


class CameraModel(QStandardItemModel):
    """Items carry a CameraRef; dragging one carries the camera to a tile."""

    def mimeTypes(self) -> list[str]:
        return ["application/x-vigil-camera"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        for index in indexes:
            ref = index.data(CAMERA_ROLE)
            if isinstance(ref, CameraRef):
                return camera_mime(ref)
        return QMimeData()


class CameraFilter(QSortFilterProxyModel):
    """Keeps cameras whose name contains the text, with the sites and groups above them."""

    def __init__(self) -> None:
        super().__init__()
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._text = ""

    def set_text(self, text: str) -> None:
        # Kept here too: asking Qt for the pattern costs more than the rest of a
        # row's check, for every row of the tree.
        self._text = text
        self.setFilterFixedString(text)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if not self._text:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        if not isinstance(index.data(CAMERA_ROLE), CameraRef):
            # Sites and groups stay only for the cameras that match below them.
            return False
        return super().filterAcceptsRow(source_row, source_parent)


class CameraTree(QWidget):
    camera_activated = Signal(object)
    """A CameraRef the operator double-clicked or pressed Enter on."""

    def __init__(self, directory: Directory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._directory = directory
        self._states: dict[CameraRef, StateInfo] = {}
        self._items: dict[CameraRef, list[QStandardItem]] = {}
        self._statuses: dict[CameraRef, CameraStatus] = {}
        """Reported since the last rebuild, for cameras still waiting to be added."""
        self._icons: dict[CameraStatus | HealthState, QIcon] = {}
        self._site_items: list[tuple[SiteSession, QStandardItem]] = []
        self._waiting: list[tuple[QStandardItem, Camera]] = []
        """Cameras still to be added, each with its parent, in tree order."""
        self._filler = QTimer(self, singleShot=True, interval=0)
        self._filler.timeout.connect(self._add_waiting)
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._update_site_texts)
        self.model = CameraModel(self)
        self.proxy = CameraFilter()
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter cameras")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.view = QTreeView(self)
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)
        directory.subscribe(self.rebuild)
        directory.subscribe_statuses(self._restyle_site)
        self.rebuild()

    def rebuild(self) -> None:
        self.model.clear()
        self._items.clear()
        self._statuses.clear()
        self._site_items.clear()
        self._waiting = []
        for session in self._directory.sessions:
            self.model.appendRow(self._site_item(session))
        self.view.expandAll()
        self._add_waiting()
        if any(s.status is SiteStatus.RETRYING for s in self._directory.sessions):
            self._countdown.start()
        else:
            self._countdown.stop()

    @property
    def complete(self) -> bool:
        """Whether every camera is in the tree (a large site's arrive in batches)."""
        return not self._waiting

    def _add_waiting(self) -> None:
        """The next batch of cameras, a parent's run of them in one insertion."""
        batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
        start = 0
        while start < len(batch):
            parent = batch[start][0]
            end = start
            while end < len(batch) and batch[end][0] is parent:
                end += 1
            parent.appendRows([self._camera_item(camera) for _, camera in batch[start:end]])
            start = end
        if self._waiting:
            self._filler.start()

    def site_text(self, site_id: str) -> str:
        """What the site's node says (for tests and accessibility)."""
        for session, item in self._site_items:
            if session.site.id == site_id:
                return item.text()
        return ""

    def _update_site_texts(self) -> None:
        for session, item in self._site_items:
            item.setText(_site_words(session))

    def set_camera_state(self, ref: CameraRef, info: StateInfo) -> None:
        self._states[ref] = info
        for item in self._items.get(ref, []):
            self._paint_camera(item, info)

    def _restyle_site(self, site_id: str) -> None:
        """The site's cameras changed status: every item of each, wherever it sits."""
        session = self._directory.session(site_id)
        if session is None:
            return
        for known, item in self._site_items:
            if known is session:
                self._show_health(item, session)
        for camera in session.tree.all_cameras():
            self._statuses[camera.ref] = camera.status
            for item in self._items.get(camera.ref, []):
                if item.data(STATUS_ROLE) != camera.status.value:
                    self._show_status(item, camera.status)

    def camera_index(self, ref: CameraRef) -> QModelIndex:
        """The view's index of ``ref`` (first occurrence), for tests and keyboard focus."""
        for item in self._items.get(ref, []):
            return self.proxy.mapFromSource(item.index())
        return QModelIndex()

    def _site_item(self, session: SiteSession) -> QStandardItem:
        item = QStandardItem(session.site.name)
        item.setData(session.site.id, SITE_ROLE)
        item.setDragEnabled(False)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        item.setText(_site_words(session))
        self._site_items.append((session, item))
        if session.status is SiteStatus.FAILED:
            item.setForeground(QBrush(STATE_COLOURS[PlayerState.FAILED]))
            item.setToolTip(str(session.error))
        elif session.status is SiteStatus.RETRYING:
            item.setForeground(QBrush(STATE_COLOURS[PlayerState.RECONNECTING]))
            item.setToolTip(str(session.error))
        self._show_health(item, session)
        self._add_group(item, session.tree)
        tree = session.tree
        if not tree.groups and not tree.cameras and session.status is SiteStatus.ONLINE:
            hint = QStandardItem("No cameras yet (Ctrl+N adds one)")
            hint.setEnabled(False)
            hint.setDragEnabled(False)
            item.appendRow(hint)
        return item

    def _add_group(self, parent: QStandardItem, group: CameraGroup) -> None:
        for child in group.groups:
            item = QStandardItem(child.name)
            item.setDragEnabled(False)
            self._add_group(item, child)
            parent.appendRow(item)
        self._waiting += [(parent, camera) for camera in group.cameras]

    def _camera_item(self, camera: Camera) -> QStandardItem:
        item = QStandardItem(camera.name)
        item.setData(camera.ref, CAMERA_ROLE)
        self._items.setdefault(camera.ref, []).append(item)
        self._show_status(item, self._statuses.get(camera.ref, camera.status))
        return item

    def _show_status(self, item: QStandardItem, status: CameraStatus) -> None:
        item.setData(status.value, STATUS_ROLE)
        item.setData(self._status_icon(status), Qt.ItemDataRole.DecorationRole)
        self._paint_camera(item, self._states.get(item.data(CAMERA_ROLE)))

    def _paint_camera(self, item: QStandardItem, info: StateInfo | None) -> None:
        """The stream's state colours a camera on screen; otherwise its reported status."""
        status = CameraStatus(item.data(STATUS_ROLE))
        colour = (STATE_COLOURS.get(info.state) if info else None) or STATUS_COLOURS.get(status)
        item.setForeground(QBrush(colour) if colour else QBrush())
        words = [camera_status_text(status), detail_text(info) if info else ""]
        item.setToolTip("\n".join(word for word in words if word))

    def _status_icon(self, status: CameraStatus) -> QIcon | None:
        """A hollow grey dot for offline, a red one for an error, nothing otherwise."""
        colour = STATUS_COLOURS.get(status)
        if colour is None:
            return None

        def draw(painter: QPainter) -> None:
            if status is CameraStatus.OFFLINE:
                painter.setPen(QPen(colour, 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
            painter.drawEllipse(2, 2, 8, 8)

        return self._mark(status, draw)

    def _show_health(self, item: QStandardItem, session: SiteSession) -> None:
        """The server's own account on an online site's node: an amber triangle when
        degraded, a red dot when down (nothing when healthy), the words in its tooltip."""
        health = session.health
        if health is None:
            item.setData(None, HEALTH_ROLE)
            if session.status is SiteStatus.ONLINE:
                item.setData(None, Qt.ItemDataRole.DecorationRole)
                item.setToolTip("")
            return
        item.setData(health.state.value, HEALTH_ROLE)
        item.setData(self._health_icon(health.state), Qt.ItemDataRole.DecorationRole)
        item.setToolTip(health_text(health))

    def _health_icon(self, state: HealthState) -> QIcon | None:
        colour = HEALTH_COLOURS.get(state)
        if colour is None:
            return None

        def draw(painter: QPainter) -> None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            if state is HealthState.DEGRADED:
                painter.drawPolygon(QPolygonF([QPointF(6, 1), QPointF(11, 11), QPointF(1, 11)]))
            else:
                painter.drawEllipse(2, 2, 8, 8)

        return self._mark(state, draw)

    def _mark(self, key: CameraStatus | HealthState, draw: Callable[[QPainter], None]) -> QIcon:
        """A 12-point mark drawn once per key at the screen's pixel ratio, then reused."""
        if key not in self._icons:
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(round(12 * ratio), round(12 * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            draw(painter)
            painter.end()
            self._icons[key] = QIcon(pixmap)
        return self._icons[key]

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text.strip())
        self.view.expandAll()

    def _activated(self, index: QModelIndex) -> None:
        ref = index.data(CAMERA_ROLE)
        if isinstance(ref, CameraRef):
            self.camera_activated.emit(ref)


def _site_words(session: SiteSession) -> str:
    return site_text(session.site.name, session.status.value, session.error, session.retry_at)
