"""Downloading a recording from the NVR: the file the server lists, as MP4 whose pictures
show the recorded instant, resumable from an offset (``Range``) as the server's Go code
serves files."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import av
import httpx
import pytest

from tests.integration.backends.mibee.nvr import connected, serving
from viewer.core.errors import NotFoundError
from viewer.core.models import TimeSpan
from viewer.demo.clockface import read_instant


def opened(data: bytes) -> tuple[float, datetime | None, int]:
    """The file's duration in seconds, the first picture's clock and the picture count."""
    with av.open(io.BytesIO(data)) as clip:
        duration = clip.duration / av.time_base
        frames = [frame.to_ndarray(format="rgb24") for frame in clip.decode(video=0)]
    return duration, read_instant(frames[0]), len(frames)


async def closed_recording(backend, camera_id: str):
    """A recording of the last hours that is no longer being written."""
    now = datetime.now(UTC)
    page = await backend.recordings(camera_id, TimeSpan(now - timedelta(hours=6), now), 20)
    return next(r for r in page.recordings if r.span.end < now - timedelta(minutes=1))


def test_a_downloaded_recording_plays_its_recorded_time():
    async def scenario():
        async with serving() as server, connected(server, timeout=120) as backend:
            recording = await closed_recording(backend, "cam03")
            data = await backend.download(recording.id)
            duration, first, frames = opened(data)
            assert duration == pytest.approx(recording.span.duration.total_seconds(), abs=0.05)
            assert first is not None
            assert abs(first - recording.span.start) < timedelta(seconds=1)
            assert frames == pytest.approx(recording.span.duration.total_seconds(), abs=1)
            resumed = await backend.download(recording.id, offset=1000)
            assert resumed == data[1000:]

    asyncio.run(scenario())


def test_the_file_is_served_as_the_server_serves_files():
    async def scenario():
        async with serving() as server, connected(server, timeout=120) as backend:
            recording = await closed_recording(backend, "cam05")
            path = f"/api/recordings/{recording.id}/download"
            auth = {"Authorization": f"Bearer {backend.token}"}
            async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
                whole = await client.get(path, headers=auth)
                assert whole.status_code == 200
                assert whole.headers["content-type"] == "video/mp4"
                assert whole.headers["accept-ranges"] == "bytes"
                assert "attachment" in whole.headers["content-disposition"]
                size = len(whole.content)
                part = await client.get(path, headers={**auth, "Range": "bytes=10-19"})
                assert part.status_code == 206
                assert part.headers["content-range"] == f"bytes 10-19/{size}"
                assert part.content == whole.content[10:20]
                tail = await client.get(path, headers={**auth, "Range": "bytes=-5"})
                assert tail.content == whole.content[-5:]
                beyond = await client.get(path, headers={**auth, "Range": f"bytes={size}-"})
                assert beyond.status_code == 416
                assert beyond.headers["content-range"] == f"bytes */{size}"
                other = await client.get(path, headers={"Authorization": "Bearer mbs_nobody"})
                assert other.status_code == 401

    asyncio.run(scenario())


def test_an_unknown_recording_is_not_found():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            for ident in ("1", "99999999999999999999", "not-a-number"):
                with pytest.raises(NotFoundError):
                    await backend.download(ident)

    asyncio.run(scenario())


def test_recording_ids_differ_between_cameras():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            now = datetime.now(UTC)
            span = TimeSpan(now - timedelta(hours=1), now)
            first = await backend.recordings("cam01", span)
            second = await backend.recordings("cam02", span)
            assert {r.id for r in first.recordings}.isdisjoint(r.id for r in second.recordings)

    asyncio.run(scenario())
