"""The simulated gateway's WebRTC signalling over a WebSocket (2025 R1 and later).

Milestone's protocol sample (WebRTC_JavaScript, websocket.js and its README) is the
only public description: JSON-RPC 2.0 on ``/api/ws/webrtc/v1``. The client ``register``s
with its access token, then ``connect``s to a ``peer`` (the camera) with the options the
REST session takes; the answer is ``{"session": id}``, after which the server sends an
``invite`` request carrying the offer (a JSON string of ``{type, sdp}``) and the client
answers it with ``{"answer": <JSON string>}``. Candidates trickle both ways as
``trickle`` notifications (JSON strings of RTCIceCandidateInit, as REST's).

Sessions are the REST feature's (webrtc.py): same media, data channel, H.265 and
privacy-masked cameras; they end when their socket closes. Guesses, since the sample
does not show them: the invite's ids are GUID strings (the sample tells replies apart
by id, and numbers would collide with its own 1 and 2); the offer carries no candidates,
they all trickle; ``register`` answers ``{}``; refusals of a request are JSON-RPC errors
whose ``data.httpCode`` is the status the REST API would give; a failure of a session
or a notification is an ``error`` notification with ``params.message`` (the sample logs
that field of any message it does not expect); parameter names are matched in any case
(the sample writes ``streamID``, ``PlaybackTime``; its README ``streamId``,
``playbackTime``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import generate_accept_token

from viewer.demo.http import Request, Response
from viewer.demo.milestone.webrtc import BadRequest, Session, WebRtc, error_envelope

SOCKET_PATH = "/api/ws/webrtc/v1"
MAX_MESSAGE = 1 << 20
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
SERVER_ERROR = -32000
"""For refusals the REST API would answer 401, 403 or 404 (the real code is not known)."""

Message = dict[str, Any]


class Site(Protocol):
    features: list[Any]

    def at_least(self, release: str) -> bool: ...

    def _authorised(self, request: Request) -> bool: ...


@dataclass
class Client:
    """One socket's state; ``send`` puts a message on the wire (a list in the fuzz test)."""

    send: Callable[[Message], None]
    token: str | None = None
    """The access token of the last successful ``register``."""
    sessions: list[str] = field(default_factory=list)
    invites: dict[object, str] = field(default_factory=dict)
    """Session id by the id of the invite still unanswered."""
    early: dict[str, list[str]] = field(default_factory=dict)
    """Candidates that came before their session's answer."""

    def reply(self, identifier: object, result: Message) -> None:
        self.send({"jsonrpc": "2.0", "result": result, "id": identifier})

    def refuse(self, identifier: object, code: int, text: str, status: int | None = None) -> None:
        error: Message = {"code": code, "message": text}
        if status is not None:
            error["data"] = {"httpCode": status}
        self.send({"jsonrpc": "2.0", "error": error, "id": identifier})

    def notify(self, method: str, params: Message) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


