"""Everything a REST gateway (seed 000) sends, read into core models or typed errors.

Seed 000 documents the gateway only, so every reader takes what it needs and ignores
the rest: unknown keys are fine, a missing or mistyped needed one is a
``MalformedResponseError`` naming it (with its place, ``cameras[3].id``), and a body
that is not JSON says so. Failures keep the server's own words from the error envelope
``{"error":{"code","message","statusCode","timestamp"}}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    PtzLockedError,
    RateLimitedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import (
    Camera,
    CameraRef,
    CameraStatus,
    Event,
    HealthState,
    Preset,
    Quality,
    RecordingSegment,
    SiteHealth,
    StreamInfo,
    TimeSpan,
)

MAX_WORDS = 300
MAX_LIFETIME = 86_400.0
QUALITIES = {"high": Quality.MAIN, "low": Quality.SUB}
_RESOLUTION = re.compile(r"^([0-9]{1,5})x([0-9]{1,5})$")
STATUS_EVENTS = {
    "camera.offline": CameraStatus.OFFLINE,
    "camera.online": CameraStatus.ONLINE,
    "camera.error": CameraStatus.ERROR,
}
"""Status pushes on the event socket. Only ``camera.offline`` is in seed 000; its
counterparts are the obvious names (guess)."""


@dataclass(frozen=True)
class Token:
    token: str
    expires_in: float


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    camera_ids: tuple[str, ...]


@dataclass(frozen=True)
class Features:
    """What ``/system/capabilities`` says the server does; ``None`` where it is silent."""

    ptz: bool | None
    motion: bool | None


@dataclass(frozen=True)
class ExportJob:
    id: str
    status: str
    progress: float | None = None
    download_url: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled", "expired")


@dataclass(frozen=True)
class GatewayPosition:
    """A PTZ position as the gateway speaks it: degrees and a zoom factor."""

    pan: float
    tilt: float
    zoom: float


# -- errors -----------------------------------------------------------------------------


LOCK_CODES = frozenset({"PTZ_LOCKED", "PTZ_RESERVED", "CAMERA_LOCKED", "LOCKED"})
"""[guess] Codes of a 409 saying another operator holds the camera's PTZ: seed 000 lists
none (its only 409 is ``CAMERA_OFFLINE``), so these are what a gateway would plausibly send."""


def http_error(status: int, body: bytes, retry_after: float | None = None) -> VigilError:
    """A failed answer as a typed error carrying the envelope's ``code`` and ``message``."""
    said = _server_words(body)
    words = f": {said}" if said else ""
    if status == 423 or (status == 409 and _error_code(body) in LOCK_CODES):
        # 423 Locked is HTTP's own word for it; seed 000 has no lock, so it is a guess.
        return PtzLockedError(
            f"another operator holds the camera (HTTP {status}){words}", retry_after=retry_after
        )
    if status == 401:
        return AuthenticationError(f"the gateway refused access (HTTP 401){words}")
    if status == 403:
        return PermissionDeniedError(f"the gateway does not permit this (HTTP 403){words}")
    if status == 404:
        return NotFoundError(f"the gateway knows no such resource (HTTP 404){words}")
    if status == 409:
        return UnreachableError(f"the gateway cannot reach the camera (HTTP 409){words}")
    if status == 429:
        return RateLimitedError(f"the gateway asks to slow down (HTTP 429){words}", retry_after)
    if status >= 500:
        return UnreachableError(f"the gateway cannot answer now (HTTP {status}){words}")
    return NotSupportedError(f"the gateway refused the request (HTTP {status}){words}")


