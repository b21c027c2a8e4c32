"""The scrubber's arithmetic: which instants the timeline shows, where they are drawn,
what its ruler says, and how recorded spans and their gaps are laid out.

Pure and clock-free, so every rule here can be checked by hypothesis without a window.
Instants are timezone-aware UTC like everywhere in the core; the ruler's labels are in
a time zone the caller names (the operator's local one), because an operator reads a
wall clock, and a wall clock repeats an hour in autumn and skips one in spring: both
must be labelled so that nobody seeks to the wrong 02:30.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from viewer.core.models import TimeSpan

ZOOM_LEVELS: tuple[timedelta, ...] = tuple(
    timedelta(seconds=s)
    for s in (
        10,
        30,
        60,
        2 * 60,
        5 * 60,
        15 * 60,
        30 * 60,
        3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86400,
        2 * 86400,
        4 * 86400,
        7 * 86400,
    )
)
"""Visible spans the wheel steps through: a week down to ten seconds, whose ruler then
has a tick every second."""

MIN_SPAN, MAX_SPAN = ZOOM_LEVELS[0], ZOOM_LEVELS[-1]


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the timeline needs timezone-aware datetimes")
    return instant.astimezone(UTC)


@dataclass(frozen=True)
class TimelineView:
    """The visible span laid over ``width`` pixels: x = 0 is ``start``."""

    start: datetime
    span: timedelta
    width: float

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("the timeline needs timezone-aware datetimes")
        if self.width <= 0:
            raise ValueError("a timeline is at least one pixel wide")
        if not MIN_SPAN <= self.span <= MAX_SPAN:
            raise ValueError(f"the visible span must lie between {MIN_SPAN} and {MAX_SPAN}")

    @classmethod
    def around(cls, centre: datetime, span: timedelta, width: float) -> TimelineView:
        span = min(max(span, MIN_SPAN), MAX_SPAN)
        return cls(_aware(centre) - span / 2, span, width)

    @property
    def end(self) -> datetime:
        return self.start + self.span

    @property
    def visible(self) -> TimeSpan:
        return TimeSpan(self.start, self.end)

    @property
    def seconds_per_pixel(self) -> float:
        return self.span.total_seconds() / self.width

    @property
    def level(self) -> int:
        """The zoom level at or just above the visible span (its index in ZOOM_LEVELS)."""
        return min(bisect.bisect_left(ZOOM_LEVELS, self.span), len(ZOOM_LEVELS) - 1)

    def x_of(self, instant: datetime) -> float:
        return (_aware(instant) - self.start).total_seconds() / self.seconds_per_pixel

    def instant_at(self, x: float) -> datetime:
        return self.start + timedelta(seconds=x * self.seconds_per_pixel)

    def resized(self, width: float) -> TimelineView:
        """The same span over a new width: a wider window shows it in more detail."""
        return TimelineView(self.start, self.span, width)

    def panned(self, pixels: float) -> TimelineView:
        """Moved by a drag of ``pixels`` (to the right shows earlier footage)."""
        return TimelineView(self.instant_at(-pixels), self.span, self.width)

    def centred_on(self, instant: datetime) -> TimelineView:
        return TimelineView(_aware(instant) - self.span / 2, self.span, self.width)

    def zoomed(self, steps: int, anchor_x: float) -> TimelineView:
        """``steps`` levels in (positive) or out, the instant at ``anchor_x`` staying
        where it is, as under the pointer of a wheel. A span between two levels goes to
        the neighbouring one first."""
        if steps == 0:
            return self
        if steps > 0:
            below = bisect.bisect_left(ZOOM_LEVELS, self.span) - 1
            index = max(below - (steps - 1), 0)
        else:
            above = bisect.bisect_right(ZOOM_LEVELS, self.span)
            index = min(above - steps - 1, len(ZOOM_LEVELS) - 1)
        return self.with_span(ZOOM_LEVELS[index], anchor_x)

    def with_span(self, span: timedelta, anchor_x: float) -> TimelineView:
        """Showing ``span`` (clamped to the levels' range) with the instant at
        ``anchor_x`` kept at that pixel."""
        span = min(max(span, MIN_SPAN), MAX_SPAN)
        anchor = self.instant_at(anchor_x)
        fraction = anchor_x / self.width
        return TimelineView(anchor - span * fraction, span, self.width)

    def kept_before(self, latest: datetime) -> TimelineView:
        """The view moved back so that it ends by ``latest`` (now, with some room): the
        future holds no footage to scrub through."""
        latest = _aware(latest)
        if self.end <= latest:
            return self
        return TimelineView(latest - self.span, self.span, self.width)


# -- the ruler ------------------------------------------------------------------------

TICK_STEPS: tuple[timedelta, ...] = tuple(
    timedelta(seconds=s)
    for s in (
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        2 * 60,
        5 * 60,
        10 * 60,
        15 * 60,
        30 * 60,
        3600,
        2 * 3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86400,
    )
)
"""Distances between labelled ticks, on the local wall clock; beyond a day, ticks fall
on every day and only some are labelled."""

_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Tick:
    instant: datetime
    x: float
    label: str
    """Empty for a tick drawn without words."""
    day: bool
    """The tick starts a local day: drawn taller, labelled with the date."""


def tick_step(view: TimelineView, min_pixels: float) -> timedelta:
    """The smallest step whose labels stand at least ``min_pixels`` apart."""
    for step in TICK_STEPS:
        if step.total_seconds() / view.seconds_per_pixel >= min_pixels:
            return step
    return _DAY


def date_text(moment: datetime) -> str:
    """``Sun 27 Oct``: English names whatever the locale, like the rest of the window."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}"


def _wall(instant: datetime, zone: tzinfo) -> datetime:
    """The local wall clock at ``instant``, naive."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _instants(wall: datetime, zone: tzinfo) -> tuple[datetime, ...]:
    """The UTC instants at which the local clock reads ``wall``: none in a skipped hour,
    two in a repeated one."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if _wall(instant, zone) == wall and instant not in found:
            found.append(instant)
    return tuple(found)


def ticks(view: TimelineView, zone: tzinfo, min_pixels: float = 90.0) -> tuple[Tick, ...]:
    """The ruler's ticks over the view, on the wall clock of ``zone``, oldest first.

    Ticks are laid on local wall-clock times, so with a 30-minute offset or on a DST day
    they still fall on round local times. An hour the clock repeats gets ticks twice,
    each labelled with the zone's abbreviation (``02:00 CEST``, ``02:00 CET``); in an
    hour it skips there are none; the first tick after any change of offset names the
    new abbreviation too. Day ticks carry the date.
    """
    step = tick_step(view, min_pixels)
    if step >= _DAY:
        return _day_ticks(view, zone, min_pixels)
    offsets = [
        offset
        for moment in (view.start, view.end)
        if (offset := moment.astimezone(zone).utcoffset()) is not None
    ]
    # The wall clock runs back over a repeated hour: widen the walk by the change.
    spread = max(offsets) - min(offsets) if offsets else timedelta(0)
    low = _wall(view.start, zone) - spread - step
    high = _wall(view.end, zone) + spread + step
    seconds = int(step.total_seconds())
    midnight = low.replace(hour=0, minute=0, second=0, microsecond=0)
    wall = midnight + timedelta(
        seconds=(int((low - midnight).total_seconds()) // seconds) * seconds
    )
    found: set[datetime] = set()
    while wall <= high:
        found.update(_instants(wall, zone))
        following = wall + step
        # Steps are laid from each local midnight, so a day is never cut short.
        if following.date() != wall.date():
            following = following.replace(hour=0, minute=0, second=0, microsecond=0)
        wall = following
    days = {
        _day_start(midnight + timedelta(days=n), zone)
        for n in range((high.date() - midnight.date()).days + 1)
    }
    shown = sorted(instant for instant in found | days if view.start <= instant <= view.end)
    result: list[Tick] = []
    previous = _offset_before(shown[0], zone) if shown else None
    for instant in shown:
        local = instant.astimezone(zone)
        wall_time = local.replace(tzinfo=None)
        offset = local.utcoffset()
        if instant in days:
            text = date_text(wall_time)
        else:
            text = f"{wall_time:%H:%M:%S}" if step < _MINUTE else f"{wall_time:%H:%M}"
            if len(_instants(wall_time, zone)) > 1 or offset != previous:
                text = f"{text} {local.tzname()}"
        previous = offset
        result.append(Tick(instant, view.x_of(instant), text, instant in days))
    return tuple(result)


def _offset_before(instant: datetime, zone: tzinfo) -> timedelta | None:
    """The offset just before ``instant``, to see whether its tick follows a change."""
    return (instant - timedelta(seconds=1)).astimezone(zone).utcoffset()


def _day_ticks(view: TimelineView, zone: tzinfo, min_pixels: float) -> tuple[Tick, ...]:
    """A tick at each local midnight (the first instant of a day whose midnight is
    skipped), labelled every few days so that labels do not collide."""
    day_pixels = 86400 / view.seconds_per_pixel
    every = next((n for n in (1, 2, 7) if n * day_pixels >= min_pixels), 7)
    day = _wall(view.start, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    last = _wall(view.end, zone)
    result: list[Tick] = []
    while day <= last:
        instant = _day_start(day, zone)
        if view.start <= instant <= view.end:
            labelled = every == 1 or day.toordinal() % every == 0
            text = date_text(day) if labelled else ""
            result.append(Tick(instant, view.x_of(instant), text, True))
        day += _DAY
    return tuple(result)


def _day_start(day: datetime, zone: tzinfo) -> datetime:
    found = _instants(day, zone)
    if found:
        return found[0]
    # Midnight skipped (some zones change at 00:00): the day starts when the clock
    # jumps, which fold=0 of the missing time lands just after.
    moment = day.replace(tzinfo=zone, fold=0).astimezone(UTC)
    while _wall(moment - timedelta(minutes=1), zone).date() == day.date():
        moment -= timedelta(minutes=1)
    return moment


def cursor_text(instant: datetime, zone: tzinfo) -> str:
    """The time cursor's exact local time, to the millisecond, with the zone: the
    operator writes it into a report."""
    local = _aware(instant).astimezone(zone)
    millis = local.microsecond // 1000
    return f"{date_text(local)} {local.year:04d} {local:%H:%M:%S}.{millis:03d} {local.tzname()}"


# -- recorded spans and gaps ------------------------------------------------------------


def merge_spans(
    spans: Iterable[TimeSpan], tolerance: timedelta = timedelta(0)
) -> tuple[TimeSpan, ...]:
    """The spans as few as possible, oldest first: overlapping and touching ones become
    one, and so do ones apart by at most ``tolerance`` (a gap narrower than a pixel
    cannot be drawn or clicked, and a recorder's one-frame seams are no gaps)."""
    ordered = sorted(spans, key=lambda span: (span.start, span.end))
    merged: list[TimeSpan] = []
    for span in ordered:
        if span.start == span.end:
            continue
        if merged and span.start - merged[-1].end <= tolerance:
            if span.end > merged[-1].end:
                merged[-1] = TimeSpan(merged[-1].start, span.end)
            continue
        merged.append(span)
    return tuple(merged)


def gaps(merged: Sequence[TimeSpan], within: TimeSpan) -> tuple[TimeSpan, ...]:
    """What ``within`` holds outside the (merged) recorded spans: the gaps."""
    found: list[TimeSpan] = []
    cursor = within.start
    for span in merged:
        if span.end <= cursor:
            continue
        if span.start >= within.end:
            break
        if span.start > cursor:
            found.append(TimeSpan(cursor, span.start))
        cursor = max(cursor, span.end)
    if cursor < within.end:
        found.append(TimeSpan(cursor, within.end))
    return tuple(found)


def _index_after(merged: Sequence[TimeSpan], instant: datetime) -> int:
    """Index of the first span that ends after ``instant``."""
    return bisect.bisect_right([span.end for span in merged], _aware(instant))


def span_at(merged: Sequence[TimeSpan], instant: datetime) -> TimeSpan | None:
    """The recorded span holding ``instant`` (spans hold their start, not their end)."""
    index = _index_after(merged, instant)
    if index < len(merged) and merged[index].start <= instant:
        return merged[index]
    return None


def gap_at(merged: Sequence[TimeSpan], instant: datetime) -> TimeSpan | None:
    """The gap ``instant`` falls in, between the spans around it; None where it is
    recorded, before the first span or after the last."""
    index = _index_after(merged, instant)
    if index == 0 or index >= len(merged) or merged[index].start <= instant:
        return None
    return TimeSpan(merged[index - 1].end, merged[index].start)


def next_recorded(merged: Sequence[TimeSpan], instant: datetime) -> datetime | None:
    """``instant`` if it is recorded, else the start of the next recording: where
    playback that skips gaps goes on. None when nothing is recorded after it."""
    index = _index_after(merged, instant)
    if index >= len(merged):
        return None
    return max(merged[index].start, _aware(instant))


def previous_recorded(merged: Sequence[TimeSpan], instant: datetime) -> datetime | None:
    """The last recorded instant at or before ``instant`` (for stepping backwards over
    gaps); spans end just before their ``end``, so a gap gives that ``end``."""
    index = _index_after(merged, instant)
    if index < len(merged) and merged[index].start <= instant:
        return _aware(instant)
    return merged[index - 1].end if index > 0 else None


def nearest_recorded(merged: Sequence[TimeSpan], instant: datetime) -> datetime | None:
    """The recorded instant closest to ``instant``: where a click in a gap lands."""
    after = next_recorded(merged, instant)
    before = previous_recorded(merged, instant)
    if after is None or before is None:
        return after or before
    return before if instant - before < after - instant else after


# -- event markers ----------------------------------------------------------------------


class MarkerKind(StrEnum):
    """How an event is drawn: the vendors' many event types fall into three colours."""

    MOTION = "motion"
    ALERT = "alert"
    OTHER = "other"


_ALERT_WORDS = ("alarm", "alert", "tamper", "intrusion", "line", "loiter", "panic", "lost")


def marker_kind(event_type: str) -> MarkerKind:
    words = event_type.lower()
    if "motion" in words:
        return MarkerKind.MOTION
    if any(word in words for word in _ALERT_WORDS):
        return MarkerKind.ALERT
    return MarkerKind.OTHER
