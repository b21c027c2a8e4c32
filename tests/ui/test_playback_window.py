"""Playback in the window: a click on the timeline puts the tiles on the recording at
that instant, a tile in a gap says there is no recording, Live brings live video back;
a bookmark made from the dialog lands where the site keeps them, or in the settings."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from tests.integration.backends.gateway import rest
from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.ui.conftest import until
from viewer.core.models import CameraRef
from viewer.demo.clockface import read_instant
from viewer.demo.hls.service import HlsService
from viewer.demo.recordings import recorded_spans
from viewer.services.bookmarks import Bookmarks, is_local
from viewer.services.directory import Directory, SiteSession
from viewer.services.settings import Layout, Settings, SettingsStore
from viewer.ui.bookmark_dialog import BookmarkDialog
from viewer.ui.wording import NO_RECORDING

HALL = CameraRef("nvr", "cam02")


@pytest.fixture
def nvr_backend(qloop, demo_site):
    stack = contextlib.AsyncExitStack()

    async def start():
        server = await stack.enter_async_context(
            nvr.serving(hls=HlsService(demo_site.site.library))
        )
        return await stack.enter_async_context(nvr.connected(server))

    yield qloop.run_until_complete(start())
    qloop.run_until_complete(stack.aclose())


def shown_instant(tile) -> datetime | None:
    frame = tile.frame
    if frame is None:
        return None
    rows = np.frombuffer(frame.pixels, np.uint8).reshape(frame.height, frame.stride // 4, 4)
    return read_instant(rows[:, : frame.width])


def test_a_seek_plays_the_tile_back_a_gap_is_worded_and_live_returns(
    qloop, make_window, nvr_backend
):
    window = make_window(nvr_backend, layout=Layout(grid=1, tiles=[HALL]))
    (tile,) = window.grid.tiles
    at = recorded_instant(hours_ago=8)

    async def scenario():
        assert await until(lambda: tile.view is not None)
        # Paused, the tile holds the very instant clicked.
        window.playback.pause()
        window.timeline.seek_requested.emit(at)
        assert await until(lambda: tile.view.playback is window.playback)
        assert await until(
            lambda: (
                (shown := shown_instant(tile)) is not None
                and abs(shown - at) < timedelta(seconds=1)
            )
        )
        assert not window.playback_bar.live_button.isChecked()

        gap_start = recorded_spans(at, at + timedelta(hours=4))[0][1]
        window.timeline.seek_requested.emit(gap_start + timedelta(minutes=2))
        assert await until(lambda: tile._message == NO_RECORDING)

        window.playback_bar.live_button.click()
        assert await until(lambda: tile.view.playback is None and tile._message != NO_RECORDING)
        assert await until(
            lambda: tile.frame is not None and shown_instant(tile) is None, within=30
        )

    qloop.run_until_complete(scenario())


def test_the_dialog_keeps_a_bookmark_locally_on_a_site_without_them(qapp, qloop, qtbot, tmp_path):
    # The dialog is the only window here: its closing must not quit the loop.
    qapp.setQuitOnLastWindowClosed(False)
    stack = contextlib.AsyncExitStack()

    async def start():
        server = await stack.enter_async_context(rest.serving(rest.simulator()))
        backend = await stack.enter_async_context(rest.connected(server))
        directory = Directory()
        await directory.add(SiteSession(backend))
        return directory

    directory = qloop.run_until_complete(start())
    settings, path = Settings(), tmp_path / "settings.json"
    bookmarks = Bookmarks(settings, SettingsStore(path), directory)
    at = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
    dock = CameraRef("gw", rest.CAM01)
    dialog = BookmarkDialog(bookmarks, dock, "Dock", at)
    qtbot.addWidget(dialog)
    dialog.show()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert "kept in this Vigil's settings" in dialog.where.text()
    assert not save.isEnabled(), "a bookmark needs a title"
    dialog.title.setText("Forklift near miss")
    dialog.note.setPlainText("driver unhurt")
    dialog.is_span.setChecked(True)
    dialog.end.setDateTime(dialog.start.dateTime().addSecs(-60))
    assert not save.isEnabled() and dialog.problem.isVisible()
    dialog.end.setDateTime(dialog.start.dateTime().addSecs(90))
    save.click()
    qloop.run_until_complete(until(lambda: dialog.made is not None))
    made = dialog.made
    assert is_local(made) and made.camera == dock and made.header == "Forklift near miss"
    assert (made.span.start, made.span.end) == (at, at + timedelta(seconds=90))
    assert SettingsStore(path).load().bookmarks == [made]
    assert not dialog.isVisible()
    qloop.run_until_complete(stack.aclose())
    qapp.setQuitOnLastWindowClosed(True)
