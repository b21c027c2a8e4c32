"""The operator's own RTSP cameras, added by URL: the "Cameras" site.

Adding a camera writes the settings file at once (so a crash cannot lose it) and
puts the password in the secret store, never in the settings.
"""

from __future__ import annotations

import asyncio
import uuid

from viewer.backends.rtsp import RtspBackend, RtspCamera, split_credentials
from viewer.backends.rtsp.onvif import device_address
from viewer.core.models import CameraRef, Site
from viewer.services.directory import Directory, SiteSession
from viewer.services.pinning import certificate_to_pin
from viewer.services.secrets import SecretStore
from viewer.services.settings import Settings, SettingsStore

SITE = Site(id="cameras", name="Cameras", kind="rtsp")


def secret_key(camera_id: str) -> str:
    return f"{SITE.id}/{camera_id}"


class LocalCameras:
    def __init__(
        self,
        settings: Settings,
        store: SettingsStore,
        secrets: SecretStore,
        directory: Directory,
    ) -> None:
        self._settings = settings
        self._store = store
        self._secrets = secrets
        self._directory = directory
        self.backend = RtspBackend(
            SITE, settings.cameras, lambda camera_id: secrets.cached(secret_key(camera_id))
        )

    async def start(self) -> None:
        await self._secrets.load([secret_key(c.id) for c in self._settings.cameras if c.user])
        await self._directory.add(SiteSession(self.backend))

    def missing_passwords(self) -> list[RtspCamera]:
        """Cameras with a user whose password this session does not have."""
        return [
            c
            for c in self._settings.cameras
            if c.user and not self._secrets.cached(secret_key(c.id))
        ]

    async def add(
        self,
        name: str,
        main_url: str,
        sub_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        *,
        trusted_fingerprint: str | None = None,
        onvif_url: str | None = None,
    ) -> CameraRef:
        """Validate and store a camera; credentials typed into a URL are taken out of it.

        Raises InvalidInputError naming ``main_url``, ``sub_url`` or ``onvif_url`` when a
        URL is unusable. ``onvif_url``, the camera's ONVIF device service, moves it (PTZ)
        with the same user and password.
        An RTSPS camera with a certificate of its own is added only once the operator
        trusts it: UnknownCertificateError carries the fingerprint to show, and the
        camera is added, pinned to that certificate, when ``trusted_fingerprint`` is it.
        """
        main = split_credentials(main_url, "main_url")
        sub = split_credentials(sub_url, "sub_url") if sub_url and sub_url.strip() else None
        onvif = device_address(onvif_url) if onvif_url and onvif_url.strip() else None
        streams = [(main.url, "main_url")] + ([(sub.url, "sub_url")] if sub else [])
        certificate = await certificate_to_pin(streams, trusted_fingerprint)
        user = (user or "").strip() or main.user or (sub.user if sub else None)
        password = password or main.password or (sub.password if sub else None)
        camera = RtspCamera(
            id=uuid.uuid4().hex[:12],
            name=name.strip() or main.url,
            main_url=main.url,
            sub_url=sub.url if sub else None,
            user=user,
            certificate=certificate,
            onvif_url=onvif,
        )
        if user and password:
            await self._secrets.set(secret_key(camera.id), password)
        self._settings.cameras.append(camera)
        await self._apply()
        return CameraRef(SITE.id, camera.id)

    async def set_password(self, camera_id: str, password: str) -> bool:
        """False when the password is kept for this session only (see SecretStore.set)."""
        return await self._secrets.set(secret_key(camera_id), password)

    def password_session_only(self, camera_id: str) -> bool:
        """Whether the camera's password will be lost at quit: no keyring, or it refused."""
        return self._secrets.session_only(secret_key(camera_id))

    async def remove(self, camera_id: str) -> None:
        self._settings.cameras = [c for c in self._settings.cameras if c.id != camera_id]
        await self._secrets.delete(secret_key(camera_id))
        await self._apply()

    async def _apply(self) -> None:
        # Written before the camera shows, so a crash cannot lose it; off the GUI thread.
        await asyncio.wrap_future(self._store.save_soon(self._settings))
        self.backend.set_cameras(self._settings.cameras)
        await self._directory.refresh(SITE.id)
