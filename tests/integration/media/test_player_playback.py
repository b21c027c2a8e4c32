"""Players following one playback clock, against the demo's recorders.

MiBee plays recordings as a VOD playlist the player paces itself (and seeks in place);
XProtect as a WebRTC session the server paces (asked for again on a seek or a speed
change). Both simulators burn each picture's recorded instant into it (demo/
clockface.py), so what the operator would see is read back from the pixels and set
against the clock at the moment the player handed the picture over.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.integration.backends.gateway.rest import SITE as SITE_OF_GATEWAY
from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone import xprotect
from viewer.backends.base import Backend
from viewer.backends.gateway.backend import GatewayBackend
from viewer.core.playback import PlaybackClock
from viewer.demo.clockface import read_instant
from viewer.demo.hls.service import HlsService
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.recordings import recorded_spans
from viewer.media.frames import VideoImage
from viewer.media.player import StreamPlayer

pytestmark = pytest.mark.slow

FRONT, YARD = CAMERAS["cam01"].id, CAMERAS["cam02"].id
HALL, DOCK = "cam02", "cam03"


def burned_in(image: VideoImage) -> float | None:
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    shown = read_instant(rows[:, : image.width])
    return None if shown is None else shown.timestamp()


def recorded_instant(
    hours_ago: float, *, seek: timedelta = timedelta(0), same_span: bool = False
) -> datetime:
    """An instant about ``hours_ago`` back that lies at least 20 minutes inside a
    recorded span (every demo camera records the same spans), and so does the instant
    ``seek`` away from it, where the test will seek to (in the same span if asked): the
    gaps fall at fixed times of day, so a seek by a fixed amount from a fixed offset
    lands in one at some hours of the day.
    """
    now = datetime.now(UTC)
    wanted = (now - timedelta(hours=hours_ago)).replace(microsecond=0)
    spans = recorded_spans(wanted - timedelta(hours=12), wanted + timedelta(hours=12), now)
    margin = timedelta(minutes=20)

    def inside(*instants: datetime) -> bool:
        return any(
            all(start + margin <= instant <= end - margin for instant in instants)
            for start, end in spans
        )

    for minutes in range(12 * 60):
        for candidate in (wanted + timedelta(minutes=minutes), wanted - timedelta(minutes=minutes)):
            sought = candidate + seek
            if inside(candidate, sought) if same_span else inside(candidate) and inside(sought):
                return candidate
    raise AssertionError("no recording near the instant")


@dataclass
class Handed:
    image: VideoImage
    position: float
    """The clock's position (UTC seconds) when the player handed the picture over."""
    at: float


class Tape:
    """Every picture a following player hands over, with the clock's reading then."""

    def __init__(self, player: StreamPlayer, clock: PlaybackClock, name: str = "") -> None:
        self.clock = clock
        self.name = name
        self.handed: list[Handed] = []
        self.resolved: list[float] = []
        """Monotonic seconds of each time the player asked for the stream again."""
        self._lock = threading.Lock()
        self.subscription = player.subscribe(self._wake, lambda _info: None)
        self.subscription.set_box(320, 180)

    def _wake(self) -> None:
        # Called on the decode thread right after the hand-over: the clock is read now.
        position = self.clock.position().timestamp()
        image = self.subscription.take()
        if image is not None:
            with self._lock:
                self.handed.append(Handed(image, position, time.monotonic()))

    def since(self, moment: float) -> list[Handed]:
        with self._lock:
            return [h for h in self.handed if h.at >= moment]

    async def pictures(self, count: int, after: float = 0.0, limit: float = 30.0) -> list[Handed]:
        async with asyncio.timeout(limit):
            while len(self.since(after)) < count:  # noqa: ASYNC110 - a decode thread fills it
                await asyncio.sleep(0.05)
        return self.since(after)


def resolver(backend: Backend, camera_id: str, asked: list[float]):
    loop = asyncio.get_running_loop()

    def resolve_at(at: datetime, speed: float):
        asked.append(time.monotonic())
        call = backend.playback(camera_id, at, speed)
        return asyncio.run_coroutine_threadsafe(call, loop).result(20)

    return resolve_at


