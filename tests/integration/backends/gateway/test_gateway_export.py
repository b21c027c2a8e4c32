"""An export ordered from the gateway is an MP4 of the recorded span, fetched from the
job's ``downloadUrl`` with the site's credentials; while the gateway builds it, the
job's percentage is passed on as it rises."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import av
import pytest

from tests.integration.backends.gateway.rest import CAM03, connected, run, serving, simulator
from viewer.core.errors import NotFoundError, NotSupportedError
from viewer.core.models import TimeSpan
from viewer.demo.clockface import read_instant
from viewer.demo.recordings import recorded_spans


def test_an_exported_span_downloads_as_mp4_of_its_recorded_time():
    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            now = datetime.now(UTC).replace(microsecond=0)
            # The last two minutes recorded, wherever the rule's gaps fall.
            *_, (_, recorded_end) = recorded_spans(now - timedelta(hours=2), now)
            span = TimeSpan(recorded_end - timedelta(minutes=2), recorded_end)
            url = await b.export_recording(CAM03, span)
            data = await b.download_export(url)
            with av.open(io.BytesIO(data)) as clip:
                duration = clip.duration / av.time_base
                first = next(clip.decode(video=0)).to_ndarray(format="rgb24")
            expected = sum((e - s).total_seconds() for s, e in recorded_spans(span.start, span.end))
            assert duration == pytest.approx(expected, abs=0.05)
            shown = read_instant(first)
            assert shown is not None and abs(shown - span.start) < timedelta(seconds=1)

    run(scenario)


def test_an_export_with_nothing_recorded_is_not_found_and_exports_stay_on():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            future = datetime.now(UTC) + timedelta(days=1)
            with pytest.raises(NotFoundError):
                await backend.export_recording(CAM03, TimeSpan(future, future + timedelta(hours=1)))
            assert backend.capabilities.export

    run(scenario)


def test_credentials_go_only_to_the_gateways_own_address():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            elsewhere = "http://127.0.0.2:9/api/rest/v1/recordings/export/exp-1/download"
            with pytest.raises(NotSupportedError):
                await backend.download_export(elsewhere)
            assert not any("exp-1" in line for line in server.counters.requests)

    run(scenario)


def test_the_jobs_progress_is_passed_on_while_the_gateway_builds_the_file():
    heard: list[float] = []

    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            now = datetime.now(UTC).replace(microsecond=0)
            *_, (_, recorded_end) = recorded_spans(now - timedelta(hours=2), now)
            span = TimeSpan(recorded_end - timedelta(minutes=1), recorded_end)
            await b.export_recording(CAM03, span, progress=heard.append)

    run(scenario)
    assert heard[0] == 0.0  # queued
    assert heard[-1] == 1.0  # completed
    assert heard == sorted(heard)
    # The percentages while it was processing, not only its ends.
    assert len({part for part in heard if 0 < part < 1}) >= 3
