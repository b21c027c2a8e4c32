"""Whatever a client puts in a request to the demo's HLS service, it gets an answer (400
for bad values, 404 for what is not there, None for names the service does not serve),
never an exception."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.demo.footage import FootageLibrary
from viewer.demo.hls import HlsService

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC).timestamp()
NOW_MS = int(NOW * 1000)

numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.integers(NOW_MS - 10 * 86_400_000, NOW_MS + 86_400_000).map(str),
    st.sampled_from(["", "0", "1e3", "+5", " 7", "0x10", "１２", "²", "NaN", "-0", "9" * 40]),
)
offsets = st.timedeltas(-timedelta(hours=23, minutes=59), timedelta(hours=23, minutes=59)).map(
    timezone
)
times = st.one_of(
    numbers,
    st.datetimes(timezones=st.sampled_from([UTC, None])).map(datetime.isoformat),
    st.datetimes(timezones=offsets).map(datetime.isoformat),
    st.sampled_from(
        ["2026-03-10T11:00:00Z", "2026-03-10T11:00:00z", "2026-03-10", "9999-12-31T23:59:59-23:59"]
    ),
    st.text(max_size=30),
)
queries = st.fixed_dictionaries(
    {},
    optional={"start": times, "end": times, "from": times, "at": times, "until": times},
)
names = st.one_of(
    st.sampled_from(["index.m3u8", "playlist.m3u8", "recorded.ts", "segment-1.ts", ".m3u8"]),
    st.from_regex(r"segment-[0-9]{0,20}\.ts", fullmatch=True),
    st.text(max_size=20),
)


@pytest.fixture(scope="module")
def service(footage_cache):
    loop = asyncio.new_event_loop()
    hls = HlsService(FootageLibrary(footage_cache), clock=lambda: NOW)
    yield loop, hls
    loop.run_until_complete(hls.stop())
    loop.close()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    camera=st.sampled_from(["cam01", "cam18", "cam99", "", "../cam01"]),
    quality=st.sampled_from(["sub", "main", "", "SUB"]),
    name=names,
    query=queries,
)
def test_any_live_request_is_answered(service, camera, quality, name, query):
    loop, hls = service
    answer = loop.run_until_complete(hls.live(camera, quality, name, query))
    assert answer is None or answer.status in {200, 404}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    camera=st.sampled_from(["cam01", "cam99"]),
    name=st.one_of(st.sampled_from(["playlist.m3u8", "recorded.ts"]), names),
    query=queries,
)
def test_any_recorded_request_is_answered(service, camera, name, query):
    loop, hls = service
    answer = loop.run_until_complete(hls.recorded(camera, name, query))
    assert answer is None or answer.status in {200, 400, 404}
    if answer is not None and answer.status == 400:
        assert b'"code": "INVALID_INPUT"' in answer.body