@contextlib.asynccontextmanager
async def following(backend: Backend, camera_id: str, clock: PlaybackClock) -> AsyncIterator[Tape]:
    """A player as a synchronised tile has it: its first description is whatever the
    tile asked for; from then on it plays the clock's instant."""
    player = StreamPlayer(await backend.playback(camera_id, clock.position(), clock.speed))
    tape = Tape(player, clock, f"{type(backend).__name__} {camera_id}")
    player.follow(clock, resolver(backend, camera_id, tape.resolved))
    player.start()
    try:
        yield tape
    finally:
        player.stop()
        assert await asyncio.to_thread(player.join, 10)


@contextlib.asynccontextmanager
async def mibee(demo_site) -> AsyncIterator[tuple[object, Backend]]:
    hls = HlsService(demo_site.site.library)
    async with nvr.serving(hls=hls) as server, nvr.connected(server) as backend:
        yield server, backend


@contextlib.asynccontextmanager
async def milestone() -> AsyncIterator[tuple[object, Backend]]:
    server = xprotect.simulator()
    async with xprotect.serving(server), xprotect.connected(server) as backend:
        yield server, backend


def sessions(server) -> list[str]:
    return [
        r
        for r in server.counters.requests
        if r.lower().startswith("post /api/rest/v1/webrtc/session")
    ]


def playlists(server) -> list[str]:
    return [path for _, path, _, _ in server.requests if path.endswith("playlist.m3u8")]


def assert_shows_the_clock(handed: list[Handed], within: float = 1.0) -> None:
    assert handed
    for h in handed:
        shown = burned_in(h.image)
        assert shown is not None
        assert abs(shown - h.position) < within, shown - h.position
        # The instant the player stamped is the one in the picture.
        assert abs(h.image.instant - shown) < 0.25


def test_a_mibee_recording_follows_the_clock_and_seeks_inside_the_open_playlist(demo_site):
    async def scenario():
        async with mibee(demo_site) as (server, backend):
            clock = PlaybackClock(
                recorded_instant(hours_ago=30, seek=timedelta(minutes=25), same_span=True)
            )
            async with following(backend, HALL, clock) as tape:
                # The first picture is shown as soon as it comes, even late; then the clock's.
                assert_shows_the_clock((await tape.pictures(5))[1:])
                asked = len(playlists(server))
                clock.seek(clock.position() + timedelta(minutes=25))
                sought = time.monotonic()
                after = await tape.pictures(4, after=sought)
                # The first picture of the new instant came within a second of the seek...
                assert after[0].at - sought < 1.5
                assert_shows_the_clock(after)
                # ...and the playlist was not asked for again: FFmpeg sought in it.
                assert len(playlists(server)) == asked

    asyncio.run(scenario())


def test_an_xprotect_recording_follows_the_clock_and_a_seek_is_a_new_session():
    async def scenario():
        async with milestone() as (server, backend):
            clock = PlaybackClock(recorded_instant(hours_ago=50, seek=-timedelta(hours=2)))
            async with following(backend, FRONT, clock) as tape:
                await tape.pictures(3)
                assert_shows_the_clock(await tape.pictures(4, after=time.monotonic()))
                asked = len(sessions(server))
                clock.seek(clock.position() - timedelta(hours=2))
                sought = time.monotonic()
                after = await tape.pictures(4, after=sought)
                assert_shows_the_clock(after)
                assert len(sessions(server)) == asked + 1

    asyncio.run(scenario())


@pytest.mark.parametrize("site", ["mibee", "milestone"])
def test_pause_holds_the_picture_and_four_times_speed_plays_four_times_as_much(site, demo_site):
    async def scenario():
        opened = mibee(demo_site) if site == "mibee" else milestone()
        camera = HALL if site == "mibee" else FRONT
        async with opened as (_, backend):
            clock = PlaybackClock(recorded_instant(hours_ago=20))
            async with following(backend, camera, clock) as tape:
                await tape.pictures(3)
                clock.pause()
                paused_at = clock.position().timestamp()
                await asyncio.sleep(2.5)
                held = tape.since(time.monotonic() - 2.0)
                assert all(abs(burned_in(h.image) - paused_at) < 0.5 for h in held)
                assert clock.position().timestamp() == paused_at
                clock.play()
                clock.set_speed(4)
                await tape.pictures(3, after=time.monotonic())
                start = tape.handed[-1]
                await asyncio.sleep(4)
                end = tape.handed[-1]
                rate = (burned_in(end.image) - burned_in(start.image)) / (end.at - start.at)
                assert 2.5 < rate < 5.5

    asyncio.run(scenario())


