"""Bookmarks kept by Vigil live in the settings file: they come back after a restart,
and whatever JSON stands in their place gives bookmarks or a clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.models import Bookmark, CameraRef, TimeSpan
from viewer.services.bookmark_json import bookmarks_from_json, bookmarks_to_json
from viewer.services.bookmarks import local_bookmarks
from viewer.services.settings import Settings, SettingsStore, settings_from_json, settings_to_json

GATE = CameraRef("gw", "gate")
NOON = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)


def mark(minutes: int, length: int = 0, camera: CameraRef = GATE, id: str = "local-1") -> Bookmark:
    start = NOON + timedelta(minutes=minutes)
    return Bookmark(id, camera, TimeSpan(start, start + timedelta(minutes=length)), "Van", "Blue")


def test_kept_bookmarks_come_back_after_a_restart(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    settings = Settings(bookmarks=[mark(0), mark(5, 3, id="local-2")])
    store.save(settings)
    assert SettingsStore(tmp_path / "settings.json").load().bookmarks == settings.bookmarks


def test_an_instant_in_another_time_zone_is_read_as_the_same_utc_instant():
    document = bookmarks_to_json([mark(0)])
    document[0]["start"] = document[0]["end"] = "2026-03-29T14:00:00+02:00"
    (back,) = bookmarks_from_json(document)
    assert back.span.start == NOON and back.span.start.tzinfo is UTC


def test_a_bookmark_without_a_time_zone_or_ending_before_it_starts_is_refused():
    for start, end in (
        ("2026-03-29T12:00:00", "2026-03-29T12:00:00"),
        (
            "2026-03-29T12:00:00+00:00",
            "2026-03-29T11:00:00+00:00",
        ),
    ):
        document = bookmarks_to_json([mark(0)])
        document[0].update(start=start, end=end)
        try:
            bookmarks_from_json(document)
        except ValueError:
            continue
        raise AssertionError(f"{start}..{end} was taken")


def test_the_timeline_gets_the_cameras_bookmarks_that_overlap_its_span_oldest_first():
    marks = [mark(30), mark(0, 10, id="local-2"), mark(5, camera=CameraRef("gw", "yard"))]
    span = TimeSpan(NOON + timedelta(minutes=10), NOON + timedelta(minutes=30))
    assert [m.id for m in local_bookmarks(marks, GATE, span)] == ["local-2", "local-1"]
    assert (
        local_bookmarks(
            marks, GATE, TimeSpan(NOON + timedelta(minutes=11), NOON + timedelta(minutes=29))
        )
        == ()
    )


instants = st.datetimes(timezones=st.just(timezone(timedelta(hours=-3))) | st.just(UTC)).map(
    lambda moment: moment.isoformat()
)
values = st.none() | st.integers() | st.text(max_size=12) | instants
entries = st.fixed_dictionaries(
    {},
    optional={
        key: values for key in ("id", "site", "camera", "start", "end", "header", "description")
    },
)


@given(st.lists(entries | values, max_size=3) | values)
def test_any_json_for_bookmarks_gives_settings_or_a_clear_error(data):
    document = settings_to_json(Settings())
    document["bookmarks"] = data
    try:
        settings = settings_from_json(document)
    except ValueError:
        return
    for bookmark in settings.bookmarks:
        assert bookmark.span.start <= bookmark.span.end
        assert bookmark.span.start.tzinfo is UTC
