"""Every JSON a MiBee NVR sends, read in one place and mapped onto core models.

The server's wiki (seed 002) is older than the server: where they differ the server's
own shapes win (``../shared/docs/backends.md`` section 2), and where the wiki shows a
form the server once had (PTZ status as ``x``/``y``) both are read. Unknown keys are
ignored; a needed one missing or of the wrong type is a ``MalformedResponseError``
naming it, so a changed server is reported rather than crashing a task.
"""

from __future__ import annotations

import json
import math
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
    HealthState,
    Preset,
    PtzPosition,
    Quality,
    SiteHealth,
    StreamInfo,
    TimeSpan,
)

STATUSES: Mapping[str, CameraStatus] = {
    # The recorder runs: the camera delivers.
    "recording": CameraStatus.ONLINE,
    # Recording switched off by someone; the camera is still there to watch.
    "stopped": CameraStatus.ONLINE,
    "error": CameraStatus.ERROR,
    # Lost and being called again: no pictures until it answers.
    "reconnecting": CameraStatus.OFFLINE,
    "offline": CameraStatus.OFFLINE,
}

SETUP_REQUIRED = (
    "The MiBee server has no password set yet: finish its setup in its own web page "
    "first, then connect again"
)


@dataclass(frozen=True)
class Token:
    token: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Protocols:
    """How a camera's live video can be had: ``rtsp_url`` when the server restreams it."""

    rtsp_url: str | None
    sub_stream: bool
    sub_codec: str | None


@dataclass(frozen=True)
class Health:
    """The server's own account of itself, in its words (``ok``, ``degraded``…)."""

    status: str
    problems: tuple[str, ...] = ()
    uptime: str | None = None


@dataclass(frozen=True)
class Recording:
    id: str
    camera_id: str
    span: TimeSpan


@dataclass(frozen=True)
class RecordingPage:
    recordings: tuple[Recording, ...]
    total: int | None
    next_cursor: str | None


@dataclass(frozen=True)
class TimelinePage:
    segments: tuple[TimeSpan, ...]
    truncated: bool


@dataclass(frozen=True)
class PtzState:
    position: PtzPosition
    moving: bool


@dataclass(frozen=True)
class StatusChange:
    camera_id: str
    status: CameraStatus


# -- reading helpers -------------------------------------------------------------------


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedResponseError(f"the server's {what} is not JSON", what) from None


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedResponseError("expected a JSON object", name)
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedResponseError("expected a JSON array", name)
    return value


def _text(obj: Mapping[str, Any], key: str, name: str | None = None) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedResponseError("missing or not text", name or key)
    return value


def _optional_text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedResponseError("not text", key)
    return value


def _number(obj: Mapping[str, Any], key: str, name: str | None = None) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise MalformedResponseError("missing or not a number", name or key)
    if abs(value) > 1e12:
        raise MalformedResponseError("out of range", name or key)
    return float(value)


