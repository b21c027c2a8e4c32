"""A TCP proxy on 127.0.0.1 that can freeze: the connection stays up, no bytes flow.

That is how a hung camera or a dead link behind a NAT looks to a client, and the one
failure a closed socket does not reveal. Given a TLS context it also terminates TLS,
which turns the demo's RTSP server into an RTSPS one.
"""

from __future__ import annotations

import asyncio
import ssl
import threading


class FreezingProxy:
    def __init__(self, target_port: int, tls: ssl.SSLContext | None = None) -> None:
        self.target_port = target_port
        self.tls = tls
        self.port = 0
        self.frozen = threading.Event()
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FreezingProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        """Every connection ended and every socket closed, so nothing is left to warn.

        The loop is the proxy's own, so every other task on it is a relay or asyncio's
        own work on a connection accepted a moment ago (a reconnecting player can arrive
        just as the proxy closes), which may start a relay only on its next step. So the
        tasks are swept until a turn of the loop leaves none: each is let start first,
        because one cancelled before its first step would never reach the ``finally``
        that closes its sockets.
        """
        self._server.close()
        quiet_turns = 0
        while quiet_turns < 3:
            await asyncio.sleep(0.01)
            others = asyncio.all_tasks() - {asyncio.current_task()}
            if not others:
                quiet_turns += 1
                continue
            quiet_turns = 0
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, client_reader, client_writer) -> None:
        self.connections += 1
        writers = [client_writer]
        try:
            server_reader, server_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
            writers.append(server_writer)
            await asyncio.gather(
                self._pump(client_reader, server_writer),
                self._pump(server_reader, client_writer),
                return_exceptions=True,
            )
        except OSError:
            pass
        finally:
            # Aborted, not closed and waited for: a TLS stream whose peer vanished never
            # resolves its close waiter, and the task waiting on it was collected while
            # pending (Python 3.11, a loaded machine).
            for writer in writers:
                writer.transport.abort()

    async def _pump(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                # Set from the test thread, so a threading.Event polled here, not an asyncio one.
                while self.frozen.is_set():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
