"""Bookmarks and evidence locks against the simulated gateway, by release."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator
from viewer.core.errors import NotFoundError, NotSupportedError
from viewer.core.models import CameraRef, TimeSpan
from viewer.demo.milestone.directory import CAMERAS

FRONT, YARD = (camera.id for camera in list(CAMERAS.values())[:2])
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def span(start_minutes: float, end_minutes: float) -> TimeSpan:
    return TimeSpan(NOON + timedelta(minutes=start_minutes), NOON + timedelta(minutes=end_minutes))


def test_a_bookmark_is_created_read_found_by_time_updated_and_deleted():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            assert backend.capabilities.bookmarks and backend.capabilities.evidence_lock
            made = await backend.create_bookmark(FRONT, span(0, 2), "Van at the gate", "white")
            assert made.camera == CameraRef("xp", FRONT)
            assert (made.span, made.header, made.description) == (
                span(0, 2),
                "Van at the gate",
                "white",
            )
            stored = server.bookmarks.bookmarks[made.id]
            assert stored["devicePath"] == {"type": "cameras", "id": FRONT}
            assert "cameraId" not in stored

            assert await backend.bookmark(made.id) == made
            other = await backend.create_bookmark(YARD, span(1, 3), "Yard")
            later = await backend.create_bookmark(FRONT, span(30, 31), "Later")
            assert await backend.bookmarks(FRONT, span(-5, 5)) == (made,)
            assert await backend.bookmarks(FRONT, span(1, 40)) == (made, later)
            assert await backend.bookmarks(YARD, span(-5, 5)) == (other,)

            moved = replace(made, span=span(10, 12), header="Van, plate read")
            assert await backend.update_bookmark(moved) == moved
            assert await backend.bookmark(made.id) == moved
            assert await backend.bookmarks(FRONT, span(-5, 5)) == ()

            await backend.delete_bookmark(made.id)
            with pytest.raises(NotFoundError, match="Unknown resource"):
                await backend.bookmark(made.id)
            assert await backend.bookmarks(FRONT, span(0, 40)) == (later,)

    run(scenario)


def test_evidence_locks_are_created_listed_by_time_and_deleted():
    async def scenario():
        async with serving(simulator(release="2024 R2")) as server, connected(server) as backend:
            lock = await backend.create_evidence_lock([FRONT, YARD], span(0, 10), "Break-in", "x")
            assert lock.cameras == (CameraRef("xp", FRONT), CameraRef("xp", YARD))
            assert (lock.span, lock.header, lock.description) == (span(0, 10), "Break-in", "x")
            assert server.bookmarks.locks[lock.id]["devicePaths"][1] == {
                "type": "cameras",
                "id": YARD,
            }
            second = await backend.create_evidence_lock([YARD], span(60, 70), "Later")

            assert await backend.evidence_locks(span(5, 6)) == (lock,)
            assert await backend.evidence_locks(span(-60, 120)) == (lock, second)
            await backend.delete_evidence_lock(lock.id)
            assert await backend.evidence_locks(span(-60, 120)) == (second,)
            with pytest.raises(NotFoundError):
                await backend.delete_evidence_lock(lock.id)

    run(scenario)


def test_a_2023_r3_site_declares_neither_and_refuses_without_asking():
    async def scenario():
        async with serving(simulator(release="2023 R3")) as server, connected(server) as backend:
            assert not backend.capabilities.bookmarks
            assert not backend.capabilities.evidence_lock
            asked = len(server.counters.requests)
            missing = "0b0e7a4e-0000-4000-8000-000000000000"
            calls = [
                lambda: backend.create_bookmark(FRONT, span(0, 1), "x"),
                lambda: backend.bookmark(missing),
                lambda: backend.bookmarks(FRONT, span(0, 1)),
                lambda: backend.delete_bookmark(missing),
                lambda: backend.create_evidence_lock([FRONT], span(0, 1), "x"),
                lambda: backend.evidence_locks(span(0, 1)),
                lambda: backend.delete_evidence_lock(missing),
            ]
            for call in calls:
                with pytest.raises(NotSupportedError, match=r"2023 R3.*2024 R2"):
                    await call()
            assert len(server.counters.requests) == asked

    run(scenario)


def test_the_simulator_answers_as_releases_do():
    """2025 R1 has the endpoints but no plain list (the captured 400); 2023 R3 has none."""

    async def scenario():
        async with serving(simulator(release="2025 R1")) as server, connected(server) as backend:
            for path in ("/api/rest/v1/bookmarks", "/api/rest/v1/evidenceLocks"):
                with pytest.raises(NotSupportedError, match="Bad request: Unknown request"):
                    await backend._request("GET", path)
        async with serving(simulator(release="2023 R3")) as server, connected(server) as backend:
            with pytest.raises(NotFoundError, match="Unknown resource: bookmarks"):
                await backend._request("POST", "/api/rest/v1/bookmarks", None, {})

    run(scenario)


def test_a_body_the_server_refuses_comes_back_in_its_words():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            body = {"cameraId": FRONT, "timeBegin": "2025-10-27T12:00:00Z", "header": "seed 001"}
            with pytest.raises(NotSupportedError, match="Bad request: timeEnd"):
                await backend._request("POST", "/api/rest/v1/bookmarks", None, body)
            with pytest.raises(NotSupportedError, match="devicePath must name a camera"):
                await backend._request(
                    "POST", "/api/rest/v1/bookmarks", None, {**body, "timeEnd": body["timeBegin"]}
                )
            with pytest.raises(NotFoundError, match="no bookmark id"):
                await backend.bookmark("../cameras")

    run(scenario)
