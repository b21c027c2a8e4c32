"""The HLS part of a simulated VMS: requests in, playlists and segments out.

A simulator mounts it under paths of its own and hands over what it routed: the demo
camera, the quality, the last path element and the query. Names it does not know come
back as None (the simulator answers its own 404); bad query values as 400 with
``{"error": …, "code": "INVALID_INPUT"}``; anything not there (a segment out of the
window, an unrecorded span) as 404.

Live (``live``): ``*.m3u8`` is the sliding window (live.py), ``segment-<n>.ts`` a
segment of it, relative to the playlist. ``warm_up`` seconds after a stream is first
asked for (or asked again after ``idle_eviction`` seconds of silence) every request for
it answers 503, as a MiBee server does until its muxer has seen SPS and PPS.

Recorded (``recorded``): ``*.m3u8?start=…&end=…`` (RFC 3339 or milliseconds since the
epoch, at most ``MAX_SPAN``) is a VOD playlist of the recorded spans (recorded.py),
``recorded.ts?from=…&at=…&until=…`` one of its segments, encoded when asked.

Built segments are kept, newest used first, up to ``CACHE_BYTES`` in all; a segment
asked for by two clients at once is built once.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from viewer.demo import clockface
from viewer.demo.footage import FootageLibrary, camera_by_id
from viewer.demo.hls import recorded
from viewer.demo.hls.live import LiveStream
from viewer.demo.http import Response
from viewer.demo.recordings import recorded_spans

PLAYLIST = "application/vnd.apple.mpegurl"
MPEG_TS = "video/mp2t"
MAX_SPAN = timedelta(hours=48)
CACHE_BYTES = 64 * 2**20
LIVE_SEGMENT = "segment-{number}.ts"
RECORDED_SEGMENT = "recorded.ts?from={origin}&at={at}&until={until}"
_SEGMENT_NAME = re.compile(r"segment-([0-9]{1,15})\.ts")
_MILLISECONDS = re.compile(r"[0-9]{1,15}")
# The latest instant clockface's stripe can hold.
_LATEST_MS = (1 << clockface.STRIPE_BITS) - 1


class BadQuery(ValueError):
    """A query value the service refuses (400), in words for the client."""


@dataclass
class _Warmth:
    first: float
    last: float


class HlsService:
    def __init__(
        self,
        library: FootageLibrary,
        *,
        clock: Callable[[], float] = time.time,
        warm_up: float = 0.0,
        idle_eviction: float = 60.0,
        segment_seconds: float = 2.0,
        window: int = 6,
    ) -> None:
        self._library = library
        self._clock = clock
        self._warm_up = warm_up
        self._idle_eviction = idle_eviction
        self._segment_seconds = segment_seconds
        self.window = window
        self._streams: dict[tuple[str, str], LiveStream] = {}
        self._opening: dict[tuple[str, str], asyncio.Lock] = {}
        self._warmth: dict[tuple[str, str], _Warmth] = {}
        self._cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._cached_bytes = 0
        self._building: dict[tuple[object, ...], asyncio.Future[bytes]] = {}

    # -- live -------------------------------------------------------------------------

    async def live(
        self, camera_id: str, quality: str, name: str, query: Mapping[str, str]
    ) -> Response | None:
        """``name`` is the last element of the path; None for one the service does not serve."""
        segment = _SEGMENT_NAME.fullmatch(name)
        if not name.endswith(".m3u8") and segment is None:
            return None
        try:
            camera = camera_by_id(camera_id)
            camera.profile(quality)
        except KeyError:
            return None
        now = self._clock()
        if self._warming(camera_id, quality, now):
            return _error(503, "stream starting", "STREAM_STARTING")
        stream = await self._stream(camera_id, quality)
        if segment is None:
            text = stream.playlist(now, self.window, LIVE_SEGMENT)
            return Response(200, text.encode("ascii"), PLAYLIST, {"Cache-Control": "no-cache"})
        number = int(segment.group(1))
        # Twice the window: a client that read the playlist just before it moved on.
        if not stream.available(number, now) or stream.newest(now) - number >= 2 * self.window:
            return _error(404, "segment not available", "SEGMENT_NOT_FOUND")
        body = await self._built(
            ("live", camera_id, quality, number), lambda: stream.mpegts(number)
        )
        return Response(200, body, MPEG_TS)

    def _warming(self, camera_id: str, quality: str, now: float) -> bool:
        warmth = self._warmth.get((camera_id, quality))
        if warmth is None or now - warmth.last > self._idle_eviction:
            warmth = self._warmth[(camera_id, quality)] = _Warmth(now, now)
        warmth.last = now
        return now - warmth.first < self._warm_up

    async def _stream(self, camera_id: str, quality: str) -> LiveStream:
        key = (camera_id, quality)
        async with self._opening.setdefault(key, asyncio.Lock()):
            if key not in self._streams:
                # The first use of a camera may encode its footage: seconds, off the loop.
                await asyncio.to_thread(self._library.load, camera_id, quality)
                path = self._library.path(camera_id, quality)
                self._streams[key] = await asyncio.to_thread(
                    LiveStream, path, self._segment_seconds, self._clock()
                )
            return self._streams[key]

    # -- recorded ---------------------------------------------------------------------

    async def recorded(
        self, camera_id: str, name: str, query: Mapping[str, str], title: str | None = None
    ) -> Response | None:
        """``title`` is the name the pictures show (the demo camera's by default)."""
        try:
            title = title or camera_by_id(camera_id).name
        except KeyError:
            return None
        try:
            if name.endswith(".m3u8"):
                return self._recorded_playlist(query)
            if name == "recorded.ts":
                return await self._recorded_segment(camera_id, title, query)
        except BadQuery as problem:
            return _error(400, str(problem), "INVALID_INPUT")
        return None

    def _recorded_playlist(self, query: Mapping[str, str]) -> Response:
        start, end = _instant(query, "start"), _instant(query, "end")
        if end <= start:
            raise BadQuery("end must be after start")
        if end - start > MAX_SPAN:
            raise BadQuery(f"a span of at most {MAX_SPAN.total_seconds() / 3600:.0f} h")
        spans = self._spans(start, end)
        if not spans:
            return _error(404, "nothing recorded in that span", "NO_RECORDINGS")
        text = recorded.playlist(spans, start, RECORDED_SEGMENT)
        return Response(200, text.encode("ascii"), PLAYLIST)

    async def _recorded_segment(
        self, camera_id: str, title: str, query: Mapping[str, str]
    ) -> Response:
        origin, at, until = (_milliseconds(query, key) for key in ("from", "at", "until"))
        if not origin <= at < until:
            raise BadQuery("from <= at < until")
        if until - at > recorded.SEGMENT_SECONDS * 1000:
            raise BadQuery(f"a segment of at most {recorded.SEGMENT_SECONDS} s")
        span = (recorded.instant(at), recorded.instant(until))
        if self._spans(*span) != [span]:
            return _error(404, "not recorded", "NO_RECORDINGS")
        body = await self._built(
            ("recorded", camera_id, title, origin, at, until),
            lambda: recorded.segment(title, origin, at, until),
        )
        return Response(200, body, MPEG_TS)

    def _spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        now = datetime.fromtimestamp(self._clock(), UTC)
        return recorded_spans(start, end, now)

    # -- both -------------------------------------------------------------------------

    async def _built(self, key: tuple[object, ...], build: Callable[[], bytes]) -> bytes:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            body = await asyncio.to_thread(build)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved, so an unshared failure is not logged as lost
            raise
        finally:
            del self._building[key]
        future.set_result(body)
        self._keep(key, body)
        return body

    def _keep(self, key: tuple[object, ...], body: bytes) -> None:
        self._cache[key] = body
        self._cached_bytes += len(body)
        while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= len(dropped)

    async def stop(self) -> None:
        for stream in self._streams.values():
            await asyncio.to_thread(stream.close)
        self._streams.clear()
        self._cache.clear()
        self._cached_bytes = 0


def _error(status: int, text: str, code: str) -> Response:
    return Response(status, json.dumps({"error": text, "code": code}).encode("utf-8"))


def _milliseconds(query: Mapping[str, str], key: str) -> int:
    value = query.get(key)
    if value is None:
        raise BadQuery(f"{key} is missing")
    if not _MILLISECONDS.fullmatch(value) or int(value) > _LATEST_MS:
        raise BadQuery(f"{key} must be milliseconds since 1970")
    return int(value)


def _instant(query: Mapping[str, str], key: str) -> datetime:
    """An RFC 3339 time with its offset, or milliseconds since the epoch."""
    value = query.get(key)
    if value is None:
        raise BadQuery(f"{key} is missing")
    if _MILLISECONDS.fullmatch(value):
        return recorded.instant(_milliseconds(query, key))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadQuery(f"{key} must be an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise BadQuery(f"{key} needs its offset from UTC")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadQuery(f"{key} is out of range") from None
