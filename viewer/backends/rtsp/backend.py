"""Cameras the operator added by URL, or the demo site's cameras: plain RTSP.

There is no server to log in to: the site is a list of URLs. Passwords come from a
lookup the services layer provides (keyring or memory), read at play time so that
an operator who fixes a password is heard at the next reconnect. A camera reached over
RTSPS with a certificate of its own carries the one the operator trusted, and its
streams trust exactly that one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from viewer.backends.base import Backend, Capabilities
from viewer.backends.rtsp.urls import with_credentials
from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import NotFoundError
from viewer.core.models import (
    Camera,
    CameraGroup,
    CameraRef,
    CameraStatus,
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
        self.set_cameras(cameras)

    def set_cameras(self, cameras: Sequence[RtspCamera]) -> None:
        """Replace the list; streams already playing keep their URLs until they reopen."""
        self._cameras = {camera.id: camera for camera in cameras}
        self.capabilities = Capabilities(live=True, sub_streams=any(c.sub_url for c in cameras))

    async def open(self) -> None:
        """Nothing to log in to; each stream authenticates itself."""

    async def close(self) -> None:
        """Nothing to log out of."""

    async def camera_tree(self) -> CameraGroup:
        cameras = tuple(
            Camera(
                ref=CameraRef(self.site.id, camera.id),
                name=camera.name,
                streams=camera.streams(),
                status=CameraStatus.UNKNOWN,
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
