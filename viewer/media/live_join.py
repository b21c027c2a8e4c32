"""When to start a live HLS playlist: right after a segment is published, not 2 s later.

FFmpeg's HLS demuxer reloads a live playlist a segment's duration after the previous
load ended, so the phase of its reloads is set by the first load: joined 1.8 s after the
newest 2 s segment was published, every later segment is fetched 1.8 s after it exists,
and the player, which can show a picture only once its segment arrives, plays the whole
session 2 + 1.8 s behind the camera (benchmarks/hls.py measured 2-4 s). HLS forbids
reloading sooner after a change, so the join itself must be timed: when the playlist
says its newest segment ended long ago (its ``#EXT-X-PROGRAM-DATE-TIME`` plus
``#EXTINF``, against this machine's clock), waiting the short rest of a segment for the
next one and starting with that playlist makes every later fetch come just after
publication too. The wait is taken only when it is short (``MAX_WAIT``), so the first
picture stays quick, and only when the clocks plausibly agree: a server whose clock is
off, or a playlist without program date-times, is started at once, as before.
"""

from __future__ import annotations

import re
from datetime import datetime

MAX_WAIT = 1.3
"""Seconds the first picture may be held back to join at a fresh segment."""
MARGIN = 0.15
"""After the expected publication: a server needs a moment to list a finished segment."""
_PDT = re.compile(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)")
_EXTINF = re.compile(r"#EXTINF:([0-9]{1,6}(?:\.[0-9]{1,9})?)")


def join_delay(playlist: bytes, now: float, most: float = MAX_WAIT) -> float | None:
    """Seconds to wait before asking for ``playlist`` again to join at its next segment,
    or None to start now (not a live media playlist, no date-times, a wait longer than
    ``most`` or a clock that disagrees). ``now`` is Unix seconds."""
    try:
        text = playlist[:1_000_000].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.startswith("#EXTM3U") or "#EXT-X-ENDLIST" in text:
        return None
    stamp: float | None = None
    duration: float | None = None
    for line in text.splitlines():
        if match := _PDT.match(line):
            stamp = _unix(match[1])
        elif (match := _EXTINF.match(line)) and stamp is not None:
            duration = float(match[1])
            stamp += duration  # a date-time runs on into the segments after it
    if duration is None or stamp is None or duration <= 0:
        return None
    age = now - stamp  # since the newest segment ended
    if not 0 <= age < duration:
        # Our clock behind the server's, or the next segment is late (or the clocks
        # disagree the other way): no guess.
        return None
    wait = duration - age + MARGIN
    return wait if wait <= most else None


def _unix(text: str) -> float | None:
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return instant.timestamp() if instant.tzinfo is not None else None
    except (OverflowError, ValueError):
        return None
