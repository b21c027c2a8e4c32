"""Local bookmarks in the settings file, and back.

Kept apart from settings.py so the settings file's parser stays one screen per part.
Times are written as ISO 8601 in UTC; read back, anything that is not a
timezone-aware instant, or a span that ends before it starts, is refused with a
ValueError like the rest of the file (the settings store then keeps the file aside).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from viewer.core.models import Bookmark, CameraRef, TimeSpan

# Longer is refused: a settings file is not a place for essays.
MAX_TEXT = 10_000


def bookmarks_to_json(bookmarks: Iterable[Bookmark]) -> list[dict[str, Any]]:
    return [
        {
            "id": mark.id,
            "site": mark.camera.site_id,
            "camera": mark.camera.camera_id,
            "start": mark.span.start.astimezone(UTC).isoformat(),
            "end": mark.span.end.astimezone(UTC).isoformat(),
            "header": mark.header,
            "description": mark.description,
        }
        for mark in bookmarks
    ]


def bookmarks_from_json(data: object) -> list[Bookmark]:
    if not isinstance(data, list):
        raise ValueError("bookmarks must be a list")
    return [_bookmark(entry) for entry in data]


def _bookmark(entry: object) -> Bookmark:
    if not isinstance(entry, dict):
        raise ValueError("a bookmark must be an object")
    start, end = _instant(entry.get("start")), _instant(entry.get("end"))
    if end < start:
        raise ValueError("a bookmark ends before it starts")
    return Bookmark(
        id=_text(entry.get("id"), "bookmark id"),
        camera=CameraRef(
            _text(entry.get("site"), "bookmark site"), _text(entry.get("camera"), "bookmark camera")
        ),
        span=TimeSpan(start, end),
        header=_text(entry.get("header"), "bookmark title"),
        description=_text(entry.get("description", ""), "bookmark description"),
    )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"{what} must be text")
    return value


def _instant(value: object) -> datetime:
    text = _text(value, "a bookmark's time")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"a bookmark's time {text[:40]!r} is not ISO 8601") from None
    if instant.tzinfo is None:
        raise ValueError("a bookmark's time has no time zone")
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise ValueError("a bookmark's time is out of range") from None
