"""The simulated gateway's event WebSocket (``/api/ws/events``), wsproto over the HTTP
server's streams.

A client subscribes with ``{"action":"subscribe","cameraIds","eventTypes"}`` (seed 000);
an empty or missing list means every camera or type. Seed 000 shows no reply to the
subscription: the ``{"action":"subscribed",…}`` echo is a guess that a client must be
able to ignore. Event types match whole (``camera.motion``) or by their last part
(``motion``), as the seed's own example subscribes with ``motion`` and is pushed
``camera.motion``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection, Message, Ping, TextMessage
from wsproto.utilities import generate_accept_token

from viewer.demo.http import Request, Response


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    ws: Connection = field(default_factory=lambda: Connection(ConnectionType.SERVER))
    cameras: frozenset[str] | None = None
    types: frozenset[str] | None = None
    subscribed: bool = False

    def wants(self, document: dict[str, Any]) -> bool:
        if not self.subscribed:
            return False
        if self.cameras and document.get("cameraId") not in self.cameras:
            return False
        kind = str(document.get("type", ""))
        return not self.types or kind in self.types or kind.rpartition(".")[2] in self.types

    def send(self, document: dict[str, Any]) -> None:
        if not self.writer.is_closing():
            self.writer.write(self.ws.send(TextMessage(data=json.dumps(document))))


class EventSocket:
    def __init__(self) -> None:
        self._clients: set[_Client] = set()

    @property
    def subscribers(self) -> int:
        return sum(1 for client in self._clients if client.subscribed)

    def push(self, document: dict[str, Any]) -> None:
        for client in list(self._clients):
            if client.wants(document):
                client.send(document)

    def drop(self) -> None:
        """Cut every socket without a close frame, as a network failure does."""
        for client in list(self._clients):
            client.writer.transport.abort()

    def upgrade(self, request: Request) -> Response | None:
        """The 101 that hands the connection over; None for a request that is no
        WebSocket upgrade (the server refuses it in its envelope)."""
        key = request.headers.get("sec-websocket-key", "")
        if request.headers.get("upgrade", "").lower() != "websocket" or not key:
            return None
        return Response(
            101,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Accept": generate_accept_token(key.encode("ascii")).decode("ascii"),
            },
            tunnel=self._serve,
        )

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pending: bytes
    ) -> None:
        client = _Client(writer)
        self._clients.add(client)
        data = pending
        parts: list[str] = []
        try:
            while True:
                if data:
                    client.ws.receive_data(data)
                for event in client.ws.events():
                    if isinstance(event, Ping):
                        writer.write(client.ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        writer.write(client.ws.send(event.response()))
                        await writer.drain()
                        return
                    elif isinstance(event, Message):
                        parts.append(event.data if isinstance(event.data, str) else "")
                        if event.message_finished:
                            self._command(client, "".join(parts))
                            parts.clear()
                await writer.drain()
                data = await reader.read(65536)
                if not data:
                    return
        finally:
            self._clients.discard(client)

    def _command(self, client: _Client, text: str) -> None:
        try:
            command = json.loads(text)
        except (ValueError, RecursionError):
            command = None
        if not isinstance(command, dict) or command.get("action") != "subscribe":
            client.send(
                {
                    "error": {
                        "code": "INVALID_REQUEST",
                        "message": "Unknown action",
                        "statusCode": 400,
                    }
                }
            )
            return
        cameras, types = command.get("cameraIds"), command.get("eventTypes")
        client.cameras = frozenset(str(c) for c in cameras) if isinstance(cameras, list) else None
        client.types = frozenset(str(t) for t in types) if isinstance(types, list) else None
        client.subscribed = True
        client.send({"action": "subscribed", "cameraIds": sorted(client.cameras or ())})
