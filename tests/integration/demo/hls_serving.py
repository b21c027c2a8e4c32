"""The demo HLS service on an HttpServer in a thread of its own, as a simulator mounts it.

Routes: ``/live/<camera>/<quality>/<name>`` and ``/recorded/<camera>/<name>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from viewer.demo.footage import FootageLibrary
from viewer.demo.hls import HlsService
from viewer.demo.http import HttpServer, Request, Response


@dataclass
class Served:
    base: str
    service: HlsService

    def live(self, camera: str = "cam01", quality: str = "sub") -> str:
        return f"{self.base}/live/{camera}/{quality}/index.m3u8"

    def recorded(self, camera: str, query: str) -> str:
        return f"{self.base}/recorded/{camera}/playlist.m3u8?{query}"


@contextlib.contextmanager
def hls_server(library: FootageLibrary, **options: Any) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hls server", daemon=True)
    thread.start()
    service = HlsService(library, **options)

    async def handler(request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        answer = None
        if parts[0] == "live" and len(parts) == 4:
            answer = await service.live(parts[1], parts[2], parts[3], request.query)
        elif parts[0] == "recorded" and len(parts) == 3:
            answer = await service.recorded(parts[1], parts[2], request.query)
        return answer or Response(404)

    def run(coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, loop).result(30)

    server = HttpServer(handler)
    try:
        run(server.start())
        yield Served(f"http://127.0.0.1:{server.port}", service)
    finally:
        run(server.stop())
        run(service.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