def test_four_tiles_of_two_recorders_stay_within_a_quarter_second_of_one_clock(demo_site):
    """Measured at each hand-over, after each change has settled (a new WebRTC session
    takes its first picture to come)."""

    async def scenario():
        async with mibee(demo_site) as (_, nvr_backend), milestone() as (_, vms_backend):
            clock = PlaybackClock(recorded_instant(hours_ago=10))
            async with contextlib.AsyncExitStack() as stack:
                tapes = [
                    await stack.enter_async_context(following(backend, camera, clock))
                    for backend, camera in [
                        (nvr_backend, HALL),
                        (nvr_backend, DOCK),
                        (vms_backend, FRONT),
                        (vms_backend, YARD),
                    ]
                ]
                for speed in (1, 4):
                    clock.set_speed(speed)
                    await asyncio.sleep(4)
                    measured = time.monotonic()
                    await asyncio.sleep(30)
                    for tape in tapes:
                        handed = tape.since(measured)
                        assert len(handed) > 30 * speed
                        worst = max(handed, key=lambda h: abs(h.image.instant - h.position))
                        off = worst.image.instant - worst.position
                        assert abs(off) < 0.25, off_the_clock(tape, worst, off, measured, speed)
                        assert_shows_the_clock(handed[:: max(1, len(handed) // 10)], 0.5)

    asyncio.run(scenario())


def off_the_clock(tape: Tape, worst: Handed, off: float, measured: float, speed: float) -> str:
    """Which tile, when, and whether the stream had just been asked for again."""
    asked = [round(worst.at - t, 2) for t in tape.resolved if t <= worst.at]
    handed = tape.since(measured)
    index = handed.index(worst)
    around = [round(h.image.instant - h.position, 2) for h in handed[max(0, index - 3) : index + 4]]
    return (
        f"{tape.name} at {speed}x handed a picture {off:+.2f} s off the clock "
        f"{worst.at - measured:.1f} s into the measuring; asked for the stream "
        f"{asked[-3:]} s before it; the pictures around it were {around}"
    )


def test_a_dropped_session_resumes_at_the_clock_not_at_live():
    async def scenario():
        async with milestone() as (server, backend):
            clock = PlaybackClock(recorded_instant(hours_ago=40))
            async with following(backend, FRONT, clock) as tape:
                await tape.pictures(3)
                for session_id in list(server.webrtc.sessions):
                    await server.webrtc.close(session_id)
                dropped = time.monotonic()
                after = await tape.pictures(4, after=dropped + 0.5)
                assert_shows_the_clock(after[-2:])
                assert abs(burned_in(after[-1].image) - time.time()) > 3600

    asyncio.run(scenario())


@contextlib.asynccontextmanager
async def gateway(demo_site) -> AsyncIterator[Backend]:
    """The demo site's REST gateway, whose playback URLs its RTSP server plays."""
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "gateway"]
    backend = GatewayBackend(SITE_OF_GATEWAY, entry["url"], entry["user"], entry["password"])
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


def test_a_gateway_rtsp_playback_follows_seeks_pauses_and_plays_four_times_as_fast(demo_site):
    async def scenario():
        async with gateway(demo_site) as backend:
            tree = await backend.camera_tree()
            camera = sorted(tree.all_cameras(), key=lambda c: c.name)[0].ref.camera_id
            clock = PlaybackClock(recorded_instant(hours_ago=3, seek=-timedelta(minutes=30)))
            async with following(backend, camera, clock) as tape:
                await tape.pictures(3)
                assert_shows_the_clock(await tape.pictures(5, after=time.monotonic()))
                clock.seek(clock.position() - timedelta(minutes=30))
                sought = time.monotonic()
                assert_shows_the_clock((await tape.pictures(6, after=sought))[1:])
                clock.pause()
                paused_at = clock.position().timestamp()
                await asyncio.sleep(2)
                held = tape.since(time.monotonic() - 1.5)
                assert all(abs(burned_in(h.image) - paused_at) < 0.5 for h in held)
                clock.play()
                clock.set_speed(4)
                await tape.pictures(3, after=time.monotonic() + 1)
                start = tape.handed[-1]
                await asyncio.sleep(4)
                end = tape.handed[-1]
                rate = (burned_in(end.image) - burned_in(start.image)) / (end.at - start.at)
                assert 2.5 < rate < 5.5
                assert_shows_the_clock(tape.since(time.monotonic() - 2))

    asyncio.run(scenario())