class WebRtcSocket:
    """A gateway Feature: the upgrade on SOCKET_PATH and the JSON-RPC spoken after it."""

    def __init__(self, site: Site, webrtc: WebRtc) -> None:
        self.site = site
        self.webrtc = webrtc
        self._writers: set[asyncio.StreamWriter] = set()
        site.features.append(self)

    async def answer(self, request: Request, path: str) -> Response | None:
        if path != SOCKET_PATH or not self.site.at_least("2025 R1"):
            return None  # older gateways answer the unknown path with their 404
        key = request.headers.get("sec-websocket-key", "")
        if request.headers.get("upgrade", "").lower() != "websocket" or not key:
            return error_envelope(400, "Bad request: a WebSocket upgrade is expected")
        accept = generate_accept_token(key.encode("ascii", "replace")).decode("ascii")
        return Response(
            101,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Accept": accept,
            },
            tunnel=self._serve,
        )

    async def stop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    # -- the socket -------------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pending: bytes
    ) -> None:
        ws = Connection(ConnectionType.SERVER)

        def send(message: Message) -> None:
            if not writer.is_closing():
                writer.write(ws.send(TextMessage(data=json.dumps(message))))

        client = Client(send)
        self._writers.add(writer)
        message = _Message()
        data = pending
        try:
            while True:
                if data:
                    ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, Ping):
                        writer.write(ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        writer.write(ws.send(event.response()))
                        await writer.drain()
                        return
                    elif isinstance(event, TextMessage | BytesMessage):
                        if not message.add(event.data):
                            writer.write(ws.send(CloseConnection(code=1009)))
                            await writer.drain()
                            return
                        if event.message_finished:
                            await self.receive(client, message.take())
                await writer.drain()
                data = await reader.read(65536)
                if not data:
                    return
        finally:
            self._writers.discard(writer)
            for session_id in client.sessions:
                await self.webrtc.close(session_id)

    # -- JSON-RPC ---------------------------------------------------------------------

    async def receive(self, client: Client, text: str | bytes) -> None:
        """One message from the client; whatever it is, the answer is a reply, an error
        or nothing (a response nobody asked for, a notification that succeeds)."""
        try:
            if not isinstance(text, str):
                raise ValueError("a binary message")
            message = json.loads(text)
        except ValueError:
            client.refuse(None, PARSE_ERROR, "Parse error")
            return
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            client.refuse(None, INVALID_REQUEST, "Invalid request: not a JSON-RPC 2.0 object")
            return
        identifier = message.get("id")
        if "id" in message and not _valid_id(identifier):
            client.refuse(None, INVALID_REQUEST, "Invalid request: bad id")
            return
        if "method" not in message:
            await self._response(client, identifier, message)
            return
        method, params = message["method"], message.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            client.refuse(identifier, INVALID_REQUEST, "Invalid request: method or params")
            return
        params = {str(k).lower(): v for k, v in params.items()}
        if method == "trickle":
            await self._trickle(client, params)
        elif method == "register":
            self._register(client, identifier, params)
        elif method == "connect":
            await self._connect(client, identifier, params, "id" in message)
        elif "id" in message:
            client.refuse(identifier, METHOD_NOT_FOUND, f"Method not found: {method}")

    def _register(self, client: Client, identifier: object, params: Message) -> None:
        token = params.get("authorization")
        if not isinstance(token, str) or not self._valid(token):
            client.token = None
            client.refuse(identifier, SERVER_ERROR, "Unauthorized", 401)
            return
        client.token = token
        client.reply(identifier, {})

    async def _connect(
        self, client: Client, identifier: object, params: Message, answered: bool
    ) -> None:
        token = params.get("authorization", client.token)
        if not isinstance(token, str) or not self._valid(token):
            client.refuse(identifier, SERVER_ERROR, "Unauthorized", 401)
            return
        try:
            body, ice_servers = _session_body(params)
            session = await self.webrtc.create(body)
        except BadRequest as refusal:
            code = INVALID_PARAMS if refusal.status == 400 else SERVER_ERROR
            client.refuse(identifier, code, str(refusal), refusal.status)
            return
        client.sessions.append(session.id)
        if answered:
            result: Message = {"session": session.id}
            if ice_servers is not None:
                result["iceServers"] = ice_servers
            client.reply(identifier, result)
        invite = str(uuid.uuid4())
        client.invites[invite] = session.id
        offer = json.dumps({"type": "offer", "sdp": _without_candidates(_offer_sdp(session))})
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "invite",
                "params": {"session": session.id, "offer": offer},
                "id": invite,
            }
        )
        for candidate in session.candidates:
            client.notify("trickle", {"session": session.id, "candidate": candidate})

    async def _response(self, client: Client, identifier: object, message: Message) -> None:
        """The client's answer to an invite; any other response is ignored."""
        session_id = client.invites.pop(identifier, None)
        if session_id is None:
            return
        session = self.webrtc.sessions.get(session_id)
        if session is None:
            client.notify("error", {"session": session_id, "message": "the session has ended"})
            return
        result = message.get("result")
        if "error" in message or not isinstance(result, dict):
            await self.webrtc.close(session_id)  # the client refused the offer
            return
        try:
            await self.webrtc.take_answer(session, result.get("answer"))
            for candidate in client.early.pop(session_id, []):
                await self.webrtc.take_candidate(session, candidate)
        except BadRequest as refusal:
            client.notify("error", {"session": session_id, "message": str(refusal)})
            await self.webrtc.close(session_id)

    async def _trickle(self, client: Client, params: Message) -> None:
        session_id, candidate = params.get("session"), params.get("candidate")
        session = self.webrtc.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None or session_id not in client.sessions:
            client.notify("error", {"session": session_id, "message": "Unknown session"})
            return
        if not isinstance(candidate, str):
            client.notify("error", {"session": session_id, "message": "candidate must be a string"})
            return
        session.client_candidates.append(candidate)
        if not session.answered:
            client.early.setdefault(session.id, []).append(candidate)
            return
        try:
            await self.webrtc.take_candidate(session, candidate)
        except BadRequest as refusal:
            client.notify("error", {"session": session.id, "message": str(refusal)})

    def _valid(self, token: str) -> bool:
        bearer = token if token.lower().startswith("bearer ") else f"Bearer {token}"
        return self.site._authorised(
            Request("GET", SOCKET_PATH, {}, {"authorization": bearer}, b"")
        )


class _Message:
    """A message's fragments as they arrive, refused past MAX_MESSAGE."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._binary = False
        self._size = 0

    def add(self, part: str | bytes | bytearray) -> bool:
        self._size += len(part)
        if isinstance(part, str):
            self._parts.append(part)
        else:
            self._binary = True
        return self._size <= MAX_MESSAGE

    def take(self) -> str | bytes:
        """The text, or ``b""`` for a binary message (which nobody speaks here)."""
        text = b"" if self._binary else "".join(self._parts)
        self._parts, self._binary, self._size = [], False, 0
        return text


def _session_body(params: Message) -> tuple[Message, object]:
    """The REST body a ``connect`` stands for, and the ICE servers to echo (the
    simulator's ICE stays on loopback; these are RTCIceServer objects, ``urls``)."""
    peer = params.get("peer")
    if not isinstance(peer, str) or not peer:
        raise BadRequest("Bad request: peer is required")
    body: Message = {"cameraId": peer, "includeAudio": params.get("includeaudio", True)}
    if "streamid" in params:
        body["streamId"] = params["streamid"]
    if params.get("playbacktime") is not None:
        body["playbackTimeNode"] = {
            "playbackTime": params["playbacktime"],
            "skipGaps": params.get("skipgaps", False),
            "speed": params.get("playbackspeed", 1.0),
        }
    elif "playbackspeed" in params:
        raise BadRequest("Bad request: PlaybackSpeed needs a PlaybackTime")
    servers = params.get("iceservers")
    if servers is not None and not (
        isinstance(servers, list)
        and all(isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers)
    ):
        raise BadRequest("Bad request: iceServers must be a list of {urls, username, credential}")
    return body, servers


def _offer_sdp(session: Session) -> str:
    return str(json.loads(session.document["offerSDP"])["sdp"])


def _without_candidates(sdp: str) -> str:
    return "".join(
        line
        for line in sdp.splitlines(keepends=True)
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    )


def _valid_id(identifier: object) -> bool:
    return identifier is None or (
        isinstance(identifier, str | int | float) and not isinstance(identifier, bool)
    )
