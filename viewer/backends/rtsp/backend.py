"""Cameras the operator added by URL, or the demo site's cameras: plain RTSP.

There is no server to log in to: the site is a list of URLs. Passwords come from a
lookup the services layer provides (keyring or memory), read at play time so that
an operator who fixes a password is heard at the next reconnect. A camera reached over
RTSPS with a certificate of its own carries the one the operator trusted, and its
streams trust exactly that one. A camera with an ONVIF address moves through its ONVIF
PTZ service (onvif.py), with the same user and password.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from viewer.backends.base import Backend, Capabilities
from viewer.backends.rtsp.onvif import OnvifPtz
from viewer.backends.rtsp.urls import with_credentials
from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import NotFoundError, NotSupportedError
from viewer.core.models import (
    Camera,
    CameraGroup,
    CameraRef,
    CameraStatus,
    Preset,
    PtzCapabilities,
    PtzPosition,
    Quality,
    Site,
    StreamInfo,
)
from viewer.core.streams import StreamDescription

PasswordLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class RtspCamera:
    id: str
    name: str
    main_url: str
    sub_url: str | None = None
    user: str | None = None
    main_size: tuple[int, int] | None = None
    sub_size: tuple[int, int] | None = None
    certificate: PinnedCertificate | None = None
    onvif_url: str | None = None
    """The camera's ONVIF device service, through which it moves (PTZ)."""

    def streams(self) -> tuple[StreamInfo, ...]:
        main = StreamInfo(Quality.MAIN, *(self.main_size or (None, None)))
        if not self.sub_url:
            return (main,)
        return (main, StreamInfo(Quality.SUB, *(self.sub_size or (None, None))))


class RtspBackend(Backend):
    def __init__(
        self, site: Site, cameras: Sequence[RtspCamera], passwords: PasswordLookup
    ) -> None:
        self.site = site
        self._passwords = passwords
        self._onvif: dict[str, tuple[RtspCamera, OnvifPtz]] = {}
        self._retired: list[OnvifPtz] = []
        self.set_cameras(cameras)

    def set_cameras(self, cameras: Sequence[RtspCamera]) -> None:
        """Replace the list; streams already playing keep their URLs until they reopen."""
        self._cameras = {camera.id: camera for camera in cameras}
        onvif = any(c.onvif_url for c in cameras)
        self.capabilities = Capabilities(
            live=True, sub_streams=any(c.sub_url for c in cameras), ptz=onvif, presets=onvif
        )
        for camera_id, (camera, client) in list(self._onvif.items()):
            if self._cameras.get(camera_id) != camera:
                # Closed at the next await: a camera edited or removed has no say any more.
                self._retired.append(client)
                del self._onvif[camera_id]

    async def open(self) -> None:
        """Nothing to log in to; each stream authenticates itself."""

    async def close(self) -> None:
        """Nothing to log out of; the ONVIF connections close."""
        clients = self._retired + [client for _, client in self._onvif.values()]
        self._retired, self._onvif = [], {}
        for client in clients:
            await client.close()

    async def camera_tree(self) -> CameraGroup:
        cameras = tuple(
            Camera(
                ref=CameraRef(self.site.id, camera.id),
                name=camera.name,
                streams=camera.streams(),
                status=CameraStatus.UNKNOWN,
                ptz=bool(camera.onvif_url),
            )
            for camera in self._cameras.values()
        )
        return CameraGroup(id=self.site.id, name=self.site.name, cameras=cameras)

    async def live(self, camera_id: str, quality: Quality) -> StreamDescription:
        camera = self._cameras.get(camera_id)
        if camera is None:
            raise NotFoundError(f"{self.site.name} has no camera {camera_id!r}")
        url = camera.sub_url if quality is Quality.SUB and camera.sub_url else camera.main_url
        chosen = Quality.SUB if url == camera.sub_url else Quality.MAIN
        password = self._passwords(camera_id) if camera.user else None
        return StreamDescription(
            url=with_credentials(url, camera.user, password),
            live=True,
            quality=chosen,
            pinned=camera.certificate,
        )

    # -- PTZ, for cameras with an ONVIF address ------------------------------------------

    async def _ptz(self, camera_id: str) -> OnvifPtz:
        while self._retired:
            await self._retired.pop().close()
        camera = self._cameras.get(camera_id)
        if camera is None:
            raise NotFoundError(f"{self.site.name} has no camera {camera_id!r}")
        if not camera.onvif_url:
            raise NotSupportedError(f"{camera.name} has no ONVIF address to move it by")
        known = self._onvif.get(camera_id)
        if known is not None:
            return known[1]
        client = OnvifPtz(
            camera.onvif_url,
            camera.user,
            lambda: self._passwords(camera_id) if camera.user else None,
        )
        self._onvif[camera_id] = (camera, client)
        return client

    async def ptz_capabilities(self, camera_id: str) -> PtzCapabilities:
        return await (await self._ptz(camera_id)).capabilities()

    async def ptz_move(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        await (await self._ptz(camera_id)).move(pan, tilt, zoom)

    async def ptz_stop(self, camera_id: str) -> None:
        await (await self._ptz(camera_id)).stop()

    async def ptz_move_to(self, camera_id: str, position: PtzPosition, speed: float = 1.0) -> None:
        await (await self._ptz(camera_id)).move_to(position, speed)

    async def ptz_move_by(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        await (await self._ptz(camera_id)).move_by(pan, tilt, zoom)

    async def ptz_position(self, camera_id: str) -> PtzPosition:
        return await (await self._ptz(camera_id)).position()

    async def ptz_presets(self, camera_id: str) -> tuple[Preset, ...]:
        return await (await self._ptz(camera_id)).presets()

    async def ptz_goto_preset(self, camera_id: str, preset_id: str) -> None:
        await (await self._ptz(camera_id)).goto_preset(preset_id)

    async def ptz_save_preset(self, camera_id: str, name: str) -> Preset:
        return await (await self._ptz(camera_id)).save_preset(name)

    async def ptz_delete_preset(self, camera_id: str, preset_id: str) -> None:
        await (await self._ptz(camera_id)).remove_preset(preset_id)
