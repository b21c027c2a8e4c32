"""The window in playback as the operator reads it: each tile's title bar says whether
it shows live video or the recording (and at what speed, or paused), and the playback
bar shows the session's state whoever changed it."""

from __future__ import annotations

import numpy as np

from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.ui.conftest import until
from tests.ui.test_playback_window import HALL, nvr_backend  # noqa: F401 (a fixture)
from viewer.core.models import TimeSpan
from viewer.core.playback import SPEEDS
from viewer.services.settings import Layout
from viewer.services.timeline_feed import RowState
from viewer.ui.video_tile import LIVE, PLAYBACK


def title_colours(tile) -> tuple[int, int]:
    """Pixels of the live badge's red and of the playback badge's amber in the tile's
    title bar, as painted."""
    image = tile.grab().toImage().convertToFormat(tile.grab().toImage().Format.Format_RGB32)
    height = max(10, min(14, tile.height() // 14)) + 10
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    bar = rows[:height, : image.width(), :3].astype(int)  # B, G, R

    def near(colour):
        want = np.array([colour.blue(), colour.green(), colour.red()])
        return int((np.abs(bar - want).sum(axis=2) < 60).sum())

    return near(LIVE), near(PLAYBACK)


def test_a_tile_in_playback_says_so_with_its_speed_or_paused_never_live(
    qloop,
    make_window,
    nvr_backend,  # noqa: F811
):
    window = make_window(nvr_backend, layout=Layout(grid=1, tiles=[HALL]))
    (tile,) = window.grid.tiles
    bar = window.playback_bar

    async def scenario():
        assert await until(lambda: tile.badge == "● LIVE")
        assert await until(lambda: title_colours(tile)[0] > 0)
        window.timeline.seek_requested.emit(recorded_instant(hours_ago=8))
        bar.speed_box.setCurrentIndex(SPEEDS.index(4.0))
        assert await until(lambda: tile.view.playback is window.playback)
        assert await until(lambda: tile.frame is not None and tile.frame.instant is not None)
        assert tile.badge == "▶ PLAYBACK 4×"
        assert await until(lambda: title_colours(tile)[1] > 0 and title_colours(tile)[0] == 0)
        # Paused: no new picture comes, the title changes all the same.
        bar.play_button.click()
        assert await until(lambda: tile.badge == "❚❚ PAUSED")
        bar.live_button.click()
        assert await until(lambda: tile.badge == "● LIVE")

    qloop.run_until_complete(scenario())


def test_the_bar_shows_the_sessions_state_whoever_changed_it(qloop, make_window, nvr_backend):  # noqa: F811
    window = make_window(nvr_backend, layout=Layout(grid=1, tiles=[HALL]))
    (tile,) = window.grid.tiles
    bar, session = window.playback_bar, window.playback

    async def scenario():
        assert await until(lambda: tile.view is not None)
        # The bar's Sync and the session agree from the start.
        assert session.sync == bar.sync_button.isChecked()
        assert bar.live_button.isChecked() and not bar.step_back_button.isEnabled()
        # An event picked elsewhere leaves live video: the bar follows.
        window.playback_controller.show_event(HALL, recorded_instant(hours_ago=8))
        assert await until(lambda: tile.view.playback is session)
        assert not bar.live_button.isChecked() and bar.playing
        assert await until(bar.step_back_button.isEnabled)
        # The session's own changes come back to the bar.
        session.set_speed(8.0)
        assert bar.speed == 8.0
        session.pause()
        assert not bar.playing
        session.play()
        assert bar.playing
        session.step(1)
        assert not bar.playing
        # The bar's own controls reach the session.
        bar.speed_box.setCurrentIndex(SPEEDS.index(0.5))
        assert session.clock.speed == 0.5
        bar.play_button.click()
        assert not session.clock.paused
        bar.sync_button.click()
        assert await until(lambda: session.sync)
        bar.live_button.click()
        assert await until(lambda: not session.active)
        assert bar.live_button.isChecked() and not bar.step_back_button.isEnabled()
        # The live stream opens in the background: within this run of the loop
        # (docs/pitfalls.md, qasync).
        assert await until(lambda: tile.badge == "● LIVE")

    qloop.run_until_complete(scenario())


def test_a_bookmark_kept_here_is_on_the_windows_timeline_at_once(
    qloop,
    make_window,
    nvr_backend,  # noqa: F811
):
    window = make_window(nvr_backend, layout=Layout(grid=1, tiles=[HALL]))
    feed = window.timeline_feed

    async def scenario():
        # Fetched first: no request of the feed may outlive this run of the loop.
        assert await until(
            lambda: [(row.camera, row.state) for row in feed.rows] == [(HALL, RowState.READY)]
        )
        visible = window.timeline.canvas.view.visible
        at = visible.start + (visible.end - visible.start) / 2
        made = await window.bookmarks.create(HALL, TimeSpan(at, at), "Forklift near miss")
        assert made in feed.rows[0].bookmarks

    qloop.run_until_complete(scenario())
