"""ONVIF's SOAP 1.2, written and read for the few PTZ calls Vigil makes.

Envelopes are written by hand and answers read with ElementTree: a SOAP library (zeep,
under onvif-zeep-async) would bring lxml, requests and aiohttp, about 13 MB in the
package, which does not fit its 250 MB (ARCHITECTURE.md, "Plain RTSP cameras and
ONVIF PTZ"). Elements are matched by local name: cameras differ in where they declare
namespaces and which schema versions they name. A camera is only semi-trusted: SOAP
forbids a document type declaration, so an answer carrying one (an entity expansion
rides on it) is refused before it is parsed, and every field read is checked.

Positions are ONVIF's generic spaces, which are Vigil's own units: pan and tilt -1 to 1
over the head's range, zoom 0 to 1; translations and velocities -1 to 1.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import Preset, PtzPosition

ENV = "http://www.w3.org/2003/05/soap-envelope"
DEVICE = "http://www.onvif.org/ver10/device/wsdl"
MEDIA = "http://www.onvif.org/ver10/media/wsdl"
PTZ = "http://www.onvif.org/ver20/ptz/wsdl"
SCHEMA = "http://www.onvif.org/ver10/schema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSS_USERNAME_PROFILE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
)
SPACES = "http://www.onvif.org/ver10/tptz"
PAN_TILT_POSITION = f"{SPACES}/PanTiltSpaces/PositionGenericSpace"
ZOOM_POSITION = f"{SPACES}/ZoomSpaces/PositionGenericSpace"
PAN_TILT_TRANSLATION = f"{SPACES}/PanTiltSpaces/TranslationGenericSpace"
ZOOM_TRANSLATION = f"{SPACES}/ZoomSpaces/TranslationGenericSpace"
PAN_TILT_VELOCITY = f"{SPACES}/PanTiltSpaces/VelocityGenericSpace"
ZOOM_VELOCITY = f"{SPACES}/ZoomSpaces/VelocityGenericSpace"

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_WORDS = 300
_MAX_TOKEN = 64
"""ONVIF's ReferenceToken is at most 64 characters."""
_NOT_FOUND = frozenset({"NoProfile", "NoToken", "NoEntity", "NoConfig", "NoPTZProfile"})
_NOT_SUPPORTED = frozenset(
    {"ActionNotSupported", "NotSupported", "PTZNotSupported", "NoSuchService", "ConfigModify"}
)


@dataclass(frozen=True)
class Profile:
    """A media profile; only one with a PTZ configuration (its node) can be moved."""

    token: str
    node: str | None


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def clamp(self, value: float) -> float:
        return max(self.low, min(self.high, value))


@dataclass(frozen=True)
class Node:
    """What a PTZ node can do, in the generic spaces (the only ones Vigil speaks); a
    space the node lists under another URI counts as missing."""

    token: str
    absolute: tuple[Range, Range] | None = None
    absolute_zoom: Range | None = None
    relative: bool = False
    relative_zoom: bool = False
    continuous: bool = False
    continuous_zoom: bool = False


# -- requests -------------------------------------------------------------------------


def username_token(user: str, password: str, created: datetime, nonce: bytes) -> str:
    """A WS-Security header with a PasswordDigest UsernameToken (WS-Security's
    UsernameToken profile 1.0): Base64(SHA-1(nonce + created + password)), so the
    password itself never travels. ``created`` is the camera's clock, not ours."""
    stamp = _stamp(created)
    # The profile defines the digest as SHA-1; nothing else is accepted.
    digest = hashlib.sha1(nonce + stamp.encode() + password.encode()).digest()  # noqa: S324
    return (
        f'<s:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" '
        's:mustUnderstand="true"><wsse:UsernameToken>'
        f"<wsse:Username>{escape(user)}</wsse:Username>"
        f'<wsse:Password Type="{WSS_USERNAME_PROFILE}#PasswordDigest">'
        f"{base64.b64encode(digest).decode()}</wsse:Password>"
        f'<wsse:Nonce EncodingType="{_BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{stamp}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>"
    )


_BASE64 = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)


