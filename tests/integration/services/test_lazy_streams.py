"""A site's camera tree costs no request per camera: streams are asked for when needed."""

from __future__ import annotations

import asyncio

from tests.integration.backends.milestone.xprotect import PASSWORD, SITE, USER, pin, serving
from tests.integration.backends.milestone.xprotect import simulator as xprotect
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.models import CameraRef, Quality
from viewer.demo.milestone.directory import CAMERAS
from viewer.services.camera_view import CameraView
from viewer.services.directory import Directory, SiteSession, SiteStatus
from viewer.services.players import PlayerHub


def stream_requests(server) -> list[str]:
    return [r for r in server.counters.requests if r.split("?")[0].endswith("/streams")]


async def connected_directory(server) -> Directory:
    directory = Directory()
    backend = MilestoneBackend(SITE, server.url, USER, PASSWORD, certificate=pin(server))
    await directory.add(SiteSession(backend))
    session = directory.session(SITE.id)
    assert session is not None and session.status is SiteStatus.ONLINE
    return directory


def test_loading_the_tree_asks_no_streams_and_asking_a_camera_asks_it_once():
    async def scenario():
        async with serving(xprotect(extra_cameras=50)) as server:
            directory = await connected_directory(server)
            try:
                cameras = directory.session(SITE.id).tree.all_cameras()
                assert len(cameras) == 50 + sum(c.enabled for c in CAMERAS.values())
                assert stream_requests(server) == []
                ref = cameras[3].ref
                offered = await directory.streams(ref)
                assert [s.quality for s in offered] == [Quality.MAIN, Quality.SUB]
                # Kept: the directory's camera has them now, and nobody asks again.
                assert directory.camera(ref).streams == offered
                assert await directory.streams(ref) == offered
                (asked,) = stream_requests(server)
                assert ref.camera_id in asked
            finally:
                await directory.close()

    asyncio.run(scenario())


def test_playing_a_camera_asks_its_streams_first():
    async def scenario():
        async with serving(xprotect()) as server:
            directory = await connected_directory(server)
            hub = PlayerHub()
            camera = directory.session(SITE.id).tree.groups[0].cameras[0]
            view = CameraView(directory, hub, CameraRef(SITE.id, camera.ref.camera_id))
            try:
                await view.set_box(320, 180)
                (asked,) = stream_requests(server)
                assert camera.ref.camera_id in asked
            finally:
                view.close()
                hub.stop_all()
                await asyncio.to_thread(hub.join_all, 5)
                await directory.close()

    asyncio.run(scenario())
