"""RTP packets for H.264 (RFC 3550, RFC 6184) and their framing over RTSP's TCP channel.

Single NAL unit packets when a NAL unit fits the payload size, FU-A fragments when it
does not; the marker bit ends each access unit. Interleaved framing (RFC 2326
section 10.12) is ``$``, the channel, and a 16-bit length before each packet.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator, Sequence

PAYLOAD_TYPE = 96
CLOCK_RATE = 90_000
MAX_PAYLOAD = 1400
FU_A = 28
# Seconds between 1900 (NTP's epoch) and 1970 (Unix's).
NTP_OFFSET = 2_208_988_800


def rtp_header(sequence: int, timestamp: int, ssrc: int, marker: bool) -> bytes:
    return struct.pack(
        "!BBHII",
        0x80,
        (0x80 if marker else 0) | PAYLOAD_TYPE,
        sequence & 0xFFFF,
        timestamp & 0xFFFFFFFF,
        ssrc,
    )


def payloads(nal_units: Sequence[bytes], max_payload: int = MAX_PAYLOAD) -> Iterator[bytes]:
    """The RTP payloads that carry ``nal_units``, in order."""
    for nal in nal_units:
        if len(nal) <= max_payload:
            yield nal
            continue
        header = nal[0]
        indicator = (header & 0xE0) | FU_A
        nal_type = header & 0x1F
        body = memoryview(nal)[1:]
        chunk = max_payload - 2
        for offset in range(0, len(body), chunk):
            start = offset == 0
            end = offset + chunk >= len(body)
            fu_header = (0x80 if start else 0) | (0x40 if end else 0) | nal_type
            yield bytes((indicator, fu_header)) + body[offset : offset + chunk]


def packetize(nal_units: Sequence[bytes], sequence: int, timestamp: int, ssrc: int) -> list[bytes]:
    """RTP packets of one access unit; the last carries the marker bit."""
    parts = list(payloads(nal_units))
    return [
        rtp_header(sequence + i, timestamp, ssrc, marker=i == len(parts) - 1) + part
        for i, part in enumerate(parts)
    ]


def interleave(channel: int, packet: bytes) -> bytes:
    return struct.pack("!cBH", b"$", channel, len(packet)) + packet


def sender_report(
    ssrc: int, rtp_timestamp: int, packets: int, octets: int, wallclock: float | None = None
) -> bytes:
    """An RTCP sender report: lets a receiver map RTP time to wall-clock time."""
    now = time.time() if wallclock is None else wallclock
    seconds = int(now) + NTP_OFFSET
    fraction = int((now % 1) * 2**32)
    return struct.pack(
        "!BBHIIIIII",
        0x80,
        200,
        6,
        ssrc,
        seconds & 0xFFFFFFFF,
        fraction & 0xFFFFFFFF,
        rtp_timestamp & 0xFFFFFFFF,
        packets & 0xFFFFFFFF,
        octets & 0xFFFFFFFF,
    )
