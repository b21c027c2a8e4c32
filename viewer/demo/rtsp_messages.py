"""RTSP/1.0 requests and responses as text (RFC 2326 sections 6 and 7).

The server reads whatever arrives on a connection: requests, and interleaved binary
frames the client sends on the same socket (RTCP receiver reports). Anything that is
neither gets a typed error, which the server answers with 400 and closes.
"""

from __future__ import annotations

import asyncio
import email.utils
from dataclasses import dataclass, field

MAX_HEADER_BYTES = 16_384
MAX_BODY_BYTES = 65_536

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "RTSP Version Not Supported",
}


class RtspProtocolError(Exception):
    """The peer sent something that is not RTSP."""


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
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise RtspProtocolError(f"malformed request line {lines[0][:80]!r}")
    method, uri, version = parts
    if not version.startswith("RTSP/"):
        raise RtspProtocolError(f"not an RTSP request: {version[:20]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise RtspProtocolError(f"malformed header {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return Request(method=method, uri=uri, version=version, headers=headers)


async def read_message(reader: asyncio.StreamReader) -> Request | Interleaved:
    """The next request or interleaved frame; raises IncompleteReadError at end of stream."""
    first = await reader.readexactly(1)
    if first == b"$":
        header = await reader.readexactly(3)
        length = int.from_bytes(header[1:3], "big")
        return Interleaved(channel=header[0], payload=await reader.readexactly(length))
    try:
        rest = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise RtspProtocolError("request headers too long") from None
    head = first + rest[:-4]
    if len(head) > MAX_HEADER_BYTES:
        raise RtspProtocolError("request headers too long")
    request = parse_head(head)
    length_text = request.headers.get("content-length", "0")
    if not length_text.isdigit() or int(length_text) > MAX_BODY_BYTES:
        raise RtspProtocolError(f"bad Content-Length {length_text[:20]!r}")
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
    """The client's transport choices, in its order of preference (RFC 2326 12.39)."""
    choices = []
    for spec in value.split(","):
        fields = [part.strip() for part in spec.split(";") if part.strip()]
        if not fields:
            continue
        choice = {"protocol": fields[0].upper()}
        for part in fields[1:]:
            key, _, val = part.partition("=")
            choice[key.lower()] = val
        choices.append(choice)
    return choices
