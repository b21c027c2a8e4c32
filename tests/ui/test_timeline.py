"""The timeline scrubber and the playback bar, driven with the mouse as an operator does."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QDateTime, QEvent, QPoint, QPointF, Qt, QTime, QTimeZone
from PySide6.QtGui import QColor, QHelpEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QToolTip, QVBoxLayout, QWidget

from tests.integration.backends.gateway import rest
from tests.integration.backends.mibee import nvr
from tests.ui.conftest import until
from viewer.backends.rtsp.backend import RtspBackend, RtspCamera
from viewer.core.models import CameraRef, Site
from viewer.core.playback import PlaybackClock
from viewer.core.timeline import MarkerKind, cursor_text
from viewer.demo.recordings import recorded_spans
from viewer.services.directory import Directory, SiteSession
from viewer.services.timeline_feed import RowState, TimelineFeed
from viewer.ui.playback_bar import PlaybackBar
from viewer.ui.timeline import (
    GAP,
    MARKERS,
    RECORDED,
    ROW_HEIGHT,
    RULER_HEIGHT,
    TimelinePanel,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
Y = RULER_HEIGHT + ROW_HEIGHT // 2


@pytest.fixture
def panel(qtbot):
    panel = TimelinePanel(zone=BERLIN, now=lambda: NOW)
    qtbot.addWidget(panel)
    panel.resize(1000, 160)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def wheel(widget, x: float, notches: int) -> None:
    position = QPointF(x, Y)
    event = QWheelEvent(
        position,
        QPointF(widget.mapToGlobal(position.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def mapped(canvas, x: float) -> datetime:
    """The instant at ``x`` by the canvas's own published geometry, not its method."""
    view = canvas.view
    return view.start + view.span * ((x - canvas.track_left()) / canvas.track_width())


def test_the_wheel_zooms_about_the_pointer(panel):
    canvas = panel.canvas
    canvas.set_view(canvas.view.centred_on(NOW - timedelta(days=2)))
    x = canvas.track_left() + 300.0
    under = mapped(canvas, x)
    span = canvas.view.span
    wheel(canvas, x, 1)
    assert canvas.view.span < span
    assert abs(mapped(canvas, x) - under) < timedelta(milliseconds=1)
    wheel(canvas, x, -3)
    assert canvas.view.span > span
    assert abs(mapped(canvas, x) - under) < timedelta(milliseconds=1)


def test_a_drag_pans_the_instant_with_the_pointer(panel, qtbot):
    canvas = panel.canvas
    canvas.set_view(canvas.view.centred_on(NOW - timedelta(hours=5)))
    grabbed = mapped(canvas, canvas.track_left() + 500)
    seeks = []
    panel.seek_requested.connect(seeks.append)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.track_left() + 500, Y))
    for x in range(500, 301, -20):
        qtbot.mouseMove(canvas, QPoint(canvas.track_left() + x, Y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.track_left() + 300, Y))
    assert abs(mapped(canvas, canvas.track_left() + 300) - grabbed) < timedelta(seconds=1)
    assert seeks == []  # a drag is no click


def test_the_view_cannot_be_dragged_into_the_future(panel, qtbot):
    canvas = panel.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.track_left() + 100, Y))
    qtbot.mouseMove(canvas, QPoint(canvas.track_left() + 50, Y))
    qtbot.mouseMove(canvas, QPoint(canvas.track_left() + 10, Y))
    for x in range(0, 800, 50):
        qtbot.mouseMove(canvas, QPoint(canvas.track_left() + 10 - x // 10, Y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.track_left(), Y))
    assert canvas.view.end <= NOW + canvas.view.span * 0.1 + timedelta(milliseconds=1)


def test_a_click_seeks_to_the_instant_under_the_pointer(panel, qtbot):
    canvas = panel.canvas
    canvas.set_view(canvas.view.centred_on(NOW - timedelta(days=2)))
    x = canvas.track_left() + 437
    expected = mapped(canvas, x)
    with qtbot.waitSignal(panel.seek_requested) as seek:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, Y))
    assert abs(seek.args[0] - expected) < timedelta(milliseconds=1)
    assert canvas.cursor_instant == seek.args[0]


