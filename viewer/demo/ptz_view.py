"""A PTZ camera's live RTSP stream: the panorama's window where its dome points now.

The demo RTSP server asks a source per session (on_demand.py); this one renders the
dome's view (panorama.py) and encodes it with libx264 ``FPS`` times a second on a
thread of the session's own, so the server's loop and the file-backed live streams
never wait for it. Each picture shows the pose at the moment it is due, so a move shows
within a picture's time and a stop freezes the picture as the head stops. RTP time
counts the pictures sent (90 kHz), going on across PAUSE and PLAY as a live camera's
clock does. Every PLAY starts with a key frame (a fresh encoder); parameter sets come
in-band before every key frame too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from viewer.demo import panorama
from viewer.demo.dome import Dome
from viewer.demo.on_demand import PlayStart, StreamParameters, TimedUnit

CLOCK_RATE = 90_000
MAX_LAG = 1.0
"""A session this far behind its schedule (a loaded machine) starts a new one from now
rather than send a burst of stale pictures."""


class DomeView:
    """One session's stream of a dome's view."""

    def __init__(self, name: str, dome: Dome) -> None:
        self._name = name
        self._dome = dome
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"demo PTZ view {name}")
        self._pictures = panorama.ViewPictures()
        self._ticks = 0
        self.pictures = 0
        """Pictures sent (for tests)."""

    async def describe(self) -> StreamParameters:
        sps, pps = await asyncio.to_thread(panorama.parameter_sets)
        return StreamParameters(self._name, sps, pps, panorama.WIDTH, panorama.HEIGHT, panorama.FPS)

    def seek(self, range_header: str | None) -> PlayStart:
        """Live: any Range plays from now."""
        return PlayStart("npt=now-", self._ticks)

    async def units(self) -> AsyncGenerator[TimedUnit, None]:
        loop = asyncio.get_running_loop()
        start, count, fresh = time.monotonic(), 0, True
        while True:
            due = start + count / panorama.FPS
            now = time.monotonic()
            if now - due > MAX_LAG:
                start, count, due = now, 0, now
            await asyncio.sleep(max(0.0, due - now))
            pose = self._dome.pose()
            nal_units = await loop.run_in_executor(self._thread, self._pictures.encode, pose, fresh)
            fresh = False
            yield TimedUnit(nal_units, due, self._ticks)
            # Reached only when the unit was taken for sending.
            self.pictures += 1
            self._ticks += CLOCK_RATE // panorama.FPS
            count += 1

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


def dome_views(domes: Mapping[str, Dome]) -> Callable[[str, str], DomeView | None]:
    """The factory of an on-demand route whose streams are these domes' views (by the
    path element after the route); None for any other, which the server then looks
    for among its file-backed streams."""

    def make(key: str, query: str) -> DomeView | None:
        dome = domes.get(key)
        return None if dome is None else DomeView(key, dome)

    return make
