"""Where a recording's pictures sit in recorded time, and where to seek for an instant.

A VOD playlist (MiBee playback) names the recorded instant of each run of segments
with ``#EXT-X-PROGRAM-DATE-TIME``; FFmpeg reads the tag but tells its caller nothing
of it, so the playlist's text is kept as FFmpeg fetches it (:class:`PlaylistTap`) and
read here. A picture's instant is the playlist's first date plus its timestamp past
the first picture's (the asked start when the playlist has no date): the recorders
Vigil knows stamp a recording in its own time, so the timestamps jump over a gap as
the instants do. An RTSP playback (the gateway's) is stamped the same way from the
instant asked for.

FFmpeg's HLS demuxer seeks by a different measure: the sum of the ``#EXTINF``
durations before a segment, counted from the first packet's timestamp, which ignores
gaps. :meth:`Playlist.seek_target` turns an instant into that measure, so a seek past a
gap lands in the segment that holds the instant.
"""

from __future__ import annotations

import io
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from viewer.core.errors import MalformedResponseError

# A playlist is small; one that is not is no VOD playlist worth parsing here.
PLAYLIST_LIMIT = 8 * 2**20
# FFmpeg's demuxer reads from the segment whose EXTINF span holds the target and drops
# packets until a key frame stamped at or after it. Aimed at a segment's exact start,
# its key frame could be stamped a hair early and dropped (the next key frame may be a
# segment later), so the target is this much before: the segment ahead is read, its
# packets dropped, and the key frame that starts the wanted one kept.
_BEFORE = 0.001


@dataclass(frozen=True)
class Segment:
    instant: float
    """Recorded instant (UTC seconds) of the segment's first picture."""
    media_start: float
    """Sum of the EXTINF durations before it: where FFmpeg's HLS demuxer places it."""
    duration: float


@dataclass(frozen=True)
class Playlist:
    segments: tuple[Segment, ...]
    dated: bool
    """Whether the instants come from the playlist's own dates, not from the asked start."""

    @property
    def first_instant(self) -> float | None:
        return self.segments[0].instant if self.segments else None

    def seek_target(self, instant: float) -> float | None:
        """Media seconds past the first packet to seek to so that the picture at
        ``instant`` comes soon after (the start of its segment, or of the next one in a
        gap); None past the end. The caller decodes up to the instant itself."""
        if not self.segments:
            return None
        starts = [segment.instant for segment in self.segments]
        index = max(0, bisect_right(starts, instant) - 1)
        segment = self.segments[index]
        if instant >= segment.instant + segment.duration:
            index += 1
            if index == len(self.segments):
                return None
            segment = self.segments[index]
        return max(0.0, segment.media_start - _BEFORE)


def parse_playlist(text: str, asked: float) -> Playlist:
    """The segments of a media playlist; ``asked`` dates the first one without a tag.

    Raises MalformedResponseError for text that is no playlist or a duration or date
    that cannot be read.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise MalformedResponseError("the playlist does not start with #EXTM3U", "playlist")
    segments: list[Segment] = []
    media = 0.0
    next_instant: float | None = None
    dated = False
    duration: float | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            next_instant = _program_date(line.partition(":")[2])
            dated = dated or not segments
        elif line.startswith("#EXTINF:"):
            duration = _duration(line.partition(":")[2].partition(",")[0])
        elif not line.startswith("#") and duration is not None:
            if next_instant is None:
                last = segments[-1] if segments else None
                next_instant = asked if last is None else last.instant + last.duration
            segments.append(Segment(next_instant, media, duration))
            media += duration
            next_instant, duration = None, None
    return Playlist(tuple(segments), dated)


def _duration(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MalformedResponseError(f"a segment duration {text[:40]!r}", "EXTINF") from None
    if not 0.0 <= value < 86_400.0:
        raise MalformedResponseError(f"a segment duration {text[:40]!r}", "EXTINF")
    return value


def _program_date(text: str) -> float:
    try:
        stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponseError(f"a date {text[:40]!r}", "EXT-X-PROGRAM-DATE-TIME") from None
    if stamp.tzinfo is None:
        raise MalformedResponseError(
            f"a date without zone {text[:40]!r}", "EXT-X-PROGRAM-DATE-TIME"
        )
    return stamp.timestamp()


Opener = Callable[[str, int, dict[str, str]], io.IOBase]


class PlaylistTap:
    """An ``io_open`` that keeps the text of the first playlist FFmpeg opens through it.

    Wraps the player's HttpOpener, so the playlist is fetched once, by the same client
    (cookies, pinned certificate) as the segments.
    """

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self.text: str | None = None

    def __call__(self, url: str, flags: int, options: dict[str, str]) -> io.IOBase:
        stream = self._opener(url, flags, options)
        if self.text is not None or not urlsplit(url).path.endswith(".m3u8"):
            return stream
        with stream:
            body = stream.read(PLAYLIST_LIMIT + 1) or b""
        if len(body) <= PLAYLIST_LIMIT:
            self.text = body.decode("utf-8", "replace")
        return io.BytesIO(body)


def asked_start(url: str) -> float | None:
    """The instant an RTSP playback URL asks for (``start`` or ``startTime`` in its
    query, ISO 8601 with a zone), which may be rounded from the one the player asked
    the backend for (the gateway's are whole seconds); None when it names none."""
    query = parse_qs(urlsplit(url).query)
    for key in ("start", "startTime"):
        for value in query.get(key, []):
            try:
                stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            if stamp.tzinfo is not None:
                return stamp.timestamp()
    return None


class OffsetInstants:
    """A picture's recorded instant: ``epoch`` plus its timestamp past the first one's.

    The first timestamp is kept across seeks in the same container, so a picture read
    after a seek is placed by the same rule as one read in order.
    """

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch
        self.first: float | None = None

    def __call__(self, seconds: float | None) -> float | None:
        if seconds is None:
            return None
        if self.first is None:
            self.first = seconds
        return self.epoch + (seconds - self.first)
