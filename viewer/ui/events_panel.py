"""The events panel: what happened on the cameras in view, newest first, with pictures.

A dock beside the grid. Each row shows the event's picture (the VMS's snapshot for an
event heard live, a frame of the recording otherwise: services/thumbnails.py), its
type, its time in the operator's local time and the camera. Clicking a row emits
``event_activated(camera, instant)``, which the window hands to the timeline and the
playback session, so the tile shows that moment.

The list pages itself: when the operator scrolls near its end (or the rows do not fill
it yet), the feed is asked for older events. Pictures are fetched only for rows that
get painted, so a long list costs only what is looked at. A site that keeps no events
or whose events could not be read is named under the list; the others still show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from viewer.core.models import CameraRef, TimeSpan
from viewer.media.frames import VideoImage
from viewer.services.directory import Directory
from viewer.services.event_feed import EventFeed, FeedItem
from viewer.services.thumbnails import Thumbnail, Thumbnails
from viewer.ui.tasks import spawn
from viewer.ui.wording import clock_text, event_type_text, problem

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_HEIGHT = 62
PICTURE = QSize(96, 54)
# Rows left below the visible ones before older events are asked for.
PAGE_AHEAD = 10

Index = QModelIndex | QPersistentModelIndex


class EventModel(QAbstractListModel):
    """The feed's entries as rows; new ones are inserted where they belong (live ones
    on top, older pages at the bottom), so the view keeps its place and selection."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[FeedItem] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        if role == ITEM_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{event_type_text(item.event.type)} – {item.camera_name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(item)
        return None

    def update_from(self, items: tuple[FeedItem, ...]) -> None:
        known = {item.key for item in self.items}
        if len(items) < len(self.items) or not known.issubset(i.key for i in items):
            self.beginResetModel()
            self.items = list(items)
            self.endResetModel()
            return
        for row, item in enumerate(items):
            if item.key not in known:
                self.beginInsertRows(QModelIndex(), row, row)
                self.items.insert(row, item)
                self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.items = []
        self.endResetModel()

    def pictures_changed(self) -> None:
        if self.items:
            self.dataChanged.emit(self.index(0), self.index(len(self.items) - 1))


def _tooltip(item: FeedItem) -> str:
    lines = [
        event_type_text(item.event.type),
        clock_text(item.event.time.timestamp()),
        item.camera_name,
    ]
    if item.event.description:
        lines.append(item.event.description)
    if item.live:
        lines.append("Heard as it happened")
    return "\n".join(lines)


def picture_of(thumbnail: Thumbnail) -> QImage:
    """A JPEG from the VMS or a decoded frame, as an image the panel owns."""
    if isinstance(thumbnail, VideoImage):
        image = QImage(
            thumbnail.pixels,
            thumbnail.width,
            thumbnail.height,
            thumbnail.stride,
            QImage.Format.Format_RGB32,
        )
        return image.copy()
    return QImage.fromData(thumbnail)


