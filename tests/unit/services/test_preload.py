"""What start-up imports so that the first site's first request imports nothing more on
the GUI loop (imports there stalled a 10,000-camera site's load for up to 470 ms)."""

from __future__ import annotations

import subprocess
import sys

FIRST_REQUEST = """
import asyncio, sys
import httpx
from viewer.services.preload import preload

async def main():
    async def answer(reader, writer):
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    if "--preload" in sys.argv:
        preload()
    before = set(sys.modules)
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
    server.close()
    await server.wait_closed()
    print(" ".join(sorted(set(sys.modules) - before)))

asyncio.run(main())
"""


def imported_by_first_request(*options: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST, *options],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(done.stdout.split())


def network_stack(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in {"httpcore", "anyio", "h11"}}


def test_after_preload_the_first_request_imports_nothing_of_the_network_stack():
    assert network_stack(imported_by_first_request("--preload")) == set()


def test_without_it_the_first_request_would_import_httpcore_and_anyio():
    # The list in viewer/services/preload.py is what this set held when it was written.
    assert {"httpcore", "anyio._backends._asyncio"} <= imported_by_first_request()
