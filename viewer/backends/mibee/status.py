"""Camera status kept current: the server's event stream, or polling where it has none.

``GET /api/events`` is server-sent events (``event:``/``data:`` lines, ``: ping``
comments). A server without it (404), or a stream that fails, is followed by polling
``GET /api/cameras`` with ``If-None-Match`` every ``poll_every`` seconds; a 304 costs
the server nothing. After a failure the stream is tried again on the next round, so a
restarted server goes back to events. Only changes reach the listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

import anyio
import httpx

from viewer.backends.mibee import parse
from viewer.core.errors import MalformedResponseError, VigilError
from viewer.core.models import CameraStatus

_log = logging.getLogger(__name__)

Listener = Callable[[str, CameraStatus], None]
Poll = Callable[[], Awaitable[dict[str, CameraStatus] | None]]
"""The cameras' statuses now, or None when they did not change (304)."""
MAX_LINE = 1 << 20


class StatusFeed:
    def __init__(
        self,
        stream_client: Callable[[], httpx.AsyncClient],
        poll: Poll,
        *,
        poll_every: float = 10.0,
    ) -> None:
        """``stream_client`` makes a client of the stream's own for each connection: the
        stream holds its connection for hours, and one it leaves broken (cancelled in
        the middle of a request) must not be handed to the site's other requests."""
        self._stream_client, self._poll = stream_client, poll
        self.poll_every = poll_every
        self._listeners: list[Listener] = []
        self._known: dict[str, CameraStatus] = {}
        self._task: asyncio.Task[None] | None = None
        self._scope: anyio.CancelScope | None = None
        self.via_events = False
        """Whether the stream is what keeps the statuses current right now."""

    def on_status(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="mibee status")

    async def stop(self) -> None:
        """The follower is ended through its anyio cancel scope, not ``Task.cancel()``:
        httpcore shields its clean-up (closing the pool's dead connections) with anyio,
        and a plain task cancellation goes through that shield, leaving the connections
        it had taken out of the pool unclosed (a server gone just before the site
        closes, docs/pitfalls.md)."""
        if self._task is not None:
            if self._scope is not None:
                self._scope.cancel()
            else:
                self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception as error:
                # Cancelled in the middle of a connect, httpx's anyio backend can fail in
                # its own clean-up (seen under qasync); the follower is gone either way.
                _log.debug("MiBee status follower ended with %s", type(error).__name__)
            self._task = None
            self._scope = None
        self.via_events = False

    def _tell(self, camera_id: str, status: CameraStatus) -> None:
        if self._known.get(camera_id) == status:
            return
        self._known[camera_id] = status
        for listener in list(self._listeners):
            listener(camera_id, status)

    async def _run(self) -> None:
        with anyio.CancelScope() as self._scope:
            await self._follow()

    async def _follow(self) -> None:
        while True:
            try:
                await self._follow_events()
            except (VigilError, httpx.HTTPError) as error:
                _log.info("MiBee event stream unavailable (%s); polling", type(error).__name__)
            self.via_events = False
            with contextlib.suppress(VigilError):
                changed = await self._poll()
                if changed is not None:
                    for camera_id, status in changed.items():
                        self._tell(camera_id, status)
            await asyncio.sleep(self.poll_every)

    async def _follow_events(self) -> None:
        timeout = httpx.Timeout(10.0, read=None)
        async with (
            self._stream_client() as client,
            client.stream("GET", "/api/events", timeout=timeout) as response,
        ):
            if response.status_code != 200:
                await response.aread()
                raise parse.error(response.status_code, response.content)
            self.via_events = True
            # Anything missed while there was no stream: one poll to catch up.
            with contextlib.suppress(VigilError):
                changed = await self._poll()
                for camera_id, status in (changed or {}).items():
                    self._tell(camera_id, status)
            async with contextlib.aclosing(_messages(response.aiter_lines())) as messages:
                async for data in messages:
                    self._event(data)

    def _event(self, data: str) -> None:
        try:
            _, payload = parse.event(data)
        except MalformedResponseError as error:
            _log.info("MiBee event ignored: %s", error)
            return
        change = parse.status_change(payload)
        if change is not None:
            self._tell(change.camera_id, change.status)


async def _messages(lines: AsyncIterator[str]) -> AsyncGenerator[str, None]:
    """Each event's data (its ``data:`` lines joined), comments and pings skipped."""
    data: list[str] = []
    async for line in lines:
        if len(line) > MAX_LINE:
            data = []
            continue
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