class _Delegate(QStyledItemDelegate):
    def __init__(self, panel: EventsPanel) -> None:
        super().__init__(panel)
        self._panel = panel

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(PICTURE.width() + 160, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = index.data(ITEM_ROLE)
        if not isinstance(item, FeedItem):
            return
        rect: QRect = option.rect
        state = option.state
        palette: QPalette = option.palette
        painter.save()
        selected = bool(state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.highlight())
        box = QRect(rect.left() + 4, rect.top() + 4, PICTURE.width(), PICTURE.height())
        pixmap = self._panel.pixmap(item)
        if pixmap is None:
            painter.fillRect(box, QColor(40, 40, 40))
        else:
            scaled = pixmap.scaled(
                box.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            left = box.left() + (box.width() - scaled.width()) // 2
            top = box.top() + (box.height() - scaled.height()) // 2
            painter.drawPixmap(left, top, scaled)
        text = QRect(
            box.right() + 8, rect.top() + 4, rect.right() - box.right() - 12, rect.height() - 8
        )
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        line = painter.fontMetrics().height()
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        painter.drawText(text, flags, event_type_text(item.event.type))
        painter.setFont(option.font)
        when = clock_text(item.event.time.timestamp())
        painter.drawText(text.adjusted(0, line, 0, 0), flags, when)
        painter.drawText(text.adjusted(0, 2 * line, 0, 0), flags, item.camera_name)
        painter.restore()


class EventsPanel(QWidget):
    event_activated = Signal(object, object)
    """(CameraRef, datetime): the operator wants to see this moment of this camera."""

    def __init__(
        self,
        directory: Directory,
        parent: QWidget | None = None,
        *,
        thumbnails: Thumbnails | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EventsPanel")
        self._directory = directory
        self._thumbnails = thumbnails or Thumbnails()
        self.feed: EventFeed | None = None
        self._asking = False
        self._pixmaps: dict[object, QPixmap] = {}
        self._requested: set[object] = set()
        self.model = EventModel(self)
        self.view = QListView(self)
        self.view.setObjectName("EventList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(_Delegate(self))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._clicked)
        self.view.verticalScrollBar().valueChanged.connect(lambda _value: self._maybe_more())
        self.view.verticalScrollBar().rangeChanged.connect(lambda _a, _b: self._maybe_more())
        self.status = QLabel(self)
        self.status.setObjectName("EventStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addWidget(self.status)
        self._update_status()

    # -- what is shown ---------------------------------------------------------------

    def show_events(self, cameras: list[CameraRef], span: TimeSpan) -> EventFeed:
        """Show the events of ``cameras`` over ``span`` (the timeline's visible span),
        following live ones while it reaches the present."""
        self.close_feed()
        feed = EventFeed(self._directory, cameras, span, thumbnails=self._thumbnails)
        self.feed = feed
        feed.subscribe(lambda: self._feed_changed(feed))
        feed.start()
        self._ask(feed)
        return feed

    def close_feed(self) -> None:
        feed, self.feed = self.feed, None
        self.model.clear()
        self._pixmaps.clear()
        self._requested.clear()
        self._asking = False
        if feed is not None:
            spawn(feed.close())
        self._update_status()

    def _feed_changed(self, feed: EventFeed) -> None:
        if feed is not self.feed:
            return
        self.model.update_from(feed.items)
        self.model.pictures_changed()
        self._update_status()

    def _ask(self, feed: EventFeed) -> None:
        self._asking = True
        self._update_status()

        async def more() -> None:
            try:
                await feed.more()
            finally:
                if feed is self.feed:
                    self._asking = False
                    self._feed_changed(feed)
                    self._maybe_more()

        spawn(more())

    def _maybe_more(self) -> None:
        """Older events when the operator nears the end of the list, or while the rows
        do not fill it."""
        feed = self.feed
        if feed is None or self._asking or feed.exhausted:
            return
        bar = self.view.verticalScrollBar()
        rows_left = (bar.maximum() - bar.value()) / ROW_HEIGHT
        if bar.maximum() == 0 or rows_left < PAGE_AHEAD:
            self._ask(feed)

    def _update_status(self) -> None:
        feed = self.feed
        if feed is None:
            self.status.setText("Select a camera to see its events")
            return
        lines = []
        if self._asking:
            lines.append("Loading events…")
        elif feed.exhausted and not feed.items:
            lines.append("No events in this span")
        for site_id, error in sorted(feed.problems.items()):
            lines.append(f"{self._site_name(site_id)}: events could not be read ({problem(error)})")
        for site_id in sorted(feed.silent_sites):
            lines.append(f"{self._site_name(site_id)} keeps no events")
        self.status.setText("\n".join(lines))
        self.status.setVisible(bool(lines))

    def _site_name(self, site_id: str) -> str:
        session = self._directory.session(site_id)
        return session.site.name if session is not None else site_id

    # -- pictures --------------------------------------------------------------------

    def pixmap(self, item: FeedItem) -> QPixmap | None:
        """The row's picture; asked for the first time the row is painted."""
        pixmap = self._pixmaps.get(item.key)
        if pixmap is not None:
            return pixmap
        feed = self.feed
        if feed is None:
            return None
        thumbnail = feed.thumbnail(item)
        if thumbnail is not None:
            image = picture_of(thumbnail)
            if image.isNull():
                return None
            pixmap = QPixmap.fromImage(image)
            self._pixmaps[item.key] = pixmap
            return pixmap
        if item.key not in self._requested:
            self._requested.add(item.key)
            feed.request_thumbnail(item)
        return None

    # -- clicks ----------------------------------------------------------------------

    def _clicked(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if isinstance(item, FeedItem):
            instant: datetime = item.event.time
            self.event_activated.emit(item.camera, instant)


class EventsDock(QDockWidget):
    """The panel in a dock the operator can move, close and bring back."""

    def __init__(self, panel: EventsPanel, parent: QWidget | None = None) -> None:
        super().__init__("Events", parent)
        self.setObjectName("EventsDock")
        self.panel = panel
        self.setWidget(panel)
