"""One stream, one worker thread: demux, decode, scale, hand over, reconnect.

A :class:`StreamPlayer` decodes its stream once however many tiles show it; each tile
holds a :class:`Subscription` with its own one-slot mailbox and the box it wants the
picture to fit. Frames are converted to fit the largest visible box, so a tile never
receives more pixels than the biggest viewer needs.

A subscription can be hidden (another tile maximised, the window minimised). While no
subscriber is visible the player keeps its connection and keeps the packets since the
last key frame without decoding them (demuxing alone is cheap); when one shows again,
that backlog is decoded at full speed on a helper thread and the current picture is
handed over at once, with no RTSP handshake and no wait for the camera's next key frame.

Every reconnect asks for a fresh stream description (``resolve``): a backend's URL can
carry a token that expired an hour after the first one was issued, and a WebRTC session
is only good once.

A description names its source: an FFmpeg URL (RTSP, HLS, files), demuxed by FFmpeg,
or WebRTC signalling (media/webrtc.py), whose frames aiortc receives and reassembles.
Either way the packets come here and take one path: decode, conversion, mailboxes,
statistics, states, back-off, hidden backlogs.

The worker talks to the outside world only through callbacks that must be safe to call
from any thread (a Qt signal emit, ``loop.call_soon_threadsafe``): ``wake`` when a
subscriber's empty mailbox receives a frame, ``on_state`` when the state changes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import av
import av.codec.context
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream

from viewer.core.errors import (
    AuthenticationError,
    CertificateError,
    NotSupportedError,
    PermissionDeniedError,
    RateLimitedError,
    StreamLostError,
    UnreachableError,
    VigilError,
)
from viewer.core.playback import PlaybackClock
from viewer.core.streams import StreamDescription, fit_inside
from viewer.media.backoff import Backoff
from viewer.media.clock import SYSTEM_CLOCK, Clock
from viewer.media.convert import FrameConverter
from viewer.media.errors import opening_error, reading_error
from viewer.media.following import Following, ResolveAt, Verdict
from viewer.media.frames import Crop, VideoImage
from viewer.media.http_io import HttpOpener
from viewer.media.hwaccel import open_input
from viewer.media.mailbox import Mailbox
from viewer.media.planes import DeliveredConverter
from viewer.media.recorded import OffsetInstants, PlaylistTap, asked_start, parse_playlist
from viewer.media.rhythm import Rhythm
from viewer.media.sources import OpenPlan, open_plan
from viewer.media.state import PlayerState, StateInfo
from viewer.media.stats import StatsSnapshot, StreamStats
from viewer.media.webrtc import WebRtcSource

log = logging.getLogger(__name__)

Wake = Callable[[], None]
StateListener = Callable[[StateInfo], None]
if TYPE_CHECKING:
    Packet = av.Packet[VideoStream]
Resolve = Callable[[], StreamDescription]
"""Called on the worker thread before each reconnect; raises a VigilError if it cannot."""

# Retrying cannot fix these; the operator has to change something first.
_FINAL_ERRORS = (AuthenticationError, CertificateError, NotSupportedError, PermissionDeniedError)
# A hidden stream's backlog beyond this is dropped and the next key frame awaited: a
# main stream with a long key-frame interval holds a few MB, never more than this.
BACKLOG_LIMIT = 48 * 2**20
# The longest pause a server's Retry-After is granted between two attempts.
RETRY_AFTER_LIMIT = 300.0
# A server busy (503, 429) before a stream's first picture is most likely still starting
# it (a MiBee HLS muxer waits for SPS and PPS for about a second): for this long it is
# asked again every WARM_UP_RETRY seconds, and the operator reads "connecting".
WARM_UP_LIMIT = 10.0
WARM_UP_RETRY = 0.25
# Backlogs decoded at once after hidden tiles show again: one per core.
_CATCH_UP_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 2)


_Pictures = tuple[VideoImage, "dict[Subscription, VideoImage]"]
"""A frame converted: the whole picture, and each zoomed viewer's part of it."""


