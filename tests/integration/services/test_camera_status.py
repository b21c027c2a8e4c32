"""A site's cameras show the status the site reports, kept current while it is connected.

Against the simulated XProtect gateway: its Events and State socket tells the directory
which cameras the recording server has lost, and the directory's tree follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.integration.backends.milestone.xprotect import (
    PASSWORD,
    SITE,
    USER,
    pin,
    serving,
    simulator,
    until,
)
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.models import CameraRef, CameraStatus
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.services.directory import Directory, SiteSession, SiteStatus

ENTRANCE = CAMERAS["cam01"].id
"""Main entrance, which sits in two groups."""
YARD = CAMERAS["cam02"].id


class Heard:
    """What the directory told its listeners."""

    def __init__(self, directory: Directory) -> None:
        self.changes = 0
        self.statuses: list[str] = []
        directory.subscribe(self._changed)
        directory.subscribe_statuses(self.statuses.append)

    def _changed(self) -> None:
        self.changes += 1


@asynccontextmanager
async def site(server: MilestoneSimulator) -> AsyncIterator[tuple[Directory, Heard]]:
    directory = Directory()
    heard = Heard(directory)
    backend = MilestoneBackend(SITE, server.url, USER, PASSWORD, certificate=pin(server))
    await directory.add(SiteSession(backend))
    try:
        yield directory, heard
    finally:
        await directory.close()


def statuses(directory: Directory, camera_id: str) -> list[CameraStatus]:
    """The camera's status in every group of the tree that holds it."""
    session = directory.session(SITE.id)
    assert session is not None
    found: list[CameraStatus] = []
    stack = [session.tree]
    while stack:
        group = stack.pop()
        found += [c.status for c in group.cameras if c.ref.camera_id == camera_id]
        stack += group.groups
    return found


def all_online(directory: Directory) -> bool:
    session = directory.session(SITE.id)
    assert session is not None
    cameras = session.tree.all_cameras()
    return bool(cameras) and all(c.status is CameraStatus.ONLINE for c in cameras)


def test_every_camera_is_online_once_the_site_has_said_so():
    async def scenario():
        async with serving(simulator()) as server, site(server) as (directory, _):
            session = directory.session(SITE.id)
            assert session is not None and session.status is SiteStatus.ONLINE
            await until(lambda: all_online(directory))

    asyncio.run(scenario())


def test_a_camera_the_site_loses_turns_offline_in_every_group_and_comes_back():
    async def scenario():
        async with serving(simulator()) as server, site(server) as (directory, heard):
            await until(lambda: all_online(directory))
            changes, told = heard.changes, len(heard.statuses)

            server.events.set_communication(ENTRANCE, online=False)
            await until(lambda: CameraStatus.OFFLINE in statuses(directory, ENTRANCE))
            assert statuses(directory, ENTRANCE) == [CameraStatus.OFFLINE] * 2
            ref = CameraRef(SITE.id, ENTRANCE)
            camera = directory.camera(ref)
            assert camera is not None and camera.status is CameraStatus.OFFLINE
            assert statuses(directory, YARD) == [CameraStatus.ONLINE]

            server.events.set_communication(YARD, online=False, error=True)
            await until(lambda: statuses(directory, YARD) == [CameraStatus.ERROR])

            server.events.set_communication(ENTRANCE, online=True)
            await until(lambda: statuses(directory, ENTRANCE) == [CameraStatus.ONLINE] * 2)
            # Listeners heard of the site's statuses, not of a new tree to build.
            assert len(heard.statuses) > told
            assert set(heard.statuses) == {SITE.id}
            assert heard.changes == changes

    asyncio.run(scenario())


def test_a_removed_site_is_no_longer_followed():
    async def scenario():
        async with serving(simulator()) as server, site(server) as (directory, heard):
            await until(lambda: all_online(directory))
            session = directory.session(SITE.id)
            assert session is not None
            await directory.remove(SITE.id)
            told = len(heard.statuses)
            server.events.set_communication(ENTRANCE, online=False)
            await asyncio.sleep(0.5)
            assert len(heard.statuses) == told
            assert all(c.status is CameraStatus.ONLINE for c in session.tree.all_cameras())

    asyncio.run(scenario())