def _flag(obj: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise MalformedResponseError("not true or false", key)
    return value


def _time(obj: Mapping[str, Any], key: str, name: str | None = None) -> datetime:
    text = _text(obj, key, name)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MalformedResponseError("not an RFC 3339 time", name or key) from None
    if moment.tzinfo is None:
        raise MalformedResponseError("a time without its offset", name or key)
    return moment.astimezone(UTC)


def _span(obj: Mapping[str, Any], start: str, end: str, where: str) -> TimeSpan:
    begins, ends = _time(obj, start, f"{where}.{start}"), _time(obj, end, f"{where}.{end}")
    if ends < begins:
        raise MalformedResponseError("ends before it starts", f"{where}.{end}")
    return TimeSpan(begins, ends)


# -- login and errors ------------------------------------------------------------------


def token(body: bytes) -> Token:
    """``POST /api/auth/login``: ``{"status","token":"mbs_…","expires_at"}``."""
    obj = _object(_json(body, "login answer"), "login answer")
    value = _text(obj, "token")
    expires = _time(obj, "expires_at") if obj.get("expires_at") is not None else None
    return Token(value, expires)


LOCK_CODES = frozenset({"PTZ_LOCKED", "CAMERA_LOCKED", "ONVIF_PTZ_LOCKED"})
"""[guess] Neither the wiki nor the server's code has a PTZ lock (the wiki's only 409 is
``CAMERA_ALREADY_EXISTS``): a 423, or a 409 with one of these codes, is read as one."""


def error(status: int, body: bytes, retry_after: float | None = None) -> VigilError:
    """A refusal as a typed error in the server's words: status first, then ``code``
    (many errors have none, some are plain text, 401 and 429 have no body at all)."""
    words, code = _error_words(body)
    if status == 503 and code == "SETUP_REQUIRED":
        return NotSupportedError(SETUP_REQUIRED)
    said = f": {words}" if words else ""
    if status == 401:
        return AuthenticationError(f"the MiBee server refused the user name or password{said}")
    if status == 403:
        return PermissionDeniedError(f"the MiBee server does not allow this{said}")
    if status == 423 or (status == 409 and code in LOCK_CODES):
        return PtzLockedError(f"another operator holds the camera{said}", retry_after=retry_after)
    if status == 404:
        return NotFoundError(f"the MiBee server knows no such thing{said}")
    if status == 429:
        return RateLimitedError(
            "the MiBee server asks to slow down (too many failures)", retry_after
        )
    if status == 503 and code == "HLS_MAX_STREAMS":
        return RateLimitedError(f"the MiBee server streams to too many viewers{said}", retry_after)
    if status >= 500:
        return UnreachableError(f"the MiBee server failed ({status}){said}")
    if code in {"HLS_UNSUPPORTED_CODEC", "ONVIF_NOT_CAMERA"}:
        return NotSupportedError(f"the MiBee server cannot do this for the camera{said}")
    return MalformedResponseError(f"the MiBee server refused the request ({status}){said}")


def _error_words(body: bytes) -> tuple[str, str | None]:
    """``{"error","code"?}`` or plain text, cut short; empty for an empty body."""
    text = body[:2000].decode("utf-8", "replace").strip()
    if not text:
        return "", None
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return text[:200], None
    if isinstance(obj, dict):
        message, code = obj.get("error"), obj.get("code")
        return (
            message[:200] if isinstance(message, str) else "",
            code if isinstance(code, str) else None,
        )
    return text[:200], None


# -- cameras ---------------------------------------------------------------------------


def status(value: object) -> CameraStatus:
    """A status word a newer server may have added is shown as unknown, not refused."""
    if not isinstance(value, str):
        return CameraStatus.UNKNOWN
    return STATUSES.get(value.lower(), CameraStatus.UNKNOWN)


def cameras(body: bytes, site_id: str) -> tuple[Camera, ...]:
    """``GET /api/cameras``: a bare array; disabled cameras are left out of the tree."""
    found: list[Camera] = []
    for index, item in enumerate(_list(_json(body, "camera list"), "cameras")):
        obj = _object(item, f"cameras[{index}]")
        camera_id = _text(obj, "id", f"cameras[{index}].id")
        if not _flag(obj, "enabled", True):
            continue
        name = _optional_text(obj, "name") or camera_id
        found.append(
            Camera(
                CameraRef(site_id, camera_id),
                name,
                (StreamInfo(Quality.MAIN, codec=_optional_text(obj, "encoding")),),
                status(obj.get("status")),
                ptz=obj.get("protocol") == "onvif",
            )
        )
    return tuple(found)


def protocols(body: bytes) -> Protocols:
    """``GET /api/cameras/{id}/protocols``: ``{protocols, sub_stream, rtsp?}``."""
    obj = _object(_json(body, "protocols"), "protocols")
    sub = _object(obj.get("sub_stream") or {}, "sub_stream")
    rtsp = _object(obj.get("rtsp") or {}, "rtsp")
    url = _optional_text(rtsp, "url") if _flag(rtsp, "available") else None
    return Protocols(url, _flag(sub, "available"), _optional_text(sub, "codec"))


def stream_infos(found: Protocols, codec: str | None) -> tuple[StreamInfo, ...]:
    main = StreamInfo(Quality.MAIN, codec=codec)
    if found.sub_stream:
        return main, StreamInfo(Quality.SUB, codec=found.sub_codec or codec)
    return (main,)


# -- health ----------------------------------------------------------------------------


def health(body: bytes) -> Health:
    """``GET /api/health``: ``{status, checks:{name:{status,message}}, uptime}``."""
    obj = _object(_json(body, "health"), "health")
    checks = _object(obj.get("checks") or {}, "checks")
    problems: list[str] = []
    for name, check in checks.items():
        entry = _object(check, f"checks.{name}")
        state = _text(entry, "status", f"checks.{name}.status")
        if state != "ok":
            message = _optional_text(entry, "message")
            problems.append(f"{name}: {message or state}")
    return Health(_text(obj, "status"), tuple(problems), _optional_text(obj, "uptime"))


def readiness(body: bytes) -> str:
    """``GET /api/readyz``: ``{"status":"ok"}``."""
    return _text(_object(_json(body, "readiness"), "readiness"), "status")


HEALTH_STATES: Mapping[str, HealthState] = {
    "ok": HealthState.OK,
    "healthy": HealthState.OK,
    "degraded": HealthState.DEGRADED,
    "warning": HealthState.DEGRADED,
    "error": HealthState.DOWN,
    "unhealthy": HealthState.DOWN,
    "down": HealthState.DOWN,
    "fail": HealthState.DOWN,
}


def site_health(found: Health, ready: str | None, http_status: int = 200) -> SiteHealth:
    """The server's words as a SiteHealth: its status word decides (a word we do not
    know is degraded: the server says something is not right); a 503 is down whatever
    its body says, and a server that is not ready is at least degraded."""
    state = HEALTH_STATES.get(found.status.lower(), HealthState.DEGRADED)
    if http_status == 503:
        state = HealthState.DOWN
    details = list(found.problems)
    if ready is not None and ready.lower() != "ok":
        details.append(f"readiness: {ready}")
        if state is HealthState.OK:
            state = HealthState.DEGRADED
    if found.uptime:
        details.append(f"up {found.uptime}")
    return SiteHealth(state, found.status, tuple(details))


# -- recordings ------------------------------------------------------------------------


def recording(item: Any, where: str = "recording") -> Recording:
    obj = _object(item, where)
    ident = obj.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool):
        ident = str(ident)
    if not isinstance(ident, str) or not ident:
        raise MalformedResponseError("missing or not text", f"{where}.id")
    camera = _text(obj, "camera_id", f"{where}.camera_id")
    return Recording(ident, camera, _span(obj, "started_at", "ended_at", where))


