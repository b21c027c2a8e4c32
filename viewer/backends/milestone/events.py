"""XProtect's events: Events REST queries and triggers, user-defined events, and the
Events and State WebSocket that keeps camera status current.

The socket (``wss://host/api/ws/events/v1``) starts a session, subscribes, and asks for
the state of every camera once; after that the server pushes. A socket drops (networks
do, and the server closes every one after 27 h), so the feed reconnects at once and
resumes its session with the id of the last event it saw: within ~30 s the server
answers 200 and replays what was missed, later it answers 201 with a new session, and
the feed subscribes and asks for the state again. Nothing is lost either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import certifi
import websockets
from websockets.asyncio.client import ClientConnection, connect

from viewer.backends.milestone.parse import events as event_parse
from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import CameraStatus, Event, TimeSpan
from viewer.core.redact import mask_url

if TYPE_CHECKING:
    from viewer.backends.milestone.backend import MilestoneBackend

log = logging.getLogger(__name__)

SOCKET_PATH = "/api/ws/events/v1"
EVENTS_PATH = "/api/rest/v1/events"
UDE_PATH = "/api/rest/v1/userDefinedEvents"
SUBSCRIPTION = [
    {"modifier": "include", "resourceTypes": ["cameras"], "sourceIds": ["*"], "eventTypes": ["*"]},
    {
        "modifier": "include",
        "resourceTypes": ["userDefinedEvents"],
        "sourceIds": ["*"],
        "eventTypes": ["*"],
    },
]
RETRY_FIRST, RETRY_MOST = 0.5, 8.0
"""Reconnection delays, doubling: well inside the ~30 s a session waits for us."""
QUEUE_SIZE = 1000
MAX_PAGES = 10_000

Token = Callable[[], Awaitable[str]]
StatusListener = Callable[[str, CameraStatus], None]


class EventFeed:
    """One site's Events and State socket, run as a task the backend owns."""

    def __init__(
        self,
        url: str,
        site_id: str,
        token: Token,
        *,
        tls: ssl.SSLContext | None,
        token_in_band: bool = False,
        timeout: float = 15.0,
    ) -> None:
        """``token`` gives the current access token (the backend renews it);
        ``token_in_band`` sends it with the ``authenticate`` command (2024 R1+) instead
        of the upgrade's Authorization header."""
        scheme = "wss" if url.startswith("https") else "ws"
        self._url = f"{scheme}://{url.split('://', 1)[1].rstrip('/')}{SOCKET_PATH}"
        self._site_id, self._token, self._tls = site_id, token, tls
        self._in_band, self._timeout = token_in_band, timeout
        self.statuses: dict[str, CameraStatus] = {}
        self.sessions = 0
        """How many sessions the server had to start afresh (the first one included)."""
        self.connected = asyncio.Event()
        self.error: VigilError | None = None
        """Why the socket is down, while it is."""
        self._session_id, self._last_id = "", ""
        self._queues: set[asyncio.Queue[Event]] = set()
        self._status_listeners: list[StatusListener] = []
        self._command_id = 0
        self._socket: ClientConnection | None = None

    def listen(self) -> AsyncIterator[Event]:
        """Every event pushed from now on, in order, for as long as the caller iterates."""
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
        self._status_listeners.append(listener)

    async def run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                await self._connection()
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                self.error = _socket_error(error, self._url)
            except VigilError as error:
                self.error = error
            self.connected.clear()
            if self.error is not None:
                log.info("events socket of %s: %s", mask_url(self._url), self.error)
            await asyncio.sleep(delay)
            delay = min(RETRY_MOST, delay * 2)
            if self.error is None:
                delay = RETRY_FIRST

    async def _connection(self) -> None:
        token = await self._token()
        headers = None if self._in_band else {"Authorization": f"Bearer {token}"}
        async with connect(
            self._url,
            ssl=self._tls,
            additional_headers=headers,
            proxy=None,  # never through a proxy the environment names
            compression=None,
            open_timeout=self._timeout,
        ) as socket:
            self._socket = socket
            if self._in_band:
                await self._command(socket, {"command": "authenticate", "token": f"Bearer {token}"})
            started = await self._command(
                socket,
                {
                    "command": "startSession",
                    "sessionId": self._session_id,
                    "eventId": self._last_id,
                },
            )
            session_id = started.body.get("sessionId")
            if not isinstance(session_id, str) or not session_id:
                raise MalformedResponseError("expected a session id", "sessionId")
            if started.status == 201:
                self.sessions += 1
                await self._command(socket, {"command": "addSubscription", "filters": SUBSCRIPTION})
                self._session_id = session_id
                for camera_id, status in event_parse.states(
                    await self._command(socket, {"command": "getState"})
                ).items():
                    self._set_status(camera_id, status)
            self.error = None
            self.connected.set()
            async for text in socket:
                self._dispatch(event_parse.message(text))

    async def _command(
        self, socket: ClientConnection, command: dict[str, Any]
    ) -> event_parse.Reply:
        """Send one command and wait for its reply, passing on events that come first."""
        self._command_id += 1
        command_id = self._command_id
        await socket.send(json.dumps({**command, "commandId": command_id}))
        async with asyncio.timeout(self._timeout):
            while True:
                found = event_parse.message(await socket.recv())
                if isinstance(found, event_parse.Reply) and found.command_id == command_id:
                    break
                self._dispatch(found)
        if found.status == 401:
            raise AuthenticationError(f"the events socket refused the token: {found.error}")
        if not 200 <= found.status < 300:
            raise MalformedResponseError(
                f"{command['command']} failed ({found.status}): {found.error}", command["command"]
            )
        return found

    def _dispatch(self, found: event_parse.Reply | list[dict[str, Any]]) -> None:
        if isinstance(found, event_parse.Reply):
            return
        for index, item in enumerate(found):
            happened = event_parse.event(item, self._site_id, f"events[{index}]")
            self._last_id = happened.id
            change = event_parse.status(item)
            if change is not None:
                self._set_status(*change)
            for queue in list(self._queues):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(happened)

    def _set_status(self, camera_id: str, status: CameraStatus) -> None:
        if self.statuses.get(camera_id) is status:
            return
        self.statuses[camera_id] = status
        for listener in list(self._status_listeners):
            listener(camera_id, status)

    async def drop(self) -> None:
        """Close the socket (the run loop reconnects): for tests and token changes."""
        if self._socket is not None:
            await self._socket.close()


