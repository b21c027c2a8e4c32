"""WebRTC as a frame source: aiortc on a thread of its own, pictures to the player.

ICE, DTLS, SRTP and RTP run in Python on an asyncio loop. On the GUI's qasync loop,
sixteen sessions would add their packet handling to every repaint's latency, so all
sessions share one loop on one thread of their own (:data:`rtc_thread`). aiortc decodes
on a thread per receiver; the decoded frames reach the player's thread through a
one-slot handoff where the newest frame wins, like a tile's mailbox.

The VMS's signalling (the server offers; we answer) belongs to the backend and runs on
the backend's own loop, where its HTTP client lives: every call hops there and back.

aioice offers the machine's LAN addresses and never loopback (docs/pitfalls.md). For a
server on this machine (the demo, a test) that would put traffic on the LAN address, so a
session with a loopback server gathers on loopback only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import ipaddress
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aioice.ice
import av
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from viewer.core.errors import (
    CodecNotSupportedError,
    NotSupportedError,
    StreamLostError,
    UnreachableError,
    VigilError,
)
from viewer.core.streams import Signalling, StreamDescription

log = logging.getLogger(__name__)

T = TypeVar("T")

DECODABLE = frozenset({"H264", "VP8"})
"""Video codecs aiortc can decode; an offer without one of them cannot play here."""
_HELPERS = frozenset({"RTX", "RED", "ULPFEC", "FLEXFEC-03"})
"""Payload types that carry repairs of the video, not a codec of their own."""
CANDIDATE_POLL = 0.2
"""How often the server's trickled candidates are asked for while connecting (5 Hz)."""


class RtcThread:
    """The one asyncio loop every WebRTC session runs on, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="webrtc", daemon=True).start()
                self._loop = loop
            return self._loop

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)


rtc_thread = RtcThread()

# -- loopback-only ICE ----------------------------------------------------------------

_loopback_ice: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "vigil_loopback_ice", default=False
)


def _install_loopback_ice() -> None:
    """Wrap aioice's address lookup once; others (the demo simulator) may wrap it too,
    so the wrapper calls whatever was there before."""
    previous = aioice.ice.get_host_addresses
    if getattr(previous, "vigil_media", False):
        return

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if _loopback_ice.get():
            return ["127.0.0.1"] if use_ipv4 else ["::1"]
        return previous(use_ipv4, use_ipv6)

    host_addresses.vigil_media = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = host_addresses


_install_loopback_ice()


@contextlib.contextmanager
def loopback_ice() -> Iterator[None]:
    """ICE candidates gathered inside this block (in this task) are loopback only."""
    token = _loopback_ice.set(True)
    try:
        yield
    finally:
        _loopback_ice.reset(token)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- SDP --------------------------------------------------------------------------------


def video_codecs(sdp: str) -> list[str]:
    """The codec names the offer's video sections carry, in order (``H264``, ``H265``)."""
    names: list[str] = []
    in_video = False
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        elif in_video and line.startswith("a=rtpmap:"):
            _, _, encoding = line.partition(" ")
            name = encoding.split("/", 1)[0].upper()
            if name and name not in names and name not in _HELPERS:
                names.append(name)
    return names


def check_decodable(sdp: str, where: str) -> None:
    """NotSupportedError unless the offer has a video codec this viewer decodes."""
    codecs = video_codecs(sdp)
    if not codecs:
        raise NotSupportedError(f"{where} offers no video")
    if not DECODABLE.intersection(codecs):
        raise CodecNotSupportedError(f"codec not supported by this viewer: {', '.join(codecs)}")


def candidate_text(line: str) -> str:
    """``a=candidate:…`` or ``candidate:…`` as aiortc's parser wants it (after the colon)."""
    text = line.strip()
    text = text.removeprefix("a=")
    return text.removeprefix("candidate:")


# -- the session --------------------------------------------------------------------------


