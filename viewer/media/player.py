"""One stream, one worker thread: demux, decode, scale, hand over, reconnect.

A :class:`StreamPlayer` decodes its stream once however many tiles show it; each tile
holds a :class:`Subscription` with its own one-slot mailbox and the box it wants the
picture to fit. Frames are converted to fit the largest box, so a tile never receives
more pixels than the biggest viewer needs.

The worker talks to the outside world only through callbacks that must be safe to call
from any thread (a Qt signal emit, ``loop.call_soon_threadsafe``): ``wake`` when a
subscriber's empty mailbox receives a frame, ``on_state`` when the state changes.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator

import av
import av.codec.context

from viewer.core.errors import (
    AuthenticationError,
    CertificateError,
    NotSupportedError,
    StreamLostError,
    VigilError,
)
from viewer.core.streams import StreamDescription, fit_inside
from viewer.media.backoff import Backoff
from viewer.media.convert import CpuConverter, FrameConverter
from viewer.media.errors import opening_error, reading_error
from viewer.media.frames import VideoImage
from viewer.media.http_io import HttpOpener
from viewer.media.mailbox import Mailbox
from viewer.media.sources import open_plan
from viewer.media.state import PlayerState, StateInfo
from viewer.media.stats import StatsSnapshot, StreamStats

log = logging.getLogger(__name__)

Wake = Callable[[], None]
StateListener = Callable[[StateInfo], None]

# Retrying cannot fix these; the operator has to change something first.
_FINAL_ERRORS = (AuthenticationError, CertificateError, NotSupportedError)


class Subscription:
    """A viewer's claim on a player's frames, sized to the box it paints into."""

    def __init__(self, player: StreamPlayer, wake: Wake, on_state: StateListener) -> None:
        self.player = player
        self.mailbox: Mailbox[VideoImage] = Mailbox()
        self.box = (0, 0)
        self._wake = wake
        self._on_state = on_state

    def set_box(self, width: int, height: int) -> None:
        self.box = (max(0, width), max(0, height))
        self.player._boxes_changed()

    def take(self) -> VideoImage | None:
        return self.mailbox.take()

    @property
    def state(self) -> StateInfo:
        return self.player.state

    def close(self) -> None:
        self.player.unsubscribe(self)

    def _deliver(self, image: VideoImage) -> None:
        if self.mailbox.put(image):
            self._wake()

    def _notify(self, info: StateInfo) -> None:
        self._on_state(info)


class StreamPlayer:
    def __init__(
        self,
        description: StreamDescription,
        *,
        converter_factory: Callable[[], FrameConverter] = CpuConverter,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
        stall_timeout: float = 5.0,
        stall_notice: float = 2.0,
    ) -> None:
        self.description = description
        self._converter_factory = converter_factory
        self._backoff = backoff or Backoff()
        self._open_timeout = open_timeout
        self._stall_timeout = stall_timeout
        self._stall_notice = stall_notice
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscription, ...] = ()
        self._state = StateInfo(PlayerState.STOPPED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._delivered = False
        # Bumped (by the GUI thread only) whenever a subscriber's box changes, so the
        # decode thread recomputes the output size then and not for every frame.
        self._box_version = 0
        self.stats = StreamStats()

    # -- control, from any thread -------------------------------------------------

    def subscribe(self, wake: Wake, on_state: StateListener) -> Subscription:
        subscription = Subscription(self, wake, on_state)
        with self._lock:
            self._subscribers = (*self._subscribers, subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget ``subscription``; the last one to leave stops the decode."""
        with self._lock:
            self._subscribers = tuple(s for s in self._subscribers if s is not subscription)
            if not self._subscribers:
                self._stop.set()
        self._boxes_changed()

    def _boxes_changed(self) -> None:
        self._box_version += 1

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a StreamPlayer is started once")
        self._thread = threading.Thread(
            target=self._run, name=f"player {self.description.display_url}", daemon=True
        )
        self._thread.start()
        _watchdog.watch(self)

    def stop(self) -> None:
        """Ask the worker to finish; it leaves within one packet or one read timeout."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def state(self) -> StateInfo:
        return self._state

    def statistics(self) -> StatsSnapshot:
        dropped = sum(s.mailbox.dropped for s in self._subscribers)
        return self.stats.snapshot(dropped=dropped)

    # -- the worker thread ----------------------------------------------------------

    def _set_state(self, info: StateInfo) -> None:
        with self._lock:
            if info == self._state:
                return
            self._state = info
            subscribers = self._subscribers
        if info.error is not None:
            log.info("%s: %s (%s)", self.description.display_url, info.state, info.error)
        else:
            log.debug("%s: %s", self.description.display_url, info.state)
        for subscriber in subscribers:
            subscriber._notify(info)

    def _run(self) -> None:
        try:
            final = self._run_until_stopped()
        except Exception:
            # A bug must cost one tile, not the application.
            log.exception("player for %s crashed", self.description.display_url)
            final = StateInfo(PlayerState.FAILED, StreamLostError("internal error; see the log"))
        self._set_state(final)

    def _run_until_stopped(self) -> StateInfo:
        """Play, reconnecting as needed; returns the state to end in."""
        self._set_state(StateInfo(PlayerState.CONNECTING))
        while not self._stop.is_set():
            self._delivered = False
            try:
                self._play_once()
                if not self.description.live:
                    break
                error: VigilError = StreamLostError(
                    f"{self.description.display_url} closed the stream"
                )
            except _FINAL_ERRORS as exc:
                return StateInfo(PlayerState.FAILED, exc)
            except VigilError as exc:
                error = exc
            if self._stop.is_set():
                break
            # A connection that played and dropped is retried soon; a camera that
            # never came up is retried ever more slowly.
            if self._delivered:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            self.stats.reconnects += 1
            retry_at = time.monotonic() + delay
            self._set_state(StateInfo(PlayerState.RECONNECTING, error, retry_at))
            if self._stop.wait(delay):
                break
        return StateInfo(PlayerState.STOPPED)

    def _play_once(self) -> None:
        """Play until the source ends or fails; failures come out as VigilError."""
        where = self.description.display_url
        plan = open_plan(self.description)
        opener = (
            HttpOpener(self.description.ca_file, self._open_timeout, self._stall_timeout)
            if plan.fetched_by_httpx
            else None
        )
        try:
            try:
                container = av.open(
                    self.description.url,
                    options=dict(plan.options),
                    timeout=(self._open_timeout, self._stall_timeout),
                    io_open=opener,
                )
            except Exception as exc:
                raise opening_error(exc, where) from None
            try:
                with container:
                    for image in self._frames(container, paced=not plan.paced_by_source):
                        self._delivered = True
                        for subscriber in self._subscribers:
                            subscriber._deliver(image)
            except VigilError:
                raise
            except Exception as exc:
                raise reading_error(exc, where) from None
        finally:
            if opener is not None:
                opener.close()

    def _frames(self, container: av.container.InputContainer, paced: bool) -> Iterator[VideoImage]:
        where = self.description.display_url
        if not container.streams.video:
            raise NotSupportedError(f"{where} carries no video")
        stream = container.streams.video[0]
        codec = stream.codec_context
        # One thread per stream gives the most frames per CPU-second when many
        # streams share few cores, and frame threading would add a frame of latency.
        codec.thread_count = 1
        codec.flags |= av.codec.context.Flags.low_delay
        self.stats.codec = codec.name
        converter = self._converter_factory()
        clock = _PresentationClock() if paced else None
        sequence = 0
        size_key: tuple[int, int, int] | None = None
        width = height = 0
        last_picture = time.monotonic()
        for packet in container.demux(stream):
            if self._stop.is_set():
                return
            if packet.size == 0:
                continue
            # Whatever arrives after five seconds without a picture is stale (on an
            # interrupted read FFmpeg's RTSP demuxer hands out the frame it held back):
            # the stream is lost, reconnect.
            if time.monotonic() - last_picture > self._stall_timeout:
                raise StreamLostError(f"{where} sent no picture for {self._stall_timeout:.0f} s")
            self.stats.packet(packet.size)
            try:
                frames = codec.decode(packet)
            except av.InvalidDataError:
                # One bad packet costs one picture, not the connection.
                self.stats.corrupt_packets += 1
                frames = []
            for frame in frames:
                if clock is not None and clock.wait(frame.time, self._stop):
                    return
                sequence += 1
                key = (self._box_version, frame.width, frame.height)
                if key != size_key:
                    size_key, (width, height) = key, self._output_size(frame.width, frame.height)
                image = converter.convert(frame, width, height, sequence)
                self.stats.frame(frame.width, frame.height, image.decoded_at)
                last_picture = image.decoded_at
                if self._state.state is not PlayerState.PLAYING:
                    self._set_state(StateInfo(PlayerState.PLAYING))
                yield image

    def _output_size(self, width: int, height: int) -> tuple[int, int]:
        boxes = [s.box for s in self._subscribers if s.box[0] > 0 and s.box[1] > 0]
        if not boxes:
            return width, height
        box = max(boxes, key=lambda b: b[0] * b[1])
        fitted_width, fitted_height = fit_inside(width, height, *box)
        # swscale takes a plain-C path for odd output widths, 2.7x slower (docs/pitfalls.md).
        return max(2, fitted_width & ~1), fitted_height

    def _check_stall(self, now: float) -> None:
        """Tell viewers the picture froze before the read timeout forces a reconnect."""
        last = self.stats.last_frame_at
        if (
            self._state.state is PlayerState.PLAYING
            and last is not None
            and now - last > self._stall_notice
        ):
            self._set_state(StateInfo(PlayerState.STALLED, StreamLostError("no picture")))

    @property
    def finished(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()


class _PresentationClock:
    """Holds frames of a self-unpaced source (file, HLS) until their time comes."""

    # Beyond this the source jumped (a seek, a discontinuity): start the clock again.
    RESYNC = 1.0

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None

    def wait(self, pts: float | None, stop: threading.Event) -> bool:
        """Sleep until ``pts`` is due; True if asked to stop meanwhile."""
        now = time.monotonic()
        if pts is None:
            return stop.is_set()
        if self._origin is None:
            self._origin = (now, pts)
            return stop.is_set()
        due = self._origin[0] + (pts - self._origin[1])
        if abs(due - now) > self.RESYNC:
            self._origin = (now, pts)
            return stop.is_set()
        return stop.wait(due - now) if due > now else stop.is_set()


class _StallWatchdog:
    """One thread for all players: notices frozen pictures while a read still blocks."""

    PERIOD = 0.5

    def __init__(self) -> None:
        self._players: weakref.WeakSet[StreamPlayer] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, player: StreamPlayer) -> None:
        with self._lock:
            self._players.add(player)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="stall watchdog", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.PERIOD)
            now = time.monotonic()
            with self._lock:
                players = [p for p in self._players if not p.finished]
            for player in players:
                player._check_stall(now)


_watchdog = _StallWatchdog()
