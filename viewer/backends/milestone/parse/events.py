"""What XProtect sends about events, read into core models: Events REST answers,
user-defined events of the Config API, and the Events and State WebSocket's messages.

An event's ``source`` is a REST resource path (``cameras/<id>``); only cameras become a
CameraRef, anything else (a user-defined event, an input) is kept in the description.
Types are GUIDs; the few an operator cares about get a name, the others keep their GUID
so nothing is lost. Stateful events (communication, motion) carry a state group on the
socket, and the communication ones decide a camera's status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from viewer.backends.milestone.parse import _decode, _object, _text
from viewer.core.errors import MalformedResponseError
from viewer.core.models import CameraRef, CameraStatus, Event

MOTION_STARTED = "6eb95dd6-7ccc-4bce-99f8-af0d0b582d77"
MOTION_STOPPED = "6f55a7a7-d21c-4629-ac18-af1975e395a2"
COMMUNICATION_STARTED = "dd3e6464-7dc0-405a-a92f-6150587563e8"
COMMUNICATION_STOPPED = "0ee90664-2924-42a0-a816-4129d0ecabdc"
COMMUNICATION_ERROR = "a334af1c-4b4b-4957-9e5f-ab8ca07feab6"
TYPE_NAMES = {
    MOTION_STARTED: "motion started",
    MOTION_STOPPED: "motion stopped",
    COMMUNICATION_STARTED: "communication started",
    COMMUNICATION_STOPPED: "communication stopped",
    COMMUNICATION_ERROR: "communication error",
}
STATUSES = {
    COMMUNICATION_STARTED: CameraStatus.ONLINE,
    COMMUNICATION_STOPPED: CameraStatus.OFFLINE,
    COMMUNICATION_ERROR: CameraStatus.ERROR,
}


@dataclass(frozen=True)
class UserDefinedEvent:
    id: str
    name: str


@dataclass(frozen=True)
class Reply:
    """The socket's answer to one command; ``body`` keeps the rest (``sessionId``,
    ``states``…)."""

    command_id: int | None
    status: int
    body: dict[str, Any]
    error: str = ""


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedResponseError("expected an ISO 8601 time", name)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponseError(f"unreadable time {value[:40]!r}", name) from None
    if parsed.tzinfo is None:
        raise MalformedResponseError("expected a time in UTC", name)
    return parsed.astimezone(UTC)


def event(item: dict[str, Any], site_id: str, name: str = "event") -> Event:
    """One event object, from Events REST or the socket (same keys)."""
    kind = _text(item, "type", f"{name}.type").lower()
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise MalformedResponseError("expected a string or null", f"{name}.source")
    camera = None
    description = source or ""
    folder, _, source_id = (source or "").rpartition("/")
    if folder.lower() == "cameras" and source_id:
        camera, description = CameraRef(site_id, source_id.lower()), ""
    return Event(
        id=_text(item, "id", f"{name}.id"),
        time=_time(item.get("time"), f"{name}.time"),
        type=TYPE_NAMES.get(kind, kind),
        camera=camera,
        description=description,
    )


def events(body: bytes | str, site_id: str) -> tuple[tuple[Event, ...], int]:
    """A page of ``GET /events`` (``{"_links","array"}``) and how many items it held."""
    items = _object(_decode(body), "(body)").get("array")
    if not isinstance(items, list):
        raise MalformedResponseError("expected a list", "array")
    found = tuple(
        event(_object(item, f"array[{i}]"), site_id, f"array[{i}]") for i, item in enumerate(items)
    )
    return found, len(items)


def triggered(body: bytes | str, site_id: str) -> Event | None:
    """The 202 of ``POST /events``: ``{"data":{…}}``; the documented sample's ``data`` is
    empty, so an answer without the event is no error."""
    document = _object(_decode(body), "(body)")
    data = _object(document.get("data", {}), "data")
    return event(data, site_id, "data") if data else None


def user_defined_event(body: bytes | str) -> UserDefinedEvent:
    """One user-defined event: ``{"data":{…}}`` when read or updated, and (a guess: no
    sample is published) ``{"result":{…}}`` or ``{"data":{…}}`` when created."""
    document = _object(_decode(body), "(body)")
    key = "result" if "result" in document else "data"
    return _user_defined(_object(document.get(key), key), key)


def user_defined_events(body: bytes | str) -> tuple[UserDefinedEvent, ...]:
    items = _object(_decode(body), "(body)").get("array")
    if not isinstance(items, list):
        raise MalformedResponseError("expected a list", "array")
    return tuple(
        _user_defined(_object(item, f"array[{i}]"), f"array[{i}]") for i, item in enumerate(items)
    )


def _user_defined(item: dict[str, Any], name: str) -> UserDefinedEvent:
    key = _text(item, "id", f"{name}.id")
    label = item.get("displayName") or item.get("name") or key
    if not isinstance(label, str):
        raise MalformedResponseError("expected a string", f"{name}.name")
    return UserDefinedEvent(key.lower(), label)


def message(text: str | bytes) -> Reply | list[dict[str, Any]]:
    """A socket message: a command's Reply, or the raw events of a push
    (``{"events":[…]}``), each read with :func:`event` by the caller."""
    try:
        document = _object(json.loads(text), "(message)")
    except (ValueError, RecursionError):
        raise MalformedResponseError("the socket sent no JSON") from None
    if "events" in document and "status" not in document:
        items = document["events"]
        if not isinstance(items, list):
            raise MalformedResponseError("expected a list", "events")
        return [_object(item, f"events[{i}]") for i, item in enumerate(items)]
    status = document.get("status")
    if isinstance(status, bool) or not isinstance(status, int):
        raise MalformedResponseError("expected a status number", "status")
    command_id = document.get("commandId")
    if command_id is not None and (isinstance(command_id, bool) or not isinstance(command_id, int)):
        raise MalformedResponseError("expected a number", "commandId")
    error = document.get("error")
    said = error.get("errorText") if isinstance(error, dict) else None
    return Reply(command_id, status, document, said if isinstance(said, str) else "")


def status(item: dict[str, Any], name: str = "state") -> tuple[str, CameraStatus] | None:
    """A camera's status from a communication event or state; None for anything else."""
    kind = item.get("type")
    source = item.get("source")
    if not isinstance(kind, str) or kind.lower() not in STATUSES or not isinstance(source, str):
        return None
    folder, _, source_id = source.rpartition("/")
    if folder.lower() != "cameras" or not source_id:
        return None
    return source_id.lower(), STATUSES[kind.lower()]


def states(reply: Reply) -> dict[str, CameraStatus]:
    """``getState``'s answer: the last word on each camera's communication."""
    items = reply.body.get("states")
    if not isinstance(items, list):
        raise MalformedResponseError("expected a list", "states")
    found: dict[str, CameraStatus] = {}
    for index, item in enumerate(items):
        change = status(_object(item, f"states[{index}]"))
        if change is not None:
            found[change[0]] = change[1]
    return found
