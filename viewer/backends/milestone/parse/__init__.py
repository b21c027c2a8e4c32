"""Everything an XProtect server sends, read in one place and mapped onto core models:
here the IDP, the Config API's directory, WebRTC sessions, bookmarks and errors; events
and PTZ in the modules beside this one, which share its helpers.

The server's objects carry dozens of fields we do not need and more with each release,
so unknown fields are ignored; a field we need that is missing or of the wrong type is a
:class:`MalformedResponseError` naming it. Booleans arrive as JSON booleans on 2025 R1 but
as ``"True"``/``"False"`` strings from older gateways, so both are read. Errors keep the
server's own words (``errorText``, ``error_description``, an HTML page's title), because
those are what an administrator can search for.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    RateLimitedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import (
    Bookmark,
    Camera,
    CameraRef,
    CameraStatus,
    EvidenceLock,
    Quality,
    StreamInfo,
    TimeSpan,
)
from viewer.core.redact import redact_text

# Release names by (major, minor) of the product version: 25.1 is "2025 R1".
_FIRST_YEAR = 2000
_HTML_TITLE = re.compile(r"<title[^>]*>(?P<title>.*?)</title>", re.IGNORECASE | re.DOTALL)
_MAX_WORDS = 300


@dataclass(frozen=True)
class Token:
    """An IDP access token; ``refresh_token`` only from clients the server gives one to."""

    access_token: str = field(repr=False)
    expires_in: float
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, order=True)
class ServerVersion:
    """The product version of a site; ordered, so features can be gated on a release."""

    major: int
    minor: int
    build: int = 0
    revision: int = 0

    @property
    def release(self) -> str:
        """The name operators know, e.g. ``2025 R1`` for 25.1."""
        return f"{_FIRST_YEAR + self.major} R{self.minor}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.build}.{self.revision}"


@dataclass(frozen=True)
class Group:
    id: str
    name: str


@dataclass(frozen=True)
class CameraPage:
    """One page of ``/cameras``; ``count`` is what the server sent, hidden ones included,
    because only a page shorter than asked for says it was the last."""

    cameras: tuple[Camera, ...]
    count: int


@dataclass(frozen=True)
class Stream:
    """One of a camera's streams; ``id`` is what a WebRTC session asks for as ``streamId``."""

    id: str
    name: str
    live_default: bool


