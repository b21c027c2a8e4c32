"""Another operator holding a camera's PTZ reaches this operator as a lock, not a fault.

The simulators can be told that someone else holds a camera (``ptz_held``); they then
refuse its moves with 423 ``PTZ_LOCKED``, as a server with PTZ locks would [guess: no
seed documents one]. The controller keeps the refusal as a ``PtzLockedError`` and the
panel's words say who is in the way; once the other operator lets go, the stick works.
"""

from __future__ import annotations

import asyncio

from tests.integration.backends.gateway import rest
from tests.integration.backends.mibee import nvr
from tests.integration.services.test_ptz_controller import MIBEE_PTZ, hold, steering
from viewer.core.errors import PtzLockedError
from viewer.ui.wording import ptz_problem


def test_mibee_a_camera_held_by_another_operator_does_not_move_and_says_so():
    async def scenario():
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ) as controller,
        ):
            server.ptz_held[MIBEE_PTZ] = "Anna (control room 2)"
            before = server.ptz.status(MIBEE_PTZ)
            await hold(0.4, controller, 1.0)
            controller.release()
            await nvr.until(lambda: controller.problem is not None)
            assert isinstance(controller.problem, PtzLockedError)
            assert ptz_problem(controller.problem) == "Locked by another operator"
            assert server.ptz.moves == []
            await controller.goto_preset("preset_2")
            assert isinstance(controller.problem, PtzLockedError)
            await asyncio.sleep(0.3)
            assert server.ptz.status(MIBEE_PTZ) == before

            del server.ptz_held[MIBEE_PTZ]
            await hold(0.5, controller, 1.0)
            controller.release()
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            assert controller.problem is None
            assert server.ptz.status(MIBEE_PTZ)["pan"] > before["pan"]

    asyncio.run(scenario())


def test_gateway_a_camera_held_by_another_operator_does_not_move_and_says_so():
    async def scenario():
        server = rest.simulator()
        async with rest.serving(server), rest.connected(server) as backend:
            head = server.ptz[rest.CAM01]
            async with steering(backend, rest.CAM01, step_every=0.2) as controller:
                server.ptz_held["cam01"] = "Anna"
                before = head.dome.pose()
                await hold(0.5, controller, 1.0)
                controller.release()
                await rest.until(lambda: controller.problem is not None)
                assert isinstance(controller.problem, PtzLockedError)
                assert "Locked by another operator" in ptz_problem(controller.problem)
                presets = await backend.ptz_presets(rest.CAM01)
                await controller.goto_preset(presets[0].id)
                assert isinstance(controller.problem, PtzLockedError)
                assert head.dome.pose() == before

                server.ptz_held.clear()
                await controller.goto_preset(presets[0].id)
                assert controller.problem is None
                assert head.dome.pose() != before

    asyncio.run(scenario())
