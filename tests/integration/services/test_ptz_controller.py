"""The PTZ controller steering each simulator's cameras as an operator's hand would.

Each simulator keeps its cameras' PTZ state and records what clients sent: holding the
stick right moves (or steps) the camera right, letting go stops it, presets recall the
place they were saved at, and refusals reach the operator as typed problems.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from tests.integration.backends.gateway import rest
from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone import xprotect
from tests.integration.backends.milestone.test_milestone_webrtc import pictures, player_of
from viewer.backends.base import Backend
from viewer.core.errors import NotSupportedError, PermissionDeniedError
from viewer.core.models import Quality
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.ptz import Position
from viewer.services.ptz import Drive, PtzController

MIBEE_PTZ = "cam04"
XPROTECT_PTZ = CAMERAS["cam12"]


@contextlib.asynccontextmanager
async def steering(
    backend: Backend, camera_id: str, **options: float
) -> AsyncIterator[PtzController]:
    controller = PtzController(backend, camera_id, **options)
    assert await controller.start(), controller.problem
    try:
        yield controller
    finally:
        await controller.close()


async def hold(seconds: float, controller: PtzController, pan: float, tilt: float = 0.0) -> None:
    """A hand on the stick, trembling a little, as the joystick reports it (60 times a
    second)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    tremble = 0
    while loop.time() < end:
        tremble = (tremble + 1) % 3
        controller.steer(pan - 0.02 * tremble, tilt)
        await asyncio.sleep(1 / 60)


# -- MiBee: continuous moves and a stop --------------------------------------------------


def test_mibee_holding_right_for_a_second_pans_the_camera_and_release_stops_it_at_once():
    async def scenario():
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ) as controller,
        ):
            assert controller.drive is Drive.CONTINUOUS
            await hold(1.0, controller, 1.0)
            assert server.ptz.status(MIBEE_PTZ)["moving"]
            controller.release()
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            stops = [r for r in server.requests if r[1].endswith("/ptz/stop")]
            assert len(stops) == 1
            moved = server.ptz.status(MIBEE_PTZ)["pan"]
            # 1 s at full speed is 0.1 of the simulator's range; renewals and the
            # trembling hand do not add up to more moves than one.
            assert 0.07 <= moved <= 0.13
            assert all(m["mode"] == "continuous" for m in server.ptz.moves)
            assert server.ptz.moves[0]["pan"] == 1.0
            await asyncio.sleep(0.3)
            assert server.ptz.status(MIBEE_PTZ)["pan"] == moved

    nvr_run(scenario)


def test_mibee_a_thousand_stick_events_in_a_second_reach_the_nvr_as_about_ten_moves():
    async def scenario():
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ) as controller,
        ):
            loop = asyncio.get_running_loop()
            start = loop.time()
            for event in range(1000):
                controller.steer((event % 19 + 1) / 20, -0.5)
                if event % 20 == 19:
                    await asyncio.sleep(max(0.0, start + (event + 1) / 1000 - loop.time()))
            controller.steer(0.35, -0.5)
            await nvr.until(lambda: server.ptz.moves[-1]["pan"] == 0.35)
            elapsed = loop.time() - start
            # About ten a second, plus the last; the loop may run late on a busy machine.
            assert len(server.ptz.moves) <= 10 * elapsed + 2
            assert server.ptz.moves[-1] == {
                "camera": MIBEE_PTZ,
                "mode": "continuous",
                "pan": 0.35,
                "tilt": -0.5,
                "zoom": 0.0,
            }

    nvr_run(scenario)


def test_mibee_a_preset_saved_then_recalled_returns_to_the_same_place():
    async def scenario():
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ) as controller,
        ):
            assert controller.can_save_presets and controller.can_delete_presets
            await hold(0.6, controller, 1.0, 0.5)
            controller.release()
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            here = server.ptz.status(MIBEE_PTZ)
            saved = await controller.save_preset("Loading bay")
            assert saved is not None
            assert saved in controller.presets
            await hold(0.6, controller, -1.0, -1.0)
            controller.release()
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            assert server.ptz.status(MIBEE_PTZ)["pan"] < here["pan"]
            await controller.goto_preset(saved.id)
            assert server.ptz.status(MIBEE_PTZ) == here
            await controller.delete_preset(saved.id)
            assert saved not in controller.presets
            assert controller.problem is None

    nvr_run(scenario)


