"""A day of recordings per camera, with gaps, as the NVR's recordings API lists them.

The schedule is the XProtect simulator's rule (demo/recordings.py: a 20-minute
gap every three hours, 13:00-14:00 UTC missing), kept for one day, cut into files of
FILE_LENGTH as the NVR's segmenter leaves them (merged into ten minutes). A file's id
is its start in nanoseconds since the epoch, as the server names them, plus the
camera's place in the list (1-8) in the last digits: every camera records on the same
schedule here, and a real server's ids never collide across cameras.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from viewer.demo.recordings import recorded_spans

RETENTION = timedelta(days=1)
FILE_LENGTH = timedelta(minutes=10)
MAX_LIMIT = 500
MAX_TIMELINE = 10_000


def rfc3339(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def parse_time(text: str | None) -> datetime | None:
    """A query's RFC 3339 time; None for anything else (the server ignores bad values)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo else None
    except (ValueError, OverflowError):  # OverflowError: UTC is before the year 1 or after 9999
        return None


def spans(
    start: datetime | None, end: datetime | None, now: datetime | None = None
) -> list[tuple[datetime, datetime]]:
    now = now or datetime.now(UTC)
    begin = max(start or now - RETENTION, now - RETENTION)
    return recorded_spans(begin, min(end or now, now), now)


def files(
    camera_id: str, start: datetime | None, end: datetime | None, number: int = 0
) -> list[dict[str, Any]]:
    """The recording files meeting ``[start, end)``, oldest first; ``number`` is the
    camera's place in the list, added to the ids."""
    rows: list[dict[str, Any]] = []
    for span_start, span_end in spans(start, end):
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        cut = epoch + (span_start - epoch) // FILE_LENGTH * FILE_LENGTH
        while cut < span_end:
            begins, ends = max(cut, span_start), min(cut + FILE_LENGTH, span_end)
            ident = (begins - epoch) // timedelta(microseconds=1) * 1000 + number
            seconds = (ends - begins).total_seconds()
            rows.append(
                {
                    "id": str(ident),
                    "camera_id": camera_id,
                    "file_path": f"/data/recordings/h264/{camera_id}_{ident}.mp4",
                    "format": "h264",
                    "started_at": rfc3339(begins),
                    "ended_at": rfc3339(ends),
                    "duration": seconds,
                    "file_size": int(seconds * 62_500),
                    "frame_count": int(seconds * 25),
                    "merged": True,
                }
            )
            cut += FILE_LENGTH
    return rows


def find(camera_id: str, number: int, ident: str) -> tuple[datetime, datetime] | None:
    """The span of the camera's file with id ``ident``, None for no such file."""
    if not re.fullmatch(r"[0-9]{1,20}", ident):
        return None
    nanoseconds = int(ident) - number
    try:
        begins = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanoseconds // 1000)
    except OverflowError:  # past the year 9999
        return None
    for row in files(camera_id, begins, begins + FILE_LENGTH, number):
        if row["id"] == ident:
            return parse_time(row["started_at"]) or begins, parse_time(row["ended_at"]) or begins
    return None


def timeline(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    found = [{"start": rfc3339(a), "end": rfc3339(b)} for a, b in spans(start, end)]
    return {
        "segments": found[:MAX_TIMELINE],
        "total": len(found),
        "truncated": len(found) > MAX_TIMELINE,
    }


def gaps(day_text: str | None) -> dict[str, Any] | None:
    try:
        day = datetime.strptime(day_text or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    now = datetime.now(UTC)
    if day > now:
        return {"gaps": []}
    recorded = spans(day, min(day + timedelta(days=1), now))
    holes = itertools.pairwise(recorded)
    return {"gaps": [_gap(before[1], after[0]) for before, after in holes]}


def _gap(start: datetime, end: datetime) -> dict[str, Any]:
    return {"start": rfc3339(start), "end": rfc3339(end), "duration": (end - start).total_seconds()}
