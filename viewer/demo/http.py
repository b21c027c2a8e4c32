"""A small HTTP/1.1 server on asyncio streams and h11, enough for a VMS's REST gateway.

h11 does the framing (keep-alive, chunked bodies, malformed requests), so this module
only moves bytes and hands each complete request to one coroutine. Requests are served
one after another per connection, as HTTP/1.1 without pipelining expects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import h11

_log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
READ_SIZE = 65536


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


Tunnel = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]
"""Takes over a connection after ``101 Switching Protocols`` (a WebSocket); the bytes are
what the client sent after its upgrade request."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    tunnel: Tunnel | None = None
    """With status 101: who speaks on the connection from then on."""
    stream: Callable[[], AsyncGenerator[bytes, None]] | None = None
    """A body of unknown length sent as it comes, chunked (server-sent events), in
    place of ``body``; the connection closes when it ends."""


Handler = Callable[[Request], Awaitable[Response]]


class HttpServer:
    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        server_name: str = "Microsoft-IIS/10.0",
    ) -> None:
        self._handler = handler
        self._host, self._port, self._tls = host, port, tls
        self._server_name = server_name.encode("ascii")
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, ssl=self._tls
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Aborted, not cancelled: a cancelled handler makes asyncio log an error, and a
        # TLS close waits 30 s for a keep-alive client that is not reading (pitfalls.md).
        for writer in list(self._connections.values()):
            writer.transport.abort()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._serve(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass
        finally:
            del self._connections[task]
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_BODY)
        while True:
            request = await self._read_request(connection, reader)
            if request is None:
                return
            try:
                response = await self._handler(request)
            except Exception as error:
                _log.warning("%s %s failed: %s", request.method, request.path, type(error).__name__)
                response = Response(500, b"")
            if response.status == 101 and response.tunnel is not None:
                await self._switch(connection, writer, response)
                await response.tunnel(reader, writer, connection.trailing_data[0])
                return
            headers: list[tuple[bytes, bytes]] = [
                (b"Server", self._server_name),
                (b"Content-Type", response.content_type.encode("ascii")),
            ]
            if response.stream is None:
                headers.append((b"Content-Length", str(len(response.body)).encode("ascii")))
            headers += [
                (k.encode("ascii"), v.encode("latin-1")) for k, v in response.headers.items()
            ]
            if response.stream is not None:
                await self._stream(connection, writer, headers, response)
                return
            data = connection.send(h11.Response(status_code=response.status, headers=headers))
            # A HEAD answer's headers say what GET would send; its body is never sent.
            body = b"" if request.method == "HEAD" else response.body
            data = (data or b"") + (connection.send(h11.Data(data=body)) or b"")
            writer.write(data + (connection.send(h11.EndOfMessage()) or b""))
            await writer.drain()
            if connection.our_state is h11.MUST_CLOSE or connection.their_state is h11.MUST_CLOSE:
                return
            connection.start_next_cycle()

    async def _stream(
        self,
        connection: h11.Connection,
        writer: asyncio.StreamWriter,
        headers: list[tuple[bytes, bytes]],
        response: Response,
    ) -> None:
        assert response.stream is not None
        writer.write(connection.send(h11.Response(status_code=response.status, headers=headers)))
        async with contextlib.aclosing(response.stream()) as chunks:
            async for chunk in chunks:
                writer.write(connection.send(h11.Data(data=chunk)) or b"")
                await writer.drain()
        writer.write(connection.send(h11.EndOfMessage()) or b"")
        await writer.drain()

    async def _switch(
        self, connection: h11.Connection, writer: asyncio.StreamWriter, response: Response
    ) -> None:
        headers = [(b"Server", self._server_name)] + [
            (k.encode("ascii"), v.encode("latin-1")) for k, v in response.headers.items()
        ]
        writer.write(connection.send(h11.InformationalResponse(status_code=101, headers=headers)))
        await writer.drain()

    async def _read_request(
        self, connection: h11.Connection, reader: asyncio.StreamReader
    ) -> Request | None:
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(READ_SIZE))
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    return None
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                target = urlsplit(head.target.decode("ascii", "replace"))
                return Request(
                    method=head.method.decode("ascii", "replace").upper(),
                    path=target.path,
                    query=dict(parse_qsl(target.query, keep_blank_values=True)),
                    headers={
                        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in head.headers
                    },
                    body=bytes(body),
                )
            else:
                return None
