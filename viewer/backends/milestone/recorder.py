"""Recorded spans from the recording server, over SOAP.

The REST API has no recordings; a recorder's ``SequencesGet`` has them. It wants a SOAP
token, which ``Login`` on the management server's OAuth endpoint gives for the IDP's
Bearer token. That token lives about four hours; it is renewed (``currentToken``) 60 s
before it runs out, when next needed rather than by a timer, since a site whose timeline
nobody opens needs none. A fault saying the token is unknown (a restarted server) logs in
afresh once. The recorder's address comes from ``/recordingServers`` (``webServerUri``).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from viewer.backends.milestone import parse, soap
from viewer.backends.milestone.parse.events import MOTION_STARTED, MOTION_STOPPED, TYPE_NAMES
from viewer.core.errors import AuthenticationError, NotSupportedError, VigilError
from viewer.core.models import RecordingSegment, Timeline, TimeSpan
from viewer.core.redact import known_secrets

if TYPE_CHECKING:
    from viewer.backends.milestone.backend import MilestoneBackend

CONFIG = "/api/rest/v1"
LOGIN_PATH = "/ManagementServer/ServerCommandServiceOAuth.svc"
RECORDER_PATH = "RecorderCommandService/RecorderCommandService.asmx"
RENEW_BEFORE = 60.0
MAX_COUNT = 1000
MAX_PAGES = 100
MOTION = frozenset(TYPE_NAMES[kind] for kind in (MOTION_STARTED, MOTION_STOPPED))
"""The events a timeline marks. [doc] names no recording start/stop event type, so none."""


class Recorders:
    """One backend's SOAP token and recorder address."""

    def __init__(self, backend: MilestoneBackend) -> None:
        self._backend = backend
        self._instance = str(uuid.uuid4())
        self._token: soap.SoapToken | None = None
        self._expires_at = 0.0
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self._recorder: str | None = None

    def forget(self) -> None:
        if self._token is not None:
            known_secrets.discard(self._token.token)
            self._token = None

    async def timeline(self, camera_id: str, span: TimeSpan) -> Timeline:
        """The recorded spans, the motion the site stored (Events REST) and, where the
        release has them, the camera's bookmarks, asked together."""
        backend = self._backend
        try:
            async with asyncio.TaskGroup() as tasks:
                segments = tasks.create_task(self.segments(camera_id, span))
                events = tasks.create_task(backend.events_between(camera_id, span))
                if backend.capabilities.bookmarks:
                    marks = tasks.create_task(backend.bookmarks(camera_id, span))
        except BaseExceptionGroup as failures:
            raise _ours(failures) from None
        motion = tuple(event for event in events.result() if event.type in MOTION)
        found = marks.result() if backend.capabilities.bookmarks else ()
        return Timeline(span, segments.result(), motion, found)

    async def segments(self, camera_id: str, span: TimeSpan) -> tuple[RecordingSegment, ...]:
        """The camera's recordings overlapping ``span``, cut to it, in order.

        ``SequencesGet`` answers at most ``maxCount`` from ``minTime`` on; a full answer is
        followed by another from the end of its last span.
        """
        found: list[TimeSpan] = []
        start = span.start
        for _ in range(MAX_PAGES):
            page = await self._sequences(camera_id, TimeSpan(start, span.end))
            found += page
            if len(page) < MAX_COUNT or page[-1].end <= start:
                break
            start = page[-1].end
        cut = [
            TimeSpan(max(piece.start, span.start), min(piece.end, span.end))
            for piece in found
            if piece.end > span.start and piece.start < span.end
        ]
        unique = sorted(set(cut), key=lambda piece: (piece.start, piece.end))
        return tuple(RecordingSegment(piece) for piece in unique)

    async def _sequences(self, camera_id: str, span: TimeSpan) -> tuple[TimeSpan, ...]:
        recorder = await self._recorder_uri()
        for attempt in range(2):
            token = await self._current()
            envelope = soap.sequences_request(token, camera_id, span, MAX_COUNT)
            try:
                return soap.sequences(
                    await self._post(recorder + RECORDER_PATH, soap.SEQUENCES_ACTION, envelope)
                )
            except soap.TokenRefusedError:
                if attempt:
                    raise
                async with self._lock:
                    if self._token is not None and self._token.token == token:
                        self.forget()
        raise AssertionError("unreachable")

    async def _current(self) -> str:
        async with self._lock:
            loop = asyncio.get_running_loop()
            if self._token is None or loop.time() >= self._renew_at:
                await self._login()
            assert self._token is not None
            return self._token.token

    async def _login(self) -> None:
        loop = asyncio.get_running_loop()
        current = self._token.token if self._token and loop.time() < self._expires_at else None
        envelope = soap.login_request(self._instance, current)
        started = loop.time()
        token = soap.login(await self._post(LOGIN_PATH, soap.LOGIN_ACTION, envelope, bearer=True))
        self.forget()
        self._token = token
        known_secrets.add(token.token)
        lifetime = token.time_to_live
        lead = RENEW_BEFORE if lifetime > 2 * RENEW_BEFORE else lifetime / 2
        self._expires_at = started + lifetime
        self._renew_at = self._expires_at - lead

    async def _recorder_uri(self) -> str:
        if self._recorder is None:
            servers = parse.recording_servers(
                await self._backend._get(f"{CONFIG}/recordingServers")
            )
            if len(servers) != 1:
                raise NotSupportedError(
                    f"{self._backend.site.name} has {len(servers)} recording servers; "
                    "this viewer reads recordings from a site with one"
                )
            uri = servers[0].web_uri
            self._recorder = uri if uri.endswith("/") else uri + "/"
        return self._recorder

    async def _post(self, url: str, action: str, envelope: bytes, *, bearer: bool = False) -> bytes:
        """One SOAP call; the management server's wants the IDP's Bearer token, which a 401
        renews once."""
        backend = self._backend
        client = backend._session()
        for attempt in range(2):
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
            if bearer:
                if backend._token is None:
                    await backend._login(use_refresh=False)
                assert backend._token is not None
                headers["Authorization"] = f"Bearer {backend._token.access_token}"
            response = await backend._send(client.post(url, content=envelope, headers=headers))
            if response.status_code == 401 and bearer and attempt == 0:
                await backend._login(use_refresh=False)
                continue
            if response.status_code != 200:
                raise soap.error(response.status_code, response.content)
            return response.content
        raise AuthenticationError(f"{backend.site.name} refused the SOAP login")


def _ours(failures: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first of the failures that is one of ours (the others were cancelled by it)."""
    for failure in failures.exceptions:
        found = _ours(failure) if isinstance(failure, BaseExceptionGroup) else failure
        if isinstance(found, VigilError):
            return found
    return failures
