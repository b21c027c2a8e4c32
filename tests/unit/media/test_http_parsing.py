"""Numbers the media layer reads from the headers of an HTTP server (HLS playlists,
segments, keys): whatever bytes a server sends, the player gets a number or none,
never an exception out of FFmpeg's io_open callback."""

import math
import re

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from viewer.core.errors import RateLimitedError
from viewer.media.http_io import _content_length, _status_error

# Header bytes as they can arrive: anything but the line ends that delimit them.
HEADER_BYTES = st.binary(max_size=40).filter(lambda raw: b"\r" not in raw and b"\n" not in raw)
ASCII_NUMBER = re.compile(rb"[0-9]{1,15}")
# str.isdigit() let through what int() and float() refuse: '²' (also the Latin-1 byte
# 0xB2, which httpx decodes to it) and runs of more than 4,300 digits.


def response(status: int, name: bytes, raw: bytes) -> httpx.Response:
    request = httpx.Request("GET", "https://127.0.0.1/live/index.m3u8")
    return httpx.Response(status, headers=[(name, raw)], request=request)


@pytest.mark.parametrize(
    ("raw", "length"),
    [
        *((b"0", 0), (b"1234", 1234), (b"33554432", 2**25), (b"", None), (b"-1", None)),
        *((b"1e3", None), (b"12 34", None), (b"0x10", None), (b"none", None)),
    ],
)
def test_the_content_length_is_a_plain_number_or_none(raw, length):
    assert _content_length(response(200, b"content-length", raw)) == length


def test_no_content_length_is_none():
    assert _content_length(httpx.Response(200)) is None


@example(b"\xb2")
@example(b"9" * 5000)
@given(HEADER_BYTES)
def test_any_content_length_header_gives_a_length_or_none(raw):
    length = _content_length(response(200, b"content-length", raw))
    assert length == (int(raw) if ASCII_NUMBER.fullmatch(raw) else None)


@pytest.mark.parametrize(("raw", "seconds"), [(b"0", 0.0), (b"120", 120.0), (b"soon", None)])
def test_retry_after_in_seconds_is_read(raw, seconds):
    error = _status_error(response(429, b"retry-after", raw), "127.0.0.1")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == seconds


@example(429, b"\xb2")
@example(503, b"9" * 400)
@given(st.sampled_from([429, 503]), HEADER_BYTES)
def test_any_retry_after_header_gives_a_finite_wait_or_none(status, raw):
    error = _status_error(response(status, b"retry-after", raw), "127.0.0.1")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None or (
        math.isfinite(error.retry_after) and error.retry_after >= 0
    )
