"""Everything the window talks to, put together once by the application.

The console owns the settings, the secret store, the directory of sites, the
player hub and the windows' playback sessions (their players are stopped and joined at
quit like the hub's). The UI reads and changes the operator's world only through it, which is
also how the tests drive a whole viewer without a window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path

from viewer.backends.base import Backend
from viewer.core.errors import SettingsError
from viewer.services.camera_view import CameraView
from viewer.services.directory import Directory, SiteSession
from viewer.services.local_cameras import LocalCameras
from viewer.services.playback import PlaybackSession
from viewer.services.players import PlayerFactory, PlayerHub
from viewer.services.secrets import SecretStore
from viewer.services.settings import Layout, Settings, SettingsStore
from viewer.services.sites import Sites

log = logging.getLogger(__name__)

# Seconds quitting waits for decode threads to finish.
DECODE_JOIN_TIMEOUT = 3.0


class Console:
    def __init__(
        self,
        settings_path: Path,
        secrets: SecretStore | None = None,
        player_factory: PlayerFactory | None = None,
    ) -> None:
        self.store = SettingsStore(settings_path)
        self.settings_problem: SettingsError | None = None
        try:
            self.settings = self.store.load()
        except SettingsError as exc:
            log.error("%s", exc)
            self.settings, self.settings_problem = Settings(), exc
        self.secrets = secrets or SecretStore()
        self.directory = Directory()
        self.hub = PlayerHub(player_factory) if player_factory else PlayerHub()
        self.local_cameras = LocalCameras(self.settings, self.store, self.secrets, self.directory)
        self.sites = Sites(self.settings, self.store, self.secrets, self.directory)
        self._playbacks: list[PlaybackSession] = []

    def playback_session(
        self,
        views: Callable[[], Sequence[CameraView]],
        selected: Callable[[], CameraView | None],
    ) -> PlaybackSession:
        """A window's playback session over its tiles, owned here: a window that closes
        leaves its players to quitting, which stops and joins them with the hub's."""
        session = PlaybackSession(self.directory, views, selected)
        self._playbacks.append(session)
        return session

    async def start(self) -> None:
        await self.local_cameras.start()
        await self.sites.start()

    async def add_site(self, backend: Backend) -> None:
        await self.directory.add(SiteSession(backend))

    def save_layout(self, layout: Layout) -> None:
        self.settings.layout = layout
        self._save()

    def save_session(self, layout: Layout, geometry: str, state: str) -> None:
        """Everything the window shows, as the operator leaves it."""
        self.settings.layout = layout
        self.settings.window_geometry, self.settings.window_state = geometry, state
        self._save()

    def _save(self) -> None:
        # Called from the window's signals: the disk is the writer thread's business.
        self.store.save_soon(self.settings).add_done_callback(self._report_write)

    def _report_write(self, written: Future[None]) -> None:
        error = written.exception()
        if isinstance(error, OSError):
            log.error("settings could not be saved to %s: %s", self.store.path, error.strerror)
        elif error is not None:
            log.error("settings could not be saved to %s", self.store.path, exc_info=error)

    async def stop(self) -> None:
        """Stop every stream and site, and wait until the last settings are on disk.

        Decode threads are waited for, within a bound: a read blocked in FFmpeg ends
        only at its own timeout, and quitting must not hang on a camera that stopped
        answering (such a thread is a daemon and dies with the process).
        """
        for playback in self._playbacks:
            await playback.stop()
        self.hub.stop_all()
        await self.directory.close()
        await asyncio.to_thread(self._join_players, DECODE_JOIN_TIMEOUT)
        await asyncio.to_thread(self.store.flush)

    def _join_players(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self.hub.join_all(timeout)
        for playback in self._playbacks:
            playback.join(max(0.0, deadline - time.monotonic()))