def _error_code(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    error = document.get("error") if isinstance(document, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _server_words(body: bytes) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return ""
    parts = [
        str(error[key]) for key in ("code", "message") if isinstance(error.get(key), str | int)
    ]
    return " ".join(parts)[:MAX_WORDS]


# -- login and capabilities -------------------------------------------------------------


def token(body: bytes) -> Token:
    document = _object(body)
    value = _string(document, "token")
    lifetime = _number(document, "expires_in", "") if "expires_in" in document else 3600.0
    if not lifetime > 0:
        raise MalformedResponseError("expected a positive lifetime", "expires_in")
    return Token(value, min(lifetime, MAX_LIFETIME))


def features(body: bytes) -> Features:
    document = _object(body)
    found = document.get("features", {})
    if not isinstance(found, dict):
        raise MalformedResponseError("expected an object", "features")
    return Features(_flag(found, "ptzControl"), _flag(found, "motionDetection"))


HEALTH_STATES: Mapping[str, HealthState] = {
    "healthy": HealthState.OK,
    "ok": HealthState.OK,
    "degraded": HealthState.DEGRADED,
    "warning": HealthState.DEGRADED,
    "unhealthy": HealthState.DOWN,
    "critical": HealthState.DOWN,
    "error": HealthState.DOWN,
    "down": HealthState.DOWN,
}
"""Seed 000 shows only ``healthy``; the rest are the words such endpoints use (guess)."""
RUNNING = frozenset({"running", "ok", "healthy", "online", "started"})


def health(body: bytes, http_status: int = 200) -> SiteHealth:
    """``GET /system/health``: ``{status, version, uptime, services:{name: state},
    recordingServers:[{name, status, storageUsed (a percentage), …}]}``.

    The status word decides (one we do not know is degraded, a 503 is down); a service
    or recording server not running degrades a gateway that calls itself healthy. Its
    problems come first in the details, then each recording server's disk use.
    """
    document = _object(body)
    word = _string(document, "status")
    state = HEALTH_STATES.get(word.lower(), HealthState.DEGRADED)
    problems: list[str] = []
    services = document.get("services", {})
    if not isinstance(services, dict):
        raise MalformedResponseError("expected an object", "services")
    for name, said in services.items():
        if isinstance(said, str) and said.lower() not in RUNNING:
            problems.append(f"{str(name)[:MAX_WORDS]}: {said[:MAX_WORDS]}")
    servers = document.get("recordingServers", [])
    if not isinstance(servers, list):
        raise MalformedResponseError("expected a list", "recordingServers")
    disks: list[str] = []
    for index, server in enumerate(servers):
        if not isinstance(server, dict):
            raise MalformedResponseError("expected an object", f"recordingServers[{index}]")
        name = _text(server.get("name")) or _text(server.get("id")) or f"server {index + 1}"
        said = server.get("status")
        if isinstance(said, str) and said.lower() not in RUNNING:
            problems.append(f"{name[:MAX_WORDS]}: {said[:MAX_WORDS]}")
        used = server.get("storageUsed")
        if isinstance(used, int | float) and not isinstance(used, bool) and 0 <= used <= 100:
            disks.append(f"{name[:MAX_WORDS]}: storage {used:.0f} % used")
    if problems and state is HealthState.OK:
        state = HealthState.DEGRADED
    if http_status == 503:
        state = HealthState.DOWN
    return SiteHealth(state, word[:MAX_WORDS], (*problems, *disks))


def _flag(document: Mapping[str, Any], key: str) -> bool | None:
    value = document.get(key)
    return value if isinstance(value, bool) else None


# -- the directory ----------------------------------------------------------------------


def cameras(body: bytes, site_id: str) -> tuple[tuple[Camera, ...], int | None]:
    """One page of ``/cameras``: its enabled cameras, and ``totalCount`` when given."""
    document = _object(body)
    items = _list(document, "cameras")
    total = document.get("totalCount")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
        raise MalformedResponseError("expected a count", "totalCount")
    found = []
    for index, item in enumerate(items):
        where = f"cameras[{index}]"
        if not isinstance(item, dict):
            raise MalformedResponseError("expected an object", where)
        camera = _camera(item, site_id, where)
        if item.get("enabled", True) is not False:
            found.append(camera)
    return tuple(found), total


def camera_count(body: bytes) -> int:
    """How many entries a page held, enabled or not: a short page is the last."""
    return len(_list(_object(body), "cameras"))


def _camera(item: Mapping[str, Any], site_id: str, where: str) -> Camera:
    camera_id = _string(item, "id", where)
    name = item.get("name", camera_id)
    if not isinstance(name, str):
        raise MalformedResponseError("expected a name", f"{where}.name")
    streams = item.get("streams", [])
    if not isinstance(streams, list):
        raise MalformedResponseError("expected a list", f"{where}.streams")
    infos = tuple(
        _stream_info(stream, Quality.MAIN if index == 0 else Quality.SUB, f"{where}.streams")
        for index, stream in enumerate(streams[:2])
    )
    ptz = item.get("ptzCapabilities")
    moves = isinstance(ptz, dict) and any(
        ptz.get(key) is True for key in ("supportsPan", "supportsTilt", "supportsZoom")
    )
    return Camera(
        CameraRef(site_id, camera_id),
        name or camera_id,
        streams=infos or (StreamInfo(Quality.MAIN),),
        status=CameraStatus.UNKNOWN,
        ptz=moves,
    )


def _stream_info(stream: object, quality: Quality, where: str) -> StreamInfo:
    if not isinstance(stream, dict):
        raise MalformedResponseError("expected an object", where)
    width = height = None
    resolution = stream.get("resolution")
    if isinstance(resolution, str) and (match := _RESOLUTION.match(resolution)):
        width, height = int(match[1]) or None, int(match[2]) or None
    codec = stream.get("codec")
    return StreamInfo(quality, width, height, codec if isinstance(codec, str) else None)


def groups(body: bytes) -> tuple[Group, ...]:
    found = []
    for index, item in enumerate(_list(_object(body), "groups")):
        where = f"groups[{index}]"
        if not isinstance(item, dict):
            raise MalformedResponseError("expected an object", where)
        group_id = _string(item, "id", where)
        name = item.get("name", group_id)
        members = item.get("cameras", [])
        if not isinstance(name, str):
            raise MalformedResponseError("expected a name", f"{where}.name")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise MalformedResponseError("expected a list of ids", f"{where}.cameras")
        found.append(Group(group_id, name or group_id, tuple(members)))
    return tuple(found)


# -- video ------------------------------------------------------------------------------


def live_urls(body: bytes) -> dict[Quality, str]:
    """The camera's RTSP URLs by quality (``high`` main, ``low`` sub); other protocols and
    qualities are left out."""
    found: dict[Quality, str] = {}
    for index, item in enumerate(_list(_object(body), "streams")):
        where = f"streams[{index}]"
        if not isinstance(item, dict):
            raise MalformedResponseError("expected an object", where)
        url = _string(item, "url", where)
        quality = QUALITIES.get(str(item.get("quality", "")).lower())
        if quality is None or str(item.get("protocol", "rtsp")).lower() != "rtsp":
            continue
        if not url.lower().startswith("rtsp://"):
            raise MalformedResponseError("expected an rtsp:// URL", f"{where}.url")
        found.setdefault(quality, url)
    if not found:
        raise MalformedResponseError("no RTSP stream of a known quality", "streams")
    return found


def playback_url(body: bytes) -> str:
    url = _string(_object(body), "playbackUrl")
    if not url.lower().startswith("rtsp://"):
        raise MalformedResponseError("expected an rtsp:// URL", "playbackUrl")
    return url


def recorded(body: bytes, span: TimeSpan) -> tuple[RecordingSegment, ...]:
    """The timeline's sequences less their gaps, cut to ``span``, oldest first.

    Seed 000 shows gaps only as empty lists; a gap read as ``{startTime,endTime}`` (the
    sequences' own keys) is a guess, and a gap of any other shape is ignored.
    """
    pieces: list[tuple[datetime, datetime]] = []
    for index, item in enumerate(_list(_object(body), "sequences")):
        where = f"sequences[{index}]"
        if not isinstance(item, dict):
            raise MalformedResponseError("expected an object", where)
        start = timestamp(item.get("startTime"), f"{where}.startTime")
        end = timestamp(item.get("endTime"), f"{where}.endTime")
        holes = sorted(_gaps(item.get("gaps", [])))
        for hole_start, hole_end in holes:
            if hole_start > start:
                pieces.append((start, min(hole_start, end)))
            start = max(start, hole_end)
        pieces.append((start, end))
    cut = [(max(a, span.start), min(b, span.end)) for a, b in sorted(pieces)]
    return tuple(RecordingSegment(TimeSpan(a, b)) for a, b in cut if a < b)


def _gaps(gaps: object) -> list[tuple[datetime, datetime]]:
    if not isinstance(gaps, list):
        return []
    found = []
    for gap in gaps:
        if isinstance(gap, dict):
            try:
                start = timestamp(gap.get("startTime"), "gap")
                end = timestamp(gap.get("endTime"), "gap")
            except MalformedResponseError:
                continue
            if start < end:
                found.append((start, end))
    return found


def timestamp(value: object, field: str) -> datetime:
    """ISO 8601 in UTC, as seed 000 writes every time (``2025-10-25T14:30:00Z``)."""
    if not isinstance(value, str) or len(value) > 40:
        raise MalformedResponseError("expected an ISO 8601 time", field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MalformedResponseError("expected an ISO 8601 time", field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise MalformedResponseError("a time out of range", field) from None


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- events -----------------------------------------------------------------------------


def events(body: bytes, site_id: str, camera_id: str) -> tuple[Event, ...]:
    """``/events/{cameraId}``, oldest first."""
    found = []
    for index, item in enumerate(_list(_object(body), "events")):
        where = f"events[{index}]"
        if not isinstance(item, dict):
            raise MalformedResponseError("expected an object", where)
        found.append(
            Event(
                id=_string(item, "eventId", where),
                time=timestamp(item.get("timestamp"), f"{where}.timestamp"),
                type=_string(item, "type", where),
                camera=CameraRef(site_id, camera_id),
                description=_text(item.get("description")),
            )
        )
    return tuple(sorted(found, key=lambda event: event.time))


def pushed(text: str | bytes, site_id: str, serial: int) -> Event | None:
    """One message of the event socket; None for one that is not an event (a reply to
    the subscription). Pushes carry no id: ``serial`` numbers them."""
    document = _object(text)
    kind = document.get("type")
    if not isinstance(kind, str) or "." not in kind:
        return None
    camera_id = document.get("cameraId")
    if camera_id is not None and not isinstance(camera_id, str):
        raise MalformedResponseError("expected an id", "cameraId")
    return Event(
        id=f"ws-{serial}",
        time=timestamp(document.get("timestamp"), "timestamp"),
        type=kind,
        camera=CameraRef(site_id, camera_id) if camera_id else None,
        description=_text(document.get("description")),
    )


def status_change(event: Event) -> tuple[str, CameraStatus] | None:
    status = STATUS_EVENTS.get(event.type)
    if status is None or event.camera is None:
        return None
    return event.camera.camera_id, status


# -- PTZ and exports --------------------------------------------------------------------


def presets(body: bytes) -> tuple[Preset, ...]:
    found = []
    for index, item in enumerate(_list(_object(body), "presets")):
        where = f"presets[{index}]"
        if not isinstance(item, dict):
            raise MalformedResponseError("expected an object", where)
        preset_id = item.get("presetId")
        if not isinstance(preset_id, str | int) or isinstance(preset_id, bool):
            raise MalformedResponseError("expected an id", f"{where}.presetId")
        name = item.get("name", str(preset_id))
        found.append(Preset(str(preset_id), name if isinstance(name, str) else str(preset_id)))
    return tuple(found)


def position(body: bytes) -> GatewayPosition:
    """The ``position`` of a move's answer."""
    document = _object(body)
    place = document.get("position")
    if not isinstance(place, dict):
        raise MalformedResponseError("expected an object", "position")
    return GatewayPosition(*(_number(place, key, "position") for key in ("pan", "tilt", "zoom")))


def export_job(body: bytes) -> ExportJob:
    document = _object(body)
    progress = document.get("progress")
    url = document.get("downloadUrl")
    if progress is not None:
        progress = _number(document, "progress", "")
    if url is not None and not isinstance(url, str):
        raise MalformedResponseError("expected a URL", "downloadUrl")
    return ExportJob(
        _string(document, "exportId"),
        _string(document, "status").lower(),
        progress,
        url,
    )


# -- small readers ----------------------------------------------------------------------


def _object(body: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedResponseError("the gateway did not answer JSON") from None
    if not isinstance(document, dict):
        raise MalformedResponseError("expected a JSON object", "(body)")
    return document


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        raise MalformedResponseError("expected a list", key)
    return value


def _string(document: Mapping[str, Any], key: str, where: str = "") -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedResponseError("expected a non-empty string", f"{where}.{key}".lstrip("."))
    return value


def _number(document: Mapping[str, Any], key: str, where: str) -> float:
    value = document.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise MalformedResponseError("expected a number", f"{where}.{key}".lstrip("."))
    try:
        return float(value)
    except OverflowError:
        raise MalformedResponseError(
            "a number out of range", f"{where}.{key}".lstrip(".")
        ) from None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
