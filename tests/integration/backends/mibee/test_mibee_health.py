"""The NVR's health as the site node shows it: ``/api/health`` in the server's words,
``/api/readyz`` making a server that is not ready degraded, a 503 down."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.backends.mibee.nvr import connected, sent, serving
from viewer.core.errors import UnreachableError
from viewer.core.models import HealthState, SiteHealth


def test_a_healthy_server_is_ok_with_its_uptime_and_asked_without_login():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            assert await backend.health() == SiteHealth(HealthState.OK, "ok", ("up 2h34m15s",))
            ((status, headers),) = sent(server, "/api/health")
            assert status == 200 and "authorization" not in headers

    asyncio.run(scenario())


def test_a_filling_disk_is_degraded_in_the_servers_words():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            server.health = "degraded"
            health = await backend.health()
            assert health.state is HealthState.DEGRADED
            assert health.summary == "degraded"
            assert health.details[0] == "storage: recording disk 93 % full"

    asyncio.run(scenario())


def test_a_server_that_is_not_ready_is_degraded():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            server.ready = False
            health = await backend.health()
            assert health.state is HealthState.DEGRADED
            assert "readiness: not ready" in health.details

    asyncio.run(scenario())


def test_a_503_is_down_with_the_failing_check():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            server.health = "down"
            health = await backend.health()
            assert health.state is HealthState.DOWN
            assert "database: database is not reachable" in health.details

    asyncio.run(scenario())


def test_a_server_gone_raises_unreachable():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            await server.stop()
            with pytest.raises(UnreachableError):
                await backend.health()

    asyncio.run(scenario())
