"""Running the simulated MiBee NVR and a backend against it, one event loop per test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from viewer.backends.mibee.backend import MibeeBackend
from viewer.core.models import Site
from viewer.demo.mibee.server import MibeeSimulator

USER, PASSWORD = "admin", "n0t-the-default"
SITE = Site("nvr", "Warehouse NVR", "mibee")


@contextlib.asynccontextmanager
async def serving(**options: object) -> AsyncIterator[MibeeSimulator]:
    server = MibeeSimulator(user=USER, password=PASSWORD, **options)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def connected(
    server: MibeeSimulator, password: str = PASSWORD, **options: object
) -> AsyncIterator[MibeeBackend]:
    backend = MibeeBackend(SITE, server.url, USER, password, **options)
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


def sent(server: MibeeSimulator, path: str) -> list[tuple[int, dict[str, str]]]:
    """Status and headers of every request the server took for ``path``."""
    return [(status, headers) for _, p, status, headers in server.requests if p == path]


async def until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """The limit only stops a broken test from hanging."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - plain data the server or backend fills
            await asyncio.sleep(0.05)
