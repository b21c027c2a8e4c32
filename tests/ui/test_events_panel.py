"""The events panel against a simulated XProtect site: newest first in local time, older
pages as the operator scrolls, the recorded picture of each event, a click that asks
for that moment, and a site without events named under the list."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.integration.backends.milestone.xprotect import connected, serving, simulator
from tests.ui.conftest import until
from viewer.core.models import CameraRef, TimeSpan
from viewer.demo.clockface import read_instant
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.events import MOTION_STARTED
from viewer.services.directory import Directory, SiteSession
from viewer.services.thumbnails import Thumbnails
from viewer.ui.events_panel import PICTURE, EventsPanel
from viewer.ui.wording import clock_text

FRONT, YARD = CAMERAS["cam01"], CAMERAS["cam02"]


@pytest.fixture
def xprotect(qloop):
    """A simulated XProtect site with a backend connected to it, in a Directory."""
    stack = contextlib.AsyncExitStack()

    async def start():
        server = await stack.enter_async_context(serving(simulator()))
        backend = await stack.enter_async_context(connected(server))
        directory = Directory()
        await directory.add(SiteSession(backend))
        return server, directory

    yield qloop.run_until_complete(start())
    qloop.run_until_complete(stack.aclose())


def make_panel(qtbot, directory, thumbnails=None):
    panel = EventsPanel(directory, thumbnails=thumbnails)
    qtbot.addWidget(panel)
    panel.resize(360, 400)
    panel.show()
    return panel


def close(qloop, panel):
    feed = panel.feed
    panel.close_feed()
    if feed is not None:
        qloop.run_until_complete(feed.close())


def test_events_show_newest_first_and_scrolling_down_pages_in_older_ones(qloop, qtbot, xprotect):
    server, directory = xprotect
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    times = [end - timedelta(minutes=2 * i) for i in range(150)]
    for at in times:
        server.events.publish(MOTION_STARTED, f"cameras/{FRONT.id}", at)
    panel = make_panel(qtbot, directory, Thumbnails(from_recordings=False))
    feed = panel.show_events([CameraRef("xp", FRONT.id)], TimeSpan(end - timedelta(days=1), end))

    async def scenario():
        assert await until(lambda: panel.model.rowCount() > 0 and not panel._asking)
        shown = panel.model.rowCount()
        # The first pages fill the list and a little more, not the whole day.
        assert shown < len(times) and not feed.exhausted
        first = panel.model.index(0).data(Qt.ItemDataRole.DisplayRole)
        assert first == f"Motion started – {FRONT.name}"
        assert clock_text(times[0].timestamp()) in panel.model.index(0).data(
            Qt.ItemDataRole.ToolTipRole
        )
        # The operator scrolls to the end, again and again: every event, newest first.
        for _ in range(40):
            if feed.exhausted and not panel._asking:
                break
            bar = panel.view.verticalScrollBar()
            bar.setValue(bar.maximum())
            await until(lambda: not panel._asking, within=10)
        assert [panel.model.items[i].event.time for i in range(panel.model.rowCount())] == times

    qloop.run_until_complete(scenario())
    close(qloop, panel)


def test_a_click_asks_for_that_camera_at_that_instant(qloop, qtbot, xprotect):
    server, directory = xprotect
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    server.events.publish(MOTION_STARTED, f"cameras/{YARD.id}", at)
    server.events.publish(MOTION_STARTED, f"cameras/{FRONT.id}", at + timedelta(minutes=1))
    panel = make_panel(qtbot, directory, Thumbnails(from_recordings=False))
    panel.show_events(
        [CameraRef("xp", FRONT.id), CameraRef("xp", YARD.id)],
        TimeSpan(at - timedelta(hours=1), at + timedelta(hours=1)),
    )
    qloop.run_until_complete(until(lambda: panel.model.rowCount() == 2))
    asked = []
    panel.event_activated.connect(lambda camera, instant: asked.append((camera, instant)))
    row = panel.view.visualRect(panel.model.index(1))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=row.center())
    assert asked == [(CameraRef("xp", YARD.id), at)]
    close(qloop, panel)


def test_each_row_shows_the_recorded_picture_of_its_event(qloop, qtbot, xprotect):
    server, directory = xprotect
    at = recorded_instant(hours_ago=2)
    server.events.publish(MOTION_STARTED, f"cameras/{FRONT.id}", at)
    panel = make_panel(qtbot, directory, Thumbnails((640, 360)))
    panel.show_events(
        [CameraRef("xp", FRONT.id)], TimeSpan(at - timedelta(minutes=5), at + timedelta(minutes=5))
    )

    async def scenario():
        assert await until(lambda: panel.model.rowCount() == 1)
        item = panel.model.items[0]
        # Painting the row asks for its picture; it arrives and is painted.
        assert await until(lambda: panel.pixmap(item) is not None, within=30)
        return panel.pixmap(item)

    image = qloop.run_until_complete(scenario()).toImage()
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4
    )[:, : image.width()]
    shown = read_instant(pixels)
    assert shown is not None and abs(shown - at) < timedelta(seconds=1)
    painted = panel.view.viewport().grab().toImage()
    dpr = painted.devicePixelRatio()
    middle = painted.pixelColor(
        int((4 + PICTURE.width() // 2) * dpr), int((4 + PICTURE.height() // 2) * dpr)
    )
    assert middle.name() != "#282828", "the placeholder is still painted"
    close(qloop, panel)


def test_a_site_that_keeps_no_events_is_named_under_the_list(qloop, qtbot):
    stack = contextlib.AsyncExitStack()

    async def start():
        server = await stack.enter_async_context(nvr.serving())
        backend = await stack.enter_async_context(nvr.connected(server))
        directory = Directory()
        await directory.add(SiteSession(backend))
        return directory

    directory = qloop.run_until_complete(start())
    panel = make_panel(qtbot, directory)
    now = datetime.now(UTC)
    feed = panel.show_events([CameraRef("nvr", "cam01")], TimeSpan(now - timedelta(hours=1), now))
    qloop.run_until_complete(until(lambda: feed.exhausted and not panel._asking))
    assert panel.status.text() == "No events in this span\nWarehouse NVR keeps no events"
    close(qloop, panel)
    qloop.run_until_complete(stack.aclose())