def _decode(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedResponseError("the server's answer is not JSON") from None


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedResponseError("expected an object", name)
    return value


def _text(container: dict[str, Any], key: str, name: str | None = None) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedResponseError("expected a non-empty string", name or key)
    return value


def _flag(container: dict[str, Any], key: str, default: bool) -> bool:
    value = container.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedResponseError("expected true or false", key)


def _array(body: bytes | str) -> list[dict[str, Any]]:
    """The items of a Config API list envelope ``{"array":[...]}``."""
    items = _object(_decode(body), "(body)").get("array")
    if not isinstance(items, list):
        raise MalformedResponseError("expected a list", "array")
    return [_object(item, f"array[{index}]") for index, item in enumerate(items)]


def data(body: bytes | str) -> dict[str, Any]:
    """The object of a Config API single-object envelope ``{"data":{...}}``."""
    return _object(_object(_decode(body), "(body)").get("data"), "data")


def token(body: bytes | str) -> Token:
    document = _object(_decode(body), "(body)")
    access = _text(document, "access_token")
    kind = document.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise MalformedResponseError("only Bearer tokens are understood", "token_type")
    expires = document.get("expires_in")
    if isinstance(expires, bool) or not isinstance(expires, int | float) or not expires > 0:
        raise MalformedResponseError("expected a positive number of seconds", "expires_in")
    refresh = document.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise MalformedResponseError("expected a non-empty string", "refresh_token")
    return Token(access, float(expires), refresh)


def version(body: bytes | str) -> ServerVersion:
    """The version of the first site of ``/sites`` (the one we are connected to)."""
    sites = _array(body)
    if not sites:
        raise MalformedResponseError("the server lists no site", "array")
    text = _text(sites[0], "version", "array[0].version")
    parts = text.split(".")
    if not 2 <= len(parts) <= 4 or not all(p.isascii() and p.isdigit() for p in parts):
        raise MalformedResponseError(f"unknown version {text[:40]!r}", "array[0].version")
    numbers = [int(part) for part in parts]
    return ServerVersion(*numbers)


def groups(body: bytes | str) -> tuple[Group, ...]:
    result = []
    for index, item in enumerate(_array(body)):
        group_id = _text(item, "id", f"array[{index}].id")
        name = item.get("displayName") or item.get("name") or group_id
        if not isinstance(name, str):
            raise MalformedResponseError("expected a string", f"array[{index}].displayName")
        result.append(Group(group_id, name))
    return tuple(result)


def cameras(body: bytes | str, site_id: str) -> CameraPage:
    """A page of cameras with the disabled ones left out: an operator cannot watch them."""
    items = _array(body)
    result = []
    for index, item in enumerate(items):
        camera_id = _text(item, "id", f"array[{index}].id")
        name = item.get("displayName") or item.get("name") or camera_id
        if not isinstance(name, str):
            raise MalformedResponseError("expected a string", f"array[{index}].displayName")
        if not _flag(item, "enabled", True):
            continue
        result.append(
            Camera(
                ref=CameraRef(site_id, camera_id),
                name=name,
                status=CameraStatus.UNKNOWN,
                ptz=_flag(item, "ptzEnabled", False),
            )
        )
    return CameraPage(tuple(result), len(items))


def streams(body: bytes | str) -> tuple[Stream, ...]:
    """``/cameras/{id}/streams``: a list envelope whose one item holds ``stream:[...]``
    (documented, not yet seen on a real server, so a ``{"data":{...}}`` envelope is read too)."""
    document = _object(_decode(body), "(body)")
    holders = [data(body)] if "data" in document else _array(body)
    result = []
    for item in holders:
        entries = item.get("stream")
        if not isinstance(entries, list):
            raise MalformedResponseError("expected a list", "stream")
        for index, raw in enumerate(entries):
            entry = _object(raw, f"stream[{index}]")
            result.append(
                Stream(
                    id=_text(entry, "streamReferenceId", f"stream[{index}].streamReferenceId"),
                    name=str(entry.get("name") or ""),
                    live_default=_flag(entry, "liveDefault", False),
                )
            )
    return tuple(result)


def stream_infos(found: tuple[Stream, ...]) -> tuple[StreamInfo, ...]:
    """The default live stream is the main one; any other offered becomes the sub-stream."""
    if not found:
        return (StreamInfo(Quality.MAIN),)
    infos = [StreamInfo(Quality.MAIN)]
    if any(not stream.live_default for stream in found):
        infos.append(StreamInfo(Quality.SUB))
    return tuple(infos)


def _words(text: str) -> str:
    """A server's words, fit for an error message: one line, short, and never a secret
    (a gateway may echo a request back)."""
    return redact_text(" ".join(text.split())[:_MAX_WORDS])


def oauth_error(status: int, body: bytes | str) -> VigilError:
    """The IDP's refusal: ``{"error","error_description"}``, in the server's words."""
    try:
        document = _object(_decode(body), "(body)")
    except MalformedResponseError:
        return http_error(status, body)
    code, description = document.get("error"), document.get("error_description")
    if not isinstance(code, str):
        return http_error(status, body)
    said = _words(description) if isinstance(description, str) and description else code
    if code in ("invalid_grant", "invalid_client", "unauthorized_client") or status == 401:
        return AuthenticationError(f"the server refused the login: {said}")
    return NotSupportedError(f"the server refused the login request ({code}): {said}")


def _server_words(body: bytes | str) -> str | None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        details = document["error"].get("details")
        if isinstance(details, list):
            said = [
                _words(detail["errorText"])
                for detail in details
                if isinstance(detail, dict) and isinstance(detail.get("errorText"), str)
            ]
            if said:
                return "; ".join(said)
    match = _HTML_TITLE.search(text)
    if match:
        return _words(html.unescape(match["title"])) or None
    return None


def http_error(status: int, body: bytes | str, retry_after: float | None = None) -> VigilError:
    """A failed Config API or gateway answer as a typed error with the server's words.

    XProtect's envelope is ``{"error":{"httpCode",...,"details":[{"errorText"}]}}``; a
    gateway in front of it (IIS, a proxy) answers 502/503 with an HTML page instead.
    """
    said = _server_words(body)
    words = f": {said}" if said else ""
    if status == 401:
        return AuthenticationError(f"the server refused access (HTTP 401){words}")
    if status == 403:
        return PermissionDeniedError(f"the server does not permit this (HTTP 403){words}")
    if status == 404:
        return NotFoundError(f"the server knows no such resource (HTTP 404){words}")
    if status == 429:
        return RateLimitedError(f"the server asks to slow down (HTTP 429){words}", retry_after)
    if status >= 500:
        return UnreachableError(f"the server cannot answer now (HTTP {status}){words}")
    return NotSupportedError(f"the server refused the request (HTTP {status}){words}")


# -- WebRTC ----------------------------------------------------------------------------
# The session's offer and the server's candidates arrive as JSON *strings* inside the JSON
# (a 2025 R1 server escapes their quotes as \u0022): {"offerSDP":"{\"type\":\"offer\",…}"}.

_CANDIDATE = re.compile(
    r"candidate:(?P<foundation>\S{1,64}) (?P<component>[0-9]{1,3}) (?P<transport>[A-Za-z]{1,8})"
    r" (?P<priority>[0-9]{1,10}) (?P<address>\S{1,255}) (?P<port>[0-9]{1,5}) typ [a-z]{1,8}"
    r"(?: \S{1,255})*",
    re.ASCII,
)
# Payload formats that carry no picture of their own: naming them as the camera's codec
# would mislead whoever reads the message.


@dataclass(frozen=True)
class WebRtcSession:
    """A session the server created: its id and the offer SDP's text."""

    id: str
    offer_sdp: str = field(repr=False)


@dataclass(frozen=True)
class ChannelReply:
    """A response on the ``videoos-commands`` data channel; ``error`` in the server's words."""

    method: str | None
    error: str | None


def webrtc_session(body: bytes | str) -> WebRtcSession:
    """``POST …/WebRTC/Session``'s answer: ``sessionId`` and ``offerSDP``, a JSON string of
    ``{"type":"offer","sdp"}``."""
    document = _object(_decode(body), "(body)")
    session_id = _text(document, "sessionId")
    offer = _embedded(_text(document, "offerSDP"), "offerSDP")
    if offer.get("type") != "offer":
        raise MalformedResponseError("expected an offer", "offerSDP.type")
    return WebRtcSession(session_id, _text(offer, "sdp", "offerSDP.sdp"))


def _embedded(text: str, name: str) -> dict[str, Any]:
    try:
        return _object(_decode(text), name)
    except MalformedResponseError:
        raise MalformedResponseError("expected a JSON object in the string", name) from None


def ice_candidates(body: bytes | str) -> tuple[str, ...]:
    """``GET …/WebRTC/IceCandidates/{id}``: ``{"candidates":[…]}``, cumulative, each a JSON
    string of an ``RTCIceCandidateInit``. The ``candidate:…`` lines, each once, in order;
    an empty one (the end of candidates) is left out."""
    items = _object(_decode(body), "(body)").get("candidates")
    if not isinstance(items, list):
        raise MalformedResponseError("expected a list", "candidates")
    lines: dict[str, None] = {}
    for index, item in enumerate(items):
        line = _candidate(item, f"candidates[{index}]")
        if line:
            lines[line] = None
    return tuple(lines)


def _candidate(item: object, name: str) -> str:
    if isinstance(item, str) and not item.lstrip().startswith(("candidate:", "a=candidate:")):
        item = _embedded(item, name)
    if isinstance(item, dict):
        item = item.get("candidate")
    if not isinstance(item, str):
        raise MalformedResponseError("expected a candidate", name)
    line = " ".join(item.split()).removeprefix("a=")
    if line and not line.startswith("candidate:"):
        line = f"candidate:{line}"  # aiortc's own text leaves the prefix out
    if line and not _CANDIDATE.fullmatch(line):
        raise MalformedResponseError(f"not an ICE candidate: {_words(line)[:80]!r}", name)
    return line


def channel_reply(text: str) -> ChannelReply | None:
    """A data-channel message: a response to a request of ours, or None for anything else
    (the server may push other messages). How a refusal is spelled is not documented
    [guess]: an ``error`` (text or object) beside the response or in its ``params``."""
    document = _object(_decode(text), "(message)")
    if document.get("type") != "response":
        return None
    method = document.get("method")
    params = document.get("params")
    error = document.get("error")
    if not error and isinstance(params, dict):
        error = params.get("error")
    return ChannelReply(method if isinstance(method, str) else None, _said(error))


def _said(error: object) -> str | None:
    if not error:
        return None
    if isinstance(error, dict):
        for key in ("message", "errorText", "description", "code"):
            if isinstance(error.get(key), str) and error[key]:
                return _words(error[key])
        return "no reason given"
    return _words(str(error)) or "no reason given"


# -- Bookmarks, evidence locks, recording servers (2024 R2+ for the first two) --------
# Documented only (MIP VMS Bookmarks and Evidence Locks REST, 1.0.0): a bookmark's id is
# its ``relations.self.id``, an evidence lock's also ``id``; times are UTC with up to seven
# decimals (``9999-12-31T22:59:59.9999999Z``), so they are read to the microsecond.

_MAX_TIME_TEXT = 40


@dataclass(frozen=True)
class RecordingServer:
    """A recorder; its SOAP services (``RecorderCommandService``) live under ``web_uri``."""

    id: str
    web_uri: str


def instant(value: Any, name: str) -> datetime:
    """A server's ISO 8601 time as aware UTC; one without a zone is UTC, as XProtect's are."""
    if not isinstance(value, str) or not value.isascii() or len(value) > _MAX_TIME_TEXT:
        raise MalformedResponseError("expected a time", name)
    if "T" not in value:
        raise MalformedResponseError("expected a date and a time", name)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponseError(f"unreadable time {value!r}", name) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise MalformedResponseError(f"time out of range {value!r}", name) from None


def iso(moment: datetime) -> str:
    """A time as the Config API writes them: UTC, ``Z``."""
    utc = moment.astimezone(UTC)  # strftime's %Y drops the zeros of a year before 1000
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


def _span(item: dict[str, Any], begin: str, end: str, where: str) -> TimeSpan:
    start = instant(item.get(begin), f"{where}.{begin}")
    stop = instant(item.get(end), f"{where}.{end}")
    if stop < start:
        raise MalformedResponseError("ends before it begins", f"{where}.{end}")
    return TimeSpan(start, stop)


def _own_id(item: dict[str, Any], where: str) -> str:
    if isinstance(item.get("id"), str) and item["id"]:
        return str(item["id"])
    self_ref = _object(_object(item.get("relations"), f"{where}.relations").get("self"), "self")
    return _text(self_ref, "id", f"{where}.relations.self.id")


def _device(path: Any, where: str) -> str:
    """A ``devicePath`` ``{"type":"cameras","id"}``'s camera id."""
    device = _object(path, where)
    kind = device.get("type", "cameras")
    if not isinstance(kind, str) or kind.lower() != "cameras":
        raise MalformedResponseError("expected a camera", f"{where}.type")
    return _text(device, "id", f"{where}.id")


def _words_of(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedResponseError("expected a string", f"{where}.{key}")
    return value


def _one(body: bytes | str) -> dict[str, Any]:
    """The object of a ``{"data":{...}}`` or (for a task) ``{"result":{...}}`` envelope."""
    document = _object(_decode(body), "(body)")
    key = "data" if "data" in document else "result"
    return _object(document.get(key), key)


def _many(body: bytes | str) -> list[dict[str, Any]]:
    """A search task's items: ``{"array":[...]}`` [guess], or a ``result`` list."""
    document = _object(_decode(body), "(body)")
    key = "array" if "array" in document else "result"
    items = document.get(key)
    if not isinstance(items, list):
        raise MalformedResponseError("expected a list", key)
    return [_object(item, f"{key}[{index}]") for index, item in enumerate(items)]


def _bookmark(item: dict[str, Any], site_id: str, where: str) -> Bookmark:
    return Bookmark(
        id=_own_id(item, where),
        camera=CameraRef(site_id, _device(item.get("devicePath"), f"{where}.devicePath")),
        span=_span(item, "timeBegin", "timeEnd", where),
        header=_words_of(item, "header", where),
        description=_words_of(item, "description", where),
    )


def bookmark(body: bytes | str, site_id: str) -> Bookmark:
    """``GET``/``PATCH /bookmarks/{id}`` (``data``) or a created one (``result``)."""
    return _bookmark(_one(body), site_id, "bookmark")


def bookmarks(body: bytes | str, site_id: str) -> tuple[Bookmark, ...]:
    return tuple(
        _bookmark(item, site_id, f"array[{index}]") for index, item in enumerate(_many(body))
    )


def _evidence_lock(item: dict[str, Any], site_id: str, where: str) -> EvidenceLock:
    paths = item.get("devicePaths")
    if not isinstance(paths, list):
        raise MalformedResponseError("expected a list", f"{where}.devicePaths")
    cameras = tuple(
        CameraRef(site_id, _device(path, f"{where}.devicePaths[{index}]"))
        for index, path in enumerate(paths)
    )
    return EvidenceLock(
        id=_own_id(item, where),
        cameras=cameras,
        span=_span(item, "startTime", "endTime", where),
        header=_words_of(item, "header", where),
        description=_words_of(item, "description", where),
    )


def evidence_lock(body: bytes | str, site_id: str) -> EvidenceLock:
    return _evidence_lock(_one(body), site_id, "evidenceLock")


def evidence_locks(body: bytes | str, site_id: str) -> tuple[EvidenceLock, ...]:
    return tuple(
        _evidence_lock(item, site_id, f"array[{index}]") for index, item in enumerate(_many(body))
    )


def recording_servers(body: bytes | str) -> tuple[RecordingServer, ...]:
    """``/recordingServers``: each recorder's ``webServerUri`` (``http://host:7563/``)."""
    result = []
    for index, item in enumerate(_array(body)):
        uri = _text(item, "webServerUri", f"array[{index}].webServerUri")
        if not uri.lower().startswith(("http://", "https://")):
            raise MalformedResponseError("expected an http(s) address", "webServerUri")
        result.append(RecordingServer(_own_id(item, f"array[{index}]"), uri))
    return tuple(result)
