"""What one tile shows: a camera, in the stream that suits the tile, without black gaps.

The tile tells the view its size in device pixels; the view plays the smallest stream
that covers it (core.streams.choose_stream). Switching streams, as when a tile is
maximised, opens the new stream beside the old one and lets go of the old one only
when the new one has produced its first picture, so the operator never sees black.

A hidden tile (another one maximised, the window minimised) keeps its stream for a
grace period without decoding it, so it shows the current picture at once when it comes
back; only after the grace period does the connection close.

``poke``, if given, is called from decode threads when a frame or a state change
waits, and must be thread-safe; a viewer that polls (the UI's frame clock) needs
none. Everything else runs on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from viewer.core.errors import NotFoundError, NotSupportedError, UnreachableError, VigilError
from viewer.core.models import CameraRef, Quality
from viewer.core.playback import PlaybackClock
from viewer.core.streams import StreamDescription, choose_stream
from viewer.media.frames import Crop, VideoImage
from viewer.media.player import StateListener, Subscription, Wake
from viewer.media.state import PlayerState, StateInfo
from viewer.media.stats import StatsSnapshot
from viewer.services.directory import Directory, SiteSession, SiteStatus
from viewer.services.players import PlayerHub

log = logging.getLogger(__name__)

# How long a hidden tile keeps its stream open, by default (a setting).
HIDDEN_GRACE = 30.0
# How long a reconnecting player waits for the backend to describe the stream again.
RESOLVE_TIMEOUT = 30.0


class Playback(Protocol):
    """What a tile following a playback clock needs (services/playback.py has it)."""

    clock: PlaybackClock

    async def describe(self, ref: CameraRef, at: datetime, speed: float) -> StreamDescription:
        """The camera's recording at ``at``, played at ``speed``."""

    def subscribe(
        self, ref: CameraRef, description: StreamDescription, wake: Wake, on_state: StateListener
    ) -> Subscription:
        """A player of its own for this tile, following the clock from its start."""


def _nothing() -> None:
    pass


class _Feed:
    """A subscription and the quality it was opened for."""

    def __init__(
        self, subscription: Subscription, quality: Quality, recorded: bool = False
    ) -> None:
        self.subscription = subscription
        self.quality = quality
        self.recorded = recorded
        """A player of its own following the playback clock, not the shared live one."""
        self.seen_picture = False
        self.last_instant: float | None = None
        self.interval: float | None = None
        """The shortest time between two recorded pictures seen: one frame's step."""

    def close(self) -> None:
        self.subscription.close()


