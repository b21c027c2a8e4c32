"""What a tile says and does when streams fail, recover, or are shared."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.backends.rtsp import RtspBackend, RtspCamera
from viewer.core.errors import AuthenticationError, UnreachableError
from viewer.core.models import CameraRef, Site
from viewer.demo.footage import DEMO_CAMERAS
from viewer.demo.site import DemoSiteThread
from viewer.media.state import PlayerState
from viewer.services.settings import Layout
from viewer.ui.wording import clock_text, state_text

from .conftest import until
from .pixels import assert_shows


def single(camera_id: str) -> Layout:
    return Layout(grid=1, tiles=[CameraRef(DEMO_SITE_ID, camera_id)])


@pytest.fixture
def private_site(footage_cache):
    """A demo site of this test's own, free to be stopped and restarted."""
    site = DemoSiteThread(footage_cache)
    site.start()
    yield site
    site.stop()


def test_a_tile_reconnects_by_itself_when_the_server_comes_back(qloop, make_window, private_site):
    window = make_window(demo_backend(private_site.site.describe()), layout=single("cam01"))
    (tile,) = window.grid.tiles
    seen_states = []
    tile.state_changed.connect(lambda _index: seen_states.append(tile.state))

    async def scenario():
        assert await until(lambda: tile.state.state is PlayerState.PLAYING)
        first_frame = tile.frame
        private_site.call(private_site.site.stop())
        assert await until(lambda: tile.state.state is PlayerState.RECONNECTING, within=15)
        assert "reconnecting in" in state_text(tile.state)
        private_site.call(private_site.site.start())
        assert await until(lambda: tile.state.state is PlayerState.PLAYING, within=40)
        assert await until(lambda: tile.frame is not first_frame)
        assert_shows(tile, DEMO_CAMERAS[0])

    qloop.run_until_complete(scenario())
    states = [s.state for s in seen_states]
    assert states.index(PlayerState.RECONNECTING) < len(states) - 1
    assert states[-1] is PlayerState.PLAYING


def test_a_wrong_password_says_so_and_stops_trying(qloop, make_window, demo_site):
    good = demo_backend(demo_site.site.describe())
    camera = RtspCamera(
        "gate",
        "Gate",
        demo_site.site.rtsp.url("cam02", "main"),
        demo_site.site.rtsp.url("cam02", "sub"),
        user="demo",
    )
    site = Site("wrong", "Wrong password", "rtsp")
    window = make_window(
        good,
        RtspBackend(site, [camera], passwords=lambda _id: "not-the-password"),
        layout=Layout(grid=1, tiles=[CameraRef("wrong", "gate")]),
    )
    (tile,) = window.grid.tiles

    async def scenario():
        assert await until(lambda: tile.state.state is PlayerState.FAILED)

    qloop.run_until_complete(scenario())
    assert isinstance(tile.state.error, AuthenticationError)
    assert state_text(tile.state) == "Authentication failed"
    assert "not-the-password" not in tile.toolTip()
    assert tile.frame is None


def test_an_unreachable_camera_says_so_and_keeps_retrying(qloop, make_window):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    camera = RtspCamera("dead", "Dead camera", f"rtsp://127.0.0.1:{closed_port}/stream")
    window = make_window(
        RtspBackend(Site("lan", "LAN", "rtsp"), [camera], passwords=lambda _id: None),
        layout=Layout(grid=1, tiles=[CameraRef("lan", "dead")]),
    )
    (tile,) = window.grid.tiles

    async def scenario():
        assert await until(lambda: tile.state.state is PlayerState.RECONNECTING)

    qloop.run_until_complete(scenario())
    assert isinstance(tile.state.error, UnreachableError)
    assert state_text(tile.state).startswith("Unreachable – reconnecting in ")


def test_one_camera_in_two_tiles_is_decoded_once(qloop, make_window, demo_site):
    ref = CameraRef(DEMO_SITE_ID, "cam05")
    window = make_window(
        demo_backend(demo_site.site.describe()), layout=Layout(grid=2, tiles=[ref, ref])
    )
    first, second = window.grid.tiles[:2]

    async def scenario():
        assert await until(lambda: first.frame is not None and second.frame is not None)

    qloop.run_until_complete(scenario())
    assert len(window.console.hub.players()) == 1
    sessions = [s for s in demo_site.site.rtsp.sessions if s.camera_id == "cam05"]
    assert len(sessions) == 1
    assert_shows(first, DEMO_CAMERAS[4])
    assert_shows(second, DEMO_CAMERAS[4])


def test_emptying_a_tile_stops_its_stream(qloop, make_window, demo_site):
    window = make_window(demo_backend(demo_site.site.describe()), layout=single("cam06"))
    (tile,) = window.grid.tiles

    async def scenario():
        assert await until(lambda: tile.frame is not None)
        window.grid.assign(0, None)
        assert await until(
            lambda: not any(s.camera_id == "cam06" for s in demo_site.site.rtsp.sessions),
            within=10,
        )

    qloop.run_until_complete(scenario())
    assert window.console.hub.players() == []
    assert tile.camera is None


