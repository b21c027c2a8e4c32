"""XProtect events against the simulated gateway: Events REST, user-defined events, and
the Events and State WebSocket keeping camera status current across dropped sockets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator, until
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.backends.milestone.events import EventFeed
from viewer.core.errors import NotSupportedError
from viewer.core.models import CameraStatus, Event, TimeSpan
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.events import COMMUNICATION_STOPPED, MOTION_STARTED, MOTION_STOPPED

ENTRANCE = CAMERAS["cam01"].id
YARD = CAMERAS["cam02"].id
ALL = sorted(camera.id for camera in CAMERAS.values())


def feed(backend: MilestoneBackend) -> EventFeed:
    return backend._events.live()


async def ready(backend: MilestoneBackend) -> EventFeed:
    """The socket is up and getState has told every camera's status."""
    found = feed(backend)
    await until(lambda: found.connected.is_set() and len(found.statuses) == len(ALL))
    return found


async def take(events: object, count: int) -> list[Event]:
    taken: list[Event] = []
    async with asyncio.timeout(30):
        async for event in events:  # type: ignore[attr-defined]
            taken.append(event)
            if len(taken) == count:
                return taken
    return taken


def test_every_camera_is_online_at_start_and_one_taken_offline_turns_offline_then_error():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            socket = await ready(backend)
            assert set(socket.statuses.values()) == {CameraStatus.ONLINE}
            changes: list[tuple[str, CameraStatus]] = []
            backend.watch_camera_status(lambda camera, status: changes.append((camera, status)))
            server.events.set_communication(ENTRANCE, online=False)
            await until(lambda: len(changes) == 1)
            server.events.set_communication(YARD, online=False, error=True)
            server.events.set_communication(ENTRANCE, online=True)
            await until(lambda: len(changes) == 3)
            assert changes == [
                (ENTRANCE, CameraStatus.OFFLINE),
                (YARD, CameraStatus.ERROR),
                (ENTRANCE, CameraStatus.ONLINE),
            ]

    run(scenario)


def test_motion_arrives_through_the_socket_in_the_simulators_rotation():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            await ready(backend)
            events = backend.events()
            server.events.generate_motion(0.02)
            got = await take(events, 3)
            assert [(e.type, e.camera and e.camera.camera_id) for e in got] == [
                ("motion started", ALL[0]),
                ("motion started", ALL[1]),
                ("motion stopped", ALL[0]),
            ]
            assert all(e.camera is not None and e.camera.site_id == "xp" for e in got)

    run(scenario)


def test_a_dropped_socket_resumes_its_session_and_gets_what_it_missed_once_in_order():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            socket = await ready(backend)
            events = backend.events()
            server.events.publish(MOTION_STARTED, f"cameras/{ENTRANCE}")
            (before,) = await take(events, 1)
            server.events.refuse_sockets = True
            server.events.drop_sockets()
            await until(lambda: not socket.connected.is_set())
            missed = [
                server.events.publish(MOTION_STOPPED, f"cameras/{ENTRANCE}"),
                server.events.publish(MOTION_STARTED, f"cameras/{YARD}"),
            ]
            server.events.set_communication(YARD, online=False)
            server.events.refuse_sockets = False
            got = await take(events, 3)
            assert [e.id for e in got] == [m.id for m in missed] + [server.events.events[-1].id]
            assert before.id not in [e.id for e in got]
            assert socket.statuses[YARD] is CameraStatus.OFFLINE
            assert socket.sessions == 1
            assert server.events.sessions_started == 1
            server.events.publish(MOTION_STOPPED, f"cameras/{YARD}")
            (after,) = await take(events, 1)
            assert after.id == server.events.events[-1].id

    run(scenario)


def test_a_session_the_server_forgot_starts_afresh_and_asks_for_the_state_again():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            socket = await ready(backend)
            server.events.session_kept = 0.0
            server.events.refuse_sockets = True
            server.events.drop_sockets()
            await until(lambda: not socket.connected.is_set())
            server.events.set_communication(ENTRANCE, online=False)
            await asyncio.sleep(0.05)
            server.events.refuse_sockets = False
            await until(lambda: socket.sessions == 2)
            await until(lambda: socket.statuses.get(ENTRANCE) is CameraStatus.OFFLINE)
            assert server.events.sessions_started == 2

    run(scenario)


