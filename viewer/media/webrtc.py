"""WebRTC as a frame source: aiortc on a thread of its own, pictures to the player.

ICE, DTLS, SRTP and RTP run in Python on an asyncio loop. On the GUI's qasync loop,
sixteen sessions would add their packet handling to every repaint's latency, so all
sessions share one loop on one thread of their own (:data:`rtc_thread`). aiortc
reassembles each encoded frame; the player's own thread decodes it, exactly as it
decodes a packet FFmpeg demuxed, so both sources share one decode path (one thread per
stream, hidden streams keeping packets, catch-up on show).

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
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import aioice.ice
import av
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av.video.codeccontext import VideoCodecContext

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
if TYPE_CHECKING:
    from av.video.stream import VideoStream

    Packet = av.Packet[VideoStream]
else:
    Packet = av.Packet

RTP_TIME_BASE = Fraction(1, 90000)
MILLISECONDS = Fraction(1, 1000)

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

BACKLOG_FRAMES = 250
"""Encoded frames the player may fall behind by (10 s at 25 fps) before they are dropped
and a key frame asked for: a stalled player thread must not hold the stream's history."""


class _EncodedFrames:
    """Where aiortc's receiver puts the frames its jitter buffer completed, in place of the
    queue its decoder thread reads (docs/pitfalls.md): the player decodes them itself.

    ``put`` runs on the WebRTC thread, ``take`` on the player's. aiortc's idle decoder
    thread waits in ``get`` until the receiver stops, which puts None.
    """

    def __init__(self, ask_key_frame: threading.Event | None = None) -> None:
        self._condition = threading.Condition()
        self._frames: deque[tuple[bytes, int]] = deque()
        self._error: VigilError | None = None
        self._ended = False
        self.dropped = False
        self.received = 0
        self.ask_key_frame = ask_key_frame

    # aiortc's side: the queue.Queue methods its receiver and decoder thread call.

    def put(self, item: tuple[object, JitterFrame] | None) -> None:
        with self._condition:
            if item is None:
                self._ended = True
            else:
                frame = item[1]
                if len(self._frames) >= BACKLOG_FRAMES:
                    self._frames.clear()
                    self.dropped = True
                    self.key_frame_please()
                self._frames.append((frame.data, frame.timestamp))
                self.received += 1
            self._condition.notify_all()

    def get(self) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self._ended)

    # The session's and the player's side.

    def fail(self, error: VigilError) -> None:
        with self._condition:
            if self._error is None:
                self._error = error
            self._condition.notify_all()

    def check(self) -> None:
        """Raise the session's error, if it failed."""
        with self._condition:
            if self._error is not None:
                raise self._error

    def key_frame_please(self) -> None:
        """Ask the sender for a key frame (aiortc sends a PLI with the next packet)."""
        if self.ask_key_frame is not None:
            self.ask_key_frame.set()

    def take(self, timeout: float, stop: threading.Event) -> tuple[bytes, int] | None:
        """The oldest waiting frame (its bytes and RTP timestamp); None after ``timeout``
        or a stop. Raises the session's error, or StreamLostError at its end, once no
        frame waits."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not self._frames and self._error is None and not self._ended:
                left = deadline - time.monotonic()
                if left <= 0 or stop.is_set():
                    return None
                # Woken by frames and failures; the slice bounds how late a stop is seen.
                self._condition.wait(min(left, 0.1))
            if self._frames:
                return self._frames.popleft()
            if self._error is not None:
                raise self._error
            raise StreamLostError("the WebRTC session ended")


class WebRtcSource:
    """One WebRTC session, seen from the player's thread: start, take packets, close.

    aiortc receives, decrypts and reassembles the frames; decoding is left to the
    player, as for any other source, so a WebRTC tile costs what a PyAV tile costs plus
    the transport, and a hidden one keeps packets, not pictures.
    """

    def __init__(self, description: StreamDescription, *, open_timeout: float) -> None:
        if description.signalling is None:
            raise ValueError("not a WebRTC stream description")
        self._signalling: Signalling = description.signalling
        self._where = description.display_url
        self._loopback = is_loopback_host(urlsplit(description.url).hostname)
        # A recording's RTP timestamps tell each frame's recorded time: keep them.
        self._keep_rtp_time = description.rtp_ms_epoch is not None
        self._open_timeout = open_timeout
        self._frames = _EncodedFrames()
        self._connected = threading.Event()
        self._codec_known = threading.Event()
        self._closing: asyncio.Event | None = None
        self._future: concurrent.futures.Future[None] | None = None
        self.codec: str | None = None
        """FFmpeg's name of the decoder the offer calls for (``h264``, ``vp8``)."""

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._future = rtc_thread.submit(self._run())

    def decoder(self, stop: threading.Event) -> VideoCodecContext:
        """A decoder for the offered codec, once the offer came (UnreachableError if it
        does not come within the open timeout, or the session's own error)."""
        deadline = time.monotonic() + self._open_timeout
        while not self._codec_known.wait(0.1):
            if stop.is_set():
                raise StreamLostError(f"{self._where}: stopped")
            self._frames.check()
            if time.monotonic() > deadline:
                waited = self._open_timeout
                raise UnreachableError(f"{self._where} made no offer within {waited:.0f} s")
        assert self.codec is not None
        context = av.CodecContext.create(self.codec, "r")
        assert isinstance(context, VideoCodecContext)
        return context

    def packets(self, stop: threading.Event, silence: float) -> Iterator[Packet]:
        """Encoded frames as packets, in order, until ``stop``.

        Raises UnreachableError when no frame came within the open timeout,
        StreamLostError when a playing session went silent for ``silence`` seconds or
        ended, and whatever the session failed with.
        """
        waiting_for_key = False
        while not stop.is_set():
            waited = silence if self._frames.received else self._open_timeout
            found = self._frames.take(waited, stop)
            if found is None:
                if stop.is_set():
                    return
                if self._frames.received:
                    raise StreamLostError(f"{self._where} sent nothing for {waited:.0f} s")
                raise UnreachableError(f"{self._where} sent no picture within {waited:.0f} s")
            data, timestamp = found
            packet = cast(Packet, av.Packet(data))
            packet.pts = packet.dts = timestamp
            packet.time_base = RTP_TIME_BASE if not self._keep_rtp_time else MILLISECONDS
            packet.is_keyframe = is_key_frame(self.codec, data)
            if self._frames.dropped:
                # The player fell behind and frames were dropped: decode nothing until
                # the key frame asked for, or every picture until then would smear.
                self._frames.dropped, waiting_for_key = False, True
            if waiting_for_key and not packet.is_keyframe:
                continue
            waiting_for_key = False
            yield packet

    def key_frame_please(self) -> None:
        self._frames.key_frame_please()

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
            self._frames.fail(error)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("WebRTC session with %s failed: %s", self._where, type(error).__name__)
            self._frames.fail(StreamLostError(f"{self._where}: WebRTC failed"))
        finally:
            await connection.close()
            with contextlib.suppress(Exception):
                await self._remote(self._signalling.close)

    async def _negotiate(self, connection: RTCPeerConnection) -> None:
        offer = await self._remote(self._signalling.offer)
        check_decodable(offer, self._where)
        self.codec = next(c for c in video_codecs(offer) if c in DECODABLE).lower()
        self._codec_known.set()
        # Only a server offering loopback candidates, or one whose address is loopback,
        # is answered from loopback (see the module's docstring).
        loopback = self._loopback or _offers_only_loopback(offer)

        @connection.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "video":
                return
            for transceiver in connection.getTransceivers():
                if transceiver.receiver.track is track:
                    self._take_over(transceiver.receiver)

        @connection.on("datachannel")
        def on_channel(channel: RTCDataChannel) -> None:
            self._attach(channel)

        @connection.on("connectionstatechange")
        def on_state() -> None:
            if connection.connectionState == "connected":
                self._connected.set()
            elif connection.connectionState == "failed":
                self._frames.fail(StreamLostError(f"{self._where}: the WebRTC connection failed"))

        with loopback_ice() if loopback else contextlib.nullcontext():
            await connection.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await connection.setLocalDescription(await connection.createAnswer())
        answer = connection.localDescription.sdp
        await self._remote(lambda: self._signalling.answer(answer))
        await self._trickle(connection)

    def _take_over(self, receiver: RTCRtpReceiver) -> None:
        """Take the receiver's completed frames before its decoder does (see
        :class:`_EncodedFrames`), keeping RTP timestamps as sent for a recording."""
        queue_name = "_RTCRtpReceiver__decoder_queue"
        error_name = "_RTCRtpReceiver__decoder_error"
        if not hasattr(receiver, queue_name) or not hasattr(receiver, error_name):
            raise RuntimeError(
                "this aiortc keeps its decoder queue elsewhere; see docs/pitfalls.md"
            )
        self._frames.ask_key_frame = getattr(receiver, error_name)
        setattr(receiver, queue_name, self._frames)
        if self._keep_rtp_time:
            keep_rtp_timestamps(receiver)

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


def is_key_frame(codec: str | None, data: bytes) -> bool:
    """Whether an encoded frame starts a picture on its own: an H.264 access unit (Annex B,
    as aiortc reassembles it) holding an IDR slice, or a VP8 key frame."""
    if codec == "vp8":
        return bool(data) and not data[0] & 1
    start = 0
    while (found := data.find(b"\x00\x00\x01", start)) != -1 and found + 3 < len(data):
        if data[found + 3] & 0x1F == 5:
            return True
        start = found + 3
    return False


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
