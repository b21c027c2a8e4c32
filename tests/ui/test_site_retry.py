"""A site that is down when Vigil starts is retried, and the operator is told when."""

from __future__ import annotations

import re

from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.errors import AuthenticationError, UnreachableError
from viewer.core.models import CameraRef
from viewer.demo.footage import DEMO_CAMERAS
from viewer.media.backoff import Backoff
from viewer.media.state import PlayerState
from viewer.services.directory import SiteSession, SiteStatus
from viewer.services.settings import Layout
from viewer.ui.wording import state_text

from .conftest import until
from .pixels import assert_shows


def countdown_in(words: str) -> int:
    match = re.search(r"retrying in (\d+) s", words)
    return int(match[1]) if match else 0


def countdown(window) -> int:
    return countdown_in(window.tree.site_text(DEMO_SITE_ID))


class ServerDown:
    """The demo site's cameras behind a login that fails until the server is back."""

    def __init__(self, backend, error):
        self.backend = backend
        self.error = error
        self.attempts = 0
        backend.open = self.open
        self._open = type(backend).open.__get__(backend)

    async def open(self):
        self.attempts += 1
        if self.error is not None:
            raise self.error
        await self._open()


def test_a_site_down_at_start_is_retried_and_its_cameras_play_when_it_is_back(
    qloop, make_window, demo_site
):
    backend = demo_backend(demo_site.site.describe())
    server = ServerDown(backend, UnreachableError("127.0.0.1:554 cannot be reached"))
    ref = CameraRef(DEMO_SITE_ID, DEMO_CAMERAS[2].id)
    window = make_window(layout=Layout(grid=1, tiles=[ref]))
    session = SiteSession(backend, backoff=Backoff(initial=3, jitter=0))
    (tile,) = window.grid.tiles

    async def scenario():
        await window.console.directory.add(session)
        assert session.status is SiteStatus.RETRYING
        words = window.tree.site_text(DEMO_SITE_ID)
        assert re.fullmatch(r"Demo cameras – Unreachable, retrying in [23] s", words), words
        # The node counts down to the next attempt, and the tile says why it is dark.
        assert await until(lambda: countdown(window) < countdown_in(words), 3)
        assert await until(lambda: tile.state.state is PlayerState.RECONNECTING, 2)
        assert state_text(tile.state).startswith("Unreachable – reconnecting in")
        server.error = None
        assert await until(lambda: session.status is SiteStatus.ONLINE, within=10)
        assert window.tree.site_text(DEMO_SITE_ID) == "Demo cameras"
        assert await until(lambda: tile.frame is not None, within=20)

    qloop.run_until_complete(scenario())
    assert server.attempts == 2
    assert_shows(tile, DEMO_CAMERAS[2])


def test_a_site_that_refuses_the_login_is_not_retried(qloop, make_window, demo_site):
    backend = demo_backend(demo_site.site.describe())
    server = ServerDown(backend, AuthenticationError("the server rejected the password"))
    window = make_window()
    session = SiteSession(backend, backoff=Backoff(initial=0.1, jitter=0))

    async def scenario():
        await window.console.directory.add(session)
        await until(lambda: False, within=0.5)

    qloop.run_until_complete(scenario())
    assert session.status is SiteStatus.FAILED
    assert server.attempts == 1
    assert window.tree.site_text(DEMO_SITE_ID) == "Demo cameras – Authentication failed"