def test_events_of_a_span_and_a_camera_come_oldest_first_page_by_page():
    async def scenario():
        async with serving(simulator()) as server, connected(server, page_size=2) as backend:
            start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
            for minute in (5, 1, 3, -1, 9, 7, 61):
                server.events.publish(
                    MOTION_STARTED, f"cameras/{ENTRANCE}", start + timedelta(minutes=minute)
                )
            server.events.publish(MOTION_STARTED, f"cameras/{YARD}", start + timedelta(minutes=2))
            server.events.publish(
                COMMUNICATION_STOPPED, f"cameras/{ENTRANCE}", start + timedelta(hours=2)
            )
            span = TimeSpan(start, start + timedelta(hours=1))
            server.counters.requests.clear()
            found = await backend.events_between(ENTRANCE, span)
            assert [e.time.minute for e in found] == [1, 3, 5, 7, 9]
            assert {e.type for e in found} == {"motion started"}
            pages = [r for r in server.counters.requests if r.startswith("GET /api/rest/v1/events")]
            assert len(pages) == 3
            everyone = await backend.events_between(None, span)
            assert [e.time.minute for e in everyone] == [1, 2, 3, 5, 7, 9]

    run(scenario)


def test_a_user_defined_event_is_created_triggered_seen_on_the_socket_renamed_and_deleted():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            await ready(backend)
            events = backend.events()
            made = await backend.create_user_defined_event("Door forced")
            assert made.name == "Door forced"
            assert await backend.user_defined_events() == (made,)
            answered = await backend.trigger_event(made.id)
            (pushed,) = await take(events, 1)
            assert answered is not None and pushed.id == answered.id
            assert pushed.type == made.id
            assert pushed.description == f"userDefinedEvents/{made.id}"
            renamed = await backend.rename_user_defined_event(made.id, "Door held open")
            assert (renamed.id, renamed.name) == (made.id, "Door held open")
            await backend.delete_user_defined_event(made.id)
            assert await backend.user_defined_events() == ()
            with pytest.raises(NotSupportedError, match="unknown event type"):
                await backend.trigger_event(made.id)

    run(scenario)


def test_a_camera_event_is_triggered_with_its_source_and_an_unknown_type_is_refused():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            await ready(backend)
            events = backend.events()
            answered = await backend.trigger_event(MOTION_STARTED, ENTRANCE)
            (pushed,) = await take(events, 1)
            assert answered == pushed
            assert pushed.camera is not None and pushed.camera.camera_id == ENTRANCE
            with pytest.raises(NotSupportedError, match="unknown event type"):
                await backend.trigger_event("00000000-0000-0000-0000-000000000001", ENTRANCE)

    run(scenario)


@pytest.mark.parametrize("release", ["2024 R2", "2025 R2"])
def test_the_token_may_come_in_the_authenticate_command_from_2024_r2(release):
    async def scenario():
        async with serving(simulator(release=release)) as server, connected(server) as backend:
            await ready(backend)
            await backend._events.stop()
            socket = backend._events.start(token_in_band=True)
            await ready(backend)
            assert socket.error is None
            server.events.set_communication(ENTRANCE, online=False)
            await until(lambda: socket.statuses[ENTRANCE] is CameraStatus.OFFLINE)

    run(scenario)


def test_a_2023_r3_gateway_refuses_a_socket_without_a_token_on_the_upgrade():
    async def scenario():
        async with serving(simulator(release="2023 R3")) as server, connected(server) as backend:
            await ready(backend)
            await backend._events.stop()
            socket = backend._events.start(token_in_band=True)
            await until(lambda: socket.error is not None)
            assert "HTTP 401" in str(socket.error)
            assert not socket.connected.is_set()

    run(scenario)


def test_a_site_opened_again_keeps_one_events_socket_not_two():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            await ready(backend)
            # As a site retried after its tree failed: open() without a close() between.
            await backend.open()
            await ready(backend)
            await asyncio.sleep(0.5)
            assert server.events.open_sockets == 1

    run(scenario)
