"""Recorded spans through SOAP (Login, SequencesGet) and the timeline, against the simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator
from viewer.backends.milestone import recorder
from viewer.backends.milestone.parse.events import (
    COMMUNICATION_ERROR,
    MOTION_STARTED,
    MOTION_STOPPED,
)
from viewer.core.errors import NotSupportedError
from viewer.core.models import TimeSpan
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.recordings import recorded_spans

CAMERA = next(iter(CAMERAS.values())).id


def days_ago(days: int, hour: int, minute: int = 0) -> datetime:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=days) + timedelta(hours=hour, minutes=minute)


def schedule(span: TimeSpan) -> list[TimeSpan]:
    return [TimeSpan(start, end) for start, end in recorded_spans(span.start, span.end)]


def test_the_timeline_shows_what_the_recorder_holds_cut_to_the_span():
    async def scenario():
        span = TimeSpan(days_ago(2, 1, 10), days_ago(2, 15, 30))
        async with serving(simulator()) as server, connected(server) as backend:
            assert backend.capabilities.timeline
            timeline = await backend.timeline(CAMERA, span)
        assert timeline.span == span
        assert [segment.span for segment in timeline.segments] == schedule(span)
        assert len(timeline.segments) == 7  # six 20-minute gaps and the missing 13:00 hour
        assert timeline.segments[0].span.start == span.start
        assert timeline.events == ()

    run(scenario)


def test_a_full_answer_is_followed_by_another_from_its_last_span(monkeypatch):
    monkeypatch.setattr(recorder, "MAX_COUNT", 3)

    async def scenario():
        span = TimeSpan(days_ago(4, 0), days_ago(1, 0))
        async with serving(simulator()) as server, connected(server) as backend:
            timeline = await backend.timeline(CAMERA, span)
            calls = len(server.recorder.calls)
        assert [segment.span for segment in timeline.segments] == schedule(span)
        assert len(timeline.segments) > 12
        assert calls >= len(timeline.segments) // 3

    run(scenario)


def test_the_timeline_carries_the_cameras_bookmarks_where_the_release_has_them():
    async def scenario():
        span = TimeSpan(days_ago(1, 8), days_ago(1, 9))
        async with serving(simulator()) as server, connected(server) as backend:
            mark = await backend.create_bookmark(
                CAMERA, TimeSpan(days_ago(1, 8, 5), days_ago(1, 8, 6)), "Delivery"
            )
            assert (await backend.timeline(CAMERA, span)).bookmarks == (mark,)
        async with serving(simulator(release="2023 R3")) as server, connected(server) as backend:
            timeline = await backend.timeline(CAMERA, span)
            assert timeline.bookmarks == ()
            assert [segment.span for segment in timeline.segments] == schedule(span)

    run(scenario)


def test_the_soap_token_is_renewed_before_it_runs_out():
    async def scenario():
        span = TimeSpan(days_ago(1, 3), days_ago(1, 4))
        async with serving(simulator()) as server, connected(server) as backend:
            server.recorder.token_lifetime = 2.0  # renewed half-way, after 1 s
            await backend.timeline(CAMERA, span)
            await backend.timeline(CAMERA, span)
            first = server.recorder.calls[0]
            assert server.recorder.logins == [None]
            await asyncio.sleep(1.2)
            await backend.timeline(CAMERA, span)
            assert server.recorder.logins == [None, first]
            assert server.recorder.calls == [first, first, first]

    run(scenario)


def test_a_soap_token_the_server_forgot_is_replaced_by_a_new_login():
    async def scenario():
        span = TimeSpan(days_ago(1, 3), days_ago(1, 4))
        async with serving(simulator()) as server, connected(server) as backend:
            await backend.timeline(CAMERA, span)
            server.recorder.expire_tokens()
            timeline = await backend.timeline(CAMERA, span)
            assert [segment.span for segment in timeline.segments] == schedule(span)
            assert server.recorder.logins == [None, None]
            old, new = server.recorder.calls[0], server.recorder.calls[-1]
            assert server.recorder.calls == [old, old, new] and old != new

    run(scenario)


def test_a_soap_login_with_an_expired_bearer_token_logs_in_to_the_idp_again():
    async def scenario():
        span = TimeSpan(days_ago(1, 3), days_ago(1, 4))
        async with serving(simulator()) as server, connected(server) as backend:
            grants = server.counters.grants["password"]
            server.expire_tokens()
            await backend.timeline(CAMERA, span)
            assert server.counters.grants["password"] == grants + 1

    run(scenario)


def test_an_unknown_camera_is_the_recorders_fault_in_its_words():
    async def scenario():
        span = TimeSpan(days_ago(1, 3), days_ago(1, 4))
        async with serving(simulator()) as server, connected(server) as backend:
            with pytest.raises(NotSupportedError, match="Device not found"):
                await backend.timeline("0b0e7a4e-0000-4000-8000-000000000000", span)

    run(scenario)


def test_the_timeline_marks_the_motion_the_site_stored_and_nothing_else():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            await backend.trigger_event(MOTION_STARTED, CAMERA)
            await backend.trigger_event(COMMUNICATION_ERROR, CAMERA)
            await backend.trigger_event(MOTION_STOPPED, CAMERA)
            now = datetime.now(UTC)
            timeline = await backend.timeline(CAMERA, TimeSpan(now - timedelta(minutes=5), now))
        assert [event.type for event in timeline.events] == ["motion started", "motion stopped"]
        assert {event.camera.camera_id for event in timeline.events if event.camera} == {CAMERA}

    run(scenario)
