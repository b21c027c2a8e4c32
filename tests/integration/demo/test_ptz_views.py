"""The demo site's PTZ cameras really move: against each simulator, through its real
backend, the app's player and the operator's PTZ controller, holding the stick right for
a second turns the decoded picture right (read from the panorama's own colours), letting
go leaves it still, and a preset recalled brings the picture back to the same place.

The machine running these is loaded: every bound on time or degrees is loose.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import numpy as np

from viewer.backends.base import Backend
from viewer.backends.gateway.backend import GatewayBackend
from viewer.backends.mibee.backend import MibeeBackend
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.models import Quality, Site
from viewer.core.streams import StreamDescription
from viewer.demo.dome import Dome, Pose
from viewer.demo.gateway.server import camera_guid
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.panorama import read_view
from viewer.media.player import StreamPlayer
from viewer.services.ptz import PtzController

View = tuple[float, float, float]  # pan, tilt, degrees across


def turned(before: float, after: float) -> float:
    """Degrees from one pan to another, rightwards positive, -180 to 180."""
    return (after - before + 180.0) % 360.0 - 180.0


class Views:
    """What each picture the player hands over shows, as it arrives."""

    def __init__(self, player: StreamPlayer) -> None:
        self.seen: list[tuple[float, View | None]] = []
        self._subscription = player.subscribe(lambda: None, lambda state: None)
        self._subscription.set_box(640, 360)

    async def pump(self) -> None:
        while True:
            image = self._subscription.take()
            if image is not None:
                rows = np.frombuffer(image.pixels, np.uint8)
                rows = rows.reshape(image.height, image.stride // 4, 4)
                rgb = np.ascontiguousarray(rows[:, : image.width, 2::-1])
                self.seen.append((time.monotonic(), read_view(rgb)))
            await asyncio.sleep(0.01)

    async def after(self, moment: float) -> View:
        """The first readable view in a picture that arrived after ``moment``."""
        async with asyncio.timeout(30):
            while True:
                for arrived, view in self.seen:
                    if arrived > moment and view is not None:
                        return view
                await asyncio.sleep(0.02)

    def between(self, start: float, end: float) -> list[View]:
        return [v for t, v in self.seen if start <= t <= end and v is not None]


@contextlib.asynccontextmanager
async def watching(description: StreamDescription) -> AsyncIterator[Views]:
    player = StreamPlayer(description)
    views = Views(player)
    player.start()
    pump = asyncio.ensure_future(views.pump())
    try:
        yield views
    finally:
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)
        player.stop()
        assert await asyncio.to_thread(player.join, 10)


@contextlib.asynccontextmanager
async def steering(backend: Backend, camera_id: str) -> AsyncIterator[PtzController]:
    controller = PtzController(backend, camera_id)
    assert await controller.start(), controller.problem
    try:
        yield controller
    finally:
        await controller.close()


async def hold_right(controller: PtzController, seconds: float = 1.0) -> None:
    """The stick held right, as the joystick reports it (60 times a second)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        controller.steer(1.0, 0.0)
        await asyncio.sleep(1 / 60)
    controller.release()


async def until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the dome is moved by the site's thread
            await asyncio.sleep(0.01)


async def still(dome: Dome, quiet: float = 0.7) -> float:
    """When the head stopped moving, once it has stayed still for ``quiet`` s (longer
    than a controller waits between the moves of a held stick)."""
    last = time.monotonic()
    async with asyncio.timeout(30):
        while time.monotonic() - last < quiet:
            if dome.moving:
                last = time.monotonic()
            await asyncio.sleep(0.01)
    return last


async def turns_right_then_stays(views: Views, controller: PtzController, dome: Dome) -> None:
    """The stick held right for a second turns the picture right; once the head stops,
    the pictures show where it stopped and nothing moves any more."""
    before = await views.after(time.monotonic())
    assert abs(turned(dome.pose().pan, before[0])) < 3.0, before
    await hold_right(controller)
    stopped = await still(dome)
    final = dome.pose()
    await asyncio.sleep(1.0)
    assert dome.pose() == final  # the head has not moved since
    shown = views.between(stopped + 0.5, time.monotonic())
    assert shown, "no picture after the stop"
    assert all(abs(turned(final.pan, view[0])) < 3.0 for view in shown), (final, shown)
    assert 5.0 < turned(before[0], shown[-1][0]) < 120.0, (before, shown[-1])


async def recall_returns(
    views: Views, go: Callable[[], object], away: Callable[[], object], dome: Dome
) -> None:
    """A preset recalled from two other places puts the head, and the picture, in the
    same place both times."""
    await go()
    await still(dome)
    there = dome.pose()
    first = await views.after(time.monotonic() + 0.5)
    await away()
    await still(dome)
    assert dome.pose() != there
    elsewhere = await views.after(time.monotonic() + 0.5)
    assert abs(turned(first[0], elsewhere[0])) > 5.0
    await go()
    await still(dome)
    assert dome.pose() == there
    back = await views.after(time.monotonic() + 0.5)
    assert abs(turned(first[0], back[0])) < 2.0 and abs(first[1] - back[1]) < 3.0, (first, back)


