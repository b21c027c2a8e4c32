"""RTSP/1.0 requests and responses as text (RFC 2326 sections 6 and 7).

The server reads whatever arrives on a connection: requests, and interleaved binary
frames the client sends on the same socket (RTCP receiver reports). Anything that is
neither gets a typed error, which the server answers with 400 and closes: once the
framing is in doubt, nothing after it can be trusted to be a request.

Error texts never quote the request: its URI may carry a user name and password.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
from dataclasses import dataclass, field

MAX_HEADER_BYTES = 16_384
MAX_HEADER_LINES = 64
MAX_BODY_BYTES = 65_536

# Bounded digit runs: int() of an unbounded one is slow, and of 4,301 digits or more an
# error; str.isdigit() would also let through digits int() refuses ("²").
_CSEQ = re.compile(r"[0-9]{1,9}")
_CONTENT_LENGTH = re.compile(r"[0-9]{1,9}")
_VERSION = re.compile(r"RTSP/[0-9]{1,3}\.[0-9]{1,3}")
# A lone CR or LF inside a line would let a value the server echoes (CSeq, the URI in
# RTP-Info) start a header of its own in the answer. Tabs are allowed in values.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    453: "Not Enough Bandwidth",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    457: "Invalid Range",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "RTSP Version Not Supported",
}


class RtspProtocolError(Exception):
    """The peer sent something that is not RTSP."""


class IdleTimeout(TimeoutError):
    """Nothing at all arrived for as long as the server waits for a peer."""


class ReadTimeout(TimeoutError):
    """A message was started and not finished in time."""


@dataclass
class Request:
    method: str
    uri: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: bytes = b""

    @property
    def cseq(self) -> str:
        return self.headers.get("cseq", "0")


@dataclass(frozen=True)
class Interleaved:
    """A binary frame the client sent on the RTSP connection ("$" framing)."""

    channel: int
    payload: bytes


def parse_head(head: bytes) -> Request:
    """Request line and headers, up to (not including) the blank line."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise RtspProtocolError("request is not UTF-8") from None
    lines = text.split("\r\n")
    if len(lines) > MAX_HEADER_LINES + 1:
        raise RtspProtocolError(f"more than {MAX_HEADER_LINES} header lines")
    if any(_CONTROL.search(line) for line in lines):
        raise RtspProtocolError("control character in the request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise RtspProtocolError("malformed request line")
    method, uri, version = parts
    if not _VERSION.fullmatch(version):
        raise RtspProtocolError("not an RTSP request line")
    headers: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=1):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise RtspProtocolError(f"malformed header line {number}")
        headers[name.strip().lower()] = value.strip()
    if not _CSEQ.fullmatch(headers.get("cseq", "")):
        raise RtspProtocolError("missing or malformed CSeq")
    return Request(method=method, uri=uri, version=version, headers=headers)


async def read_message(
    reader: asyncio.StreamReader,
    *,
    idle_timeout: float | None = None,
    read_timeout: float | None = None,
) -> Request | Interleaved:
    """The next request or interleaved frame; raises IncompleteReadError at end of stream.

    ``idle_timeout`` bounds the wait for a message to begin, ``read_timeout`` the time
    from its first byte to its last, so a peer that trickles a request cannot hold the
    connection open for longer than that.
    """
    try:
        async with asyncio.timeout(idle_timeout):
            first = await reader.readexactly(1)
    except TimeoutError:
        raise IdleTimeout from None
    try:
        async with asyncio.timeout(read_timeout):
            return await _read_rest(reader, first)
    except TimeoutError:
        raise ReadTimeout from None


async def _read_rest(reader: asyncio.StreamReader, first: bytes) -> Request | Interleaved:
    if first == b"$":
        header = await reader.readexactly(3)
        length = int.from_bytes(header[1:3], "big")
        return Interleaved(channel=header[0], payload=await reader.readexactly(length))
    # Blank lines between requests are tolerated, as HTTP servers tolerate them.
    while first in (b"\r", b"\n"):
        first = await reader.readexactly(1)
    try:
        rest = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise RtspProtocolError("request headers too long") from None
    head = first + rest[:-4]
    if len(head) > MAX_HEADER_BYTES:
        raise RtspProtocolError("request headers too long")
    request = parse_head(head)
    length_text = request.headers.get("content-length", "0")
    if not _CONTENT_LENGTH.fullmatch(length_text) or int(length_text) > MAX_BODY_BYTES:
        raise RtspProtocolError("bad Content-Length")
    if int(length_text):
        request.body = await reader.readexactly(int(length_text))
    return request


def format_response(
    status: int, cseq: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [
        f"RTSP/1.0 {status} {REASONS.get(status, 'Unknown')}",
        f"CSeq: {cseq}",
        "Server: Vigil demo RTSP server",
        f"Date: {email.utils.formatdate(usegmt=True)}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_transport(value: str) -> list[dict[str, str]]:
    """The client's transport choices, in its order of preference (RFC 2326 12.39).

    Each is its parameters by lower-case name, and its protocol under "protocol",
    which no parameter of that name can overwrite.
    """
    choices = []
    for spec in value.split(","):
        fields = [part.strip() for part in spec.split(";") if part.strip()]
        if not fields:
            continue
        choice = {}
        for part in fields[1:]:
            key, _, val = part.partition("=")
            choice[key.lower()] = val
        choice["protocol"] = fields[0].upper()
        choices.append(choice)
    return choices


def parse_interleaved(value: str) -> tuple[int, int] | None:
    """The RTP and RTCP channels of ``interleaved=`` (one byte each on the wire), or None
    when they are not two different numbers from 0 to 255."""
    match = re.fullmatch(r"([0-9]{1,3})(?:-([0-9]{1,3}))?", value)
    if match is None:
        return None
    rtp = int(match[1])
    rtcp = int(match[2]) if match[2] is not None else rtp + 1
    if rtp > 255 or rtcp > 255 or rtp == rtcp:
        return None
    return rtp, rtcp
