"""The MiBee simulator's reading of ``Range`` headers for downloads: what Go's
``http.ServeContent`` does with one range, anything else never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.mibee.server import byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 10)),
        ("bytes=10-", (10, 100)),
        ("bytes=-5", (95, 100)),
        ("bytes=-500", (0, 100)),
        ("bytes=90-500", (90, 100)),
        ("bytes=0-1,5-6", (0, 100)),
        ("bytes=100-", None),
        ("bytes=9-3", None),
        ("bytes=-", None),
        ("bytes=-0", None),
        ("items=0-9", None),
        ("bytes=²-3", None),
    ],
)
def test_one_range_is_cut_from_the_file(header, expected):
    assert byte_range(header, 100) == expected


@given(
    st.text(max_size=40) | st.from_regex(r"bytes=[0-9]{0,25}-[0-9]{0,25}", fullmatch=True),
    st.integers(1, 10**9),
)
def test_any_header_gives_a_range_inside_the_file_or_none(header, size):
    found = byte_range(header, size)
    assert found is None or 0 <= found[0] < found[1] <= size