def recordings(body: bytes) -> RecordingPage:
    """``GET /api/recordings``: ``{recordings, total, next_cursor?}``."""
    obj = _object(_json(body, "recordings"), "recordings")
    rows = _list(obj.get("recordings"), "recordings")
    total = obj.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
        raise MalformedResponseError("not a whole number", "total")
    return RecordingPage(
        tuple(recording(row, f"recordings[{i}]") for i, row in enumerate(rows)),
        total,
        _optional_text(obj, "next_cursor"),
    )


def timeline(body: bytes) -> TimelinePage:
    """``GET /api/recordings/timeline``: ``{segments:[{start,end}], total, truncated}``
    (key names a guess; ``started_at``/``ended_at`` read too)."""
    obj = _object(_json(body, "timeline"), "timeline")
    spans: list[TimeSpan] = []
    for index, item in enumerate(_list(obj.get("segments"), "segments")):
        row = _object(item, f"segments[{index}]")
        keys = ("start", "end") if "start" in row else ("started_at", "ended_at")
        spans.append(_span(row, *keys, f"segments[{index}]"))
    return TimelinePage(tuple(spans), _flag(obj, "truncated"))


def gaps(body: bytes) -> tuple[TimeSpan, ...]:
    """``GET /api/cameras/{id}/timeline/gaps``: ``{gaps:[{start,end,duration}]}``."""
    obj = _object(_json(body, "gaps"), "gaps")
    return tuple(
        _span(_object(item, f"gaps[{i}]"), "start", "end", f"gaps[{i}]")
        for i, item in enumerate(_list(obj.get("gaps"), "gaps"))
    )


# -- PTZ -------------------------------------------------------------------------------


def reply(body: bytes) -> str:
    """``{"status":"ok"|"stopped"|"moving"|"deleted"…}``: the word, for the log."""
    return _text(_object(_json(body, "reply"), "reply"), "status")


def ptz_state(body: bytes) -> PtzState:
    """``{pan,tilt,zoom,moving}`` (the server) or ``{x,y,zoom}`` (the wiki)."""
    obj = _object(_json(body, "PTZ status"), "PTZ status")
    pan, tilt = ("pan", "tilt") if "pan" in obj or "x" not in obj else ("x", "y")
    position = PtzPosition(_number(obj, pan), _number(obj, tilt), _number(obj, "zoom"))
    return PtzState(position, _flag(obj, "moving"))


def presets(body: bytes) -> tuple[Preset, ...]:
    """``{presets:[{token,name,position}]}``."""
    obj = _object(_json(body, "presets"), "presets")
    found: list[Preset] = []
    for index, item in enumerate(_list(obj.get("presets"), "presets")):
        row = _object(item, f"presets[{index}]")
        token_ = _text(row, "token", f"presets[{index}].token")
        found.append(Preset(token_, _optional_text(row, "name") or token_))
    return tuple(found)


def preset_token(body: bytes) -> str:
    """``POST …/ptz/presets``: ``{"token"}``."""
    return _text(_object(_json(body, "new preset"), "new preset"), "token")


# -- events ----------------------------------------------------------------------------


def event(data: str) -> tuple[str, Any]:
    """One SSE ``data:`` payload: ``{"Topic","Data"}`` or ``{"topic","data"}``."""
    obj = _object(_json(data.encode("utf-8", "replace"), "event"), "event")
    topic = obj.get("Topic", obj.get("topic"))
    if not isinstance(topic, str):
        raise MalformedResponseError("missing or not text", "Topic")
    return topic, obj.get("Data", obj.get("data"))


def status_change(payload: Any) -> StatusChange | None:
    """A camera's new status, if the event carries one (topic names are undocumented:
    any event naming a camera and one of the status words is taken as one)."""
    if not isinstance(payload, dict):
        return None
    camera = payload.get("camera_id", payload.get("id"))
    word = payload.get("status")
    if not isinstance(camera, str) or not camera or not isinstance(word, str):
        return None
    if word.lower() not in STATUSES:
        return None
    return StatusChange(camera, STATUSES[word.lower()])
