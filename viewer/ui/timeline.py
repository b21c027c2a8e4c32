"""The timeline under the grid: what each camera recorded, when things happened, and
where playback is, scrubbed with the mouse.

The wheel zooms about the pointer (the instant under it stays put, from a week down to
ten seconds), a drag pans, a click or a drag of the cursor seeks. The ruler reads the
operator's wall clock, repeated and skipped hours included (core/timeline.py). Rows
come from the TimelineFeed: one for the selected tile's camera, or one per tile in
sync mode. The cursor follows a playback clock at 10 Hz, never per decoded frame: a
repaint of this strip costs more than the move of a pixel is worth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QEvent,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTime,
    QTimer,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from viewer.core.models import CameraRef
from viewer.core.timeline import (
    MarkerKind,
    TimelineView,
    cursor_text,
    marker_kind,
    merge_spans,
    span_at,
    ticks,
)
from viewer.services.timeline_feed import RowState, TimelineFeed, TimelineRow
from viewer.ui.wording import problem

LABEL_WIDTH = 150
RULER_HEIGHT = 26
ROW_HEIGHT = 24
MARGIN = 8
DRAG_THRESHOLD = 4
"""Pixels a press may wander and still count as a click."""
CURSOR_GRAB = 5
"""Pixels either side of the cursor where a press takes hold of it."""
REFRESH_MS = 100
_SECOND = timedelta(seconds=1)
FUTURE_ROOM = 0.1
"""How far past now the view may go, as a part of its span: the live edge stays in sight."""

BACKGROUND = QColor(22, 24, 29)
RULER = QColor(32, 34, 40)
GRID_LINE = QColor(44, 47, 54)
TEXT = QColor(200, 203, 209)
DIM_TEXT = QColor(130, 134, 142)
RECORDED = QColor(46, 150, 104)
GAP = QColor(38, 31, 33)
BOOKMARK = QColor(176, 124, 255)
CURSOR = QColor(64, 156, 255)
LIVE = QColor(230, 64, 64)
MARKERS = {
    MarkerKind.MOTION: QColor(240, 176, 48),
    MarkerKind.ALERT: QColor(236, 82, 72),
    MarkerKind.OTHER: QColor(98, 170, 255),
}
LEGEND = (
    ("Recorded", RECORDED),
    ("Motion", MARKERS[MarkerKind.MOTION]),
    ("Alert", MARKERS[MarkerKind.ALERT]),
    ("Event", MARKERS[MarkerKind.OTHER]),
    ("Bookmark", BOOKMARK),
)


class Clock(Protocol):
    """What the cursor follows: core.playback.PlaybackClock, or anything that tells
    the recorded instant being shown."""

    def position(self) -> datetime: ...


def local_zone() -> tzinfo:
    """The operator's zone by its IANA name, so DST changes are known; a fixed offset
    where the name cannot be resolved (no tz database installed)."""
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now().astimezone().tzinfo or UTC


class TimelineCanvas(QWidget):
    """The ruler and the rows; all mouse handling of the scrubber."""

    seek_requested = Signal(object)
    """The UTC instant the operator clicked or dropped the cursor at."""
    view_changed = Signal(object)
    """The new TimelineView after a zoom, pan or jump."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        zone: tzinfo | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.zone = zone or local_zone()
        self._now = now
        span = timedelta(hours=1)
        self._view = TimelineView(now() - span * (1 - FUTURE_ROOM), span, 600)
        self._rows: tuple[TimelineRow, ...] = ()
        self._cursor: datetime | None = None
        self._live = True
        self._wheel = 0
        self._press: QPointF | None = None
        self._press_view: TimelineView | None = None
        self._panning = False
        self._holding_cursor = False
        self._hover: float | None = None
        self.setMouseTracking(True)
        self.setMinimumHeight(RULER_HEIGHT + ROW_HEIGHT + 2 * MARGIN)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        self._small = font

    # -- state ---------------------------------------------------------------------------

    @property
    def view(self) -> TimelineView:
        return self._view

    @property
    def rows(self) -> tuple[TimelineRow, ...]:
        return self._rows

    @property
    def cursor_instant(self) -> datetime | None:
        return self._cursor

    def track_left(self) -> int:
        return LABEL_WIDTH

    def track_width(self) -> int:
        return max(1, self.width() - LABEL_WIDTH - MARGIN)

    def x_for(self, instant: datetime) -> float:
        """Where ``instant`` is drawn, in this widget's coordinates."""
        return self.track_left() + self._view.x_of(instant)

    def instant_at(self, x: float) -> datetime:
        return self._view.instant_at(x - self.track_left())

    def set_view(self, view: TimelineView) -> None:
        view = view.resized(self.track_width()).kept_before(self._latest(view))
        if view != self._view:
            self._view = view
            self.update()
            self.view_changed.emit(view)

    def show_instant(self, instant: datetime) -> None:
        """Centre the view on ``instant`` (a date picked far back), keeping the zoom."""
        self.set_view(self._view.centred_on(instant))

    def set_rows(self, rows: Sequence[TimelineRow]) -> None:
        self._rows = tuple(rows)
        height = RULER_HEIGHT + max(1, len(self._rows)) * ROW_HEIGHT + MARGIN
        self.setMinimumHeight(min(height, RULER_HEIGHT + 6 * ROW_HEIGHT + MARGIN))
        self.updateGeometry()
        self.update()

    def set_cursor(self, instant: datetime | None, live: bool = False) -> None:
        """Where playback is (``live``: at the live edge, drawn red). While the operator
        holds the cursor, playback's own position does not take it away."""
        if self._holding_cursor:
            return
        if instant == self._cursor and live == self._live:
            return
        old = self._cursor
        self._cursor, self._live = instant, live
        if old is not None and instant is not None:
            # Only the strips around the old and the new cursor need painting.
            for moment in (old, instant):
                x = int(self.x_for(moment))
                self.update(x - 60, 0, 120, self.height())
        else:
            self.update()

    def follow_cursor(self, previous: datetime | None) -> None:
        """Page the view on when playback runs off its right edge, as long as the
        operator had the cursor in sight (one who panned away is left alone)."""
        cursor = self._cursor
        if cursor is None or previous is None or self._press is not None:
            return
        view = self._view
        if view.start <= previous <= view.end and cursor > view.end:
            self.set_view(TimelineView(cursor - view.span * 0.1, view.span, view.width))

    def _latest(self, view: TimelineView) -> datetime:
        return self._now() + view.span * FUTURE_ROOM

    # -- mouse -----------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        # A notch is 120; touchpads send less at a time, which adds up to notches.
        self._wheel += event.angleDelta().y()
        steps = int(self._wheel / 120)
        self._wheel -= steps * 120
        if steps:
            anchor = event.position().x() - self.track_left()
            self.set_view(self._view.zoomed(steps, min(max(anchor, 0), self.track_width())))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() is not Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        position = event.position()
        self._press, self._press_view, self._panning = position, self._view, False
        cursor = self._cursor
        near = cursor is not None and abs(position.x() - self.x_for(cursor)) <= CURSOR_GRAB
        self._holding_cursor = near and position.x() >= self.track_left()
        self.setCursor(
            Qt.CursorShape.SizeHorCursor
            if self._holding_cursor
            else Qt.CursorShape.ClosedHandCursor
        )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        self._hover = position.x() if position.x() >= self.track_left() else None
        if self._press is None or self._press_view is None:
            self.update()
            return
        if self._holding_cursor:
            self._cursor = self.instant_at(max(position.x(), self.track_left()))
            self.update()
            return
        dx = position.x() - self._press.x()
        if self._panning or abs(dx) > DRAG_THRESHOLD:
            self._panning = True
            self.set_view(self._press_view.resized(self.track_width()).panned(dx))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() is not Qt.MouseButton.LeftButton or self._press is None:
            super().mouseReleaseEvent(event)
            return
        x = event.position().x()
        if self._panning and self._press_view is not None:
            # Moves may be merged: the release says where the drag really ended.
            self.set_view(self._press_view.resized(self.track_width()).panned(x - self._press.x()))
        holding, panning = self._holding_cursor, self._panning
        self._press, self._press_view = None, None
        self._holding_cursor = self._panning = False
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        if holding or (not panning and x >= self.track_left()):
            instant = self.instant_at(max(x, self.track_left()))
            self._cursor, self._live = instant, False
            self.update()
            self.seek_requested.emit(instant)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._view = self._view.resized(self.track_width())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._describe(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _describe(self, point: QPoint) -> str:
        """The tooltip: the events and bookmarks under the pointer, or what the row
        holds at that instant."""
        if point.x() < self.track_left():
            return "\n".join(f"■ {name}" for name, _ in LEGEND) if point.y() < RULER_HEIGHT else ""
        instant = self.instant_at(point.x())
        when = cursor_text(instant, self.zone)
        row_index = (point.y() - RULER_HEIGHT) // ROW_HEIGHT
        if point.y() < RULER_HEIGHT or not 0 <= row_index < len(self._rows):
            return when
        row = self._rows[row_index]
        slack = timedelta(seconds=3 * self._view.seconds_per_pixel)
        lines = [
            f"{_kind_words(event.type)} · {_clock(event.time, self.zone)}"
            + (f" · {event.description}" if event.description else "")
            for event in row.events
            if abs(event.time - instant) <= slack
        ][:6]
        lines += [
            f"Bookmark · {mark.header}" + (f" – {mark.description}" if mark.description else "")
            for mark in row.bookmarks
            if mark.span.start - slack <= instant <= mark.span.end + slack
        ]
        if not lines:
            lines.append(f"{row.name}: {_row_words(row, instant)}")
        return "\n".join([when, *lines])

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        painter.setFont(self._small)
        self._paint_ruler(painter)
        for index, row in enumerate(self._rows):
            self._paint_row(painter, index, row)
        if not self._rows:
            painter.setPen(DIM_TEXT)
            area = QRectF(0, RULER_HEIGHT, self.width(), ROW_HEIGHT)
            painter.drawText(
                area,
                Qt.AlignmentFlag.AlignCenter,
                "Select a tile with a camera to see its recordings",
            )
        self._paint_cursor(painter)
        painter.end()

    def _paint_ruler(self, painter: QPainter) -> None:
        painter.fillRect(0, 0, self.width(), RULER_HEIGHT, RULER)
        metrics = QFontMetrics(self._small)
        bottom = self.height()
        for tick in ticks(
            self._view,
            self.zone,
            min_pixels=max(70, metrics.horizontalAdvance("00:00:00 CEST") + 12),
        ):
            x = self.track_left() + tick.x
            painter.setPen(QPen(GRID_LINE, 1))
            painter.drawLine(QPointF(x, RULER_HEIGHT), QPointF(x, bottom))
            painter.setPen(QPen(TEXT if tick.day else DIM_TEXT, 1))
            painter.drawLine(
                QPointF(x, RULER_HEIGHT - (10 if tick.day else 6)), QPointF(x, RULER_HEIGHT)
            )
            if tick.label:
                font = QFont(self._small)
                font.setBold(tick.day)
                painter.setFont(font)
                painter.setPen(TEXT if tick.day else DIM_TEXT)
                painter.drawText(QPointF(x + 3, RULER_HEIGHT - 10), tick.label)
                painter.setFont(self._small)
        # The label column's head: the day being looked at, which ticks may not show.
        painter.fillRect(0, 0, LABEL_WIDTH, RULER_HEIGHT, RULER)
        painter.setPen(TEXT)
        middle = self._view.start + self._view.span / 2
        local = middle.astimezone(self.zone)
        painter.drawText(
            QRectF(MARGIN, 0, LABEL_WIDTH - MARGIN, RULER_HEIGHT),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{local:%Y-%m-%d} {local.tzname() or ''}",
        )
        painter.setPen(GRID_LINE)
        painter.drawLine(0, RULER_HEIGHT, self.width(), RULER_HEIGHT)

    def _paint_row(self, painter: QPainter, index: int, row: TimelineRow) -> None:
        top = RULER_HEIGHT + index * ROW_HEIGHT
        left, width = self.track_left(), self.track_width()
        bar = QRectF(left, top + 4, width, ROW_HEIGHT - 8)
        metrics = QFontMetrics(self._small)
        painter.setPen(TEXT)
        name = metrics.elidedText(row.name, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 2 * MARGIN)
        painter.drawText(
            QRectF(MARGIN, top, LABEL_WIDTH - MARGIN, ROW_HEIGHT),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            name,
        )
        if row.state in (RowState.NO_RECORDINGS, RowState.UNAVAILABLE):
            painter.fillRect(bar, QColor(30, 32, 38))
            painter.setPen(DIM_TEXT)
            painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, _row_words(row, None))
            return
        painter.fillRect(bar, GAP)
        view = self._view
        # A gap narrower than a pixel cannot be seen or clicked: drawn as recorded.
        tolerance = timedelta(seconds=view.seconds_per_pixel)
        for span in merge_spans(row.recorded, tolerance):
            x0 = max(view.x_of(span.start), 0.0)
            x1 = min(view.x_of(span.end), float(width))
            if x1 > x0:
                painter.fillRect(
                    QRectF(left + x0, bar.top(), max(x1 - x0, 1.0), bar.height()), RECORDED
                )
        for mark in row.bookmarks:
            x0 = max(view.x_of(mark.span.start), 0.0)
            x1 = min(view.x_of(mark.span.end), float(width))
            if x1 < 0 or x0 > width:
                continue
            shade = QColor(BOOKMARK)
            shade.setAlpha(70)
            painter.fillRect(QRectF(left + x0, top + 2, max(x1 - x0, 2.0), ROW_HEIGHT - 4), shade)
            flag = QPolygonF(
                [
                    QPointF(left + x0, top + 1),
                    QPointF(left + x0 + 7, top + 1),
                    QPointF(left + x0, top + 8),
                ]
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BOOKMARK)
            painter.drawPolygon(flag)
        for event in row.events:
            x = view.x_of(event.time)
            if 0 <= x <= width:
                colour = MARKERS[marker_kind(event.type)]
                painter.fillRect(QRectF(left + x - 1, bar.top() + 2, 2.5, bar.height() - 2), colour)
        if row.state is RowState.LOADING and not row.recorded:
            painter.setPen(DIM_TEXT)
            painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, "Loading…")

    def _paint_cursor(self, painter: QPainter) -> None:
        if self._hover is not None and self._press is None:
            painter.setPen(QPen(QColor(255, 255, 255, 60), 1))
            painter.drawLine(
                QPointF(self._hover, RULER_HEIGHT), QPointF(self._hover, self.height())
            )
        cursor = self._cursor
        if cursor is None:
            return
        x = self.x_for(cursor)
        if not self.track_left() <= x <= self.track_left() + self.track_width():
            return
        colour = LIVE if self._live else CURSOR
        painter.setPen(QPen(colour, 2))
        painter.drawLine(QPointF(x, RULER_HEIGHT - 4), QPointF(x, self.height()))
        head = QPolygonF(
            [
                QPointF(x - 6, RULER_HEIGHT - 10),
                QPointF(x + 6, RULER_HEIGHT - 10),
                QPointF(x, RULER_HEIGHT - 2),
            ]
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(head)

    def sizeHint(self) -> QSize:
        return QSize(800, RULER_HEIGHT + 2 * ROW_HEIGHT + MARGIN)


def _clock(instant: datetime, zone: tzinfo) -> str:
    return f"{instant.astimezone(zone):%H:%M:%S}"


def _kind_words(event_type: str) -> str:
    words = " ".join(event_type.replace(".", " ").replace("_", " ").split())
    return words[:1].upper() + words[1:] if words else "Event"


def _row_words(row: TimelineRow, instant: datetime | None) -> str:
    """What a row holds, in words: why it is empty, or whether ``instant`` is recorded."""
    match row.state:
        case RowState.NO_RECORDINGS:
            return "No recordings – this camera's site keeps none"
        case RowState.UNAVAILABLE:
            return f"Recordings unavailable – {problem(row.problem) or 'not connected'}"
    if instant is None:
        return ""
    if span_at(row.recorded, instant) is not None:
        return "recorded"
    return "loading…" if row.state is RowState.LOADING else "no recording"


class Legend(QWidget):
    """The colours of the rows, so nobody has to hover to read a marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        self.setFont(font)
        self.setToolTip("Recorded spans, event markers by type, and bookmarks")
        # A narrow window cuts the legend short rather than growing for it.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        width = sum(metrics.horizontalAdvance(name) + 24 for name, _ in LEGEND)
        return QSize(width, metrics.height() + 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        metrics = QFontMetrics(self.font())
        x, middle = 0, self.height() / 2
        for name, colour in LEGEND:
            painter.fillRect(QRectF(x, middle - 4, 9, 9), colour)
            painter.setPen(DIM_TEXT)
            painter.drawText(QPointF(x + 13, middle + metrics.ascent() / 2 - 1), name)
            x += metrics.horizontalAdvance(name) + 24
        painter.end()


class TimelinePanel(QWidget):
    """The canvas with its header: the date picker, zoom buttons, the cursor's exact
    time and the legend; it asks the feed for the rows of the cameras to show."""

    seek_requested = Signal(object)
    """A UTC instant: a click, a dropped cursor or a date picked."""
    cursor_moved = Signal(str)
    """The cursor's exact local time in words, for the playback bar's clock."""

    def __init__(
        self,
        feed: TimelineFeed | None = None,
        parent: QWidget | None = None,
        *,
        zone: tzinfo | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("TimelinePanel")
        self._feed = feed
        self._now = now
        self.canvas = TimelineCanvas(self, zone=zone, now=now)
        self.zone = self.canvas.zone
        self._clock: Clock | None = None
        self._cameras: Callable[[bool], Sequence[CameraRef]] = lambda _sync: ()
        self._shown: tuple[CameraRef, ...] = ()
        self._sync = False
        self._picker_value = QDateTime()
        self._picker_instant = datetime.min.replace(tzinfo=UTC)
        self.cursor_text = ""
        self._build_header()
        self.canvas.seek_requested.connect(self._seek)
        self.canvas.view_changed.connect(lambda _view: self._ask_feed())
        if feed is not None:
            feed.subscribe(self.canvas.set_rows)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._set_picker(self._now())
        self._tick()

    def _build_header(self) -> None:
        self.date_picker = QDateTimeEdit(self)
        self.date_picker.setCalendarPopup(True)
        self.date_picker.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
        self.date_picker.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.date_picker.setToolTip("Go to a date and time (local): pick it and press Enter")
        self.date_picker.setKeyboardTracking(False)
        self.date_picker.editingFinished.connect(self._picked)
        # No jump on a day clicked in the calendar: a day, then its time, then Enter or Go.
        # (Asking for the calendar here would also build it, and its menus, up front.)
        self.go_button = QToolButton(self)
        self.go_button.setText("Go")
        self.go_button.setToolTip("Show and play from the date and time picked")
        self.go_button.clicked.connect(self._picked)
        self.zoom_out_button = QToolButton(self)
        self.zoom_out_button.setText("−")
        self.zoom_out_button.setToolTip("Show a longer span (wheel down)")
        self.zoom_out_button.clicked.connect(lambda: self._zoom(-1))
        self.zoom_in_button = QToolButton(self)
        self.zoom_in_button.setText("+")
        self.zoom_in_button.setToolTip("Show a shorter span (wheel up)")
        self.zoom_in_button.clicked.connect(lambda: self._zoom(1))
        self.now_button = QToolButton(self)
        self.now_button.setText("Now")
        self.now_button.setToolTip("Bring the present into view")
        self.now_button.clicked.connect(lambda: self.canvas.show_instant(self._now()))
        header = QHBoxLayout()
        header.setContentsMargins(MARGIN, 2, 6, 0)
        header.setSpacing(4)
        header.addWidget(Legend(self), 1)
        header.addWidget(self.zoom_out_button)
        header.addWidget(self.zoom_in_button)
        header.addWidget(self.now_button)
        header.addSpacing(8)
        header.addWidget(self.date_picker)
        header.addWidget(self.go_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.canvas, 1)

    # -- wiring ----------------------------------------------------------------------------

    def set_camera_source(self, cameras: Callable[[bool], Sequence[CameraRef]]) -> None:
        """``cameras(sync)``: the cameras to show, all of the view's in sync mode, else
        the selected tile's. Asked at every refresh, so a change of selection shows
        within a tenth of a second without a signal from the grid."""
        self._cameras = cameras
        self._tick()

    def set_sync(self, on: bool) -> None:
        self._sync = on
        self._tick()

    def set_clock(self, clock: Clock | None) -> None:
        """Follow ``clock`` (playback), or the live edge when None."""
        self._clock = clock
        self._tick()

    @property
    def shown_cameras(self) -> tuple[CameraRef, ...]:
        return self._shown

    # -- behaviour -------------------------------------------------------------------------

    def _tick(self) -> None:
        cameras = tuple(dict.fromkeys(self._cameras(self._sync)))
        if cameras != self._shown:
            self._shown = cameras
            self._ask_feed()
        previous = self.canvas.cursor_instant
        if self._clock is not None:
            instant, live = self._clock.position(), False
        else:
            instant, live = self._now(), True
        self.canvas.set_cursor(instant, live)
        self.canvas.follow_cursor(previous)
        shown = self.canvas.cursor_instant
        if shown is None:
            return
        text = cursor_text(shown, self.zone)
        text = f"Live · {text}" if live else text
        if text != self.cursor_text:
            self.cursor_text = text
            self.cursor_moved.emit(text)
        if not self.date_picker.hasFocus() and abs(shown - self._picker_instant) >= _SECOND:
            self._set_picker(shown)

    def _ask_feed(self) -> None:
        if self._feed is None:
            return
        if self._shown:
            self._feed.show(self._shown, self.canvas.view.visible)
        else:
            self.canvas.set_rows(())

    def _seek(self, instant: datetime) -> None:
        self._set_picker(instant)
        self.seek_requested.emit(instant)

    def _zoom(self, steps: int) -> None:
        canvas = self.canvas
        cursor = canvas.cursor_instant
        view = canvas.view
        anchor = (
            view.x_of(cursor)
            if cursor is not None and view.start <= cursor <= view.end
            else view.width / 2
        )
        canvas.set_view(view.zoomed(steps, anchor))

    def _picked(self) -> None:
        picked = self.date_picker.dateTime()
        if picked == self._picker_value and not self.go_button.isDown():
            return  # focus left the picker without a new date in it
        date, moment = picked.date(), picked.time()
        wall = datetime(
            date.year(), date.month(), date.day(), moment.hour(), moment.minute(), moment.second()
        )
        instant = wall.replace(tzinfo=self.zone).astimezone(UTC)
        instant = min(instant, self._now())
        self.canvas.show_instant(instant)
        self.canvas.set_cursor(instant, live=False)
        self.seek_requested.emit(instant)

    def _set_picker(self, instant: datetime) -> None:
        local = instant.astimezone(self.zone)
        value = QDateTime(
            QDate(local.year, local.month, local.day),
            QTime(local.hour, local.minute, local.second),
            QTimeZone(QTimeZone.Initialization.UTC),
        )
        self._picker_value, self._picker_instant = value, instant
        blocked = self.date_picker.blockSignals(True)
        self.date_picker.setDateTime(value)
        self.date_picker.blockSignals(blocked)
