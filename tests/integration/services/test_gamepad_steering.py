"""A gamepad steering a MiBee NVR's PTZ camera, with SDL replaced at the library seam.

The fake stands where PySDL2's module would (tests/fake_sdl.py): the pad is plugged in
after the first readings, pushed, pressed and pulled out, and a real PtzController
carries what the readings mean to the simulated NVR, whose head says what happened.
"""

from __future__ import annotations

import asyncio

from tests.fake_sdl import FakeSdl
from tests.integration.backends.mibee import nvr
from tests.integration.services.test_ptz_controller import MIBEE_PTZ, steering
from viewer.services.gamepad import GamepadInput, GamepadSteering


async def read_for(seconds: float, pads: GamepadInput, steer: GamepadSteering, controller):
    """Readings 50 times a second, as the UI's timer takes them; preset moves awaited."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        for action in steer.apply(pads.poll(), controller):
            await action
        await asyncio.sleep(0.02)


def test_a_pad_plugged_in_later_pans_the_camera_while_pushed_and_stops_it_on_release():
    async def scenario():
        sdl = FakeSdl()
        pads, steer = GamepadInput(sdl), GamepadSteering()
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ) as controller,
        ):
            await read_for(0.2, pads, steer, controller)
            assert pads.name is None
            pad = sdl.plug()
            sdl.push(pad, "leftx", 32767)
            await read_for(1.0, pads, steer, controller)
            assert pads.name == "Xbox Series X Controller"
            assert server.ptz.moving(MIBEE_PTZ)
            sdl.push(pad, "leftx", 1200)  # let go: the stick springs back near centre
            await read_for(0.3, pads, steer, controller)
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            stops = [r for r in server.requests if r[1].endswith("/ptz/stop")]
            assert len(stops) == 1
            assert 0.07 <= server.ptz.status(MIBEE_PTZ)["pan"] <= 0.13
            assert all(m["mode"] == "continuous" and m["pan"] == 1.0 for m in server.ptz.moves)
            assert len(server.ptz.moves) <= 12  # 50 readings a second, paced by the coalescer

    asyncio.run(scenario())


def test_face_buttons_go_to_presets_and_pulling_the_pad_out_stops_the_camera():
    async def scenario():
        sdl = FakeSdl()
        pads, steer = GamepadInput(sdl), GamepadSteering()
        pad = sdl.plug(b"DualSense Wireless Controller")
        async with (
            nvr.serving() as server,
            nvr.connected(server) as backend,
            steering(backend, MIBEE_PTZ) as controller,
        ):
            sdl.press(pad, "b")  # preset 2, "Corner View"
            await read_for(0.1, pads, steer, controller)
            corner = server.ptz.presets(MIBEE_PTZ)["presets"][1]["position"]
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            status = server.ptz.status(MIBEE_PTZ)
            assert (status["pan"], status["tilt"]) == (corner["pan"], corner["tilt"])
            gotos = [r for r in server.requests if r[1].endswith("/goto")]
            assert len(gotos) == 1  # held for several readings, pressed once

            sdl.push(pad, "lefty", -32768)  # up
            await read_for(0.5, pads, steer, controller)
            assert server.ptz.moving(MIBEE_PTZ)
            sdl.unplug(pad)
            await read_for(0.2, pads, steer, controller)
            assert pads.name is None and sdl.opened == []
            await nvr.until(lambda: not server.ptz.moving(MIBEE_PTZ))
            assert server.ptz.status(MIBEE_PTZ)["tilt"] > corner["tilt"]
        pads.close()
        assert not sdl.running

    asyncio.run(scenario())