class Events:
    """A backend's events: the socket's task and the REST calls, on the backend's own
    session (its token, its TLS trust, its typed errors)."""

    def __init__(self, backend: MilestoneBackend) -> None:
        self._backend = backend
        self.feed: EventFeed | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, *, token_in_band: bool = False) -> EventFeed:
        backend = self._backend
        if backend._certificate is not None:
            tls = backend._certificate.ssl_context()
        else:
            tls = ssl.create_default_context(cafile=certifi.where())
        self.feed = EventFeed(
            backend._url,
            backend.site.id,
            self._access_token,
            tls=tls if backend._url.startswith("https") else None,
            token_in_band=token_in_band,
            timeout=backend._timeout,
        )
        self._task = asyncio.create_task(self.feed.run(), name="milestone events")
        return self.feed

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def live(self) -> EventFeed:
        if self.feed is None:
            raise UnreachableError(f"{self._backend.site.name} is not connected")
        return self.feed

    async def _access_token(self) -> str:
        backend = self._backend
        if backend._token is None:
            await backend._login(use_refresh=False)
        assert backend._token is not None
        return backend._token.access_token

    async def between(self, camera_id: str | None, span: TimeSpan) -> tuple[Event, ...]:
        """Every stored event of the span (of one camera, or all), oldest first, page by
        page; a short page is the last."""
        found: list[Event] = []
        size = self._backend._page_size
        for page in range(MAX_PAGES):
            body = await self._backend._request(
                "GET", EVENTS_PATH, query(camera_id, span, page, size)
            )
            chunk, count = event_parse.events(body, self._backend.site.id)
            found += chunk
            if count < size:
                return tuple(found)
        raise MalformedResponseError(f"more than {MAX_PAGES} pages of events", "array")

    async def trigger(self, type_id: str, camera_id: str | None = None) -> Event | None:
        body = await self._backend._request(
            "POST", EVENTS_PATH, body=trigger_body(type_id, camera_id)
        )
        return event_parse.triggered(body, self._backend.site.id)

    async def user_defined(self) -> tuple[event_parse.UserDefinedEvent, ...]:
        return event_parse.user_defined_events(await self._backend._request("GET", UDE_PATH))

    async def create(self, name: str) -> event_parse.UserDefinedEvent:
        body = await self._backend._request("POST", UDE_PATH, body={"name": name})
        return event_parse.user_defined_event(body)

    async def rename(self, event_id: str, name: str) -> event_parse.UserDefinedEvent:
        body = await self._backend._request("PATCH", f"{UDE_PATH}/{event_id}", body={"name": name})
        return event_parse.user_defined_event(body)

    async def delete(self, event_id: str) -> None:
        await self._backend._request("DELETE", f"{UDE_PATH}/{event_id}")


def _socket_error(error: BaseException, url: str) -> VigilError:
    if isinstance(error, websockets.InvalidStatus) and error.response.status_code in (401, 403):
        return AuthenticationError(
            f"{mask_url(url)} refused the events socket (HTTP {error.response.status_code})"
        )
    return UnreachableError(f"the events socket of {mask_url(url)} is down: {type(error).__name__}")


def query(camera_id: str | None, span: TimeSpan, page: int, size: int) -> dict[str, str | int]:
    """Events REST's filters for a span (and a camera), oldest first."""
    params: dict[str, str | int] = {
        "time": f"gt:'{_stamp(span.start)}',lt:'{_stamp(span.end)}'",
        "orderBy": "asc:'time'",
        "page": page,
        "size": size,
    }
    if camera_id is not None:
        params["source.id"] = f"equals:'cameras/{camera_id.replace(chr(39), chr(39) * 2)}'"
    return params


def trigger_body(type_id: str, camera_id: str | None) -> dict[str, Any]:
    """``type`` alone for a user-defined event (as the official sample sends), with the
    camera as ``source`` otherwise."""
    body: dict[str, Any] = {"type": type_id}
    if camera_id is not None:
        body["source"] = f"cameras/{camera_id}"
    return body


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
