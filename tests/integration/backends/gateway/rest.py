"""Running the simulated REST gateway and a backend against it, one event loop per test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine

from viewer.backends.gateway.backend import GatewayBackend
from viewer.core.models import Site
from viewer.demo.gateway.server import GatewaySimulator, camera_guid

USER, PASSWORD = "operator", "g4teway-Passw0rd"
SITE = Site("gw", "Depot gateway", "gateway")
CAM01, CAM07, CAM08 = camera_guid("cam01"), camera_guid("cam07"), camera_guid("cam08")
CAM03 = camera_guid("cam03")


def simulator(**options: object) -> GatewaySimulator:
    return GatewaySimulator(user=USER, password=PASSWORD, **options)


@contextlib.asynccontextmanager
async def serving(server: GatewaySimulator) -> AsyncIterator[GatewaySimulator]:
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def connected(
    server: GatewaySimulator, password: str = PASSWORD, **options: object
) -> AsyncIterator[GatewayBackend]:
    backend = GatewayBackend(SITE, server.url, USER, password, **options)
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


async def until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """Wait for what the server saw; the limit only stops a broken test from hanging."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the simulator's counters are plain data
            await asyncio.sleep(0.02)


def run(scenario: Callable[[], Coroutine[object, object, None]]) -> None:
    asyncio.run(scenario())


def requests(server: GatewaySimulator, fragment: str) -> list[str]:
    return [line for line in server.counters.requests if fragment in line]