class _Handoff:
    """The newest decoded frame, or why there will be none, for the player's thread."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._frame: tuple[av.VideoFrame, float] | None = None
        self._error: VigilError | None = None
        self.delivered = 0

    def put(self, frame: av.VideoFrame, arrived: float) -> None:
        with self._condition:
            self._frame = (frame, arrived)
            self.delivered += 1
            self._condition.notify()

    def fail(self, error: VigilError) -> None:
        with self._condition:
            if self._error is None:
                self._error = error
            self._condition.notify()

    def take(self, timeout: float, stop: threading.Event) -> tuple[av.VideoFrame, float] | None:
        """The newest frame and its arrival (wall clock); None after ``timeout`` or a stop.
        Raises the session's error once there is one and no frame waits."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._frame is None and self._error is None and not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                # Woken by frames and failures; the slice bounds how late a stop is seen.
                self._condition.wait(min(left, 0.1))
            found, self._frame = self._frame, None
            if found is None and self._error is not None:
                raise self._error
            return found


class WebRtcSource:
    """One WebRTC session, seen from the player's thread: start, take frames, close."""

    def __init__(self, description: StreamDescription, *, open_timeout: float) -> None:
        if description.signalling is None:
            raise ValueError("not a WebRTC stream description")
        self._signalling: Signalling = description.signalling
        self._where = description.display_url
        self._loopback = is_loopback_host(urlsplit(description.url).hostname)
        # A recording's RTP timestamps tell each frame's recorded time: keep them.
        self._keep_rtp_time = description.rtp_ms_epoch is not None
        self._open_timeout = open_timeout
        self._handoff = _Handoff()
        self._connected = threading.Event()
        self._closing: asyncio.Event | None = None
        self._future: concurrent.futures.Future[None] | None = None
        self._receivers: set[asyncio.Task[None]] = set()
        self.codec: str | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._future = rtc_thread.submit(self._run())

    def frames(
        self, stop: threading.Event, silence: float
    ) -> Iterator[tuple[av.VideoFrame, float]]:
        """Frames as they come, each with its arrival on the wall clock, until ``stop``.

        Raises UnreachableError when no picture came within the open timeout,
        StreamLostError when a playing session went silent for ``silence`` seconds, and
        whatever the session failed with (NotSupportedError for an H.265 camera).
        """
        while not stop.is_set():
            waited = silence if self._handoff.delivered else self._open_timeout
            found = self._handoff.take(waited, stop)
            if found is not None:
                yield found
            elif stop.is_set():
                return
            elif self._handoff.delivered:
                raise StreamLostError(f"{self._where} sent nothing for {waited:.0f} s")
            else:
                raise UnreachableError(f"{self._where} sent no picture within {waited:.0f} s")

    def close(self, timeout: float = 2.0) -> None:
        """End the session and wait (a little) for the peer connection to close."""
        future = self._future
        if future is None:
            return
        loop = rtc_thread.loop

        def ask_to_close() -> None:
            if self._closing is not None:
                self._closing.set()
            else:
                future.cancel()

        loop.call_soon_threadsafe(ask_to_close)
        with contextlib.suppress(TimeoutError, concurrent.futures.CancelledError):
            future.result(timeout)

    # -- on the WebRTC thread ----------------------------------------------------------

    async def _remote(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run a signalling coroutine on the backend's loop and wait for it here."""

        async def on_backend_loop() -> T:
            return await call()

        future = asyncio.run_coroutine_threadsafe(on_backend_loop(), self._signalling.loop)
        return await asyncio.wrap_future(future)

    async def _run(self) -> None:
        self._closing = asyncio.Event()
        connection = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            await self._negotiate(connection)
            await self._closing.wait()
        except VigilError as error:
            self._handoff.fail(error)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("WebRTC session with %s failed: %s", self._where, type(error).__name__)
            self._handoff.fail(StreamLostError(f"{self._where}: WebRTC failed"))
        finally:
            for receiver in self._receivers:
                receiver.cancel()
            await connection.close()
            with contextlib.suppress(Exception):
                await self._remote(self._signalling.close)

    async def _negotiate(self, connection: RTCPeerConnection) -> None:
        offer = await self._remote(self._signalling.offer)
        check_decodable(offer, self._where)
        self.codec = next(c for c in video_codecs(offer) if c in DECODABLE).lower()
        # Only a server offering loopback candidates, or one whose address is loopback,
        # is answered from loopback (see the module's docstring).
        loopback = self._loopback or _offers_only_loopback(offer)

        @connection.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "video":
                return
            if self._keep_rtp_time:
                for transceiver in connection.getTransceivers():
                    if transceiver.receiver.track is track:
                        keep_rtp_timestamps(transceiver.receiver)
            self._receivers.add(asyncio.ensure_future(self._receive(track)))

        @connection.on("datachannel")
        def on_channel(channel: RTCDataChannel) -> None:
            self._attach(channel)

        @connection.on("connectionstatechange")
        def on_state() -> None:
            if connection.connectionState == "connected":
                self._connected.set()
            elif connection.connectionState == "failed":
                self._handoff.fail(StreamLostError(f"{self._where}: the WebRTC connection failed"))

        with loopback_ice() if loopback else contextlib.nullcontext():
            await connection.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await connection.setLocalDescription(await connection.createAnswer())
        answer = connection.localDescription.sdp
        await self._remote(lambda: self._signalling.answer(answer))
        await self._trickle(connection)

    async def _trickle(self, connection: RTCPeerConnection) -> None:
        """Add the server's trickled candidates until the connection is up."""
        seen: set[str] = set()
        deadline = time.monotonic() + self._open_timeout
        while not self._connected.is_set() and time.monotonic() < deadline:
            if self._closing is not None and self._closing.is_set():
                return
            for line in await self._remote(self._signalling.remote_candidates):
                text = candidate_text(line)
                if not text or text in seen:
                    continue
                seen.add(text)
                try:
                    candidate = candidate_from_sdp(text)
                except (ValueError, IndexError):
                    log.info("%s: ignored a malformed ICE candidate", self._where)
                    continue
                candidate.sdpMLineIndex = 0
                await connection.addIceCandidate(candidate)
            await asyncio.sleep(CANDIDATE_POLL)

    async def _receive(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                self._handoff.fail(StreamLostError(f"{self._where} ended the stream"))
                return
            if isinstance(frame, av.VideoFrame):
                self._handoff.put(frame, time.time())

    def _attach(self, channel: RTCDataChannel) -> None:
        loop = asyncio.get_running_loop()

        def send(text: str) -> None:
            loop.call_soon_threadsafe(channel.send, text)

        @channel.on("open")
        def on_open() -> None:
            self._signalling.channel_opened(send)

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            if isinstance(message, str):
                self._signalling.channel_message(message)

        if channel.readyState == "open":
            on_open()


class RtpTimestamps:
    """RTP timestamps as sent, unwrapped past 2**32 into one growing count.

    aiortc hands out frames with timestamps counted from the first one received
    (docs/pitfalls.md); a recording whose timestamps count milliseconds from the instant
    asked for (XProtect) would then lose that offset when it begins after a gap.
    """

    def __init__(self) -> None:
        self._last: int | None = None
        self._wraps = 0

    def map(self, timestamp: int) -> int:
        if self._last is not None and timestamp < self._last - 2**31:
            self._wraps += 1
        self._last = timestamp
        return timestamp + self._wraps * 2**32


def keep_rtp_timestamps(receiver: object) -> None:
    """Give an aiortc receiver the mapper above in place of its own (a private attribute,
    checked here so an aiortc that renames it fails loudly, not silently wrong)."""
    name = "_RTCRtpReceiver__timestamp_mapper"
    if not hasattr(receiver, name):
        raise RuntimeError("this aiortc keeps RTP timestamps elsewhere; see docs/pitfalls.md")
    setattr(receiver, name, RtpTimestamps())


def _offers_only_loopback(sdp: str) -> bool:
    addresses = [
        fields[4]
        for line in sdp.splitlines()
        if line.startswith("a=candidate:") and len(fields := line.split()) > 4
    ]
    return bool(addresses) and all(is_loopback_host(address) for address in addresses)
