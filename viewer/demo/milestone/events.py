"""The simulated gateway's events: Events REST, user-defined events, and the Events and
State WebSocket with sessions that survive a dropped connection.

Shapes follow seed 004 (Events REST) and Milestone's published WebSocket sample
(``startSession`` answering 201 for a new session and 200 for a resumed one, which then
replays what the client missed). Where nothing public says (the state group ids, the
user-defined event's create/delete answers) the choice is marked as a guess.

Tests drive it with switches: ``drop_sockets()`` cuts every socket, ``refuse_sockets``
keeps new ones out for a while, ``set_communication()`` takes a camera offline or back,
``generate_motion()`` starts motion on the cameras in a fixed rotation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection, Message, Ping, TextMessage
from wsproto.utilities import generate_accept_token

from viewer.demo.http import Request, Response

if TYPE_CHECKING:
    from viewer.demo.milestone.gateway import MilestoneSimulator

MOTION_STARTED = "6eb95dd6-7ccc-4bce-99f8-af0d0b582d77"
MOTION_STOPPED = "6f55a7a7-d21c-4629-ac18-af1975e395a2"
COMMUNICATION_STARTED = "dd3e6464-7dc0-405a-a92f-6150587563e8"
COMMUNICATION_STOPPED = "0ee90664-2924-42a0-a816-4129d0ecabdc"
COMMUNICATION_ERROR = "a334af1c-4b4b-4957-9e5f-ab8ca07feab6"
# State groups of the stateful events (guess: real ids not published).
COMMUNICATION_GROUP = "e2b1b0a4-9a7d-4c4e-8e2a-5f0d9c3c1a01"
MOTION_GROUP = "e2b1b0a4-9a7d-4c4e-8e2a-5f0d9c3c1a02"
STATE_GROUPS = {
    MOTION_STARTED: MOTION_GROUP,
    MOTION_STOPPED: MOTION_GROUP,
    COMMUNICATION_STARTED: COMMUNICATION_GROUP,
    COMMUNICATION_STOPPED: COMMUNICATION_GROUP,
    COMMUNICATION_ERROR: COMMUNICATION_GROUP,
}
SOCKET_PATH = "/api/ws/events/v1"
EVENTS_PATH = "/api/rest/v1/events"
UDE_PATH = "/api/rest/v1/userdefinedevents"
SESSION_KEPT = 30.0
"""How long a session outlives its socket, as the real server keeps it (~30 s)."""
_FILTER = re.compile(r"(?P<op>[A-Za-z]+):(?P<value>'(?:[^']|'')*'|\([^)]*\)|[^,]+)")


@dataclass(frozen=True)
class SimEvent:
    id: str
    time: datetime
    type: str
    source: str
    """``cameras/<id>`` or ``userDefinedEvents/<id>``."""

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": _stamp(self.time),
            "type": self.type,
            "source": self.source,
        }

    def pushed(self) -> dict[str, Any]:
        document = self.document()
        if self.type in STATE_GROUPS:
            document["stategroupid"] = STATE_GROUPS[self.type]
        return document


@dataclass
class _Session:
    id: str
    start: int
    """How many events existed when it began: a resume with no event id replays from here."""
    filters: list[list[dict[str, Any]]] = field(default_factory=list)
    left_at: float | None = None

    def wants(self, event: SimEvent) -> bool:
        kind, _, source_id = event.source.partition("/")
        included = False
        for subscription in self.filters:
            for rule in subscription:
                if _matches(rule, kind, source_id.lower(), event.type):
                    if rule.get("modifier") == "exclude":
                        return False
                    included = True
        return included


class _Socket:
    """One WebSocket connection: wsproto frames over the HTTP server's streams."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.ws = Connection(ConnectionType.SERVER)
        self.session: _Session | None = None
        self.authenticated = False

    def send(self, document: dict[str, Any]) -> None:
        if not self.writer.is_closing():
            self.writer.write(self.ws.send(TextMessage(data=json.dumps(document))))


