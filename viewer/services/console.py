"""Everything the window talks to, put together once by the application.

The console owns the settings, the secret store, the directory of sites and the
player hub. The UI reads and changes the operator's world only through it, which is
also how the tests drive a whole viewer without a window.
"""

from __future__ import annotations

import logging
from pathlib import Path

from viewer.backends.base import Backend
from viewer.core.errors import SettingsError
from viewer.services.directory import Directory, SiteSession
from viewer.services.local_cameras import LocalCameras
from viewer.services.players import PlayerFactory, PlayerHub
from viewer.services.secrets import SecretStore
from viewer.services.settings import Layout, Settings, SettingsStore

log = logging.getLogger(__name__)


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

    async def start(self) -> None:
        await self.local_cameras.start()

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
        try:
            self.store.save(self.settings)
        except OSError as exc:
            log.error("settings could not be saved to %s: %s", self.store.path, exc.strerror)

    async def stop(self) -> None:
        self.hub.stop_all()
        await self.directory.close()