class Subscription:
    """A viewer's claim on a player's frames, sized to the box it paints into."""

    def __init__(self, player: StreamPlayer, wake: Wake, on_state: StateListener) -> None:
        self.player = player
        self.mailbox: Mailbox[VideoImage] = Mailbox()
        self.box = (0, 0)
        self.visible = True
        self.crop: Crop | None = None
        self._wake = wake
        self._on_state = on_state
        self._converter: FrameConverter | None = None

    def set_box(self, width: int, height: int) -> None:
        self.box = (max(0, width), max(0, height))
        self.player._boxes_changed()

    def set_crop(self, crop: Crop | None) -> None:
        """Digital zoom: this viewer gets only ``crop`` of the picture, converted at its
        box's size on the decode thread, while others on the stream get the whole."""
        self.crop = crop
        self.player._boxes_changed()

    def _zoomed(
        self, frame: av.VideoFrame, sequence: int, factory: Callable[[], FrameConverter]
    ) -> VideoImage:
        """This viewer's part of ``frame``; called on the decode thread, under its lock."""
        crop = self.crop
        assert crop is not None
        part_w = max(2, round(frame.width * crop[2]))
        part_h = max(2, round(frame.height * crop[3]))
        width, height = fit_inside(part_w, part_h, *self.box) if all(self.box) else (0, 0)
        if not width:
            width, height = part_w, part_h
        if self._converter is None:
            self._converter = factory()
        # Even widths, as for the whole picture (docs/pitfalls.md).
        return self._converter.convert(frame, max(2, width & ~1), height, sequence, crop)

    def set_visible(self, visible: bool) -> None:
        """A hidden viewer gets no pictures; showing it again brings the current one."""
        if visible != self.visible:
            self.visible = visible
            # Whatever waits in the mailbox is from before the hiding: painted on show,
            # it would be seconds old, ahead of the current picture.
            self.mailbox.take()
            self.player._visibility_changed(self)

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


@dataclass(frozen=True)
class _LinkOptions:
    """What a source tells the decode path beyond its packets."""

    instant: Callable[[av.VideoFrame], float | None] | None = None
    """A frame's wall-clock instant; the decode time when None (live video)."""
    corrupt: Callable[[], None] | None = None
    """Called after a packet failed to decode: a WebRTC source asks for a key frame."""
    packet_instant: Callable[[Packet], float | None] | None = None
    """A packet's recorded instant, for pacing a hidden client-paced recording."""
    seek: Callable[[float], bool] | None = None
    """Moves a client-paced recording to a recorded instant (UTC seconds), in place;
    False when there is nothing recorded from there on."""
    server_paced: bool = True


class _Link:
    """What one connection decodes with. Guarded by the player's decode lock, because
    the catch-up after a hidden spell decodes on another thread than the demuxer."""

    def __init__(
        self, codec: VideoCodecContext, converter: FrameConverter, options: _LinkOptions
    ) -> None:
        self.codec = codec
        self.converter = converter
        self.options = options
        self.backlog: list[Packet] = []
        self.backlog_bytes = 0
        self.need_keyframe = False
        self.size_key: tuple[int, int, int] | None = None
        self.size = (0, 0)

    def hold(self, packet: Packet) -> None:
        """Keep ``packet`` undecoded; a key frame makes everything before it useless."""
        if packet.is_keyframe:
            self.backlog.clear()
            self.backlog_bytes = 0
        self.backlog.append(packet)
        self.backlog_bytes += packet.size
        if self.backlog_bytes > BACKLOG_LIMIT:
            self.backlog.clear()
            self.backlog_bytes = 0
            self.need_keyframe = True

    def take_backlog(self) -> list[Packet]:
        packets, self.backlog, self.backlog_bytes = self.backlog, [], 0
        return packets