class MilestoneEvents:
    """A gateway Feature: ``answer`` for the REST paths, a tunnel for the socket."""

    def __init__(self, simulator: MilestoneSimulator) -> None:
        self._simulator = simulator
        self.events: list[SimEvent] = []
        self.user_defined: dict[str, dict[str, Any]] = {}
        self.refuse_sockets = False
        """While true a socket upgrade is answered 503, as a gateway restarting does."""
        self.session_kept = SESSION_KEPT
        self.sessions_started = 0
        self._sessions: dict[str, _Session] = {}
        self._sockets: set[_Socket] = set()
        self._offline: dict[str, str] = {}
        self._motion: asyncio.Task[None] | None = None
        self._serial = 0
        self._started = datetime.now(UTC)

    # -- switches ---------------------------------------------------------------------

    @property
    def open_sockets(self) -> int:
        """How many events sockets clients hold open now."""
        return len(self._sockets)

    def drop_sockets(self) -> None:
        """Cut every socket without a close frame, as a network failure does."""
        for socket in list(self._sockets):
            socket.writer.transport.abort()

    def set_communication(self, camera_id: str, *, online: bool, error: bool = False) -> None:
        """Take a camera offline (stopped, or in error) or back online, with the event."""
        key = camera_id.lower()
        if online:
            self._offline.pop(key, None)
            kind = COMMUNICATION_STARTED
        else:
            kind = COMMUNICATION_ERROR if error else COMMUNICATION_STOPPED
            self._offline[key] = kind
        self.publish(kind, f"cameras/{key}")

    def generate_motion(self, interval: float) -> None:
        """Every ``interval`` s the next camera in a fixed rotation starts motion and the
        one before it stops: the same sequence on every run."""
        if self._motion is None:
            self._motion = asyncio.create_task(self._rotate_motion(interval), name="sim motion")

    def publish(self, kind: str, source: str, at: datetime | None = None) -> SimEvent:
        self._serial += 1
        event = SimEvent(
            str(uuid.UUID(int=(0x5EED << 96) | self._serial)),
            at or datetime.now(UTC),
            kind,
            source,
        )
        self.events.append(event)
        for socket in list(self._sockets):
            if socket.session is not None and socket.session.wants(event):
                socket.send({"events": [event.pushed()]})
        return event

    async def stop(self) -> None:
        if self._motion is not None:
            self._motion.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._motion
            self._motion = None
        self.drop_sockets()

    async def _rotate_motion(self, interval: float) -> None:
        # Only cameras a client can see: a disabled one is not in anybody's tree.
        cameras = sorted(key for key, camera in self._simulator._cameras.items() if camera.enabled)
        for turn in range(1 << 62):
            await asyncio.sleep(interval)
            self.publish(MOTION_STARTED, f"cameras/{cameras[turn % len(cameras)]}")
            if turn:
                self.publish(MOTION_STOPPED, f"cameras/{cameras[(turn - 1) % len(cameras)]}")

    # -- REST -------------------------------------------------------------------------

    async def answer(self, request: Request, path: str) -> Response | None:
        if path == SOCKET_PATH:
            return self._upgrade(request)
        if path == EVENTS_PATH:
            if request.method == "POST":
                return self._trigger(request.body)
            return self._list(request.query) if request.method == "GET" else None
        if path.startswith(EVENTS_PATH + "/") and request.method == "GET":
            wanted = path[len(EVENTS_PATH) + 1 :]
            for event in self.events:
                if event.id == wanted:
                    return _json(200, {"data": event.document()})
            return _error(404, f"Unknown resource: {wanted}")
        if path == UDE_PATH or path.startswith(UDE_PATH + "/"):
            return self._user_defined(request, path[len(UDE_PATH) :].strip("/"))
        return None

    def _list(self, query: dict[str, str]) -> Response:
        try:
            chosen = [e for e in self.events if _wanted(e, query)]
            order = query.get("orderBy", "asc:'time'")
            if order not in ("asc:'time'", "desc:'time'"):
                raise ValueError(f"cannot order by {order}")
            chosen.sort(key=lambda e: e.time, reverse=order.startswith("desc"))
            page, size = int(query.get("page", "0")), int(query.get("size", "1000"))
            if page < 0 or size < 1:
                raise ValueError("page and size out of range")
        except ValueError as error:
            return _error(400, f"Bad request: {error}")
        shown = chosen[page * size : (page + 1) * size]
        return _json(200, {"_links": {}, "array": [e.document() for e in shown]})

    def _trigger(self, body: bytes) -> Response:
        try:
            document = json.loads(body)
        except ValueError:
            return _error(400, "Bad request: the body is not JSON")
        if not isinstance(document, dict) or not isinstance(document.get("type"), str):
            return _error(400, "Bad request: type is required")
        kind = document["type"].lower()
        source = document.get("source")
        if kind in self.user_defined and source is None:
            source = f"userDefinedEvents/{kind}"
        elif kind not in STATE_GROUPS and kind not in self.user_defined:
            return _error(400, f"Bad request: unknown event type {kind}")
        elif not isinstance(source, str) or not self._known_source(source):
            return _error(400, f"Bad request: unknown source {source}")
        else:
            source = source if "/" in source else f"cameras/{source}"
        at = document.get("time")
        try:
            when = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            return _error(400, "Bad request: time is not ISO 8601")
        event = self.publish(
            kind, source.lower() if source.startswith("cameras/") else source, when
        )
        return _json(202, {"data": event.document()})

    def _known_source(self, source: str) -> bool:
        kind, _, key = source.lower().rpartition("/")
        return kind in ("", "cameras") and key in self._simulator._cameras

    def _user_defined(self, request: Request, key: str) -> Response | None:
        method, known = request.method, self.user_defined
        if not key:
            if method == "GET":
                return _json(200, {"array": list(known.values())})
            if method == "POST":
                name = _name(request.body)
                if name is None:
                    return _error(400, "Bad request: name is required")
                key = str(uuid.uuid4())
                known[key] = _ude(key, name)
                return _json(201, {"result": known[key]})  # guess: as other creations
            return None
        if key not in known:
            return _error(404, f"Unknown resource: userDefinedEvents/{key}")
        if method == "GET":
            return _json(200, {"data": known[key]})
        if method == "PATCH":
            name = _name(request.body)
            if name is None:
                return _error(400, "Bad request: name is required")
            known[key] = {**_ude(key, name), "description": known[key]["description"]}
            return _json(200, {"data": known[key]})
        if method == "DELETE":
            del known[key]
            return _json(200, {"state": "Success"})  # guess
        return None

    # -- the WebSocket ----------------------------------------------------------------

    def _upgrade(self, request: Request) -> Response:
        if self.refuse_sockets:
            return Response(503, b"")
        key = request.headers.get("sec-websocket-key", "")
        if request.headers.get("upgrade", "").lower() != "websocket" or not key:
            return _error(400, "Bad request: a WebSocket upgrade is expected")
        # The gateway let it through without a token only for the authenticate command,
        # which 2024 R1 brought (2024 R2 in our release switch).
        authenticated = "authorization" in request.headers
        if not authenticated and not self._simulator.at_least("2024 R2"):
            return Response(401, b"", headers={"WWW-Authenticate": "Bearer"})
        return Response(
            101,
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Accept": generate_accept_token(key.encode("ascii")).decode("ascii"),
            },
            tunnel=lambda reader, writer, pending: self._serve(
                reader, writer, pending, authenticated
            ),
        )

    async def _serve(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pending: bytes,
        authenticated: bool,
    ) -> None:
        socket = _Socket(writer)
        socket.authenticated = authenticated
        self._sockets.add(socket)
        parts: list[str] = []
        data = pending
        try:
            while True:
                if data:
                    socket.ws.receive_data(data)
                for event in socket.ws.events():
                    if isinstance(event, Ping):
                        writer.write(socket.ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        writer.write(socket.ws.send(event.response()))
                        await writer.drain()
                        return
                    elif isinstance(event, Message):
                        parts.append(event.data if isinstance(event.data, str) else "")
                        if event.message_finished:
                            if not self._command(socket, "".join(parts)):
                                await writer.drain()
                                return
                            parts.clear()
                await writer.drain()
                data = await reader.read(65536)
                if not data:
                    return
        finally:
            self._sockets.discard(socket)
            if socket.session is not None:
                socket.session.left_at = time.monotonic()

    def _command(self, socket: _Socket, text: str) -> bool:
        """Answers one command; False when the socket must close."""
        try:
            command = json.loads(text)
        except ValueError:
            command = None
        if not isinstance(command, dict):
            socket.send({"status": 400, "error": {"errorText": "Bad request: not JSON"}})
            return True
        name, command_id = command.get("command"), command.get("commandId")

        def reply(status: int, **more: Any) -> None:
            socket.send({"commandId": command_id, "status": status, **more})

        if name == "authenticate" and self._simulator.at_least("2024 R2"):
            token = str(command.get("token", ""))
            socket.authenticated = self._simulator._authorised(
                Request("GET", SOCKET_PATH, {}, {"authorization": token}, b"")
            )
            if not socket.authenticated:
                reply(401, error={"errorText": "Unauthorized"})
                return False
            reply(200)
            return True
        if not socket.authenticated:
            reply(401, error={"errorText": "Unauthorized"})
            return False
        if name == "startSession":
            self._start_session(socket, command, reply)
        elif name == "addSubscription" and socket.session is not None:
            filters = command.get("filters")
            if not isinstance(filters, list) or not _valid_filters(filters):
                reply(400, error={"errorText": "Bad request: invalid filters"})
            else:
                socket.session.filters.append(filters)
                reply(200, subscriptionId=str(uuid.uuid4()))
        elif name == "getState" and socket.session is not None:
            reply(200, states=self._states(socket.session))
        else:
            reply(400, error={"errorText": f"Bad request: unknown command {name}"})
        return True

    def _start_session(
        self, socket: _Socket, command: dict[str, Any], reply: Callable[..., None]
    ) -> None:
        now = time.monotonic()
        for stale in [k for k, s in self._sessions.items() if _expired(s, now, self.session_kept)]:
            del self._sessions[stale]
        session = self._sessions.get(str(command.get("sessionId") or ""))
        if session is None or any(s.session is session for s in self._sockets):
            self.sessions_started += 1
            session = _Session(str(uuid.uuid4()), len(self.events))
            self._sessions[session.id] = session
            socket.session = session
            reply(201, sessionId=session.id)
            return
        session.left_at = None
        socket.session = session
        reply(200, sessionId=session.id)
        after = session.start
        last = str(command.get("eventId") or "")
        for index, event in enumerate(self.events):
            if event.id == last:
                after = index + 1
        missed = [e.pushed() for e in self.events[after:] if session.wants(e)]
        if missed:
            socket.send({"events": missed})

    def _states(self, session: _Session) -> list[dict[str, Any]]:
        states: list[dict[str, Any]] = []
        for key in sorted(self._simulator._cameras):
            kind = self._offline.get(key, COMMUNICATION_STARTED)
            latest = next(
                (
                    e
                    for e in reversed(self.events)
                    if e.source == f"cameras/{key}"
                    and STATE_GROUPS.get(e.type) == COMMUNICATION_GROUP
                ),
                SimEvent(
                    str(uuid.UUID(int=len(states) + 1)), self._started, kind, f"cameras/{key}"
                ),
            )
            if session.wants(latest):
                states.append(latest.pushed())
        return states


def _matches(rule: dict[str, Any], kind: str, source_id: str, event_type: str) -> bool:
    kinds = [str(k).lower() for k in rule.get("resourceTypes", [])]
    ids = [str(i).lower() for i in rule.get("sourceIds", [])]
    types = [str(t).lower() for t in rule.get("eventTypes", [])]
    return (
        ("*" in kinds or kind.lower() in kinds)
        and ("*" in ids or source_id in ids)
        and ("*" in types or event_type.lower() in types)
    )


def _valid_filters(filters: object) -> bool:
    return isinstance(filters, list) and all(
        isinstance(rule, dict)
        and rule.get("modifier") in ("include", "exclude")
        and all(isinstance(rule.get(k), list) for k in ("resourceTypes", "sourceIds", "eventTypes"))
        for rule in filters
    )


def _expired(session: _Session, now: float, kept: float) -> bool:
    return session.left_at is not None and now - session.left_at > kept


def _wanted(event: SimEvent, query: dict[str, str]) -> bool:
    """The documented filters: ``time`` with gt/lt, ``source.id`` with equals/notEquals/oneOf."""
    for op, value in _operators(query.get("time", "")):
        limit = datetime.fromisoformat(_unquote(value))
        if op not in ("gt", "lt"):
            raise ValueError(f"time does not allow {op}")
        if (op == "gt" and not event.time > limit) or (op == "lt" and not event.time < limit):
            return False
    source_id = event.source.rpartition("/")[2].lower()
    for op, value in _operators(query.get("source.id", "")):
        wanted = [_unquote(v).lower().rpartition("/")[2] for v in _values(op, value)]
        if op == "notEquals":
            if source_id in wanted:
                return False
        elif op in ("equals", "oneOf"):
            if source_id not in wanted:
                return False
        else:
            raise ValueError(f"source.id does not allow {op}")
    return True


def _operators(text: str) -> list[tuple[str, str]]:
    if not text:
        return []
    found, position = [], 0
    while position < len(text):
        match = _FILTER.match(text, position)
        if match is None:
            if ":" not in text:  # no operator: equals
                return [("equals", text)]
            raise ValueError(f"cannot read the filter {text}")
        found.append((match["op"], match["value"]))
        position = match.end()
        if position < len(text):
            if text[position] != ",":
                raise ValueError(f"cannot read the filter {text}")
            position += 1
    return found


def _values(op: str, value: str) -> list[str]:
    if op == "oneOf":
        if not (value.startswith("(") and value.endswith(")")):
            raise ValueError("oneOf needs (a,b)")
        return [v.strip() for v in value[1:-1].split(",")]
    return [value]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _name(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    name = document.get("name") if isinstance(document, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _ude(key: str, name: str) -> dict[str, Any]:
    """Shaped like the Config API's other objects (guess: no sample published)."""
    return {
        "displayName": name,
        "id": key,
        "name": name,
        "description": "",
        "subtype": "UserDefined",
        "lastModified": _stamp(datetime.now(UTC)),
        "relations": {"self": {"type": "userDefinedEvents", "id": key}},
    }


def _stamp(at: datetime) -> str:
    """Seven fractional digits and a Z, as .NET writes UTC times."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _json(status: int, document: dict[str, Any]) -> Response:
    return Response(status, json.dumps(document, indent=4).encode("utf-8"))


def _error(status: int, text: str) -> Response:
    body = (
        f'{{  "error" : {{  "httpCode" : {status},  "details" :  '
        f"[ {{  {json.dumps('errorText')} : {json.dumps(text)} }} ] }} }}"
    )
    return Response(status, body.encode("utf-8"))