def test_dragging_the_cursor_seeks_where_it_is_dropped_without_panning(panel, qtbot):
    canvas = panel.canvas
    clock = PlaybackClock(NOW - timedelta(minutes=20), paused=True)
    panel.set_clock(clock)
    view = canvas.view
    start_x = round(canvas.x_for(clock.position()))
    seeks = []
    panel.seek_requested.connect(seeks.append)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(start_x, Y))
    for x in range(start_x, start_x + 201, 25):
        qtbot.mouseMove(canvas, QPoint(x, Y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(start_x + 200, Y))
    assert canvas.view == view
    (instant,) = seeks
    assert abs(instant - mapped(canvas, start_x + 200)) < timedelta(milliseconds=1)


def test_the_date_picker_jumps_far_back_in_local_time(panel, qtbot):
    picker = panel.date_picker
    picker.setDateTime(
        QDateTime(QDate(2026, 3, 29), QTime(3, 30, 0), QTimeZone(QTimeZone.Initialization.UTC))
    )
    with qtbot.waitSignal(panel.seek_requested) as seek:
        qtbot.keyClick(picker, Qt.Key.Key_Return)
    # 03:30 in Berlin that day is summer time: 01:30 UTC.
    assert seek.args[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    view = panel.canvas.view
    assert view.start < seek.args[0] < view.end


def test_the_cursor_follows_the_playback_clock_and_pages_the_view(panel, qtbot, qloop):
    canvas = panel.canvas
    canvas.set_view(
        canvas.view.centred_on(NOW - timedelta(hours=5)).with_span(
            timedelta(minutes=5), canvas.view.width / 2
        )
    )
    start = canvas.view.start + canvas.view.span * 0.97
    clock = PlaybackClock(start, speed=16.0)
    panel.set_clock(clock)
    assert panel.cursor_text.startswith(cursor_text(start, BERLIN)[:20])
    old_start = canvas.view.start

    async def paged() -> bool:
        return await until(lambda: canvas.view.start > old_start, within=30)

    assert qloop.run_until_complete(paged())
    cursor = canvas.cursor_instant
    assert cursor is not None and canvas.view.start <= cursor <= canvas.view.end
    panel.set_clock(None)
    assert panel.cursor_text.startswith("Live · ")


def test_the_rows_show_recordings_and_gaps_and_a_camera_without_any_says_so(qtbot, qloop):
    async def scenario() -> None:
        async with nvr.serving() as mibee:
            directory = Directory()
            await directory.add(
                SiteSession(nvr.MibeeBackend(nvr.SITE, mibee.url, nvr.USER, nvr.PASSWORD))
            )
            local = Site("local", "My cameras", "rtsp")
            door = RtspCamera("door", "Front door", "rtsp://127.0.0.1:1/door")
            await directory.add(SiteSession(RtspBackend(local, [door], lambda _: None)))
            feed = TimelineFeed(directory, debounce=0.02)
            now = datetime.now(UTC)
            panel = TimelinePanel(feed, zone=BERLIN, now=lambda: now)
            qtbot.addWidget(panel)
            panel.resize(1000, 200)
            panel.show()
            try:
                cameras = [CameraRef(nvr.SITE.id, "cam01"), CameraRef(local.id, "door")]
                panel.set_camera_source(lambda _sync: cameras)
                canvas = panel.canvas
                canvas.set_view(canvas.view.with_span(timedelta(hours=12), canvas.view.width))
                rows = await asyncio.wait_for(feed.settled(), 30)
                assert [row.state for row in rows] == [RowState.READY, RowState.NO_RECORDINGS]
                await until(lambda: canvas.rows == rows)
                image = canvas.grab().toImage()
                ratio = image.devicePixelRatio()
                view = canvas.view
                spans = recorded_spans(view.start, view.end, now)
                gap = next((a[1] + (b[0] - a[1]) / 2 for a, b in itertools.pairwise(spans)))
                recorded = spans[0][0] + (spans[0][1] - spans[0][0]) / 2

                def colour(instant: datetime, row: int) -> QColor:
                    y = RULER_HEIGHT + row * ROW_HEIGHT + ROW_HEIGHT // 2 + 3
                    x = canvas.x_for(instant)
                    return image.pixelColor(round(x * ratio), round(y * ratio))

                assert colour(recorded, 0) == RECORDED
                assert colour(gap, 0) == GAP
                assert colour(recorded, 1) not in (RECORDED, GAP)
            finally:
                await feed.close()
                await directory.close()

    qloop.run_until_complete(scenario())


class Recorder:
    """A playback session's stand-in: the bar's protocol, noting each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def __getattr__(self, name: str):
        return lambda *args: self.calls.append((name, *args))


def test_the_playback_bar_drives_its_controls(qtbot):
    bar = PlaybackBar()
    qtbot.addWidget(bar)
    bar.show()
    session = Recorder()
    bar.connect_controls(session)
    assert bar.live_button.isChecked() and not bar.step_forward_button.isEnabled()
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)  # pausing live
    assert not bar.live_button.isChecked() and bar.step_forward_button.isEnabled()
    assert not bar.step_back_button.isEnabled()  # until the site says it can
    bar.set_can_step_back(True)
    qtbot.mouseClick(bar.step_back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.step_forward_button, Qt.MouseButton.LeftButton)
    bar.speed_box.setCurrentIndex(bar.speed_box.findText("4×"))
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.skip_gaps_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.sync_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.next_event_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.previous_event_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.live_button, Qt.MouseButton.LeftButton)
    assert session.calls == [
        ("pause",),
        ("step", -1),
        ("step", 1),
        ("set_speed", 4.0),
        ("play",),
        ("set_skip_gaps", True),
        ("set_sync", True),
        ("next_event",),
        ("previous_event",),
        ("go_live",),
    ]
    assert [bar.speed_box.itemText(i) for i in range(bar.speed_box.count())] == [
        "¼×",
        "½×",
        "1×",
        "2×",
        "4×",
        "8×",
        "16×",
    ]


def test_the_bar_shows_what_the_session_reports_without_echoing_it(qtbot):
    bar = PlaybackBar()
    qtbot.addWidget(bar)
    session = Recorder()
    bar.connect_controls(session)
    bar.set_live(False)
    bar.set_speed(8.0)
    bar.set_skip_gaps(True)
    bar.set_sync(True)
    bar.set_playing(False)
    assert bar.speed == 8.0 and bar.skip_gaps_button.isChecked() and bar.sync_button.isChecked()
    assert session.calls == []


def test_a_narrow_bar_folds_its_toggles_away_rather_than_widening_the_window(qtbot):
    bar = PlaybackBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.resize(bar.minimumWidth(), 40)
    qtbot.wait(10)
    assert bar.play_button.isVisible() and bar.live_button.isVisible()
    assert not bar.sync_button.isVisible() and not bar.skip_gaps_button.isVisible()
    bar.resize(900, 40)
    qtbot.wait(10)
    assert bar.sync_button.isVisible() and bar.skip_gaps_button.isVisible()


def test_space_plays_and_pauses_but_a_text_field_keeps_its_spaces(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    column = QVBoxLayout(window)
    bar, grid, field = PlaybackBar(), QWidget(), QLineEdit()
    grid.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # as the video grid is
    for widget in (bar, grid, field):
        column.addWidget(widget)
    session = Recorder()
    bar.connect_controls(session)
    bar.set_live(False)
    bar.set_playing(True)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    grid.setFocus()
    qtbot.wait(50)  # the window takes its focus through the event loop
    QTest.keyClick(grid, Qt.Key.Key_Space)
    assert session.calls == [("pause",)] and not bar.playing
    field.setFocus()
    QTest.keyClicks(field, "a b")
    assert field.text() == "a b" and session.calls == [("pause",)]


def test_event_markers_are_coloured_by_type_and_named_in_the_tooltip(qtbot, qloop):
    async def scenario() -> None:
        gateway = rest.simulator()
        async with rest.serving(gateway):
            directory = Directory()
            await directory.add(
                SiteSession(rest.GatewayBackend(rest.SITE, gateway.url, rest.USER, rest.PASSWORD))
            )
            gateway.publish(rest.CAM01, "motion", "Person at the gate")
            feed = TimelineFeed(directory, debounce=0.02)
            now = datetime.now(UTC) + timedelta(seconds=2)
            panel = TimelinePanel(feed, zone=BERLIN, now=lambda: now)
            qtbot.addWidget(panel)
            panel.resize(1000, 200)
            panel.show()
            try:
                panel.set_camera_source(lambda _sync: [CameraRef(rest.SITE.id, rest.CAM01)])
                canvas = panel.canvas
                canvas.set_view(canvas.view.with_span(timedelta(minutes=5), canvas.view.width))
                (row,) = await asyncio.wait_for(feed.settled(), 30)
                (event,) = row.events
                await until(lambda: canvas.rows == (row,))
                x = canvas.x_for(event.time)
                image = canvas.grab().toImage()
                ratio = image.devicePixelRatio()
                marker = image.pixelColor(round((x + 0.5) * ratio), round((Y + 2) * ratio))
                assert marker == MARKERS[MarkerKind.MOTION]
                point = QPoint(round(x), Y)
                QApplication.sendEvent(
                    canvas, QHelpEvent(QEvent.Type.ToolTip, point, canvas.mapToGlobal(point))
                )
                assert "Motion · " in QToolTip.text()
                assert "Person at the gate" in QToolTip.text()
                QToolTip.hideText()
            finally:
                await feed.close()
                await directory.close()

    qloop.run_until_complete(scenario())