class StreamPlayer:
    def __init__(
        self,
        description: StreamDescription,
        *,
        resolve: Resolve | None = None,
        converter_factory: Callable[[], FrameConverter] = DeliveredConverter,
        backoff: Backoff | None = None,
        clock: Clock = SYSTEM_CLOCK,
        open_timeout: float = 10.0,
        stall_timeout: float = 5.0,
        stall_notice: float = 2.0,
    ) -> None:
        """``stall_timeout`` and ``stall_notice`` are the least patience the player has;
        a slow stream earns more (media/rhythm.py)."""
        self.description = description
        self._resolve = resolve
        self._converter_factory = converter_factory
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._open_timeout = open_timeout
        self._rhythm = Rhythm(minimum_loss=stall_timeout, minimum_notice=stall_notice)
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscription, ...] = ()
        self._state = StateInfo(PlayerState.STOPPED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._helpers: list[threading.Thread] = []
        self._delivered = False
        # Monotonic seconds since the player has been waiting for a first picture.
        self._trying_since = 0.0
        # The decode state of the current connection, and whether any viewer is visible.
        self._decode_lock = threading.Lock()
        self._link: _Link | None = None
        self._hidden = False
        # Set from showing until the catch-up handed its picture over: meanwhile the
        # last picture is stale, and the catch-up's goes to every visible viewer.
        self._catching_up = False
        self._sequence = 0
        self._last_image: VideoImage | None = None
        # The picture deadline runs from the newest picture, or from when watching began
        # (the connection opened, or a hidden stream was shown again).
        self._last_picture_at: float | None = None
        self._watched_since = 0.0
        # The HTTP connection being played, which the watchdog may give up on.
        self._attempt: _Attempt | None = None
        # Bumped (by the GUI thread only) whenever a subscriber's box changes, so the
        # decode thread recomputes the output size then and not for every frame.
        self._box_version = 0
        self.stats = StreamStats()
        # Set by follow(): recorded pictures are shown when the playback clock says.
        self._following: Following | None = None
        # The recorded instant (UTC seconds) the current description was asked for.
        self._asked: float | None = None

    # -- control, from any thread -------------------------------------------------

    def subscribe(self, wake: Wake, on_state: StateListener) -> Subscription:
        subscription = Subscription(self, wake, on_state)
        with self._lock:
            self._subscribers = (*self._subscribers, subscription)
        self._visibility_changed(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget ``subscription``; the last one to leave stops the decode."""
        with self._lock:
            self._subscribers = tuple(s for s in self._subscribers if s is not subscription)
            if not self._subscribers:
                self._stop.set()
        # The one who left may have been the last one watching.
        self._visibility_changed(None)

    def _boxes_changed(self) -> None:
        self._box_version += 1

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def hidden(self) -> bool:
        """No viewer is visible: packets are kept, not decoded."""
        return self._hidden

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a StreamPlayer is started once")
        self._thread = threading.Thread(
            target=self._run, name=f"player {self.description.display_url}", daemon=True
        )
        self._thread.start()
        _watchdog.watch(self)

    def follow(self, clock: PlaybackClock, resolve_at: ResolveAt) -> None:
        """Play the recording at ``clock``'s instant and speed from now on.

        ``resolve_at(instant, speed)`` replaces ``resolve`` for every later connection:
        after a drop the stream is asked for at the clock's position, not at live. Call
        it before ``start()``, or later: the connection playing then ends at its next
        packet and the next one is asked for at the clock. A player follows one clock
        for its life.
        """
        if self._following is not None:
            raise RuntimeError("a StreamPlayer follows one clock")
        self._following = Following(clock, resolve_at)

    @property
    def following(self) -> PlaybackClock | None:
        return None if self._following is None else self._following.clock

    def stop(self) -> None:
        """Ask the worker to finish; it leaves within one packet or one read timeout."""
        self._stop.set()
        if self._following is not None:
            self._following.wake()
        attempt = self._attempt
        if attempt is not None:
            # A source that keeps FFmpeg busy would never let a read return otherwise.
            attempt.opener.give_up(StreamLostError(f"{attempt.where} was stopped"))

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker (and any catch-up) to end; False if one is still running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in [self._thread, *self._helpers]:
            if thread is None:
                continue
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False
        return True

    @property
    def state(self) -> StateInfo:
        return self._state

    def statistics(self) -> StatsSnapshot:
        dropped = sum(s.mailbox.dropped for s in self._subscribers)
        return self.stats.snapshot(dropped=dropped)

    def _visibility_changed(self, subscription: Subscription | None) -> None:
        self._boxes_changed()
        hidden = not any(s.visible for s in self._subscribers)
        if hidden and not self._hidden:
            with self._decode_lock:
                self._hidden = True
        elif not hidden and self._hidden and not self._catching_up:
            # Decoding the backlog takes a moment: not on the caller's (the GUI's) thread.
            self._catching_up = True
            helper = threading.Thread(
                target=self._catch_up,
                name=f"catch-up {self.description.display_url}",
                daemon=True,
            )
            self._helpers = [t for t in self._helpers if t.is_alive()] + [helper]
            helper.start()
        elif (
            subscription is not None
            and subscription.visible
            and not self._catching_up
            and self._last_image is not None
        ):
            # Others keep the stream decoding: show the newest picture now, not a frame later.
            subscription._deliver(self._last_image)

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
        connecting_since = self._clock.monotonic()
        self._trying_since = time.monotonic()
        # A follower's first description is asked for at the clock's position.
        following = self._following
        description = self.description if following is None else None
        while not self._stop.is_set():
            self._delivered = False
            following = self._following
            try:
                if description is None:
                    description = self._fresh_description()
                self._play_once(description)
                moved = following.take_restart() if following is not None else False
                if moved or (following is None and self._following is not None):
                    # The clock moved, or the player was told to follow one while it
                    # played: ask again at the clock's position, no back-off.
                    description = None
                    continue
                if not description.live and following is None:
                    break
                error: VigilError = StreamLostError(f"{description.display_url} closed the stream")
            except _FINAL_ERRORS as exc:
                return StateInfo(PlayerState.FAILED, exc)
            except VigilError as exc:
                error = exc
            # The next attempt asks the backend again: URLs can carry tokens that expire.
            description = None
            if self._stop.is_set():
                break
            warm_up = self._warm_up_delay(error, connecting_since)
            if warm_up is not None:
                log.debug("%s: still starting (%s)", self.description.display_url, error)
                if self._clock.wait(self._stop, warm_up):
                    break
                continue
            # A connection that played and dropped is retried soon; a camera that
            # never came up is retried ever more slowly.
            if self._delivered:
                self._backoff.reset()
                # A first picture is awaited again from now (media/live_join.py).
                self._trying_since = time.monotonic()
            delay = self._backoff.next_delay()
            if isinstance(error, RateLimitedError) and error.retry_after:
                # A server may ask for a pause, not for the camera to be given up.
                delay = max(delay, min(error.retry_after, RETRY_AFTER_LIMIT))
            self.stats.reconnects += 1
            retry_at = self._clock.monotonic() + delay
            self._set_state(StateInfo(PlayerState.RECONNECTING, error, retry_at))
            if self._clock.wait(self._stop, delay):
                break
        return StateInfo(PlayerState.STOPPED)

    def _warm_up_delay(self, error: VigilError, connecting_since: float) -> float | None:
        """The wait before asking a server that is still starting the stream again, or
        None when ``error`` is a failure to show (and to back off from)."""
        starting = self._state.state is PlayerState.CONNECTING
        if not starting or not isinstance(error, RateLimitedError):
            return None
        delay = max(WARM_UP_RETRY, error.retry_after or 0.0)
        if self._clock.monotonic() + delay - connecting_since > WARM_UP_LIMIT:
            return None
        return delay

    def _fresh_description(self) -> StreamDescription:
        following = self._following
        if self._resolve is None and following is None:
            return self.description
        try:
            if following is not None:
                # A paused clock whose picture is shown needs no stream till it moves.
                if following.settle(self._stop):
                    raise StreamLostError(f"{self.description.display_url} was stopped")
                description, self._asked = following.describe()
            else:
                assert self._resolve is not None
                description = self._resolve()
        except VigilError:
            raise
        except Exception as exc:
            problem = type(exc).__name__
            raise UnreachableError(f"the stream could not be asked for ({problem})") from None
        self.description = description
        return description

    def _play_once(self, description: StreamDescription) -> None:
        """Play until the source ends or fails; failures come out as VigilError."""
        if description.signalling is not None:
            self._play_webrtc(description)
            return
        where = description.display_url
        plan = open_plan(description)
        # The read timeout is how long the stream may be silent: learned from its rhythm.
        silence = self._rhythm.silence_limit()
        opener = (
            HttpOpener(
                description.ca_file,
                self._open_timeout,
                silence,
                description.pinned,
                waiting_since=self._trying_since,
            )
            if plan.fetched_by_httpx
            else None
        )
        if opener is not None:
            self._attempt = _Attempt(opener, where, silence, time.monotonic())
        # A recording that follows a clock is placed in recorded time by its playlist.
        tap = PlaylistTap(opener) if opener is not None and self._following else None
        try:
            try:
                container = open_input(
                    description.url,
                    options=dict(plan.options),
                    timeout=(self._open_timeout, silence),
                    io_open=tap or opener,
                )
            except Exception as exc:
                raise opening_error(exc, where, description.pinned) from None
            try:
                with container:
                    if not container.streams.video:
                        raise NotSupportedError(f"{where} carries no video")
                    stream = container.streams.video[0]
                    if self._following is not None:
                        text = tap.text if tap is not None else None
                        self._pump_recorded(container, stream, text, where, silence, plan)
                        return
                    packets = container.demux(stream)
                    paced = not plan.paced_by_source
                    self._pump(packets, stream.codec_context, where, silence, paced=paced)
            except VigilError:
                raise
            except Exception as exc:
                raise reading_error(exc, where) from None
            finally:
                with self._decode_lock:
                    self._link = None
        finally:
            self._attempt = None
            if opener is not None:
                opener.close()
                # Whatever FFmpeg made of its failed reads, this is why it ended.
                if opener.given_up is not None and not self._stop.is_set():
                    raise opener.given_up

    def _pump(
        self,
        packets: Iterator[Packet],
        codec: VideoCodecContext,
        where: str,
        silence: float,
        *,
        paced: bool,
        link_options: _LinkOptions | None = None,
    ) -> None:
        """Take every packet; decode and hand over while someone watches, keep otherwise."""
        _single_threaded_low_delay(codec)
        self.stats.codec = codec.name
        link = _Link(codec, self._converter_factory(), link_options or _LinkOptions())
        with self._decode_lock:
            self._link = link
        clock = _PresentationClock() if paced else None
        following = self._following
        self._rhythm.new_connection()
        self._last_picture_at, self._watched_since = None, time.monotonic()
        for packet in packets:
            if self._stop.is_set() or following is not self._following:
                # Stopping, or told to follow a clock: this connection is not at it.
                return
            if packet.size == 0:
                continue
            self._check_alive(packet, where, silence)
            if self._hidden and not self._pace_hidden(clock, link, packet):
                return
            with self._decode_lock:
                if link.need_keyframe:
                    if not packet.is_keyframe:
                        continue
                    link.need_keyframe = False
                if self._hidden:
                    link.hold(packet)
                    continue
                frames = self._decode(link, packet)
            for frame in frames:
                if clock is not None and clock.wait(frame.time, self._stop):
                    return
                verdict = Verdict.SHOW if following is None else self._follow_frame(link, frame)
                if verdict is Verdict.SKIP:
                    continue
                if verdict is not Verdict.SHOW:
                    # Sought elsewhere (the rest is stale), or to be asked for again.
                    return
                with self._decode_lock:
                    if self._hidden:
                        break
                    pictures = self._picture(link, frame)
                self._hand_over_in_time(link, frame, pictures)

    def _pump_recorded(  # noqa: PLR0917 (one caller, _play_once's)
        self,
        container: av.container.InputContainer,
        stream: VideoStream,
        playlist_text: str | None,
        where: str,
        silence: float,
        plan: OpenPlan,
    ) -> None:
        """Play a PyAV recording at the clock's instant: seek in place when it jumps, and
        at the end of the recording hold the last picture until the clock moves back."""
        following = self._following
        assert following is not None
        # The start the URL asks for (it may be rounded), else the instant asked for.
        asked = self._asked if self._asked is not None else following.position
        epoch = asked_start(self.description.url) or asked
        playlist = parse_playlist(playlist_text, epoch) if playlist_text is not None else None
        if playlist is not None and playlist.dated and playlist.first_instant is not None:
            epoch = playlist.first_instant
        instants = OffsetInstants(epoch)
        if plan.server_paced:
            # FFmpeg's RTSP counts from the first RTP timestamp, which is the start asked.
            instants.first = 0.0

        time_base = float(stream.time_base or 1 / 90_000)
        sought = False

        def seek(instant: float) -> bool:
            nonlocal sought
            target = playlist.seek_target(instant) if playlist else instant - epoch
            if target is None or instants.first is None:
                return False
            container.seek(int((instants.first + target) / time_base), stream=stream)
            sought = True
            with self._decode_lock:
                stream.codec_context.flush_buffers()
                if self._link is not None:
                    self._link.take_backlog()
            return True

        options = _LinkOptions(
            instant=lambda frame: instants(frame.time),
            packet_instant=lambda packet: instants(_packet_time(packet)),
            seek=None if plan.server_paced else seek,
            server_paced=plan.server_paced,
        )
        while not self._stop.is_set():
            packets = container.demux(stream)
            codec = stream.codec_context
            self._pump(packets, codec, where, silence, paced=False, link_options=options)
            if plan.server_paced or self._stop.is_set():
                return
            if sought:
                # The pump stopped at a seek: demux on from there.
                sought = False
                continue
            # The recording ended (or was sought past its end): hold until the clock moves.
            while True:
                if following.wait_for_change(self._stop):
                    return
                if seek(following.position):
                    break

    def _follow_frame(self, link: _Link, frame: av.VideoFrame) -> Verdict:
        """Hold a decoded picture until the clock reaches its instant; seek if it jumped."""
        instant = link.options.instant(frame) if link.options.instant else None
        return self._follow(link, instant)

    def _hand_over_in_time(self, link: _Link, frame: av.VideoFrame, pictures: _Pictures) -> None:
        """A followed picture the clock left behind while it was converted is not shown."""
        following = self._following
        get = link.options.instant
        if following is None or get is None or not following.overdue(get(frame)):
            self._hand_over(pictures)

    def _pace_hidden(self, clock: _PresentationClock | None, link: _Link, packet: Packet) -> bool:
        """Hold a packet kept while hidden until its time; False to stop pumping."""
        # Nobody watches, but a file or playlist still plays in real time.
        if clock is not None:
            return not clock.wait(_packet_time(packet), self._stop)
        # Kept packets must not run ahead of the clock, or the catch-up shows the future.
        if self._following is None or link.options.server_paced:
            return True
        get = link.options.packet_instant
        verdict = self._follow(link, get(packet) if get is not None else None)
        return verdict is Verdict.SHOW or verdict is Verdict.SKIP

    def _follow(self, link: _Link, instant: float | None) -> Verdict:
        following = self._following
        assert following is not None
        verdict = following.pace(instant, self._stop, server_paced=link.options.server_paced)
        if following.took_long_hold():
            # Silence while held was on purpose, not the stream's.
            self._rhythm.new_connection()
            self._watched_since = time.monotonic()
        seek = link.options.seek
        if verdict is Verdict.SEEK and not (seek and seek(following.position)):
            return Verdict.SKIP
        return verdict

    def _play_webrtc(self, description: StreamDescription) -> None:
        """Play a WebRTC session: aiortc receives, this thread decodes as for any source."""
        where = description.display_url
        silence = self._rhythm.silence_limit()
        source = WebRtcSource(description, open_timeout=self._open_timeout)
        recorded = _RecordedClock(description) if description.rtp_ms_epoch else None
        options = _LinkOptions(
            instant=recorded.instant if recorded else None, corrupt=source.key_frame_please
        )
        source.start()
        try:
            codec = source.decoder(self._stop)
            packets = source.packets(self._stop, silence)
            self._pump(packets, codec, where, silence, paced=False, link_options=options)
        except VigilError:
            raise
        except Exception as exc:
            raise reading_error(exc, where) from None
        finally:
            source.close()
            with self._decode_lock:
                self._link = None

    def _check_alive(self, packet: Packet, where: str, silence: float) -> None:
        """Raise StreamLostError when the stream went quiet for longer than its rhythm allows."""
        now = time.monotonic()
        rhythm = self._rhythm
        # A gap as long as the read timeout means the read was interrupted, and on an
        # interrupted read FFmpeg's RTSP demuxer hands out the frame it held back: what
        # arrives now is stale, the stream is lost.
        previous = rhythm.last_packet
        if previous is not None and now - previous > 0.9 * silence:
            raise StreamLostError(f"{where} sent nothing for {now - previous:.0f} s")
        rhythm.packet(now, packet.is_keyframe)
        self.stats.packet(packet.size)
        if not self._hidden:
            seen = self._last_picture_at
            waited = now - max(seen or 0.0, self._watched_since)
            if waited > rhythm.picture_limit(seen_picture=seen is not None):
                raise StreamLostError(f"{where} sent no picture for {waited:.0f} s")

    def _decode(self, link: _Link, packet: Packet) -> list[av.VideoFrame]:
        try:
            return link.codec.decode(packet)
        except av.InvalidDataError:
            # One bad packet costs one picture, not the connection.
            self.stats.corrupt_packets += 1
            if link.options.corrupt is not None:
                link.options.corrupt()
            return []

    def _picture(self, link: _Link, frame: av.VideoFrame) -> _Pictures:
        """``frame`` converted for the viewers: the whole picture once for all that show
        it, and each digitally zoomed viewer's part; called with the decode lock held."""
        self._sequence += 1
        key = (self._box_version, frame.width, frame.height)
        if key != link.size_key:
            link.size_key, link.size = key, self._output_size(frame.width, frame.height)
        visible = [s for s in self._subscribers if s.visible]
        zoomed = {
            s: s._zoomed(frame, self._sequence, self._converter_factory)
            for s in visible
            if s.crop is not None
        }
        if zoomed and len(zoomed) == len(visible):
            # Nobody shows the whole: a late viewer starts from a part, cut again later.
            image = next(iter(zoomed.values()))
        else:
            image = link.converter.convert(frame, *link.size, self._sequence)
        instant = link.options.instant
        taken = time.time() if instant is None else instant(frame)
        for picture in (image, *zoomed.values()):
            picture.instant = taken
        self.stats.frame(frame.width, frame.height, image.decoded_at)
        self._last_picture_at = image.decoded_at
        return image, zoomed

    def _hand_over(self, pictures: _Pictures) -> None:
        image, zoomed = pictures
        self._delivered = True
        self._last_image = image
        for subscriber in self._subscribers:
            if subscriber.visible:
                subscriber._deliver(zoomed.get(subscriber, image))
        if self._state.state is not PlayerState.PLAYING:
            self._set_state(StateInfo(PlayerState.PLAYING))

    def _catch_up(self) -> None:
        """Decode what arrived while nobody watched and hand over the newest picture."""
        try:
            # Fifteen tiles restored at once: decoded a few at a time, the first ones
            # paint sooner and the last no later than when all share the cores.
            with _CATCH_UP_SLOTS:
                self._decode_backlog()
        except Exception:
            log.exception("catching up %s failed", self.description.display_url)
        finally:
            self._catching_up = False

    def _decode_backlog(self) -> None:
        with self._decode_lock:
            if not self._hidden or not any(s.visible for s in self._subscribers):
                return
            self._hidden = False
            self._watched_since = time.monotonic()
            link = self._link
            if link is None:
                return
            newest = None
            for packet in link.take_backlog():
                frames = self._decode(link, packet)
                if frames:
                    newest = frames[-1]
            # Nothing arrived while hidden: the last picture is still the current one.
            last = self._last_image
            pictures = (
                self._picture(link, newest)
                if newest is not None
                else (None if last is None else (last, {}))
            )
            # Handed over under the lock, so no newer picture from the demuxer goes first.
            if pictures is not None:
                self._hand_over(pictures)

    def _output_size(self, width: int, height: int) -> tuple[int, int]:
        boxes = [
            s.box
            for s in self._subscribers
            if s.visible and s.crop is None and s.box[0] > 0 and s.box[1] > 0
        ]
        if not boxes:
            return width, height
        box = max(boxes, key=lambda b: b[0] * b[1])
        fitted_width, fitted_height = fit_inside(width, height, *box)
        # swscale takes a plain-C path for odd output widths, 2.7x slower (docs/pitfalls.md).
        return max(2, fitted_width & ~1), fitted_height

    def _check_stall(self, now: float) -> None:
        """Tell viewers the picture froze before the read timeout forces a reconnect."""
        if self._state.state is not PlayerState.PLAYING:
            return
        following = self._following
        if following is not None and following.holding:
            return
        # A hidden stream shows no pictures by design: its packets tell whether it lives.
        last = self._rhythm.last_packet if self._hidden else self.stats.last_frame_at
        if following is not None and last is not None:
            last = max(last, following.hold_ended)
        if last is not None and now - last > self._rhythm.stall_notice():
            self._set_state(StateInfo(PlayerState.STALLED, StreamLostError("no picture")))

    def _check_progress(self, now: float) -> None:
        """Give up on an HTTP connection FFmpeg keeps busy without handing out packets.

        FFmpeg's read timeout is only checked where a demuxer waits: its HLS demuxer
        reading a segment that trickles bytes with no packet in them, or reloading a
        playlist whose segments yield none, never waits, so the read never ends and the
        player would sit in connecting (or stalled) for ever. Opening may take the open
        timeout and the first packet the read timeout; then packets must keep coming.
        """
        attempt = self._attempt
        if attempt is None or attempt.opener.given_up is not None:
            return
        following = self._following
        if following is not None and following.holding:
            return
        last = self._rhythm.last_packet
        if last is None or last < attempt.opened:
            quiet, limit = now - attempt.opened, self._open_timeout + attempt.silence
        else:
            quiet, limit = now - last, attempt.silence
        if following is not None:
            # Silence while a picture was held for the clock was on purpose.
            quiet = min(quiet, now - following.hold_ended)
        if quiet > limit:
            reason = StreamLostError(f"{attempt.where} sent no video for {quiet:.0f} s")
            attempt.opener.give_up(reason)

    @property
    def finished(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()


def _single_threaded_low_delay(codec: VideoCodecContext) -> None:
    """One thread per stream gives the most frames per CPU-second when many streams
    share few cores, and frame threading would add a frame of latency. Set before the
    codec opens (a recording pumped again after a seek has it open already)."""
    if not codec.is_open:
        codec.thread_count = 1
        codec.flags |= av.codec.context.Flags.low_delay


def _packet_time(packet: Packet) -> float | None:
    if packet.pts is None or packet.time_base is None:
        return None
    return float(packet.pts * packet.time_base)


@dataclass(frozen=True)
class _Attempt:
    opener: HttpOpener
    where: str
    silence: float
    opened: float
    """Monotonic seconds when the attempt began to open the stream."""


class _RecordedClock:
    """A recording's frame instants from RTP timestamps that count milliseconds from the
    instant asked for (XProtect playback); media/webrtc.py keeps them as sent, unwrapped."""

    def __init__(self, description: StreamDescription) -> None:
        assert description.rtp_ms_epoch is not None
        self._epoch = description.rtp_ms_epoch.timestamp()

    def instant(self, frame: av.VideoFrame) -> float | None:
        if frame.pts is None:
            return None
        return self._epoch + int(frame.pts) / 1000.0


class _PresentationClock:
    """Holds frames of a self-unpaced source (file, HLS) until their time comes."""

    # Beyond this the source jumped (a seek, a discontinuity): start the clock again.
    RESYNC = 1.0
    # A late picture sets the clock back by its delay, up to this in all: a playout
    # buffer as deep as the source needs. FFmpeg's HLS demuxer hands out the last two
    # pictures of a segment only with the next segment's first bytes, fetched at its
    # next playlist reload, after they are due (later at each segment, as its reloads
    # come a segment's duration plus the fetch apart, until one reload finds two new
    # segments); shown at once, they and the next ones came as a burst, a visible skip
    # at every segment boundary at the live edge (docs/pitfalls.md). Bounded, so a
    # source that keeps falling behind cannot drag the picture ever further from live.
    MOST_LAG = 4.0

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None
        self._lag = 0.0

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
            self._origin, self._lag = (now, pts), 0.0
            return stop.is_set()
        if due < now:
            late = min(now - due, self.MOST_LAG - self._lag)
            if late > 0:
                self._lag += late
                self._origin = (self._origin[0] + late, self._origin[1])
            return stop.is_set()
        return stop.wait(due - now)


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
                player._check_progress(now)


_watchdog = _StallWatchdog()
