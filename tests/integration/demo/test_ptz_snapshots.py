"""A PTZ camera's snapshot is what the camera sees now: each simulator answers its
snapshot request, through the app's backend, with a JPEG of the dome's current view
(read back from the panorama's own colours), following the head when it moves; a fixed
camera's snapshot is still its footage. The gateway advertises its PTZ cameras' streams
at the size they are sent.

Bounds in degrees are loose: a JPEG and a resize stand between the view and the reading.
"""

from __future__ import annotations

import asyncio
import io

import numpy as np
from PIL import Image

from viewer.backends.base import Backend
from viewer.backends.gateway.backend import GatewayBackend
from viewer.backends.mibee.backend import MibeeBackend
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.models import Site
from viewer.demo import panorama
from viewer.demo.dome import Dome, Pose
from viewer.demo.gateway.server import camera_guid
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.panorama import read_view

POSES = (Pose(40.0, 10.0, 1.0), Pose(200.0, 5.0, 2.0))
"""Two places far apart, both showing the skyline's sky (readable background)."""


def turned(before: float, after: float) -> float:
    return (after - before + 180.0) % 360.0 - 180.0


def entry(demo_site, kind: str) -> dict:
    (found,) = [e for e in demo_site.site.describe() if e["kind"] == kind]
    return found


def seen(jpeg: bytes) -> tuple[float, float, float] | None:
    assert jpeg.startswith(b"\xff\xd8")
    with Image.open(io.BytesIO(jpeg)) as picture:
        return read_view(np.asarray(picture.convert("RGB")))


async def snapshots_follow(backend: Backend, camera_id: str, dome: Dome, size=(640, 360)) -> None:
    """For each pose: the head placed there, the snapshot shows it."""
    for pose in POSES:
        dome.place(pose)
        view = seen(await backend.snapshot(camera_id, *size))
        assert view is not None, f"no panorama in the snapshot at {pose}"
        pan, tilt, _ = view
        assert abs(turned(pose.pan, pan)) < 3.0, (pose, view)
        assert abs(tilt - pose.tilt) < 4.0, (pose, view)


def test_mibee_a_ptz_cameras_snapshot_is_its_view_a_fixed_ones_its_footage(demo_site):
    nvr = demo_site.site.mibee
    found = entry(demo_site, "mibee")

    async def scenario():
        site = Site("nvr-snap", "Demo NVR", "mibee")
        backend = MibeeBackend(site, found["url"], found["user"], found["password"])
        await backend.open()
        try:
            # cam08 is HLS only: its snapshot is its view all the same.
            for camera_id in ("cam04", "cam08"):
                await snapshots_follow(backend, camera_id, nvr.ptz.dome(camera_id))
            assert seen(await backend.snapshot("cam01", 640, 360)) is None
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_gateway_a_ptz_cameras_snapshot_is_its_view_at_the_size_asked(demo_site):
    gateway = demo_site.site.gateway
    found = entry(demo_site, "gateway")
    guid = camera_guid("cam01")

    async def scenario():
        site = Site("gw-snap", "Demo gateway", "gateway")
        backend = GatewayBackend(site, found["url"], found["user"], found["password"])
        await backend.open()
        try:
            await snapshots_follow(backend, guid, gateway.ptz[guid].dome, size=(480, 270))
            with Image.open(io.BytesIO(await backend.snapshot(guid, 480, 270))) as picture:
                assert picture.size == (480, 270)
            assert seen(await backend.snapshot(camera_guid("cam03"), 640, 360)) is None
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_gateway_advertises_a_ptz_cameras_streams_at_the_size_they_are_sent(demo_site):
    """The camera list and the live answer say what the RTSP URLs play: the dome's view
    (640x360 at its rate) for a PTZ camera, the footage's profiles for a fixed one."""
    gateway = demo_site.site.gateway
    found = entry(demo_site, "gateway")
    guid = camera_guid("cam01")
    view = (panorama.WIDTH, panorama.HEIGHT)

    async def scenario():
        site = Site("gw-sizes", "Demo gateway", "gateway")
        backend = GatewayBackend(site, found["url"], found["user"], found["password"])
        await backend.open()
        try:
            cameras = {c.ref.camera_id: c for c in (await backend.camera_tree()).all_cameras()}
            streams = cameras[guid].streams
            assert len(streams) == 2 and all((s.width, s.height) == view for s in streams)
            fixed = cameras[camera_guid("cam03")].streams
            profiles = gateway.cameras[camera_guid("cam03")].profiles
            assert [(s.width, s.height) for s in fixed] == [(p.width, p.height) for p in profiles]
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_xprotect_a_ptz_cameras_jpeg_get_live_is_its_view(demo_site):
    simulator = demo_site.site.milestone
    gate = CAMERAS["cam12"]
    found = entry(demo_site, "milestone")

    async def scenario():
        pem = simulator.certificate.pem.decode("ascii")
        site = Site("xp-snap", "Demo XProtect", "milestone")
        backend = MilestoneBackend(
            site,
            found["url"],
            found["user"],
            found["password"],
            certificate=PinnedCertificate.from_pem(pem),
        )
        await backend.open()
        try:
            await snapshots_follow(backend, gate.id, simulator.ptz.domes[gate.demo_id])
        finally:
            await backend.close()

    asyncio.run(scenario())
