"""The two SOAP calls REST has no answer for: ``Login`` on the management server, which
turns the IDP's Bearer token into a token the recorders accept, and a recorder's
``SequencesGet``, the recorded spans of a camera (``/recordings`` and ``/sequences`` are
404 on a real 2025 R1).

Envelopes are written by hand and answers read with ElementTree: two operations do not
justify a SOAP library. Names and namespaces follow Milestone's protocol samples and a
trace of a real 2025 R1 (``LoginResult``: ``RegistrationTime``, ``TimeToLive/MicroSeconds``
of four hours, ``Token``; ``SequencesGetResult`` of ``SequenceEntry`` with ``TimeBegin``,
``TimeTrigged`` [sic], ``TimeEnd``). Elements are matched by local name, since servers
differ in where they declare namespaces. The server is only semi-trusted: SOAP forbids a
document type declaration, so one (an entity expansion attack rides on it) is refused
before parsing, and every field read is checked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from viewer.backends.milestone.parse import instant, iso
from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotSupportedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import TimeSpan
from viewer.core.redact import redact_text

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
SERVER_COMMAND = "http://videoos.net/2/XProtectCSServerCommand"
RECORDER_COMMAND = "http://videoos.net/2/XProtectCSRecorderCommand"
LOGIN_ACTION = f"{SERVER_COMMAND}/IServerCommandService/Login"
SEQUENCES_ACTION = f"{RECORDER_COMMAND}/SequencesGet"
RECORDING_SEQUENCE = "f9c62604-d0c5-4050-ae25-72de51639b14"
"""``SequencesGetTypes``' "RecordingSequence" (real 2025 R1): spans with video stored."""

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_WORDS = 300
_MAX_TOKEN = 4096
_MICROSECONDS = 1_000_000
# [guess] Fault sub-errors seen on a real recorder: 1 "No token supplied", 2 "Token invalid";
# either means: log in again.
_TOKEN_SUB_ERRORS = frozenset({"1", "2"})


class TokenRefusedError(AuthenticationError):
    """The recorder or management server refused the SOAP token: a new Login may help."""


@dataclass(frozen=True)
class SoapToken:
    """``Login``'s token, which every recorder call carries in its body."""

    token: str = field(repr=False)
    registered: datetime
    time_to_live: float
    """Seconds from ``registered``; four hours on a real server."""


def _envelope(operation: str, namespace: str, fields: list[tuple[str, str]]) -> bytes:
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{ENVELOPE}"><s:Body>'
        f'<{operation} xmlns="{namespace}">{inner}</{operation}>'
        "</s:Body></s:Envelope>"
    ).encode()


def login_request(instance_id: str, current: str | None) -> bytes:
    """``Login`` for this client instance; ``current`` renews a token still valid."""
    return _envelope(
        "Login", SERVER_COMMAND, [("instanceId", instance_id), ("currentToken", current or "")]
    )


def sequences_request(
    token: str, camera_id: str, span: TimeSpan, max_count: int, kind: str = RECORDING_SEQUENCE
) -> bytes:
    return _envelope(
        "SequencesGet",
        RECORDER_COMMAND,
        [
            ("token", token),
            ("deviceId", camera_id),
            ("sequenceType", kind),
            ("minTime", iso(span.start)),
            ("maxTime", iso(span.end)),
            ("maxCount", str(max_count)),
        ],
    )


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _child(element: ET.Element, name: str, where: str) -> ET.Element:
    for child in element:
        if _local(child) == name:
            return child
    raise MalformedResponseError("missing", f"{where}.{name}")


def _text(element: ET.Element, name: str, where: str) -> str:
    text = (_child(element, name, where).text or "").strip()
    if not text:
        raise MalformedResponseError("expected text", f"{where}.{name}")
    return text


def _words(text: str) -> str:
    return redact_text(" ".join(text.split())[:_MAX_WORDS])


def _document(body: bytes) -> ET.Element:
    if _DECLARATION.search(body):
        raise MalformedResponseError("a SOAP answer may not declare a document type")
    try:
        # Safe as defusedxml would be: no DTD got here, ElementTree fetches no entity.
        return ET.fromstring(body)  # noqa: S314
    except (ET.ParseError, ValueError, RecursionError):
        raise MalformedResponseError("the server's answer is not XML") from None


def _answer(body: bytes, response: str) -> ET.Element:
    """The ``{operation}Response`` element of a SOAP body; a fault raised as ours."""
    root = _document(body)
    if _local(root) != "Envelope":
        raise MalformedResponseError("expected a SOAP envelope", _local(root)[:40])
    content = [child for child in _child(root, "Body", "Envelope")]
    if not content:
        raise MalformedResponseError("empty", "Body")
    if _local(content[0]) == "Fault":
        raise _fault(content[0])
    if _local(content[0]) != response:
        raise MalformedResponseError(f"expected {response}", _local(content[0])[:40])
    return content[0]


def _fault(element: ET.Element) -> VigilError:
    said = _words(next((c.text or "" for c in element if _local(c) == "faultstring"), ""))
    sub_error = ""
    for descendant in element.iter():
        if _local(descendant) == "SubErrorNumber":
            sub_error = (descendant.text or "").strip()
    message = f"the server refused the SOAP call: {said or 'no reason given'}"
    if sub_error in _TOKEN_SUB_ERRORS or "token" in said.lower():
        return TokenRefusedError(message)
    return NotSupportedError(message)


def error(status: int, body: bytes) -> VigilError:
    """A SOAP call that did not answer 200: a fault's words where it sent one (ASMX faults
    come with HTTP 500), else the status."""
    try:
        _answer(body, "")
    except VigilError as failure:
        if not isinstance(failure, MalformedResponseError):
            return failure
    if status in (401, 403):
        return AuthenticationError(f"the server refused the SOAP login (HTTP {status})")
    if status >= 500:
        return UnreachableError(f"the SOAP service cannot answer now (HTTP {status})")
    return NotSupportedError(f"the SOAP service refused the request (HTTP {status})")


def login(body: bytes) -> SoapToken:
    result = _child(_answer(body, "LoginResponse"), "LoginResult", "LoginResponse")
    token = _text(result, "Token", "LoginResult")
    if len(token) > _MAX_TOKEN or not token.isprintable():
        raise MalformedResponseError("unusable token", "LoginResult.Token")
    registered = instant(_text(result, "RegistrationTime", "LoginResult"), "RegistrationTime")
    micro = _text(_child(result, "TimeToLive", "LoginResult"), "MicroSeconds", "TimeToLive")
    if not (micro.isascii() and micro.isdigit() and 0 < len(micro) <= 15) or int(micro) == 0:
        raise MalformedResponseError("expected a positive number", "TimeToLive.MicroSeconds")
    return SoapToken(token, registered, int(micro) / _MICROSECONDS)


def sequences(body: bytes) -> tuple[TimeSpan, ...]:
    """``SequencesGet``'s spans in the server's order (by ``TimeBegin``)."""
    result = _child(_answer(body, "SequencesGetResponse"), "SequencesGetResult", "Response")
    spans = []
    for index, entry in enumerate(e for e in result if _local(e) == "SequenceEntry"):
        where = f"SequenceEntry[{index}]"
        start = instant(_text(entry, "TimeBegin", where), f"{where}.TimeBegin")
        end = instant(_text(entry, "TimeEnd", where), f"{where}.TimeEnd")
        if end < start:
            raise MalformedResponseError("ends before it begins", f"{where}.TimeEnd")
        spans.append(TimeSpan(start, end))
    return tuple(spans)
