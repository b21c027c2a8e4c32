"""The playback session against the simulated XProtect site and MiBee NVR: tiles leave
live video for the clock's instant and come back, in sync or alone, say when their
camera recorded nothing, and jump over gaps and to events.

Each simulator burns the recorded instant into every picture (demo/clockface.py); the
tests read it back from the pixels a tile would paint.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.integration.backends.milestone.xprotect import connected, serving, simulator, until
from viewer.core.models import CameraRef
from viewer.demo.clockface import read_instant
from viewer.demo.hls.service import HlsService
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.events import MOTION_STARTED
from viewer.demo.recordings import recorded_spans
from viewer.media.frames import VideoImage
from viewer.media.state import PlayerState
from viewer.services.camera_view import CameraView
from viewer.services.directory import Directory, SiteSession
from viewer.services.playback import PlaybackSession
from viewer.services.players import PlayerHub

FRONT = CameraRef("xp", CAMERAS["cam01"].id)
YARD = CameraRef("xp", CAMERAS["cam02"].id)
HALL = CameraRef("nvr", "cam02")


def burned_in(image: VideoImage) -> datetime | None:
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return read_instant(rows[:, : image.width])


def a_gap(hours_ago: float) -> tuple[datetime, datetime]:
    """A gap in the demo's recordings about ``hours_ago`` back."""
    now = datetime.now(UTC)
    spans = recorded_spans(now - timedelta(hours=hours_ago + 6), now - timedelta(hours=hours_ago))
    return spans[0][1], spans[1][0]


class Grid:
    """Tiles as the grid makes them: a CameraView each, over one hub."""

    def __init__(self, directory: Directory, refs: list[CameraRef]) -> None:
        self.hub = PlayerHub()
        self.views = [CameraView(directory, self.hub, ref) for ref in refs]
        self.selected = 0
        self.session = PlaybackSession(
            directory, lambda: self.views, lambda: self.views[self.selected], watch_every=0.05
        )

    async def start(self) -> None:
        for view in self.views:
            await view.set_box(640, 360)

    async def picture(self, view: CameraView, within: float = 20.0) -> VideoImage:
        async with asyncio.timeout(within):
            while True:
                image = view.take()
                if image is not None:
                    return image
                await asyncio.sleep(0.02)

    async def recorded(self, view: CameraView, near: datetime) -> VideoImage:
        """The first picture recorded within 2 s of ``near`` (the live one may still
        show for a moment after a seek: the tile keeps it until the recording comes)."""
        async with asyncio.timeout(20):
            while True:
                image = await self.picture(view)
                shown = burned_in(image)
                if shown is not None and abs(shown - near) < timedelta(seconds=2):
                    return image

    async def close(self) -> None:
        await self.session.close()
        for view in self.views:
            view.close()
        self.hub.stop_all()
        await asyncio.to_thread(self.hub.join_all, 5)


@contextlib.asynccontextmanager
async def sites(demo_site):
    """An XProtect site and a MiBee NVR (whose recordings the demo's footage library
    encodes), in one directory."""
    async with (
        serving(simulator()) as server,
        connected(server) as xprotect,
        nvr.serving(hls=HlsService(demo_site.site.library)) as mibee_server,
        nvr.connected(mibee_server) as mibee,
    ):
        directory = Directory()
        await directory.add(SiteSession(xprotect))
        await directory.add(SiteSession(mibee))
        yield server, directory


def test_a_seek_shows_the_instant_on_every_tile_of_both_sites_and_live_brings_them_back(demo_site):
    async def scenario():
        async with sites(demo_site) as (_server, directory):
            grid = Grid(directory, [FRONT, HALL])
            try:
                await grid.start()
                at = recorded_instant(hours_ago=5)
                # Paused, the tiles show the very instant asked for.
                grid.session.pause()
                await grid.session.seek(at)
                assert all(view.playback is grid.session for view in grid.views)
                for view in grid.views:
                    image = await grid.recorded(view, at)
                    assert abs(burned_in(image) - at) < timedelta(seconds=1)
                    assert image.instant is not None
                # Played at 1x the pictures keep to the clock.
                grid.session.play()
                await asyncio.sleep(2)
                for view in grid.views:
                    image = await grid.picture(view)
                    assert abs(burned_in(image) - grid.session.clock.position()) < timedelta(
                        seconds=1
                    )

                await grid.session.live()
                assert not grid.session.active
                front = grid.views[0]
                assert front.playback is None
                # The XProtect tile is back on live video (no clockface in the footage).
                async with asyncio.timeout(30):
                    while burned_in(await grid.picture(front, within=30)) is not None:
                        pass
            finally:
                await grid.close()

    asyncio.run(scenario())


