"""Small pictures of what an event looked like, for the events panel.

Two honest sources and no third. A VMS's snapshot is the camera's picture *now*, so it
is taken only for an event heard as it happens (services/event_feed.py), when now is
the event's moment. An event read back from storage gets a frame of the camera's
recording at its instant: a one-off player on the backend's playback description,
stopped after its first picture. A site with neither gets no picture, rather than a
picture of something else.

Grabbing from a recording costs a playback session (a WebRTC negotiation on XProtect),
so only a few run at once and each gives up after ``grab_timeout``; the feed asks only
for the rows the panel shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from viewer.backends.base import Backend
from viewer.core.errors import NotSupportedError, VigilError
from viewer.core.models import CameraRef
from viewer.core.streams import StreamDescription
from viewer.media.frames import VideoImage
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

log = logging.getLogger(__name__)

Thumbnail = bytes | VideoImage
"""A JPEG as the VMS sent it, or a frame decoded and scaled to the thumbnail's size."""

SIZE = (160, 90)
GRAB_TIMEOUT = 10.0
GRABS_AT_ONCE = 2
# How long a grab's player may take to end once stopped (a read blocked in FFmpeg).
JOIN_TIMEOUT = 3.0

PlayerFactory = Callable[[StreamDescription], StreamPlayer]


class Thumbnails:
    def __init__(
        self,
        size: tuple[int, int] = SIZE,
        *,
        grab_timeout: float = GRAB_TIMEOUT,
        from_recordings: bool = True,
        player_factory: PlayerFactory = StreamPlayer,
    ) -> None:
        self.size = size
        self.grab_timeout = grab_timeout
        self.from_recordings = from_recordings
        """Off, stored events get no picture: each grab costs a playback session, too
        much for a site behind a thin link."""
        self._factory = player_factory
        self._grabs = asyncio.Semaphore(GRABS_AT_ONCE)

    async def snapshot(self, backend: Backend, camera: CameraRef) -> bytes | None:
        """The camera's picture now, as the VMS makes it; None where it makes none."""
        try:
            return await backend.snapshot(camera.camera_id, *self.size)
        except NotSupportedError:
            return None
        except VigilError as exc:
            log.info("no snapshot of %s: %s", camera, exc)
            return None

    async def recorded(
        self, backend: Backend, camera: CameraRef, at: datetime
    ) -> VideoImage | None:
        """The camera's recorded picture at ``at``; None without a recording there."""
        if not (self.from_recordings and backend.capabilities.playback):
            return None
        async with self._grabs:
            try:
                description = await backend.playback(camera.camera_id, at, 1.0)
            except VigilError as exc:
                log.info("no recording of %s at %s: %s", camera, at.isoformat(), exc)
                return None
            return await self.grab(description)

    async def grab(self, description: StreamDescription) -> VideoImage | None:
        """The first picture of ``description``, or None if none comes in time."""
        loop = asyncio.get_event_loop()
        arrived = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(arrived.set)

        player = self._factory(description)
        subscription = player.subscribe(wake, lambda _info: wake())
        subscription.set_box(*self.size)
        player.start()
        try:
            async with asyncio.timeout(self.grab_timeout):
                while True:
                    await arrived.wait()
                    arrived.clear()
                    image = subscription.take()
                    if image is not None:
                        return image
                    if subscription.state.state is PlayerState.FAILED:
                        return None
        except TimeoutError:
            return None
        finally:
            subscription.close()
            player.stop()
            await asyncio.to_thread(_join, player)


def _join(player: StreamPlayer) -> None:
    if not player.join(JOIN_TIMEOUT):
        log.warning("%s: thumbnail grab did not stop in time", player.description.display_url)
