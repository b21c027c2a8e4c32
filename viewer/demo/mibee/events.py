"""The server-sent events of ``GET /api/events``: one queue per listener, pings between.

Topic names are undocumented; the simulator sends a camera's new status as
``camera.status`` with ``{"camera_id","status"}``, in the ``Topic``/``Data`` keys the
server's code writes (or lowercase ones, as some builds do, with ``lowercase``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

_END = None


class EventHub:
    def __init__(self, ping_interval: float = 15.0, lowercase: bool = False) -> None:
        self.ping_interval = ping_interval
        self.lowercase = lowercase
        self._listeners: set[asyncio.Queue[bytes | None]] = set()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def publish(self, topic: str, data: Any) -> None:
        keys = ("topic", "data") if self.lowercase else ("Topic", "Data")
        payload = json.dumps(dict(zip(keys, (topic, data), strict=True)))
        message = f"event: {topic}\ndata: {payload}\n\n".encode()
        for queue in self._listeners:
            queue.put_nowait(message)

    def drop_all(self) -> None:
        """Ends every stream, as a server restart does."""
        for queue in self._listeners:
            queue.put_nowait(_END)

    async def stream(self, prefix: str) -> AsyncGenerator[bytes, None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            yield b": connected\n\n"
            while True:
                try:
                    async with asyncio.timeout(self.ping_interval):
                        message = await queue.get()
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if message is _END:
                    return
                if message.startswith(f"event: {prefix}".encode()):
                    yield message
        finally:
            self._listeners.discard(queue)