def test_mibee_home_is_the_preset_named_home_and_the_position_is_reported_while_watched():
    async def scenario():
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ, poll_every=0.1) as controller,
        ):
            await controller.goto_preset("preset_2")
            controller.watch_position(True)
            await nvr.until(lambda: controller.position is not None)
            assert controller.position.pan == 0.5
            await controller.home()
            await nvr.until(lambda: controller.position.pan == 0.0)
            assert "POST" in {r[0] for r in server.requests if r[1].endswith("preset_1/goto")}
            controller.watch_position(False)

    nvr_run(scenario)


def test_mibee_a_camera_without_ptz_says_so_and_does_not_steer():
    async def scenario():
        async with nvr.serving() as server, nvr.connected(server) as backend:
            controller = PtzController(backend, "cam01")
            assert not await controller.start()
            assert isinstance(controller.problem, NotSupportedError)
            await controller.close()

    nvr_run(scenario)


def nvr_run(scenario) -> None:
    asyncio.run(scenario())


# -- the REST gateway: relative moves repeated while held --------------------------------


def test_gateway_holding_right_pans_by_relative_moves_which_end_on_release():
    async def scenario():
        async with (
            rest.serving(rest.simulator()) as server,
            rest.connected(server) as backend,
            steering(backend, rest.CAM01) as controller,
        ):
            assert controller.drive is Drive.RELATIVE
            before = server.ptz[rest.CAM01].pan
            await hold(1.0, controller, 1.0)
            controller.release()
            await rest.until(controller._quiet.is_set)
            moves = rest.requests(server, "/ptz/relative")
            # One at once, then one every half second while held.
            assert 2 <= len(moves) <= 4
            turned = (server.ptz[rest.CAM01].pan - before) % 360
            # 9° a move at full deflection, a little less where the hand trembled.
            assert 8.0 * len(moves) <= turned <= 9.0 * len(moves) + 1e-6
            await asyncio.sleep(0.8)
            assert len(rest.requests(server, "/ptz/relative")) == len(moves)

    rest.run(scenario)


def test_gateway_a_preset_recalled_puts_the_camera_where_it_says_and_saving_is_refused():
    async def scenario():
        async with (
            rest.serving(rest.simulator()) as server,
            rest.connected(server) as backend,
            steering(backend, rest.CAM01) as controller,
        ):
            assert not controller.can_save_presets
            parking = next(p for p in controller.presets if p.name == "Parking Area")
            await controller.goto_preset(parking.id)
            state = server.ptz[rest.CAM01]
            assert (state.pan, state.tilt, state.zoom) == (90.0, 15.0, 2.0)
            assert await controller.save_preset("Mine") is None
            assert isinstance(controller.problem, NotSupportedError)

    rest.run(scenario)


# -- XProtect: steps over the live session's data channel, presets by task ----------------


def test_xprotect_holding_right_steps_right_over_the_live_session_until_release():
    async def scenario():
        async with (
            xprotect.serving(xprotect.simulator()) as server,
            xprotect.connected(server) as backend,
        ):
            description = await backend.live(XPROTECT_PTZ.id, Quality.SUB)
            async with player_of(description) as viewer:
                await pictures(viewer, 1)
                await xprotect.until(lambda: description.signalling.channel_open)
                async with steering(backend, XPROTECT_PTZ.id) as controller:
                    assert controller.drive is Drive.STEPS
                    await hold(1.0, controller, 0.95, 0.1)
                    controller.release()
                    await xprotect.until(controller._quiet.is_set)
                    steps = server.webrtc.ptz_moves[XPROTECT_PTZ.id]
                    assert 2 <= len(steps) <= 4
                    assert set(steps) == {"right"}
                    await asyncio.sleep(0.8)
                    assert len(server.webrtc.ptz_moves[XPROTECT_PTZ.id]) == len(steps)

    xprotect.run(scenario)


def test_xprotect_home_goes_to_the_home_preset_and_a_refusal_is_the_operators_problem():
    async def scenario():
        async with (
            xprotect.serving(xprotect.simulator()) as server,
            xprotect.connected(server) as backend,
            steering(backend, XPROTECT_PTZ.id) as controller,
        ):
            gate = next(p for p in controller.presets if p.name == "Gate")
            await controller.goto_preset(gate.id)
            assert server.ptz.positions["cam12"] == Position(-0.5, -0.25, 0.3)
            await controller.home()
            assert server.ptz.positions["cam12"] == Position()
            assert controller.problem is None
            server.ptz.denied.add("cam12")
            await controller.goto_preset(gate.id)
            assert isinstance(controller.problem, PermissionDeniedError)
            assert server.ptz.positions["cam12"] == Position()

    xprotect.run(scenario)