class CameraView:
    def __init__(
        self,
        directory: Directory,
        hub: PlayerHub,
        ref: CameraRef,
        poke: Callable[[], None] | None = None,
        hidden_grace: float = HIDDEN_GRACE,
    ) -> None:
        self.ref = ref
        self.hidden_grace = hidden_grace
        self._directory = directory
        self._hub = hub
        self._poke = poke or _nothing
        self._box = (0, 0)
        self._crop: Crop | None = None
        self._active: _Feed | None = None
        self._pending: _Feed | None = None
        self._error: VigilError | None = None
        # The camera's site cannot be reached yet: the tile says so and when it retries.
        self._site_wait: SiteSession | None = None
        self._suspended = False
        self._released = False
        self._release_timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._refused: set[Quality] = set()
        self.playback: Playback | None = None
        """Set while the tile follows a playback clock (services/playback.py)."""
        self.recording_missing = False
        """Following the clock to an instant this camera recorded nothing at."""
        self._playbacks = 0

    @property
    def quality(self) -> Quality | None:
        """The quality being shown, or being opened when nothing shows yet."""
        feed = self._active or self._pending
        return feed.quality if feed else None

    @property
    def state(self) -> StateInfo:
        if self._error is not None:
            return StateInfo(PlayerState.FAILED, self._error)
        if self.playback is not None and self.recording_missing:
            return StateInfo(PlayerState.STOPPED)
        site = self._site_wait
        if site is not None and site.status is SiteStatus.RETRYING:
            return StateInfo(PlayerState.RECONNECTING, site.error, site.retry_at)
        feed = self._active or self._pending
        if feed is None:
            return StateInfo(PlayerState.STOPPED if self._suspended else PlayerState.CONNECTING)
        return feed.subscription.state

    def statistics(self) -> StatsSnapshot | None:
        """Figures of the stream on screen (or being opened), shared by every tile on it."""
        feed = self._active or self._pending
        return feed.subscription.player.statistics() if feed else None

    async def set_box(self, width: int, height: int) -> None:
        """The tile's video area in device pixels changed: maybe switch stream."""
        self._box = (width, height)
        if self._suspended or self._closed or width <= 0 or height <= 0:
            return
        camera = self._directory.camera(self.ref)
        if camera is None:
            site = self._directory.session(self.ref.site_id)
            if site is not None and site.status is SiteStatus.RETRYING:
                self._site_wait = site
                self._poke()
            elif self._directory.is_ready(self.ref.site_id):
                self._fail(NotFoundError(f"camera {self.ref} is not in any connected site"))
            # Otherwise the site is still connecting: the grid retries when it is up.
            return
        offered = camera.streams
        if not offered:
            try:
                offered = await self._directory.streams(self.ref)
            except VigilError as exc:
                self._fail(exc)
                return
            if self._suspended or self._closed:
                return
            # The box may have changed while the site was asked.
            width, height = self._box
        streams = [s for s in offered if s.quality not in self._refused] or offered
        wanted = choose_stream(streams, width, height, self.zoom).quality
        for feed in (self._active, self._pending):
            if feed is not None:
                feed.subscription.set_box(width, height)
                feed.subscription.set_crop(self._crop)
        if self.playback is not None:
            # A recorded stream stays as opened: another would need a session in step.
            return
        current = self._pending or self._active
        if current is not None and current.quality is wanted:
            return
        await self._open(wanted)

    @property
    def zoom(self) -> float:
        return 1.0 / self._crop[2] if self._crop else 1.0

    async def set_crop(self, crop: Crop | None) -> None:
        """Digital zoom: the tile shows only ``crop`` of the picture (None: all of it),
        so its part is converted on its own and a sharper stream may be wanted."""
        self._crop = crop
        await self.set_box(*self._box)

    async def _open(self, quality: Quality) -> None:
        try:
            description = await self._directory.live(self.ref, quality)
        except VigilError as exc:
            self._fail(exc)
            return
        if self._suspended or self._closed or self.playback is not None:
            # Playback began while the site was asked: live must not replace it.
            return
        subscription = self._hub.subscribe(
            description,
            self._poke,
            lambda _info: self._poke(),
            key=(self.ref, quality),
            resolve=self._resolver(quality),
        )
        subscription.set_box(*self._box)
        subscription.set_crop(self._crop)
        if self._pending is not None:
            self._pending.close()
        self._pending = _Feed(subscription, quality)
        self._error = None
        self._poke()

    def _resolver(self, quality: Quality) -> Callable[[], StreamDescription]:
        """How a player asks the backend again, from its own thread, before a reconnect."""
        # Under qasync a coroutine resumed by a Qt timer may not see a "running" loop.
        loop = asyncio.get_event_loop()
        directory, ref = self._directory, self.ref

        def resolve() -> StreamDescription:
            future = asyncio.run_coroutine_threadsafe(directory.live(ref, quality), loop)
            try:
                return future.result(RESOLVE_TIMEOUT)
            except TimeoutError:
                future.cancel()
                raise UnreachableError(f"{ref} could not be asked for its stream in time") from None

        return resolve

    async def play_back(self, playback: Playback) -> None:
        """Follow ``playback``'s clock on a player of this tile's own. The tile keeps
        the last live picture on screen until the first recorded one arrives."""
        self.playback, self._error = playback, None
        self._playbacks += 1
        attempt = self._playbacks
        quality = self.quality or Quality.SUB
        clock = playback.clock
        try:
            description = await playback.describe(self.ref, clock.position(), clock.speed)
        except NotSupportedError:
            # A camera that records nothing: no live picture may pass for a recorded one.
            if attempt == self._playbacks:
                self._release()
                self.recording_missing = True
                self._poke()
            return
        except VigilError as exc:
            if attempt == self._playbacks:
                self._fail(exc)
            return
        if self._closed or self.playback is not playback or attempt != self._playbacks:
            return
        subscription = playback.subscribe(
            self.ref, description, self._poke, lambda _info: self._poke()
        )
        subscription.set_box(*self._box)
        subscription.set_crop(self._crop)
        subscription.set_visible(not self._suspended)
        # The tile keeps the last live picture on screen; no later one may pass for
        # a recorded one, so the live stream goes now.
        self._release()
        self._pending = _Feed(subscription, quality, recorded=True)
        self._poke()

    async def go_live(self) -> None:
        """Back to the shared live stream; the recorded picture stays until it shows."""
        if self.playback is None:
            return
        self.playback, self.recording_missing, self._error = None, False, None
        self._playbacks += 1
        # The tile keeps the last recorded picture until live video shows.
        self._release()
        self._poke()
        if self._box[0] > 0 and self._box[1] > 0 and not self._suspended:
            camera = self._directory.camera(self.ref)
            offered = camera.streams if camera and camera.streams else ()
            streams = [s for s in offered if s.quality not in self._refused] or offered
            quality = (
                choose_stream(streams, *self._box, self.zoom).quality if streams else Quality.MAIN
            )
            await self._open(quality)

    def set_recording_missing(self, missing: bool) -> None:
        if missing != self.recording_missing:
            self.recording_missing = missing
            self._poke()

    def take(self) -> VideoImage | None:
        """The newest picture to paint, if one arrived since the last call."""
        pending = self._pending
        if pending is not None:
            image = pending.subscription.take()
            if image is not None:
                self._promote(pending)
                return self._seen(pending, image)
            failed = pending.subscription.state.state is PlayerState.FAILED
            if self._active is not None and failed and not pending.recorded:
                # The other stream cannot be had (say, the main stream needs rights the
                # sub-stream does not): stay on what works.
                log.info("%s: staying on %s stream", self.ref, self._active.quality)
                self._refused.add(pending.quality)
                pending.close()
                self._pending = None
        if self._active is None:
            return None
        image = self._active.subscription.take()
        return None if image is None else self._seen(self._active, image)

    def _promote(self, feed: _Feed) -> None:
        if self._active is not None:
            self._active.close()
        self._active, self._pending = feed, None

    @property
    def frame_interval(self) -> float | None:
        """Seconds of recording between two pictures of the stream on screen, once seen."""
        return self._active.interval if self._active is not None else None

    def _seen(self, feed: _Feed, image: VideoImage) -> VideoImage:
        if feed.recorded and image.instant is not None:
            if feed.last_instant is not None and image.instant > feed.last_instant:
                step = image.instant - feed.last_instant
                feed.interval = step if feed.interval is None else min(feed.interval, step)
            feed.last_instant = image.instant
        if not feed.seen_picture:
            feed.seen_picture = True
            self._directory.learn_size(
                self.ref, feed.quality, image.source_width, image.source_height
            )
        return image

    def _fail(self, error: VigilError) -> None:
        self._error = error
        self._poke()

    def suspend(self) -> None:
        """The tile is hidden: stop decoding, keep the stream for the grace period."""
        if self._suspended or self._closed:
            return
        self._suspended = True
        for feed in (self._active, self._pending):
            if feed is not None:
                feed.subscription.set_visible(False)
        if self.hidden_grace <= 0:
            self._let_go()
        else:
            # Called from a Qt event handler: the loop runs, but not "in" this call.
            loop = asyncio.get_event_loop()
            self._release_timer = loop.call_later(self.hidden_grace, self._let_go)

    def _let_go(self) -> None:
        self._release_timer = None
        if self._suspended:
            self._released = True
            self._release()

    async def resume(self) -> None:
        if not self._suspended or self._closed:
            return
        self._suspended = False
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        if not self._released:
            for feed in (self._active, self._pending):
                if feed is not None:
                    feed.subscription.set_visible(True)
        self._released = False
        await self.set_box(*self._box)

    def close(self) -> None:
        self._closed = True
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        self._release()

    def _release(self) -> None:
        for feed in (self._active, self._pending):
            if feed is not None:
                feed.close()
        self._active = self._pending = None
