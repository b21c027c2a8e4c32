"""Whether a clip holds every picture the recorder has: what an investigator must know
before relying on a clip as the whole record.

A recorder stores pictures at a rhythm of its own, and a clip made from its stream can
lose some on the way: a playback stream thinned out at speed, a connection that dropped
packets, a stream that ended early. The clip itself cannot say what was never sent, but
its pictures keep their recorded instants, and the stream's own rhythm (the usual time
from one picture to the next) tells where pictures are missing: a break longer than
``HOLE_FACTOR`` intervals inside recorded time is a hole. Time the site's timeline
shows as not recorded (a gap) is no hole; where the timeline is not known, every break
counts, and the result says so.

A stream thinned evenly from the start (every third picture, say) keeps an even rhythm
and shows no hole here: the playback speed a clip was recorded at must be one at which
the site sends every picture (``Capabilities.lossless_playback_speed``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from viewer.core.models import TimeSpan

HOLE_FACTOR = 1.5
"""A break this many picture intervals long or more is a hole: one picture missing
makes a break of two intervals, and recorders' timestamps wander far less than half
an interval."""
JITTER = 0.25
"""Parts of an interval a picture's timestamp may stray from the rhythm."""
MAX_LISTED = 100
"""Holes listed one by one; beyond it they are only counted (a camera that lowers its
frame rate when nothing moves would otherwise fill the manifest)."""


@dataclass(frozen=True)
class Hole:
    start: datetime
    """The last picture before the hole (the span's start for a hole at the beginning)."""
    end: datetime
    """The first picture after it (the span's end for a hole at the end)."""
    missing: int
    """Pictures the stream's interval puts into the recorded time between."""


@dataclass(frozen=True)
class Completeness:
    pictures: int
    interval: float | None
    """The stream's usual seconds from one picture to the next (None under two pictures)."""
    missing: int
    """Pictures missing in all the holes together."""
    holes: tuple[Hole, ...]
    """The first ``MAX_LISTED`` holes, oldest first."""
    hole_count: int
    timeline_known: bool
    """Whether gaps in the recording were told apart from holes by the site's timeline."""

    @property
    def complete(self) -> bool:
        return self.hole_count == 0


def completeness(
    instants: Sequence[float] | np.ndarray,
    span: TimeSpan,
    recorded: Sequence[TimeSpan] | None,
) -> Completeness:
    """How complete the pictures at ``instants`` (UTC seconds, any order) are over
    ``span``, given the parts of it the site ``recorded`` (None: not known)."""
    # Instants within a tenth of a millisecond are one picture (two files' overlap).
    times = np.unique(np.round(np.asarray(instants, dtype=np.float64), 4))
    pictures = int(times.size)
    steps = np.diff(times)
    steps = steps[steps > 0]
    if steps.size == 0:
        return Completeness(pictures, None, 0, (), 0, recorded is not None)
    interval = float(np.median(steps))
    parts = _Parts(recorded)
    start, end = span.start.timestamp(), span.end.timestamp()
    breaks: list[tuple[float, float, str]] = []
    if times[0] > start:
        breaks.append((start, float(times[0]), "head"))
    wide = np.nonzero(np.diff(times) >= HOLE_FACTOR * interval)[0]
    breaks.extend((float(times[i]), float(times[i + 1]), "between") for i in wide)
    if times[-1] < end:
        breaks.append((float(times[-1]), end, "tail"))
    holes: list[Hole] = []
    missing = count = 0
    for before, after, where in breaks:
        recorded_time = parts.recorded_within(before, after)
        if recorded_time < HOLE_FACTOR * interval:
            continue
        lost = _lost(recorded_time / interval, where)
        if lost <= 0:
            continue
        count += 1
        missing += lost
        if len(holes) < MAX_LISTED:
            holes.append(Hole(_moment(before), _moment(after), lost))
    return Completeness(pictures, interval, missing, tuple(holes), count, recorded is not None)


def _lost(intervals: float, where: str) -> int:
    """Pictures missing in a break ``intervals`` long, within a quarter interval.

    Between two pictures the rhythm fits one fewer than the intervals; the span is
    half-open, so a break from its start may miss a picture at the start itself, one
    to its end none at the end.
    """
    if where == "head":
        return math.floor(intervals + JITTER)
    if where == "tail":
        return math.ceil(intervals - JITTER) - 1
    return round(intervals) - 1


class _Parts:
    """The recorded parts, to ask how much of a stretch of time they cover."""

    def __init__(self, recorded: Sequence[TimeSpan] | None) -> None:
        merged: list[tuple[float, float]] = []
        for start, end in sorted((p.start.timestamp(), p.end.timestamp()) for p in recorded or ()):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self._known = recorded is not None
        self._starts = [start for start, _ in merged]
        self._parts = merged

    def recorded_within(self, start: float, end: float) -> float:
        if not self._known:
            return end - start
        covered = 0.0
        # Parts starting after ``end`` cannot overlap; earlier ones may reach in.
        for part_start, part_end in self._parts[: bisect_right(self._starts, end)]:
            covered += max(0.0, min(end, part_end) - max(start, part_start))
        return covered


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