def _stamp(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    # An f-string, not strftime: glibc writes the year 999 without its zero.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def envelope(namespace: str, operation: str, content: str = "", header: str = "") -> bytes:
    """A SOAP 1.2 request; ``content`` is already XML (the values in it escaped)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{ENV}" xmlns:tt="{SCHEMA}">{header}<s:Body>'
        f'<op:{operation} xmlns:op="{namespace}">{content}</op:{operation}>'
        "</s:Body></s:Envelope>"
    ).encode()


def element(name: str, text: str) -> str:
    """``<op:name>text</op:name>`` in the operation's namespace, text escaped."""
    return f"<op:{name}>{escape(text)}</op:{name}>"


def vector(
    name: str,
    pan_tilt: tuple[float, float] | None,
    zoom: float | None,
    spaces: tuple[str, str] | None = None,
) -> str:
    """A PTZVector or PTZSpeed element: ``pan_tilt`` as x and y, ``zoom`` as x (either
    left out when None), each in the generic space ``spaces`` names, when given."""
    parts = []
    if pan_tilt is not None:
        space = f" space={quoteattr(spaces[0])}" if spaces else ""
        parts.append(f'<tt:PanTilt x="{_number(pan_tilt[0])}" y="{_number(pan_tilt[1])}"{space}/>')
    if zoom is not None:
        space = f" space={quoteattr(spaces[1])}" if spaces else ""
        parts.append(f'<tt:Zoom x="{_number(zoom)}"{space}/>')
    return f"<op:{name}>{''.join(parts)}</op:{name}>"


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("a PTZ value must be finite")
    return f"{value:.6f}"


def duration(seconds: float) -> str:
    """An xs:duration of whole and tenth seconds (``PT6S``, ``PT0.5S``)."""
    return f"PT{round(seconds, 1):g}S"


# -- answers ----------------------------------------------------------------------------


def answer_of(data: bytes, status: int, operation: str) -> ET.Element:
    """The ``<operation>Response`` element of a camera's answer.

    A SOAP fault becomes the typed error its subcode calls for (ONVIF Core, 5.11.2):
    ``ter:NotAuthorized`` an AuthenticationError (the caller, which knows whether these
    credentials were accepted before, may make it PermissionDeniedError), a missing
    profile, token or node a NotFoundError, an action the camera lacks a
    NotSupportedError, any other sender fault a NotSupportedError with the camera's words,
    a receiver fault an UnreachableError with them. A non-SOAP 401 or 403 (a camera
    asking for HTTP Digest instead) is refused the same way.
    """
    if _DECLARATION.search(data):
        raise MalformedResponseError("the camera answered with a document type declaration")
    try:
        # No DOCTYPE got here: no entities to expand, nothing external to fetch.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError:
        raise _http_error(status) or MalformedResponseError(
            f"the camera's answer to {operation} is not XML"
        ) from None
    if _local(root.tag) != "Envelope":
        raise _http_error(status) or MalformedResponseError(
            f"the camera's answer to {operation} is not a SOAP envelope"
        )
    body = _child(root, "Body")
    if body is None or len(body) == 0:
        raise _http_error(status) or MalformedResponseError(
            "the camera's answer has no body", "Body"
        )
    first = body[0]
    if _local(first.tag) == "Fault":
        raise fault_error(first, operation)
    if not 200 <= status < 300:
        raise _http_error(status) or UnreachableError(f"the camera failed ({status})")
    if _local(first.tag) != f"{operation}Response":
        raise MalformedResponseError(
            f"the camera answered {_local(first.tag)[:64]!r} to {operation}", "Body"
        )
    return first


def _http_error(status: int) -> VigilError | None:
    if status == 401:
        return AuthenticationError("the camera refused the user name or password (HTTP 401)")
    if status == 403:
        return PermissionDeniedError("the camera does not allow this (HTTP 403)")
    if status >= 500:
        return UnreachableError(f"the camera failed ({status})")
    return None


def fault_error(fault: ET.Element, operation: str) -> VigilError:
    """The typed error of a SOAP 1.2 (or 1.1) fault, in the camera's words."""
    codes = [
        _local_value(value.text or "")
        for value in fault.iter()
        if _local(value.tag) in ("Value", "faultcode")
    ]
    reason = next(
        (
            " ".join((text.text or "").split())
            for text in fault.iter()
            if _local(text.tag) in ("Text", "faultstring") and (text.text or "").strip()
        ),
        "",
    )
    said = f": {reason[:_MAX_WORDS]}" if reason else ""
    names = set(codes)
    if "NotAuthorized" in names:
        return AuthenticationError(f"the camera refused the user name or password{said}")
    if names & _NOT_FOUND:
        return NotFoundError(f"the camera knows no such profile, preset or node{said}")
    if names & _NOT_SUPPORTED:
        return NotSupportedError(f"the camera cannot do {operation}{said}")
    if "Receiver" in names:
        return UnreachableError(f"the camera failed to do {operation}{said}")
    subcode = next((c for c in reversed(codes) if c not in ("Sender", "Receiver")), "")
    code = f" ({subcode[:64]})" if subcode else ""
    return NotSupportedError(f"the camera refused {operation}{code}{said}")


def date_time(answer: ET.Element) -> datetime:
    """The camera's UTC clock from GetSystemDateAndTime, which a UsernameToken's Created
    must follow (cameras refuse one minutes off, and few keep NTP time)."""
    utc = _find(answer, "SystemDateAndTime", "UTCDateTime")
    if utc is None:
        raise MalformedResponseError("the camera gave no UTC time", "UTCDateTime")
    values = {
        name: _whole(_find(utc, part, name), name)
        for part, name in (
            ("Date", "Year"),
            ("Date", "Month"),
            ("Date", "Day"),
            ("Time", "Hour"),
            ("Time", "Minute"),
            ("Time", "Second"),
        )
    }
    try:
        return datetime(
            values["Year"],
            values["Month"],
            values["Day"],
            values["Hour"],
            values["Minute"],
            min(values["Second"], 59),
            tzinfo=UTC,
        )
    except (ValueError, OverflowError):
        raise MalformedResponseError("not a date and time", "UTCDateTime") from None


def service_addresses(answer: ET.Element) -> dict[str, str]:
    """Each service's address by namespace, from GetServices."""
    found: dict[str, str] = {}
    for service in answer:
        if _local(service.tag) != "Service":
            continue
        namespace = (_text(_child(service, "Namespace")) or "").strip()
        address = (_text(_child(service, "XAddr")) or "").strip()
        if namespace and address:
            found.setdefault(namespace, address)
    return found


def capability_addresses(answer: ET.Element) -> dict[str, str]:
    """The media and PTZ addresses by namespace, from GetCapabilities (ONVIF 1.0's way,
    which cameras without GetServices still answer)."""
    capabilities = _child(answer, "Capabilities")
    found: dict[str, str] = {}
    if capabilities is None:
        return found
    for name, namespace in (("Media", MEDIA), ("PTZ", PTZ)):
        address = (_text(_find(capabilities, name, "XAddr")) or "").strip()
        if address:
            found[namespace] = address
    return found


def profiles(answer: ET.Element) -> tuple[Profile, ...]:
    """GetProfiles' profiles, in the camera's order."""
    found = []
    for profile in answer:
        if _local(profile.tag) != "Profiles":
            continue
        token = _token(profile.get("token"), "Profiles.token")
        configuration = _child(profile, "PTZConfiguration")
        node = _text(_child(configuration, "NodeToken")) if configuration is not None else None
        found.append(Profile(token, _token(node, "NodeToken") if node is not None else None))
    return tuple(found)


def node(answer: ET.Element) -> Node:
    """GetNode's node: which generic spaces it supports, with the absolute ranges."""
    holder = _child(answer, "PTZNode")
    if holder is None:
        raise MalformedResponseError("the camera gave no PTZ node", "PTZNode")
    spaces = _child(holder, "SupportedPTZSpaces")
    listed: dict[str, ET.Element] = {}
    for entry in spaces if spaces is not None else ():
        uri = (_text(_child(entry, "URI")) or "").strip()
        listed.setdefault(f"{_local(entry.tag)} {uri}", entry)

    def space(kind: str, uri: str) -> ET.Element | None:
        return listed.get(f"{kind} {uri}")

    pan_tilt = space("AbsolutePanTiltPositionSpace", PAN_TILT_POSITION)
    zoom = space("AbsoluteZoomPositionSpace", ZOOM_POSITION)
    return Node(
        token=_token(holder.get("token"), "PTZNode.token"),
        absolute=(
            (_range(pan_tilt, "XRange", -1.0, 1.0), _range(pan_tilt, "YRange", -1.0, 1.0))
            if pan_tilt is not None
            else None
        ),
        absolute_zoom=_range(zoom, "XRange", 0.0, 1.0) if zoom is not None else None,
        relative=space("RelativePanTiltTranslationSpace", PAN_TILT_TRANSLATION) is not None,
        relative_zoom=space("RelativeZoomTranslationSpace", ZOOM_TRANSLATION) is not None,
        continuous=space("ContinuousPanTiltVelocitySpace", PAN_TILT_VELOCITY) is not None,
        continuous_zoom=space("ContinuousZoomVelocitySpace", ZOOM_VELOCITY) is not None,
    )


def status(answer: ET.Element) -> PtzPosition:
    """GetStatus' position; an axis the camera does not report reads as its centre (pan,
    tilt) or wide (zoom)."""
    position = _find(answer, "PTZStatus", "Position")
    if position is None:
        raise NotSupportedError("the camera does not report its position")
    pan_tilt = _child(position, "PanTilt")
    zoom = _child(position, "Zoom")
    return PtzPosition(
        pan=_coordinate(pan_tilt, "x", "PanTilt.x", -1.0, 1.0),
        tilt=_coordinate(pan_tilt, "y", "PanTilt.y", -1.0, 1.0),
        zoom=_coordinate(zoom, "x", "Zoom.x", 0.0, 1.0),
    )


def presets(answer: ET.Element) -> tuple[Preset, ...]:
    """GetPresets' presets; one without a name is called by its token."""
    found = []
    for preset in answer:
        if _local(preset.tag) != "Preset":
            continue
        token = _token(preset.get("token"), "Preset.token")
        name = " ".join((_text(_child(preset, "Name")) or "").split())[: _MAX_TOKEN * 2]
        found.append(Preset(id=token, name=name or token))
    return tuple(found)


def preset_token(answer: ET.Element) -> str:
    """SetPreset's token of the new preset."""
    return _token(_text(_child(answer, "PresetToken")), "PresetToken")


# -- reading helpers ----------------------------------------------------------------------


def _local(tag: str | object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _local_value(text: str) -> str:
    """A QName's local part: ``ter:NotAuthorized`` is ``NotAuthorized``."""
    return text.strip().rpartition(":")[2]


def _child(parent: ET.Element | None, name: str) -> ET.Element | None:
    if parent is None:
        return None
    return next((child for child in parent if _local(child.tag) == name), None)


def _find(parent: ET.Element | None, *path: str) -> ET.Element | None:
    for name in path:
        parent = _child(parent, name)
    return parent


def _text(element: ET.Element | None) -> str | None:
    return None if element is None else element.text or ""


def _token(value: str | None, field: str) -> str:
    token = (value or "").strip()
    if not token or len(token) > _MAX_TOKEN or not token.isprintable():
        raise MalformedResponseError("missing or not a token", field)
    return token


def _whole(element: ET.Element | None, field: str) -> int:
    text = (_text(element) or "").strip()
    if not re.fullmatch(r"[0-9]{1,4}", text):
        raise MalformedResponseError("missing or not a whole number", field)
    return int(text)


def _float(text: str | None, field: str) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise MalformedResponseError("missing or not a number", field) from None
    if not math.isfinite(value):
        raise MalformedResponseError("not a finite number", field)
    return value


def _coordinate(
    element: ET.Element | None, attribute: str, field: str, low: float, high: float
) -> float:
    if element is None or element.get(attribute) is None:
        return max(low, 0.0)
    value = _float(element.get(attribute), field)
    # Cameras round a little past their range's ends; more than that is not a position.
    if not low - 0.01 <= value <= high + 0.01:
        raise MalformedResponseError("outside the generic space", field)
    return max(low, min(high, value))


def _range(space: ET.Element, name: str, low: float, high: float) -> Range:
    holder = _child(space, name)
    if holder is None:
        return Range(low, high)
    first = _float(_text(_child(holder, "Min")), f"{name}.Min")
    last = _float(_text(_child(holder, "Max")), f"{name}.Max")
    first, last = max(low, first), min(high, last)
    if first > last:
        raise MalformedResponseError("an empty range", name)
    return Range(first, last)
