"""What the simulated recorder holds: a week of every camera, with gaps.

The schedule is a rule, not data, so playback (the WebRTC feature) and the recorded
spans (SOAP ``SequencesGet``) agree without sharing state: every camera records from
RETENTION before now until now, except a GAP at the end of every PERIOD (02:40-03:00,
05:40-06:00, ... UTC) and the whole hour from MISSING_HOUR each day (13:00-14:00 UTC),
as a recorder that restarts and a camera switched off for maintenance leave them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

RETENTION = timedelta(days=7)
PERIOD = timedelta(hours=3)
GAP = timedelta(minutes=20)
MISSING_HOUR = 13

Span = tuple[datetime, datetime]


def _day_spans(day: datetime) -> list[Span]:
    """The recorded spans of one UTC day, without regard to retention."""
    gaps: list[Span] = [
        (day + k * PERIOD + PERIOD - GAP, day + (k + 1) * PERIOD)
        for k in range(timedelta(days=1) // PERIOD)
    ]
    missing = day + timedelta(hours=MISSING_HOUR)
    gaps.append((missing, missing + timedelta(hours=1)))
    gaps.sort()
    spans: list[Span] = []
    start = day
    for gap_start, gap_end in gaps:
        if gap_start > start:
            spans.append((start, gap_start))
        start = max(start, gap_end)
    if start < day + timedelta(days=1):
        spans.append((start, day + timedelta(days=1)))
    return spans


def recorded_spans(start: datetime, end: datetime, now: datetime | None = None) -> list[Span]:
    """The recorded spans that meet ``[start, end)``, cut to it, oldest first.

    The same for every camera. ``now`` (default: the clock) ends the recording and
    sets where retention begins.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    start, end = max(start.astimezone(UTC), now - RETENTION), min(end.astimezone(UTC), now)
    spans: list[Span] = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for span_start, span_end in _day_spans(day):
            cut = max(span_start, start), min(span_end, end)
            if cut[0] < cut[1]:
                if spans and spans[-1][1] == cut[0]:  # a span across midnight is one
                    cut = (spans.pop()[0], cut[1])
                spans.append(cut)
        day += timedelta(days=1)
    return spans


def next_recorded(instant: datetime, now: datetime | None = None) -> Span | None:
    """The span recorded at ``instant``, or the next one after it (None: nothing is).

    The span starts at ``instant`` if that is recorded.
    """
    now = now or datetime.now(UTC)
    spans = recorded_spans(instant, now, now)
    return spans[0] if spans else None
