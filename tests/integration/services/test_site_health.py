"""A site's health is asked at once when it opens and again every interval while it is
open; the directory tells its listeners of a change, and a failed check is the site
being down, never an error that ends the session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.integration.backends.mibee.nvr import PASSWORD, SITE, USER, serving, until
from viewer.backends.mibee.backend import MibeeBackend
from viewer.backends.rtsp.backend import RtspBackend
from viewer.core.models import CameraStatus, HealthState, Site, SiteHealth
from viewer.demo.mibee.server import MibeeSimulator
from viewer.services.directory import Directory, SiteSession, SiteStatus


@asynccontextmanager
async def site(
    server: MibeeSimulator, every: float = 0.1
) -> AsyncIterator[tuple[SiteSession, list[str]]]:
    directory = Directory()
    told: list[str] = []
    directory.subscribe_statuses(told.append)
    session = SiteSession(MibeeBackend(SITE, server.url, USER, PASSWORD), health_every=every)
    await directory.add(session)
    try:
        yield session, told
    finally:
        await directory.close()


def state(session: SiteSession) -> HealthState | None:
    return session.health.state if session.health else None


def test_health_is_asked_at_once_and_followed_while_the_site_is_open():
    async def scenario():
        async with serving() as server, site(server, every=3600) as (session, told):
            await until(lambda: session.health is not None)
            assert session.health == SiteHealth(HealthState.OK, "ok", ("up 2h34m15s",))
            assert told == [SITE.id]
        async with serving() as server, site(server) as (session, told):
            await until(lambda: state(session) is HealthState.OK)
            server.health = "degraded"
            await until(lambda: state(session) is HealthState.DEGRADED)
            assert session.health.details[0] == "storage: recording disk 93 % full"
            asked = len([r for r in server.requests if r[1] == "/api/health"])
            await asyncio.sleep(0.5)
            assert told == [SITE.id, SITE.id], "an unchanged answer is not told again"
            assert len([r for r in server.requests if r[1] == "/api/health"]) > asked

    asyncio.run(scenario())


def test_a_server_that_stops_answering_is_down_and_the_session_goes_on():
    async def scenario():
        async with serving() as server, site(server) as (session, _):
            await until(lambda: state(session) is HealthState.OK)
            port = int(server.url.rsplit(":", 1)[1])
            await server.stop()
            await until(lambda: state(session) is HealthState.DOWN)
            assert "cannot reach" in session.health.summary
            assert session.status is SiteStatus.ONLINE
            assert session.tree.cameras[0].status is CameraStatus.ONLINE
            async with serving(port=port):
                await until(lambda: state(session) is HealthState.OK)

    asyncio.run(scenario())


class Broken(RtspBackend):
    """A backend whose health check has a bug: not a VigilError."""

    asked = 0

    async def health(self) -> SiteHealth:
        self.asked += 1
        raise KeyError("checks")


def test_a_health_check_that_crashes_is_down_and_is_asked_again():
    async def scenario():
        backend = Broken(Site("local", "Local", "rtsp"), [], lambda _: None)
        session = SiteSession(backend, health_every=0.05)
        await Directory().add(session)
        await until(lambda: backend.asked >= 2)
        assert session.health == SiteHealth(HealthState.DOWN, "the health check failed")
        await session.close()

    asyncio.run(scenario())


def test_a_site_without_health_is_asked_once():
    async def scenario():
        backend = RtspBackend(Site("local", "Local", "rtsp"), [], lambda _: None)
        session = SiteSession(backend, health_every=0.01)
        await Directory().add(session)
        await asyncio.sleep(0.2)
        assert session.health is None
        await session.close()

    asyncio.run(scenario())
