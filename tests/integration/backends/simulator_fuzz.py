"""Sending spoiled requests to a simulator over loopback, for the hypothesis tests of its
request handlers: one loop and one simulator for a module, one request per example.

Each example is a real endpoint's request with one or two parts spoiled (pitfalls.md:
fields drawn independently are nearly always valid together or nearly never): a path
segment, a query value, the body (bytes, JSON of the wrong shape, huge or deep values),
the method or the credentials.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import strategies as st


@dataclass(frozen=True)
class Endpoint:
    """A request as the spec shows it: ``{name}`` segments are filled from ``values``."""

    method: str
    path: str
    query: dict[str, st.SearchStrategy[str]] = field(default_factory=dict)
    body: st.SearchStrategy[bytes] | None = None


class Sent:
    """One request; its repr, which hypothesis prints for a failing example, is cut short
    (a body may be megabytes)."""

    def __init__(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> None:
        self.method, self.path, self.query = method, path, query
        self.headers, self.body = headers, body

    def __repr__(self) -> str:
        words = f"{self.method} {self.path} {self.query} {self.headers} {self.body[:200]!r}"
        return words[:2000]


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)
ODD_NUMBERS = st.sampled_from(
    ["9" * 40, "9" * 5000, "-1", "0", "1e309", "NaN", "-99999999999", "²", "0x10", " 7", ""]
)
NUMBERS = st.integers(-(10**12), 10**12).map(str) | ODD_NUMBERS
EXTREME_TIMES = st.sampled_from(
    [
        "0001-01-01T00:00:00+05:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31",
        "0001-01-01",
        "2024-02-30T00:00:00Z",
    ]
)
TIMES = (
    st.builds(
        lambda moment, hours: moment.replace(tzinfo=timezone(timedelta(hours=hours))).isoformat(),
        st.datetimes(),
        st.integers(-23, 23),
    )
    | EXTREME_TIMES
    | TEXT
)
VALUES = NUMBERS | TIMES | TEXT
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
ODD_BODIES = st.sampled_from(
    [
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b"1" * 5000,
        b'{"pan": 1e400, "tilt": -1e400, "zoom": NaN}',
        b"\xff\xfe\x00",
        b"null",
        b"",
    ]
)


def json_body(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """An object with the spec's keys, each usually right, sometimes anything."""
    fields = {key: strategy | JSON | VALUES for key, strategy in keys.items()}
    return st.fixed_dictionaries({}, optional=fields).map(lambda d: json.dumps(d).encode())


def spoiled_bodies(body: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return body | JSON.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=80) | ODD_BODIES


def segment(real: Sequence[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(list(real)) | TEXT.map(lambda t: quote(t, safe="")) | NUMBERS


@st.composite
def requests(
    draw: st.DrawFn,
    endpoints: Sequence[Endpoint],
    values: dict[str, Sequence[str]],
    auth: dict[str, str],
) -> Sent:
    endpoint = draw(st.sampled_from(list(endpoints)))
    spoil = draw(st.sets(st.sampled_from(["path", "query", "body", "method", "auth"]), max_size=2))
    parts = []
    for written in endpoint.path.strip("/").split("/"):
        part = written
        if written.startswith("{"):
            real = values[written[1:-1]]
            part = draw(segment(real) if "path" in spoil else st.sampled_from(list(real)))
        parts.append(part)
    if "path" in spoil and draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), draw(segment(["..", ".", "", "%2F"])))
    query = {}
    for key, strategy in endpoint.query.items():
        if draw(st.integers(0, 4)):
            query[key] = draw(VALUES if "query" in spoil else strategy)
    if "query" in spoil:
        query.update(draw(st.dictionaries(TEXT, VALUES, max_size=2)))
    body = b""
    if endpoint.body is not None:
        body = draw(spoiled_bodies(endpoint.body) if "body" in spoil else endpoint.body)
    method = endpoint.method
    if "method" in spoil:
        method = draw(st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
    headers = dict(auth)
    if "auth" in spoil:
        headers = draw(
            st.sampled_from(
                [
                    {},
                    {"Authorization": "Bearer nobody"},
                    {"Authorization": "Basic !!!"},
                    {"Authorization": "Basic " + "A" * 5000},
                ]
            )
        )
    return Sent(method, "/" + "/".join(parts), query, headers, body)


class Running:
    """A simulator on a loop of its own, answering while a request is sent."""

    def __init__(self, start: Callable[[], Awaitable[str]], stop: Callable[[], Awaitable[None]]):
        self.loop = asyncio.new_event_loop()
        self._stop = stop
        self.url = self.loop.run_until_complete(start())
        self.client = httpx.AsyncClient(base_url=self.url, timeout=30)

    def send(self, request: Sent) -> httpx.Response:
        async def exchange() -> httpx.Response:
            return await self.client.request(
                request.method,
                request.path,
                params=request.query,
                headers=request.headers,
                content=request.body,
            )

        return self.loop.run_until_complete(exchange())

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self._stop())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


def recent_times() -> st.SearchStrategy[str]:
    now = datetime.now(UTC)
    return st.integers(0, 86_400).map(lambda s: (now - timedelta(seconds=s)).isoformat())