def test_with_sync_off_only_the_selected_tile_plays_back(demo_site):
    async def scenario():
        async with sites(demo_site) as (_server, directory):
            grid = Grid(directory, [FRONT, YARD])
            try:
                await grid.start()
                grid.session.sync = False
                grid.selected = 1
                at = recorded_instant(hours_ago=8)
                await grid.session.seek(at)
                front, yard = grid.views
                assert front.playback is None and yard.playback is grid.session
                await grid.recorded(yard, at)
                # An event picked on the other camera moves playback to its tile.
                await grid.session.show_event(FRONT, at)
                assert front.playback is grid.session and yard.playback is None
                await grid.recorded(front, at)
            finally:
                await grid.close()

    asyncio.run(scenario())


def test_a_tile_whose_camera_recorded_nothing_then_says_so_and_skip_gaps_moves_on(demo_site):
    async def scenario():
        async with sites(demo_site) as (_server, directory):
            grid = Grid(directory, [FRONT])
            (view,) = grid.views
            try:
                await grid.start()
                gap_start, gap_end = a_gap(hours_ago=20)
                grid.session.pause()
                await grid.session.seek(gap_start + timedelta(minutes=5))
                await until(lambda: view.recording_missing)
                assert view.state.state is PlayerState.STOPPED
                assert await grid.session.skip_gap()
                assert grid.session.clock.position() == gap_end
                await until(lambda: not view.recording_missing)
                await grid.recorded(view, gap_end)

                # Playing on with skip gaps on, a gap is crossed without stopping there.
                grid.session.skip_gaps = True
                next_gap = a_gap(hours_ago=14)
                await grid.session.seek(next_gap[0] - timedelta(seconds=1))
                grid.session.set_speed(4)
                grid.session.play()
                await until(lambda: grid.session.clock.position() >= next_gap[1], limit=15)
                assert grid.session.clock.position() < next_gap[1] + timedelta(seconds=10)
            finally:
                await grid.close()

    asyncio.run(scenario())


def test_next_and_previous_event_move_the_clock_to_the_followed_cameras_events(demo_site):
    async def scenario():
        async with sites(demo_site) as (server, directory):
            grid = Grid(directory, [FRONT])
            try:
                await grid.start()
                at = recorded_instant(hours_ago=30)
                for minutes in (-7, 3, 11):
                    server.events.publish(
                        MOTION_STARTED,
                        f"cameras/{FRONT.camera_id}",
                        at + timedelta(minutes=minutes),
                    )
                server.events.publish(MOTION_STARTED, f"cameras/{YARD.camera_id}", at)
                grid.session.pause()
                await grid.session.seek(at)
                assert await grid.session.next_event()
                assert grid.session.clock.position() == at + timedelta(minutes=3)
                assert await grid.session.next_event()
                assert grid.session.clock.position() == at + timedelta(minutes=11)
                assert not await grid.session.next_event()
                assert await grid.session.next_event(forward=False)
                assert grid.session.clock.position() == at + timedelta(minutes=3)
            finally:
                await grid.close()

    asyncio.run(scenario())


def test_frame_step_pauses_and_moves_by_one_picture_of_the_stream(demo_site):
    async def scenario():
        async with sites(demo_site) as (_server, directory):
            grid = Grid(directory, [HALL])
            (view,) = grid.views
            try:
                await grid.start()
                at = recorded_instant(hours_ago=3)
                await grid.session.seek(at)
                grid.session.play()
                await grid.recorded(view, at)
                for _ in range(3):
                    await grid.picture(view)
                grid.session.step(1)
                assert grid.session.clock.paused
                before = grid.session.clock.position()
                started = time.monotonic()
                grid.session.step(1)
                moved = (grid.session.clock.position() - before).total_seconds()
                # The NVR records four pictures a second.
                assert abs(moved - 0.25) < 0.01, moved
                assert time.monotonic() - started < 5
            finally:
                await grid.close()

    asyncio.run(scenario())


def test_a_seek_back_before_the_nvr_tiles_playlist_shows_that_instant_too(demo_site):
    """A MiBee playlist runs from the instant asked for: earlier ones need a new one."""

    async def scenario():
        async with sites(demo_site) as (_server, directory):
            grid = Grid(directory, [HALL])
            (view,) = grid.views
            try:
                await grid.start()
                grid.session.pause()
                later, earlier = recorded_instant(hours_ago=3), recorded_instant(hours_ago=6)
                await grid.session.seek(later)
                await grid.recorded(view, later)
                await grid.session.seek(earlier)
                image = await grid.recorded(view, earlier)
                assert abs(burned_in(image) - earlier) < timedelta(seconds=1)
            finally:
                await grid.close()

    asyncio.run(scenario())
