"""A REST gateway's event WebSocket (``ws://host/api/ws/events``), held from ``open()`` to
``close()``.

The token goes in the query (``?token=…``, seed 000) when the backend logs in by token,
the Basic header on the upgrade otherwise (the seed's Node example). After the upgrade
the feed subscribes to everything (empty ``cameraIds`` and ``eventTypes``: what an
empty list means is not documented, a guess) and every push goes to the ``events()``
iterators; ``camera.offline``/``camera.online`` also become camera status. A dropped
socket reconnects after 0.5 s, doubling to 8 s; the gateway keeps no session, so
what happened while it was down is not replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import connect

from viewer.backends.gateway import parse
from viewer.core.errors import AuthenticationError, UnreachableError, VigilError
from viewer.core.models import CameraStatus, Event
from viewer.core.redact import mask_url

log = logging.getLogger(__name__)

SOCKET_PATH = "/api/ws/events"
SUBSCRIBE = {"action": "subscribe", "cameraIds": [], "eventTypes": []}
RETRY_FIRST, RETRY_MOST = 0.5, 8.0
QUEUE_SIZE = 1000

Credentials = Callable[[], Awaitable[tuple[Mapping[str, str], Mapping[str, str]]]]
"""(query parameters, headers) that authorise the next upgrade."""
StatusListener = Callable[[str, CameraStatus], None]


class EventFeed:
    def __init__(self, url: str, site_id: str, credentials: Credentials, timeout: float) -> None:
        scheme = "wss" if url.startswith("https") else "ws"
        self._url = f"{scheme}://{url.split('://', 1)[1].rstrip('/')}{SOCKET_PATH}"
        self._site_id, self._credentials, self._timeout = site_id, credentials, timeout
        self.statuses: dict[str, CameraStatus] = {}
        self.connected = asyncio.Event()
        self.error: VigilError | None = None
        """Why the socket is down, while it is."""
        self._queues: set[asyncio.Queue[Event]] = set()
        self._listeners: list[StatusListener] = []
        self._serial = 0

    def listen(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        return self._drain(queue)

    async def _drain(self, queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    def on_status(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    async def run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                await self._connection()
                delay = RETRY_FIRST
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                self.error = _socket_error(error, self._url)
            except VigilError as error:
                self.error = error
            self.connected.clear()
            if self.error is not None:
                log.info("events socket of %s: %s", mask_url(self._url), self.error)
            await asyncio.sleep(delay)
            delay = min(RETRY_MOST, delay * 2)

    async def _connection(self) -> None:
        query, headers = await self._credentials()
        url = self._url
        if query:
            url += "?" + urlencode(query)
        async with connect(
            url,
            additional_headers=dict(headers),
            proxy=None,
            compression=None,
            open_timeout=self._timeout,
        ) as socket:
            await socket.send(json.dumps(SUBSCRIBE))
            self.error = None
            self.connected.set()
            async for text in socket:
                self._dispatch(text)

    def _dispatch(self, text: str | bytes) -> None:
        self._serial += 1
        try:
            event = parse.pushed(text, self._site_id, self._serial)
        except VigilError as error:
            log.info("events socket of %s: a push ignored: %s", mask_url(self._url), error)
            return
        if event is None:
            return
        change = parse.status_change(event)
        if change is not None and self.statuses.get(change[0]) is not change[1]:
            self.statuses[change[0]] = change[1]
            for listener in list(self._listeners):
                listener(*change)
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)


def _socket_error(error: BaseException, url: str) -> VigilError:
    if isinstance(error, websockets.InvalidStatus) and error.response.status_code in (401, 403):
        return AuthenticationError(
            f"{mask_url(url)} refused the events socket (HTTP {error.response.status_code})"
        )
    return UnreachableError(f"the events socket of {mask_url(url)} is down: {type(error).__name__}")
