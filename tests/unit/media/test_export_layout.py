"""Where a picture of a server's export file was recorded: a file that lays the recorded
parts end to end maps its timeline through them, so pictures after a gap keep their own
instants; one that runs on does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.models import TimeSpan
from viewer.media.recording import Piece

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FILE = Path("export.mp4")


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_picture_after_a_gap_is_placed_after_it():
    piece = Piece(FILE, T0, (TimeSpan(_at(0), _at(60)), TimeSpan(_at(1260), _at(1320))))
    assert piece.instant(0) == _at(0).timestamp()
    assert piece.instant(59.5) == _at(59.5).timestamp()
    assert piece.instant(60) == _at(1260).timestamp()
    assert piece.instant(119) == _at(1319).timestamp()
    # Past the parts the file runs on from the last one's end.
    assert piece.instant(121) == _at(1321).timestamp()


def test_a_file_without_parts_runs_on_from_its_epoch():
    assert Piece(FILE, T0).instant(90.25) == _at(90.25).timestamp()


parts = st.lists(st.tuples(st.integers(0, 3600), st.integers(1, 3600)), min_size=1, max_size=6).map(
    lambda pairs: tuple(
        TimeSpan(_at(start), _at(start + length)) for start, length in _laid_apart(pairs)
    )
)


def _laid_apart(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts oldest first with a gap (of ``gap`` seconds, maybe none) before each."""
    found, at = [], 0
    for gap, length in pairs:
        at += gap
        found.append((at, length))
        at += length
    return found


@given(parts, st.lists(st.floats(0, 30_000, allow_nan=False), min_size=2, max_size=20))
def test_instants_keep_the_files_order_and_fall_in_a_recorded_part(laid, offsets):
    piece = Piece(FILE, laid[0].start, laid)
    total = sum(part.duration.total_seconds() for part in laid)
    offsets = sorted(offsets)
    instants = [piece.instant(offset) for offset in offsets]
    assert instants == sorted(instants)
    for offset, instant in zip(offsets, instants, strict=True):
        if offset < total:
            assert any(
                part.start.timestamp() <= instant < part.end.timestamp() + 1e-6 for part in laid
            )
        else:
            assert instant >= laid[-1].end.timestamp() - 1e-6
