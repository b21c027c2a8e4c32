"""Streams the demo RTSP server makes while a session plays, and how it sends them.

The demo cameras replay footage encoded once. Some streams cannot be stored: a
recorder's playback of any instant of a week, at any speed, or a PTZ camera's view of
where it points now. Such a stream comes from an ``OnDemandSource`` made for each
session: it says what it will send (``describe``: the SDP's parameters), where a PLAY
starts (``seek``, given the request's Range header) and then hands out access units,
each with the moment it is due and its RTP time. The server packetises and sends them
on that schedule, so a source only decides what to show and when.

A source is found by the first element of the request's path (``RtspServer.on_demand``:
``/playback/{id}?start=…`` goes to the factory registered as "playback"), which is
given the rest of the path and the query. Every request of a session names its stream
again, so the SDP's media control is the absolute URL with the query kept: FFmpeg
appends a relative one to the whole request URL, query included.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from viewer.demo.rtp_h264 import interleave, packetize, sender_report

log = logging.getLogger(__name__)

SENDER_REPORT_INTERVAL = 5.0


@dataclass(frozen=True)
class StreamParameters:
    """What the SDP of an on-demand stream announces."""

    name: str
    sps: bytes
    pps: bytes
    width: int
    height: int
    fps: float

    @property
    def profile_level_id(self) -> str:
        return self.sps[1:4].hex().upper()


@dataclass(frozen=True)
class TimedUnit:
    """One access unit (NAL units without start codes) and when to send it."""

    nal_units: tuple[bytes, ...]
    due: float
    """``time.monotonic()`` when it is to be sent."""
    ticks: int
    """Its RTP time in 90 kHz ticks on the source's own timeline; the session adds its
    random origin."""


@dataclass(frozen=True)
class PlayStart:
    range: str
    """The Range header a PLAY is answered with."""
    ticks: int
    """The RTP time (source timeline) of the first unit the PLAY sends."""


class SourceRefused(Exception):
    """A request the source cannot serve: an RTSP status and the words for the log."""

    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


class OnDemandSource(Protocol):
    async def describe(self) -> StreamParameters: ...

    def seek(self, range_header: str | None) -> PlayStart:
        """Apply a PLAY's Range (None: go on from where the last PLAY stopped); raises
        SourceRefused (457) for a range it cannot play."""
        ...

    def units(self) -> AsyncGenerator[TimedUnit, None]:
        """Access units from the position ``seek`` set; each one is counted as sent
        when the next is asked for."""
        ...

    def close(self) -> None:
        """Free what the source holds (a thread, an encoder); called once."""
        ...


SourceFactory = Callable[[str, str], OnDemandSource | None]
"""(the path after the route's name, the query) -> a source, or None when there is no
such stream; raises SourceRefused for parameters it refuses."""


def split_annex_b(data: bytes) -> tuple[bytes, ...]:
    """The NAL units of an Annex B byte stream, start codes (3 or 4 bytes) removed."""
    # A 4-byte start code leaves its first zero at the end of the part before it.
    parts = (part.rstrip(b"\x00") for part in data.split(b"\x00\x00\x01"))
    return tuple(part for part in parts if part)


def control_url(uri: str) -> str:
    """The absolute URL of the stream's one track: the path with ``/trackID=0``, the
    query kept (a relative control would be appended after the query)."""
    parts = urlsplit(uri)
    path = parts.path.rstrip("/")
    if not path.endswith("/trackID=0"):
        path += "/trackID=0"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def sdp(parameters: StreamParameters, host: str, uri: str) -> str:
    sprop = ",".join(base64.b64encode(p).decode() for p in (parameters.sps, parameters.pps))
    lines = [
        "v=0",
        f"o=- {random.getrandbits(32)} 1 IN IP4 {host}",
        f"s={parameters.name}",
        "i=Vigil demo stream made on demand",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=tool:Vigil demo",
        "a=control:*",
        "a=range:npt=0-",
        "m=video 0 RTP/AVP 96",
        "a=rtpmap:96 H264/90000",
        f"a=fmtp:96 packetization-mode=1;profile-level-id={parameters.profile_level_id};"
        f"sprop-parameter-sets={sprop}",
        f"a=framerate:{parameters.fps:g}",
        f"a=framesize:96 {parameters.width}-{parameters.height}",
        f"a=control:{control_url(uri)}",
    ]
    return "\r\n".join(lines) + "\r\n"


class OnDemandSession:
    """An RTSP session whose stream a source makes as it plays."""

    def __init__(self, name: str, source: OnDemandSource, channels: tuple[int, int]) -> None:
        self.id = secrets.token_hex(8)
        self.name = name
        self.source = source
        self.rtp_channel, self.rtcp_channel = channels
        self.ssrc = random.getrandbits(32)
        self.sequence = random.getrandbits(16)
        self.timestamp_base = random.getrandbits(32)
        self.packets = 0
        self.octets = 0
        self.sender: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def names(self) -> tuple[str, str]:
        return self.name, "on demand"

    def rtp_time(self, ticks: int) -> int:
        return (self.timestamp_base + ticks) & 0xFFFFFFFF

    def end(self) -> None:
        """Stop sending and free the source; the session is gone."""
        self.pause()
        if not self._closed:
            self._closed = True
            self.source.close()

    def pause(self) -> None:
        if self.sender is not None:
            self.sender.cancel()

    def play(self, writer: asyncio.StreamWriter, peer: str) -> None:
        self.pause()
        self.sender = asyncio.ensure_future(self._send(writer, peer))

    async def _send(self, writer: asyncio.StreamWriter, peer: str) -> None:
        last_report = float("-inf")
        try:
            async with contextlib.aclosing(self.source.units()) as units:
                async for unit in units:
                    await asyncio.sleep(max(0.0, unit.due - time.monotonic()))
                    timestamp = self.rtp_time(unit.ticks)
                    packets = packetize(unit.nal_units, self.sequence, timestamp, self.ssrc)
                    self.sequence = (self.sequence + len(packets)) & 0xFFFF
                    self.packets += len(packets)
                    self.octets += sum(len(p) - 12 for p in packets)
                    data = b"".join(interleave(self.rtp_channel, p) for p in packets)
                    now = time.monotonic()
                    if now - last_report >= SENDER_REPORT_INTERVAL:
                        report = sender_report(self.ssrc, timestamp, self.packets, self.octets)
                        data = interleave(self.rtcp_channel, report) + data
                        last_report = now
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, RuntimeError):
            return  # the client went away mid-write; its reader cleans up
        except Exception as exc:
            # A source's bug ends this session's stream, not the server.
            log.warning("demo RTSP: %s on-demand stream failed: %s", peer, type(exc).__name__)


def first_segment(path: str) -> tuple[str, str] | None:
    """(route, rest) of ``/route/rest[/trackID=n][/]``, or None for another shape."""
    parts = [p for p in path.split("/") if p]
    if parts and parts[-1].startswith("trackID="):
        parts.pop()
    if len(parts) != 2:
        return None
    return parts[0], parts[1]
