"""The REST gateway backend against the simulated gateway over loopback: logins, the
capability probe, rate limits, paging, the tree, events, PTZ and exports."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import av
import pytest

from tests.integration.backends.gateway.rest import (
    CAM01,
    CAM03,
    CAM07,
    CAM08,
    PASSWORD,
    connected,
    requests,
    run,
    serving,
    simulator,
    until,
)
from viewer.core.errors import (
    AuthenticationError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    UnreachableError,
)
from viewer.core.models import CameraStatus, PtzDirection, PtzPosition, Quality, TimeSpan


def test_a_token_login_gives_the_tree_with_groups_and_ungrouped_cameras_at_the_root():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            tree = await backend.camera_tree()
            assert not backend.basic_auth
            assert server.counters.logins == 1
            assert [g.name for g in tree.groups] == ["Entrances", "Car parks", "Yards"]
            entrances, car_parks, _ = tree.groups
            assert [c.name for c in entrances.cameras] == [
                "Main entrance",
                "Reception lobby",
                "Staff entrance",
            ]
            assert CAM07 in {c.ref.camera_id for c in car_parks.cameras}
            assert [c.ref.camera_id for c in tree.cameras] == [CAM08]
            assert len(tree.all_cameras()) == 8
            assert next(c for c in tree.all_cameras() if c.ref.camera_id == CAM01).ptz

    run(scenario)


def test_a_gateway_without_the_login_endpoint_is_used_with_basic_auth():
    async def scenario():
        server = simulator()
        server.switched_off.add("login")
        async with serving(server), connected(server) as backend:
            assert backend.basic_auth
            assert len((await backend.camera_tree()).all_cameras()) == 8
            assert server.counters.logins == 0
            assert not requests(server, " 401")

    run(scenario)


def test_a_wrong_password_is_an_authentication_error_in_the_gateways_words():
    async def scenario():
        async with serving(simulator()) as server:
            with pytest.raises(AuthenticationError, match="Invalid username or password"):
                async with connected(server, password="wrong"):
                    pass

    run(scenario)


def test_the_token_is_renewed_before_it_ends_and_after_the_gateway_forgets_it():
    async def scenario():
        async with serving(simulator(token_lifetime=1.0)) as server, connected(server) as b:
            await asyncio.sleep(0.6)  # past half its life: the next request logs in first
            await b.camera_tree()
            assert server.counters.logins == 2
            server.void_tokens()
            await b.camera_tree()
            assert server.counters.logins == 3
            assert len(requests(server, "/cameras?limit=100&offset=0 401")) == 1

    run(scenario)


def test_the_probe_switches_off_what_answers_404():
    async def scenario():
        server = simulator()
        server.switched_off |= {"ptz", "snapshot", "groups"}
        async with serving(server), connected(server) as backend:
            capabilities = backend.capabilities
            assert not capabilities.ptz and not capabilities.presets
            assert not capabilities.snapshot
            assert capabilities.timeline and capabilities.playback and capabilities.events
            with pytest.raises(NotSupportedError):
                await backend.ptz_presets(CAM01)
            tree = await backend.camera_tree()
            assert tree.groups == () and len(tree.cameras) == 8

    run(scenario)


def test_every_feature_is_there_when_nothing_answers_404():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            c = backend.capabilities
            assert (c.ptz, c.presets, c.snapshot, c.timeline, c.playback, c.events) == (True,) * 6

    run(scenario)


def test_the_camera_list_is_paged_by_limit_and_offset():
    async def scenario():
        async with serving(simulator()) as server, connected(server, page_size=3) as backend:
            tree = await backend.camera_tree()
            assert len(tree.all_cameras()) == 8
            pages = [line.split("?")[1] for line in requests(server, "GET /api/rest/v1/cameras?")]
            assert pages[-3:] == [
                "limit=3&offset=0 200",
                "limit=3&offset=3 200",
                "limit=3&offset=6 200",
            ]

    run(scenario)


def test_a_429_on_the_camera_list_is_waited_out_as_retry_after_says():
    async def scenario():
        server = simulator(rate_limit=3, rate_window=1.0)
        async with serving(server), connected(server) as backend:
            for _ in range(3):
                await backend.camera_tree()
            listed = requests(server, "/cameras?limit=100&offset=0")
            assert [line.rsplit(" ", 1)[1] for line in listed] == ["200", "200", "429", "200"]

    run(scenario)


def test_a_429_longer_than_the_backend_waits_is_raised_with_retry_after():
    async def scenario():
        server = simulator(rate_limit=2, rate_window=60.0)
        async with serving(server), connected(server, max_wait=5.0) as backend:
            await backend.camera_tree()
            with pytest.raises(RateLimitedError, match="RATE_LIMIT_EXCEEDED") as caught:
                await backend.camera_tree()
            assert caught.value.retry_after is not None and caught.value.retry_after > 5

    run(scenario)


def test_a_rate_limited_ptz_move_is_raised_at_once():
    """Even when the wait is short enough for a GET to wait it out."""

    async def scenario():
        server = simulator(rate_limit=2, rate_window=3.0)
        async with serving(server), connected(server, max_wait=5.0) as backend:
            await backend.ptz_step(CAM01, PtzDirection.LEFT)  # the probe made the first
            with pytest.raises(RateLimitedError) as caught:
                await backend.ptz_step(CAM01, PtzDirection.LEFT)
            assert caught.value.retry_after is not None
            assert len(requests(server, "/ptz/relative 429")) == 1

    run(scenario)


def test_camera_offline_on_the_socket_reaches_watch_camera_status_and_events():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            seen: list[tuple[str, CameraStatus]] = []
            backend.watch_camera_status(lambda camera, status: seen.append((camera, status)))
            pushed = backend.events()
            await until(lambda: server.socket.subscribers == 1)
            server.set_online(CAM03, False)
            event = await asyncio.wait_for(anext(pushed), 10)
            assert (event.type, event.camera.camera_id) == ("camera.offline", CAM03)
            assert seen == [(CAM03, CameraStatus.OFFLINE)]
            with pytest.raises(UnreachableError, match="CAMERA_OFFLINE"):
                await backend.live(CAM03, Quality.MAIN)
            offline = next(
                c for c in (await backend.camera_tree()).all_cameras() if c.ref.camera_id == CAM03
            )
            assert offline.status is CameraStatus.OFFLINE
            server.set_online(CAM03, True)
            await until(lambda: len(seen) == 2)
            assert seen[-1] == (CAM03, CameraStatus.ONLINE)
            await pushed.aclose()

    run(scenario)


def test_the_socket_comes_back_after_a_drop():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            seen: list[tuple[str, CameraStatus]] = []
            backend.watch_camera_status(lambda camera, status: seen.append((camera, status)))
            await until(lambda: server.socket.subscribers == 1)
            server.socket.drop()
            await until(lambda: server.socket.subscribers == 0)
            await until(lambda: server.socket.subscribers == 1)
            server.set_online(CAM01, False)
            await until(lambda: seen == [(CAM01, CameraStatus.OFFLINE)])

    run(scenario)


def test_stored_events_of_a_span():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.publish(CAM01, "motion", "Motion detected in zone 1")
            server.publish(CAM07, "tampering")
            now = datetime.now(UTC)
            span = TimeSpan(now - timedelta(minutes=5), now + timedelta(minutes=1))
            (motion,) = await backend.events_between(CAM01, span)
            assert (motion.type, motion.description) == ("motion", "Motion detected in zone 1")

    run(scenario)


def test_ptz_absolute_relative_and_presets_move_the_simulated_head():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            state = server.ptz[CAM01]
            await backend.ptz_move_to(CAM01, PtzPosition(0.5, -0.5, 0.0))
            assert (state.pan, state.tilt, state.zoom) == (90.0, -45.0, 1.0)
            await backend.ptz_step(CAM01, PtzDirection.UP_RIGHT)
            assert (state.pan, state.tilt) == (100.0, -35.0)
            position = await backend.ptz_position(CAM01)
            assert position.pan == pytest.approx(100 / 180)
            presets = await backend.ptz_presets(CAM01)
            assert [p.name for p in presets] == ["Main Entrance View", "Parking Area"]
            await backend.ptz_goto_preset(CAM01, presets[1].id)
            assert (state.pan, state.tilt, state.zoom) == (90.0, 15.0, 2.0)
            with pytest.raises(NotSupportedError, match="Camera does not support PTZ"):
                await backend.ptz_step(CAM08, PtzDirection.LEFT)

    run(scenario)


def test_an_export_job_is_polled_until_its_file_is_ready():
    async def scenario():
        async with serving(simulator()) as server, connected(server, export_poll=0.05) as b:
            now = datetime.now(UTC)
            url = await b.export_recording(CAM01, TimeSpan(now - timedelta(hours=1), now))
            assert url.startswith(server.url) and url.endswith("/download")
            polls = requests(server, "GET /api/rest/v1/recordings/export/exp-")
            assert len(polls) >= 3  # queued, processing, completed

    run(scenario)


def test_an_export_answering_404_switches_exports_off():
    async def scenario():
        server = simulator()
        server.switched_off.add("export")
        async with serving(server), connected(server) as backend:
            now = datetime.now(UTC)
            with pytest.raises(NotSupportedError):
                await backend.export_recording(CAM01, TimeSpan(now - timedelta(hours=1), now))
            assert not backend.capabilities.export

    run(scenario)


def test_a_snapshot_is_a_jpeg_of_the_size_asked():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            picture = await backend.snapshot(CAM01, 320, 180)
            with av.open(io.BytesIO(picture)) as container:
                frame = next(container.decode(video=0))
            assert (frame.width, frame.height) == (320, 180)

    run(scenario)


def test_the_timeline_has_the_recordings_gaps():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            now = datetime.now(UTC)
            span = TimeSpan(now - timedelta(days=1), now)
            timeline = await backend.timeline(CAM01, span)
            assert len(timeline.segments) >= 2
            for before, after in zip(timeline.segments, timeline.segments[1:], strict=False):
                assert before.span.end < after.span.start

    run(scenario)


def test_an_unknown_camera_is_not_found_in_the_gateways_words():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            with pytest.raises(NotFoundError, match="CAMERA_NOT_FOUND"):
                await backend.live("no-such-camera", Quality.MAIN)

    run(scenario)


def test_the_password_is_only_in_the_stream_url_and_masked_in_its_repr():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            stream = await backend.live(CAM01, Quality.SUB)
            assert PASSWORD not in repr(stream) and PASSWORD in stream.url
            assert stream.display_url.endswith(f"/live/{CAM01}?stream=2")

    run(scenario)