def entry(demo_site, kind: str) -> dict:
    (found,) = [e for e in demo_site.site.describe() if e["kind"] == kind]
    return found


# -- MiBee: ONVIF continuous moves and a stop, restreamed over RTSP -----------------------

MIBEE = Site("nvr-demo", "Demo NVR", "mibee")


def test_mibee_the_stick_turns_the_picture_stop_halts_it_and_a_saved_preset_returns(demo_site):
    nvr = demo_site.site.mibee
    dome = nvr.ptz.dome("cam04")
    dome.place(Pose())
    found = entry(demo_site, "mibee")

    async def scenario():
        backend = MibeeBackend(MIBEE, found["url"], found["user"], found["password"])
        await backend.open()
        try:
            grid = await backend.live("cam04", Quality.SUB)
            assert "/ptz/" in grid.url  # the grid's sub-stream is the moving view too
            async with (
                watching(await backend.live("cam04", Quality.MAIN)) as views,
                steering(backend, "cam04") as controller,
            ):
                await turns_right_then_stays(views, controller, dome)
                # The stop reached the NVR, and the head stood still within 200 ms of it.
                stops = [r for r in nvr.requests if r[1] == "/api/cameras/cam04/ptz/stop"]
                assert len(stops) == 1
                dome.continuous(1.0, 0.0, 0.0)
                await asyncio.sleep(0.3)
                await backend.ptz_stop("cam04")
                halted = dome.pose()
                await asyncio.sleep(0.2)
                assert dome.pose() == halted and not dome.moving

                preset = await controller.save_preset("Loading bay")
                assert preset is not None
                await recall_returns(
                    views,
                    lambda: controller.goto_preset(preset.id),
                    lambda: backend.ptz_move_by("cam04", -0.3, -0.2, 0.0),
                    dome,
                )
                await controller.delete_preset(preset.id)
        finally:
            await backend.close()

    asyncio.run(scenario())


# -- the REST gateway: relative moves and presets, RTSP live -------------------------------

GATEWAY = Site("gw-demo", "Demo gateway", "gateway")
CAM01 = camera_guid("cam01")


def test_gateway_the_stick_turns_the_picture_and_a_preset_returns_it(demo_site):
    dome = demo_site.site.gateway.ptz[CAM01].dome
    dome.place(Pose())
    found = entry(demo_site, "gateway")

    async def scenario():
        backend = GatewayBackend(GATEWAY, found["url"], found["user"], found["password"])
        await backend.open()
        try:
            async with (
                watching(await backend.live(CAM01, Quality.SUB)) as views,
                steering(backend, CAM01) as controller,
            ):
                await turns_right_then_stays(views, controller, dome)
                parking = next(p for p in controller.presets if p.name == "Parking Area")
                await recall_returns(
                    views,
                    lambda: controller.goto_preset(parking.id),
                    lambda: backend.ptz_move_by(CAM01, 0.3, -0.2, 0.0),
                    dome,
                )
                view = await views.after(time.monotonic())
                assert abs(turned(90.0, view[0])) < 2.0 and abs(view[1] - 15.0) < 3.0, view
                # A camera without PTZ plays its footage as before (no panorama in it).
                fixed = await backend.live(camera_guid("cam03"), Quality.SUB)
                async with watching(fixed) as other:
                    await until(lambda: len(other.seen) >= 5)
                    assert all(v is None for _, v in other.seen)
        finally:
            await backend.close()

    asyncio.run(scenario())


# -- XProtect: steps over the WebRTC session's data channel, presets by task ---------------

XPROTECT = Site("xp-demo", "Demo XProtect", "milestone")
GATE = CAMERAS["cam12"]


def test_xprotect_the_stick_steps_the_picture_right_and_a_preset_returns_it(demo_site):
    simulator = demo_site.site.milestone
    dome = simulator.ptz.domes[GATE.demo_id]
    dome.place(simulator.ptz.space.pose(0.0, 0.5, 0.0))  # level with the skyline
    found = entry(demo_site, "milestone")

    async def scenario():
        pem = simulator.certificate.pem.decode("ascii")
        backend = MilestoneBackend(
            XPROTECT,
            found["url"],
            found["user"],
            found["password"],
            certificate=PinnedCertificate.from_pem(pem),
        )
        await backend.open()
        try:
            description = await backend.live(GATE.id, Quality.SUB)
            async with watching(description) as views:
                await views.after(time.monotonic())
                await until(lambda: description.signalling.channel_open)
                async with steering(backend, GATE.id) as controller:
                    await turns_right_then_stays(views, controller, dome)
                    assert set(simulator.webrtc.ptz_moves[GATE.id]) == {"right"}
                    gate = next(p for p in controller.presets if p.name == "Gate")
                    await recall_returns(
                        views,
                        lambda: controller.goto_preset(gate.id),
                        controller.home,
                        dome,
                    )
        finally:
            await backend.close()

    asyncio.run(scenario())
