"""WebRTC signalling with an XProtect API gateway, where the server makes the offer.

One :class:`MilestoneSignalling` per attempt: it creates the session (``POST``), sends
our answer (``PATCH``) and polls the server's candidates; the media layer runs the peer
connection on a thread of its own and calls it on the backend's loop. The server checks
a session's token as long as it streams and has no keep-alive, so :class:`Sessions`
hands every open session each renewed token (``PATCH {"token"}``); a session missed
that way ends when its old token does, and the player's reconnect asks for a new one.
Servers do not end a session on request (DELETE is 405): closing only forgets it.

From 2025 R1 a session carries a data channel (``videoos-commands``) that takes PTZ
steps; a step goes through the newest live session of its camera that has it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from viewer.backends.milestone import parse
from viewer.backends.milestone.parse import ptz as ptz_parse
from viewer.core.errors import (
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import Quality
from viewer.core.streams import StreamDescription

SESSION = "/api/REST/v1/WebRTC/Session"
CANDIDATES = "/api/REST/v1/WebRTC/IceCandidates"
MAX_SPEED = 32.0
REPLY_WAIT = 1.0
"""How long a data-channel request waits for the server's response. Whether a server
confirms a step at all is not documented, so silence after this is taken as done."""

DEVICE_ID_FROM = parse.ServerVersion(25, 2)
"""From 2025 R2 a session names its camera ``deviceId``; before, ``cameraId``."""
COMMANDS_FROM = parse.ServerVersion(25, 1)
"""The release whose sessions carry the ``videoos-commands`` data channel."""

Send = Callable[[str, str, object], Awaitable[bytes]]
"""The backend's request path: ``(method, path, JSON body or None)`` to the answer's body."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Playback:
    """A recording to play: from ``at`` (to the millisecond), ``speed`` times real time,
    gaps skipped or waited through. Seek and speed change need a new session."""

    at: datetime
    speed: float = 1.0
    skip_gaps: bool = False

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidInputError("a playback instant needs a time zone", "at")
        if not 0 < self.speed <= MAX_SPEED:
            raise InvalidInputError(
                f"playback speed must be above 0 and at most {MAX_SPEED:g}", "speed"
            )
        whole_ms = self.at.astimezone(UTC).replace(microsecond=self.at.microsecond // 1000 * 1000)
        object.__setattr__(self, "at", whole_ms)

    def node(self) -> dict[str, object]:
        stamp = self.at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.at.microsecond // 1000:03d}Z"
        return {"playbackTime": stamp, "speed": self.speed, "skipGaps": self.skip_gaps}


def session_body(
    camera_key: str, camera_id: str, stream_id: str | None, playback: Playback | None
) -> dict[str, object]:
    """What ``POST …/WebRTC/Session`` asks for. No audio (Vigil plays none) and no ICE
    servers: the gateway must not reach out to a public STUN server on our behalf."""
    body: dict[str, object] = {camera_key: camera_id, "includeAudio": False, "iceServers": []}
    if stream_id is not None:
        body["streamId"] = stream_id
    if playback is not None:
        body["playbackTimeNode"] = playback.node()
    return body


class MilestoneSignalling:
    """One session's signalling (see :class:`viewer.core.streams.Signalling`)."""

    def __init__(
        self, sessions: Sessions, camera_id: str, body: Mapping[str, object], *, live: bool
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.camera_id = camera_id
        self.live = live
        self.session_id: str | None = None
        self._sessions = sessions
        self._body = body
        self._send: Callable[[str], None] | None = None
        self._waiting: deque[tuple[str, asyncio.Future[parse.ChannelReply]]] = deque()
        self._closed = False

    def __repr__(self) -> str:
        return f"MilestoneSignalling({self.camera_id!r}, session={self.session_id!r})"

    async def offer(self) -> str:
        """The server's offer; the media layer refuses it if no codec in it decodes here
        (XProtect forwards the camera's own encoding: an H.265 camera offers only that)."""
        session = parse.webrtc_session(await self._sessions.send("POST", SESSION, self._body))
        self.session_id = session.id
        if not self._closed:
            self._sessions.opened(self)
        return session.offer_sdp

    async def answer(self, sdp: str) -> None:
        body = {"answerSDP": json.dumps({"type": "answer", "sdp": sdp})}
        await self._sessions.send("PATCH", self.path(), body)

    async def remote_candidates(self) -> tuple[str, ...]:
        return parse.ice_candidates(
            await self._sessions.send("GET", f"{CANDIDATES}/{self._quoted_id()}", None)
        )

    async def close(self) -> None:
        self._closed = True
        self._send = None
        self._sessions.closed(self)
        for _, waiting in self._waiting:
            waiting.cancel()

    def channel_opened(self, send: Callable[[str], None]) -> None:
        self._call_soon(self._opened, send)

    def channel_message(self, text: str) -> None:
        self._call_soon(self._message, text)

    async def request(self, method: str, params: Mapping[str, object]) -> None:
        """A request on the data channel; the server's refusal becomes NotSupportedError."""
        send = self._send
        if send is None:
            raise NotSupportedError("the video session's command channel is not open")
        message = {"type": "request", "method": method, "params": params, "ApiVersion": "1.0"}
        entry = (method, self.loop.create_future())
        self._waiting.append(entry)
        try:
            try:
                send(json.dumps(message))
            except RuntimeError:
                raise UnreachableError("the video session's command channel closed") from None
            try:
                async with asyncio.timeout(REPLY_WAIT):
                    reply = await entry[1]
            except TimeoutError:
                return
        finally:
            if entry in self._waiting:
                self._waiting.remove(entry)
        if reply.error is not None:
            raise NotSupportedError(f"the server refused {method}: {reply.error}")

    @property
    def channel_open(self) -> bool:
        return self._send is not None

    def path(self) -> str:
        """The session's resource, for PATCH."""
        return f"{SESSION}/{self._quoted_id()}"

    def _quoted_id(self) -> str:
        if self.session_id is None:
            raise InvalidInputError("the WebRTC session has no offer yet", "session")
        return quote(self.session_id, safe="")

    def _call_soon(self, callback: Callable[[object], None], argument: object) -> None:
        """Onto the backend's loop, from whichever thread the media layer calls on."""
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to tell
            self.loop.call_soon_threadsafe(callback, argument)

    def _opened(self, send: object) -> None:
        if not self._closed and callable(send):
            self._send = send

    def _message(self, text: object) -> None:
        try:
            reply = parse.channel_reply(str(text))
        except MalformedResponseError as error:
            log.warning("%s: unreadable data-channel message: %s", self, error)
            return
        if reply is None:
            return
        for entry in self._waiting:
            method, waiting = entry
            if not waiting.done() and reply.method in (None, method):
                waiting.set_result(reply)
                self._waiting.remove(entry)
                return


class Sessions:
    """A backend's open WebRTC sessions: patched with each new token, and the data
    channels PTZ steps go through."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self._open: dict[int, MilestoneSignalling] = {}
        self._patches: set[asyncio.Task[None]] = set()

    def opened(self, signalling: MilestoneSignalling) -> None:
        self._open[id(signalling)] = signalling

    def closed(self, signalling: MilestoneSignalling) -> None:
        self._open.pop(id(signalling), None)

    def renewed(self, token: str) -> None:
        """Hand every open session the new token, in the background: the renewal does not
        wait for them, and a failure costs only that session."""
        for signalling in list(self._open.values()):
            task = asyncio.create_task(self._patch(signalling, token), name="webrtc token")
            self._patches.add(task)
            task.add_done_callback(self._patches.discard)

    async def _patch(self, signalling: MilestoneSignalling, token: str) -> None:
        try:
            await self.send("PATCH", signalling.path(), {"token": token})
        except VigilError as error:
            log.warning("%s kept its old token: %s", signalling, error)
            if isinstance(error, NotFoundError):  # the server dropped it: stop asking
                self.closed(signalling)

    async def step(
        self, camera_id: str, direction: str, version: parse.ServerVersion | None
    ) -> None:
        """One PTZ step through the camera's live session; the server's refusal is raised."""
        if version is None or version < COMMANDS_FROM:
            release = version.release if version else "an unknown release"
            raise NotSupportedError(
                "PTZ steps go over the WebRTC data channel, which XProtect has from 2025 R1;"
                f" this site runs {release}"
            )
        signalling = self.channel(camera_id)
        if signalling is None:
            raise NotSupportedError(
                "PTZ steps go through the camera's live video: show the camera live first"
            )
        try:
            await signalling.request("ptzMove", {"direction": direction})
        except NotSupportedError as error:
            raise ptz_parse.refusal(str(error)) from None

    def channel(self, camera_id: str) -> MilestoneSignalling | None:
        """The newest live session of the camera whose data channel is open."""
        for signalling in reversed(self._open.values()):
            if signalling.camera_id == camera_id and signalling.live and signalling.channel_open:
                return signalling
        return None

    async def close(self) -> None:
        for task in list(self._patches):
            task.cancel()
        await asyncio.gather(*self._patches, return_exceptions=True)
        self._open.clear()


def camera_key(version: parse.ServerVersion | None) -> str:
    return "deviceId" if version is not None and version >= DEVICE_ID_FROM else "cameraId"


def sub_stream(streams: tuple[parse.Stream, ...]) -> str | None:
    """The sub-stream's id: the first stream that is not the live default [guess: the
    server lists no sizes, and sites configure their second stream as the small one]."""
    return next((stream.id for stream in streams if not stream.live_default), None)


def describe(
    sessions: Sessions,
    *,
    host: str,
    camera_key: str,
    camera_id: str,
    quality: Quality,
    stream_id: str | None,
    playback: Playback | None = None,
) -> StreamDescription:
    """A WebRTC stream description; its url only names the stream for people."""
    body = session_body(camera_key, camera_id, stream_id, playback)
    signalling = MilestoneSignalling(sessions, camera_id, body, live=playback is None)
    suffix = "/sub" if quality is Quality.SUB else ""
    return StreamDescription(
        url=f"webrtc://{host}/{camera_id}{suffix}",
        live=playback is None,
        quality=quality,
        signalling=signalling,
        rtp_ms_epoch=playback.at if playback is not None else None,
    )