def test_a_minimised_window_stops_decoding_and_is_current_again_on_restore(qloop, demo_window):
    window = demo_window
    tiles = window.grid.tiles

    async def scenario():
        assert await until(lambda: all(t.frame is not None for t in tiles))
        players = window.console.hub.players()
        last_pictures = [t.frame for t in tiles]
        window.showMinimized()
        assert await until(lambda: all(p.hidden for p in players), within=10)
        decoded = [p.statistics().frames_decoded for p in players]
        await asyncio.sleep(0.5)
        # Nothing is decoded, the connections stay, the tiles keep their last pictures.
        assert [p.statistics().frames_decoded for p in players] == decoded
        assert window.console.hub.players() == players
        assert [t.frame for t in tiles] == last_pictures
        window.showNormal()
        assert await until(
            lambda: all(t.frame is not p for t, p in zip(tiles, last_pictures, strict=True))
        )
        assert window.console.hub.players() == players

    qloop.run_until_complete(scenario())


def test_streams_hidden_past_the_grace_period_close_and_reopen_on_show(
    qloop, make_window, demo_site
):
    from viewer.app import demo_layout

    window = make_window(demo_backend(demo_site.site.describe()), layout=demo_layout())
    for tile in window.grid.tiles:
        tile.view.hidden_grace = 0.5
    tiles = window.grid.tiles

    async def scenario():
        assert await until(lambda: all(t.frame is not None for t in tiles))
        last_pictures = [t.frame for t in tiles]
        window.showMinimized()
        assert await until(lambda: window.console.hub.players() == [], within=10)
        assert [t.frame for t in tiles] == last_pictures
        window.showNormal()
        assert await until(lambda: len(window.console.hub.players()) == 4, within=10)
        assert await until(
            lambda: all(t.frame is not p for t, p in zip(tiles, last_pictures, strict=True))
        )

    qloop.run_until_complete(scenario())


def luminance_at(tile, x: int, y: int) -> float:
    image = tile.grab().toImage()
    ratio = image.devicePixelRatio()
    colour = image.pixelColor(round(x * ratio), round(y * ratio))
    return 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()


def figures(tile) -> tuple[str, float, float]:
    """(first line, fps, kbit/s) read back from a tile's statistics text."""
    first, rates, _losses = tile.statistics.splitlines()[:3]
    fps, rate = rates.split(" · ")
    value, unit = rate.split()
    kbits = float(value) * (1000 if unit == "Mbit/s" else 1)
    return first, float(fps.removesuffix(" fps")), kbits


def test_statistics_show_the_stream_each_tile_decodes(qloop, demo_window):
    grid = demo_window.grid
    tile = grid.tiles[0]

    async def scenario():
        assert await until(lambda: tile.frame is not None and tile.view.quality is not None)
        picture = tile.video_rect()
        # Inside the figures' box once it shows: top right of the picture, in the sky.
        spot = (picture.right() - 6, max(picture.top(), 30) + 6)
        assert luminance_at(tile, *spot) > 120
        assert tile.statistics == ""

        demo_window.statistics_action.trigger()
        assert all(t.statistics for t in grid.tiles if t.camera is not None)
        # The rates cover a two-second window: wait until it is full.
        assert await until(lambda: figures(tile)[1] >= 20, within=10)
        first, fps, kbits = figures(tile)
        frame = tile.frame
        assert first == f"Sub stream H264 {frame.source_width}×{frame.source_height}"
        assert (frame.source_width, frame.source_height) == (640, 360)
        assert fps <= 30
        assert 250 <= kbits <= 1500  # the demo sub-stream is encoded at about 500 kbit/s
        assert luminance_at(tile, *spot) < 90

        grid.maximise(0)
        assert await until(lambda: tile.statistics.startswith("Main stream H264 1920×1080"))
        assert await until(lambda: 2000 <= figures(tile)[2] <= 8000, within=10)

        demo_window.statistics_action.trigger()
        assert tile.statistics == ""

    qloop.run_until_complete(scenario())


def test_closing_the_window_ends_every_decode_thread(qloop, make_window, demo_site):
    import threading

    from viewer.app import demo_layout

    window = make_window(demo_backend(demo_site.site.describe()), layout=demo_layout())
    tiles = window.grid.tiles
    qloop.run_until_complete(until(lambda: all(t.frame is not None for t in tiles)))
    # A hidden tile's stream is kept open: it must end too.
    window.grid.maximise(0)
    qloop.run_until_complete(until(lambda: any(p.hidden for p in window.console.hub.players())))
    window.close()
    qloop.run_until_complete(window.console.stop())
    alive = [t.name for t in threading.enumerate() if t.name.startswith(("player ", "catch-up "))]
    assert alive == []


def test_the_title_bar_tells_when_the_live_picture_was_taken(qloop, make_window, demo_site):
    window = make_window(demo_backend(demo_site.site.describe()), layout=single("cam02"))
    (tile,) = window.grid.tiles

    async def scenario():
        assert await until(lambda: tile.frame is not None)
        first = tile.clock
        assert first == clock_text(tile.frame.instant)
        # Live pictures are stamped as they arrive: the clock follows the wall clock.
        assert abs(tile.frame.instant - time.time()) < 2
        assert await until(lambda: tile.clock != first, within=3)

    qloop.run_until_complete(scenario())
