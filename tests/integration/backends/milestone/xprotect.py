"""Running the simulated XProtect gateway and a backend against it, one event loop per test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine

from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.models import Site
from viewer.demo.milestone.gateway import MilestoneSimulator

USER, PASSWORD = "operator", "s3cret-Passw0rd"
SITE = Site("xp", "Head office", "milestone")


def simulator(**options: object) -> MilestoneSimulator:
    return MilestoneSimulator(user=USER, password=PASSWORD, **options)


def pin(server: MilestoneSimulator) -> PinnedCertificate:
    return PinnedCertificate.from_pem(server.certificate.pem.decode("ascii"))


@contextlib.asynccontextmanager
async def serving(server: MilestoneSimulator) -> AsyncIterator[MilestoneSimulator]:
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def connected(
    server: MilestoneSimulator, password: str = PASSWORD, **options: object
) -> AsyncIterator[MilestoneBackend]:
    options.setdefault("certificate", pin(server))
    backend = MilestoneBackend(SITE, server.url, USER, password, **options)
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


async def until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """Wait for what the server saw; the limit only stops a broken test from hanging."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the simulator's counters are plain data
            await asyncio.sleep(0.05)


def run(scenario: Callable[[], Coroutine[object, object, None]]) -> None:
    asyncio.run(scenario())
