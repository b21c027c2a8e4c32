"""Rules about streams: which encoding a tile should play, and at what size.

A tile plays the smallest stream whose picture it can show without enlarging it, so
a 4x4 grid decodes sub-streams and a maximised tile the main stream, without the
operator choosing. What counts is the part of the tile the picture fills: the bars
beside a 16:9 picture in a taller tile need no pixels from the camera. Until a stream
has been seen its size is assumed from what IP cameras typically send (1080p main,
360p sub); the first decoded frame corrects it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from viewer.core.certificates import PinnedCertificate
from viewer.core.models import Quality, StreamInfo
from viewer.core.redact import mask_url

ASSUMED_SIZE: Mapping[Quality, tuple[int, int]] = {
    Quality.MAIN: (1920, 1080),
    Quality.SUB: (640, 360),
}


def stream_size(stream: StreamInfo) -> tuple[int, int]:
    if stream.width and stream.height:
        return stream.width, stream.height
    return ASSUMED_SIZE[stream.quality]


def choose_stream(
    streams: Sequence[StreamInfo], width: int, height: int, zoom: float = 1.0
) -> StreamInfo:
    """The smallest stream that fits a ``width`` x ``height`` box at 1:1 or shrunk.

    A stream that would have to be enlarged to fill the box on one side looks soft;
    when every stream would, the largest one is the sharpest to be had. A tile zoomed
    digitally ``zoom`` times shows a part of the picture that size: it needs the
    pixels of a box ``zoom`` times as large.
    """
    if not streams:
        raise ValueError("a camera without streams cannot be played")
    width, height = round(width * max(1.0, zoom)), round(height * max(1.0, zoom))
    by_area = sorted(streams, key=lambda s: stream_size(s)[0] * stream_size(s)[1])
    for stream in by_area:
        w, h = stream_size(stream)
        # Fitted into the box, a picture fills its width or its height: as long as it
        # is that wide or that tall, it is shown at 1:1 or shrunk.
        if w >= width or h >= height:
            return stream
    return by_area[-1]


def fit_inside(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int]:
    """Largest size with the aspect ratio of ``width`` x ``height`` that fits the box."""
    if width <= 0 or height <= 0 or box_width <= 0 or box_height <= 0:
        return 0, 0
    scale = min(box_width / width, box_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class Signalling(Protocol):
    """One WebRTC session's signalling with a VMS, in the flow where the server offers.

    A backend hands out a fresh one in each WebRTC StreamDescription (one per attempt:
    a reconnect asks the backend again). The media layer runs the peer connection on a
    thread of its own and calls these coroutines on ``loop``, the loop that owns the
    backend's HTTP client. Errors are :mod:`viewer.core.errors` types.
    """

    loop: asyncio.AbstractEventLoop

    async def offer(self) -> str:
        """Create the session on the server; its offer SDP (the text, not JSON)."""

    async def answer(self, sdp: str) -> None:
        """Send our answer SDP, which carries our ICE candidates."""

    async def remote_candidates(self) -> Sequence[str]:
        """The server's ICE candidates trickled so far (``candidate:…`` lines), cumulative;
        the caller ignores those it has seen."""

    async def close(self) -> None:
        """Forget the session (servers do not end one on request: it times out)."""

    def channel_opened(self, send: Callable[[str], None]) -> None:
        """The session's data channel is open; ``send`` may be called from any thread."""

    def channel_message(self, text: str) -> None:
        """A message arrived on the data channel; called on the media layer's thread."""


@dataclass(frozen=True)
class StreamDescription:
    """What a backend hands the media layer: where the stream is and how to open it.

    ``url`` may carry credentials, so ``repr`` and ``display_url`` mask them.
    ``ca_file`` is a bundle of authorities to trust for this stream's TLS instead of
    the usual ones, for a site with its own certificate authority. ``pinned`` is the one
    certificate to trust instead, whatever host it names, for a device that signed its
    own and an operator who checked its fingerprint.

    ``signalling`` makes it a WebRTC stream: the media layer negotiates through it and
    ``url`` only names the stream for people (``webrtc://host/camera``). ``rtp_ms_epoch``
    is set for a recording whose RTP timestamps count milliseconds from that instant
    (XProtect playback), so each frame's recorded time can be shown.
    """

    url: str = field(repr=False)
    options: Mapping[str, str] = field(default_factory=dict)
    live: bool = True
    quality: Quality = Quality.MAIN
    ca_file: str | None = None
    pinned: PinnedCertificate | None = None
    signalling: Signalling | None = field(default=None, repr=False, compare=False)
    rtp_ms_epoch: datetime | None = None

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    def __repr__(self) -> str:
        return f"StreamDescription({self.display_url!r}, live={self.live}, quality={self.quality})"
