"""The simulated Bookmarks and Evidence Locks REST APIs (XProtect 2024 R2 and newer).

Kept in memory. Objects are shaped as the published schemas show them (a bookmark's id
only in ``relations.self``, ``devicePath``; an evidence lock's ``devicePaths``); what a
real server answers to ``GET /bookmarks`` and ``GET /evidenceLocks`` (400 "Bad request:
Unknown request") is from a 2025 R1. Before 2024 R2 both are unknown resources. The search
tasks' bodies are not documented: ``searchTime`` takes ``timeBegin``/``timeEnd``, optional
``devicePaths`` and ``maxCount``; ``search`` on evidence locks ``startTime``/``endTime``
(both [guess], the same as the Vigil client sends), answered as ``{"array":[...]}``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from viewer.demo.http import Request, Response
from viewer.demo.milestone import gateway as xp
from viewer.demo.milestone.directory import CAMERAS

if TYPE_CHECKING:
    from viewer.demo.milestone.gateway import MilestoneSimulator

FROM = "2024 R2"
CONFIG = "/api/rest/v1/"
NAMES = {"bookmarks": "bookmarks", "evidencelocks": "evidenceLocks"}
BOOKMARK_TIMES = ("timeBegin", "timeEnd")
LOCK_TIMES = ("startTime", "endTime")


class Refused(ValueError):
    """A request body the server answers 400 to, in its words."""


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or "T" not in value or len(value) > 40:
        raise Refused(f"{name} must be a date-time")
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Refused(f"{name} must be a date-time") from None


def _written(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S.%f}Z"


def _camera(path: Any, name: str) -> dict[str, str]:
    if not isinstance(path, dict) or str(path.get("type", "")).lower() != "cameras":
        raise Refused(f"{name} must name a camera")
    known = {camera.id.lower(): camera.id for camera in CAMERAS.values()}
    camera_id = known.get(str(path.get("id", "")).lower())
    if camera_id is None:
        raise Refused(f"{name}: unknown camera")
    return {"type": "cameras", "id": camera_id}


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key, "")
    if not isinstance(value, str):
        raise Refused(f"{key} must be a string")
    return value


def _span(document: dict[str, Any], keys: tuple[str, str]) -> tuple[datetime, datetime]:
    start, end = (_time(document.get(key), key) for key in keys)
    if end < start:
        raise Refused(f"{keys[1]} is before {keys[0]}")
    return start, end


def _overlaps(item: dict[str, Any], keys: tuple[str, str], span: tuple[datetime, datetime]) -> bool:
    start, end = (_time(item[key], key) for key in keys)
    return start <= span[1] and span[0] <= end


def _json(status: int, document: dict[str, Any]) -> Response:
    return Response(status, json.dumps(document, indent=4).encode("utf-8"))


class BookmarksFeature:
    def __init__(self, simulator: MilestoneSimulator) -> None:
        self._simulator = simulator
        self.bookmarks: dict[str, dict[str, Any]] = {}
        self.locks: dict[str, dict[str, Any]] = {}
        self._references = 0

    async def stop(self) -> None:
        pass

    async def answer(self, request: Request, path: str) -> Response | None:
        if not path.startswith(CONFIG):
            return None
        parts = path[len(CONFIG) :].split("/")
        if parts[0] not in NAMES:
            return None
        name = NAMES[parts[0]]
        if not self._simulator.at_least(FROM):
            return xp.error_envelope(404, f"Unknown resource: {name}")
        store = self.bookmarks if name == "bookmarks" else self.locks
        try:
            return self._route(request, name, store, parts[1:])
        except Refused as refusal:
            return xp.error_envelope(400, f"Bad request: {refusal}")

    def _route(
        self, request: Request, name: str, store: dict[str, dict[str, Any]], rest: list[str]
    ) -> Response:
        task = request.query.get("task")
        match rest, request.method:
            case [], "POST" if task is None:
                item = self._new(name, _body(request))
                store[item["relations"]["self"]["id"]] = item
                return _json(201, {"result": item})
            case [], "POST" if (name, task) in (
                ("bookmarks", "searchTime"),
                ("evidenceLocks", "search"),
            ):
                return self._search(name, store, _body(request))
            case [], "POST":
                return xp.error_envelope(400, f"Bad request: Unknown task {task}")
            case [item_id], _ if item_id in store:
                return self._one(request, name, store, item_id)
            case [unknown], _:
                return xp.error_envelope(404, f"Unknown resource: {name}/{unknown}")
        return xp.error_envelope(400, "Bad request: Unknown request")

    def _one(
        self, request: Request, name: str, store: dict[str, dict[str, Any]], item_id: str
    ) -> Response:
        if request.method == "GET":
            return _json(200, {"data": store[item_id]})
        if request.method == "DELETE":
            del store[item_id]
            return _json(200, {})
        if request.method == "PATCH":
            changed = {**store[item_id], **_body(request)}
            changed["relations"] = store[item_id]["relations"]
            store[item_id] = self._checked(name, changed)
            return _json(200, {"data": store[item_id]})
        return xp.error_envelope(400, "Bad request: Unknown request")

    def _new(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        item_id = str(uuid.uuid4())
        self._references += 1
        item = {
            **body,
            "reference": body.get("reference") or f"No. {self._references:04d}",
            "user": f"BASIC\\{self._simulator.user}",
            "relations": {"self": {"type": name, "id": item_id}},
        }
        if name == "evidenceLocks":
            item.update(id=item_id, created=_written(datetime.now(UTC)))
        return self._checked(name, item)

    def _checked(self, name: str, item: dict[str, Any]) -> dict[str, Any]:
        """The stored form: known keys only, times written as the server writes them."""
        header, description = _text(item, "header"), _text(item, "description")
        if name == "bookmarks":
            start, end = _span(item, BOOKMARK_TIMES)
            triggered = _time(item.get("timeTriggered", item["timeBegin"]), "timeTriggered")
            return {
                "header": header,
                "description": description,
                "timeBegin": _written(start),
                "timeEnd": _written(end),
                "timeTriggered": _written(triggered),
                "reference": _text(item, "reference"),
                "user": item["user"],
                "devicePath": _camera(item.get("devicePath"), "devicePath"),
                "relations": item["relations"],
            }
        start, end = _span(item, LOCK_TIMES)
        paths = item.get("devicePaths")
        if not isinstance(paths, list) or not paths:
            raise Refused("devicePaths must list at least one camera")
        return {
            "description": description,
            "id": item["id"],
            "created": item["created"],
            "startTime": _written(start),
            "endTime": _written(end),
            "header": header,
            "reference": _text(item, "reference"),
            "user": item["user"],
            "retentionOption": {"retentionUnits": -1, "retentionType": "Indefinite"},
            "devicePaths": [_camera(path, "devicePaths") for path in paths],
            "relations": item["relations"],
        }

    def _search(
        self, name: str, store: dict[str, dict[str, Any]], body: dict[str, Any]
    ) -> Response:
        keys = BOOKMARK_TIMES if name == "bookmarks" else LOCK_TIMES
        span = _span(body, keys)
        paths = body.get("devicePaths") or []
        if not isinstance(paths, list):
            raise Refused("devicePaths must be a list")
        cameras = {_camera(path, "devicePaths")["id"] for path in paths}
        limit = body.get("maxCount", 1000)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise Refused("maxCount must be a positive number")
        found = [
            item
            for item in store.values()
            if _overlaps(item, keys, span) and (not cameras or cameras & _cameras_of(item))
        ]
        found.sort(key=lambda item: item[keys[0]])
        return _json(200, {"array": found[:limit]})


def _cameras_of(item: dict[str, Any]) -> set[str]:
    paths = item.get("devicePaths") or [item["devicePath"]]
    return {path["id"] for path in paths}


def _body(request: Request) -> dict[str, Any]:
    try:
        document = json.loads(request.body)
    except (ValueError, RecursionError):
        raise Refused("Incorrect formatted JSON") from None
    if not isinstance(document, dict):
        raise Refused("Incorrect formatted JSON")
    return document
