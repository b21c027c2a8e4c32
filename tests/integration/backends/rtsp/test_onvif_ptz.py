"""A plain RTSP camera with an ONVIF address is steered through its PTZ service: against
the demo site's ONVIF dome (cam16 of `vigil --demo`), through the backend, the player
and the PTZ controller, as the operator's joystick drives it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.demo.test_ptz_views import (
    entry,
    recall_returns,
    steering,
    turns_right_then_stays,
    watching,
)
from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.backends.rtsp import RtspBackend, RtspCamera
from viewer.backends.rtsp.onvif import MOVE_TIMEOUT
from viewer.core.errors import (
    AuthenticationError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
)
from viewer.core.models import Quality, Site
from viewer.demo.dome import Pose
from viewer.demo.onvif import DEFAULT_TIMEOUT, TPTZ, Fault, OnvifCamera

CAMERA = "cam16"
SITE = Site("cameras", "Cameras", "rtsp")


def test_the_stick_turns_the_picture_release_stops_it_and_a_saved_preset_returns(demo_site):
    camera = demo_site.site.onvif
    dome = camera.dome
    dome.place(Pose())
    backend = demo_backend(demo_site.site.describe())
    assert backend.site.id == DEMO_SITE_ID

    async def scenario():
        try:
            (cam16,) = [
                c for c in (await backend.camera_tree()).cameras if c.ref.camera_id == CAMERA
            ]
            assert cam16.ptz and backend.capabilities.ptz
            async with (
                watching(await backend.live(CAMERA, Quality.MAIN)) as views,
                steering(backend, CAMERA) as controller,
            ):
                assert controller.capabilities.continuous and controller.capabilities.zoom
                calls = len(camera.calls)
                await turns_right_then_stays(views, controller, dome)
                sent = camera.calls[calls:]
                assert "ContinuousMove" in sent and sent.count("Stop") == 1, sent
                # A stop halts the head within 200 ms of reaching the camera.
                dome.continuous(1.0, 0.0, 0.0)
                await asyncio.sleep(0.3)
                await backend.ptz_stop(CAMERA)
                halted = dome.pose()
                await asyncio.sleep(0.2)
                assert dome.pose() == halted and not dome.moving

                preset = await controller.save_preset("Loading bay")
                assert preset is not None, controller.problem
                assert preset in controller.presets
                await recall_returns(
                    views,
                    lambda: controller.goto_preset(preset.id),
                    lambda: backend.ptz_move_by(CAMERA, -0.3, -0.2, 0.0),
                    dome,
                )
                await controller.delete_preset(preset.id)
                assert preset not in controller.presets and controller.problem is None
        finally:
            await backend.close()

    asyncio.run(scenario())


def onvif_camera_of(demo_site, password: str) -> RtspBackend:
    found = entry(demo_site, "onvif")
    camera = RtspCamera(
        id="dome", name="Dome", main_url=found["rtsp"], user=found["user"], onvif_url=found["url"]
    )
    return RtspBackend(SITE, [camera], lambda _: password)


def test_a_wrong_password_is_an_authentication_error(demo_site):
    backend = onvif_camera_of(demo_site, "not-the-password")

    async def scenario():
        try:
            with pytest.raises(AuthenticationError):
                await backend.ptz_capabilities("dome")
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_a_password_changed_while_steering_is_told_from_a_missing_right(demo_site):
    found = entry(demo_site, "onvif")
    password = {"now": found["password"]}
    camera = RtspCamera(
        id="dome", name="Dome", main_url=found["rtsp"], user=found["user"], onvif_url=found["url"]
    )
    backend = RtspBackend(SITE, [camera], lambda _: password["now"])

    async def scenario():
        try:
            await backend.ptz_capabilities("dome")
            password["now"] = "changed-since"
            with pytest.raises(AuthenticationError) as refused:
                await backend.ptz_position("dome")
            assert not isinstance(refused.value, PermissionDeniedError)
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_camera_faults_are_typed_errors_in_the_cameras_words(demo_site):
    backend = onvif_camera_of(demo_site, entry(demo_site, "onvif")["password"])

    async def scenario():
        try:
            with pytest.raises(NotFoundError, match="No such preset token"):
                await backend.ptz_goto_preset("dome", "preset_that_never_was")
            saved = await backend.ptz_save_preset("dome", "Twice")
            try:
                with pytest.raises(NotSupportedError, match=r"PresetExist.*name exists"):
                    await backend.ptz_save_preset("dome", "Twice")
            finally:
                await backend.ptz_delete_preset("dome", saved.id)
            with pytest.raises(NotFoundError):
                await backend.ptz_delete_preset("dome", saved.id)
        finally:
            await backend.close()

    asyncio.run(scenario())


@contextlib.asynccontextmanager
async def lone_camera(**options) -> AsyncIterator[tuple[OnvifCamera, RtspBackend]]:
    """An ONVIF dome of its own, for what the shared demo site should not be put through."""
    device = OnvifCamera(
        user="operator", password="Dome-Passw0rd", stream_url=lambda: "", **options
    )
    await device.start()
    camera = RtspCamera(
        id="dome",
        name="Dome",
        main_url="rtsp://127.0.0.1/none",
        user="operator",
        onvif_url=device.url,
    )
    backend = RtspBackend(SITE, [camera], lambda _: "Dome-Passw0rd")
    try:
        yield device, backend
    finally:
        await backend.close()
        await device.stop()


def test_a_camera_whose_clock_is_hours_off_obeys_and_a_move_nobody_renews_ends():
    async def scenario():
        async with lone_camera(clock=lambda: datetime.now(UTC) + timedelta(hours=2)) as (
            device,
            backend,
        ):
            await backend.ptz_move("dome", 0.5, 0.0, 0.0)
            started = time.monotonic()
            assert device.dome.moving
            while device.dome.moving and time.monotonic() - started < DEFAULT_TIMEOUT - 1:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            # The move's own Timeout ended it, before the camera's default would have: a
            # viewer that died leaves no camera turning.
            assert not device.dome.moving
            assert time.monotonic() - started > MOVE_TIMEOUT - 0.5

    asyncio.run(scenario())


def test_a_user_without_the_right_reads_a_missing_right_not_a_wrong_password():
    async def scenario():
        async with lone_camera() as (device, backend):

            def refuse(_):
                raise Fault("ter:NotAuthorized", "Sender not Authorized")

            # An operator-level account: it may look and move, not store presets.
            device._operations[(TPTZ, "SetPreset")] = refuse
            await backend.ptz_capabilities("dome")
            with pytest.raises(PermissionDeniedError):
                await backend.ptz_save_preset("dome", "Gate")

    asyncio.run(scenario())
