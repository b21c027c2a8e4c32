"""The MiBee backend against the simulated NVR over loopback: login and tokens, the
camera list, status, PTZ, recordings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.backends.mibee.nvr import PASSWORD, USER, connected, sent, serving, until
from viewer.core.errors import AuthenticationError, NotSupportedError, RateLimitedError
from viewer.core.models import CameraStatus, TimeSpan


def test_login_gives_a_session_token_sent_as_bearer():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            tree = await backend.camera_tree()
            assert backend.token is not None and backend.token.startswith("mbs_")
            ((status, headers),) = sent(server, "/api/cameras")
            assert status == 200
            assert headers["authorization"] == f"Bearer {backend.token}"
            assert [c.ref.camera_id for c in tree.cameras] == [f"cam0{n}" for n in range(1, 9)]
            assert tree.cameras[3].ptz and not tree.cameras[0].ptz

    asyncio.run(scenario())


def test_a_renewed_token_in_a_reply_is_used_from_then_on():
    async def scenario():
        options = {"token_lifetime": 600.0, "renew_under": 900.0}
        async with serving(**options) as server, connected(server) as backend:
            first = backend.token
            await backend.camera_tree()
            renewed = backend.token
            assert renewed != first and renewed in server.sessions
            await backend.camera_tree()
            (_, second) = sent(server, "/api/cameras")[1]
            assert second["authorization"] == f"Bearer {renewed}"
            assert server.logins == 1

    asyncio.run(scenario())


def test_tokens_voided_by_the_server_log_in_again_once():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            server.void_tokens()
            tree = await backend.camera_tree()
            assert len(tree.cameras) == 8
            assert server.logins == 2
            assert [s for s, _ in sent(server, "/api/cameras")] == [401, 200]

    asyncio.run(scenario())


def test_an_unchanged_camera_list_is_a_304_and_the_tree_stays():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            first = await backend.camera_tree()
            second = await backend.camera_tree()
            assert second is first
            (_, headers) = sent(server, "/api/cameras")[1]
            assert headers["if-none-match"]
            assert [s for s, _ in sent(server, "/api/cameras")] == [200, 304]
            server.set_status("cam03", "error")
            third = await backend.camera_tree()
            assert third.cameras[2].status is CameraStatus.ERROR

    asyncio.run(scenario())


def test_an_old_server_without_the_login_endpoint_takes_basic():
    async def scenario():
        async with serving() as server:
            server.login_endpoint = False
            async with connected(server) as backend:
                assert backend.basic_only and backend.token is None
                assert len((await backend.camera_tree()).cameras) == 8
                ((status, headers),) = sent(server, "/api/cameras")
                assert status == 200 and headers["authorization"].startswith("Basic ")

    asyncio.run(scenario())


def test_setup_required_is_said_in_words():
    async def scenario():
        async with serving() as server:
            server.setup_required = True
            with pytest.raises(NotSupportedError, match="no password set yet"):
                async with connected(server):
                    pass

    asyncio.run(scenario())


def test_a_wrong_password_is_refused_then_rate_limited():
    async def scenario():
        async with serving(max_failures=2) as server:
            for _ in range(2):
                with pytest.raises(AuthenticationError):
                    async with connected(server, password="wrong"):
                        pass
            with pytest.raises(RateLimitedError):
                async with connected(server):
                    pass

    asyncio.run(scenario())


def test_a_status_change_on_the_event_stream_reaches_the_listener():
    async def scenario():
        async with serving(ping_interval=0.2) as server, connected(server) as backend:
            heard: list[tuple[str, CameraStatus]] = []
            backend.watch_camera_status(lambda camera, status: heard.append((camera, status)))
            await until(lambda: backend.via_events and server.events.listeners == 1)
            server.set_status("cam02", "reconnecting")
            await until(lambda: ("cam02", CameraStatus.OFFLINE) in heard)
            server.set_status("cam02", "recording")
            await until(lambda: heard[-1] == ("cam02", CameraStatus.ONLINE))

    asyncio.run(scenario())


def test_without_the_event_stream_statuses_are_polled_with_the_etag():
    async def scenario():
        async with serving() as server:
            server.sse_available = False
            async with connected(server, poll_every=0.1) as backend:
                heard: list[tuple[str, CameraStatus]] = []
                backend.watch_camera_status(lambda camera, status: heard.append((camera, status)))
                await until(lambda: 304 in [s for s, _ in sent(server, "/api/cameras")])
                server.set_status("cam05", "offline")
                await until(lambda: ("cam05", CameraStatus.OFFLINE) in heard)
                assert not backend.via_events

    asyncio.run(scenario())


def test_ptz_moves_are_sent_in_the_servers_mode_form():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            await backend.ptz_move("cam04", 0.5, -0.25, 0.0)
            assert server.ptz.moves[-1] == {
                "camera": "cam04",
                "mode": "continuous",
                "pan": 0.5,
                "tilt": -0.25,
                "zoom": 0.0,
            }
            assert (await backend.ptz_state("cam04")).moving
            await backend.ptz_stop("cam04")
            assert not (await backend.ptz_state("cam04")).moving
            await backend.ptz_goto_preset("cam04", "preset_2")
            position = await backend.ptz_position("cam04")
            assert (position.pan, position.tilt) == (0.5, 0.3)
            token = await backend.ptz_create_preset("cam04", "Gate")
            assert "Gate" in [p.name for p in await backend.ptz_presets("cam04")]
            await backend.ptz_delete_preset("cam04", token)
            with pytest.raises(NotSupportedError):
                await backend.ptz_move("cam01", 0.5, 0, 0)

    asyncio.run(scenario())


def test_the_simulator_takes_the_wikis_x_y_body_too():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            async with httpx.AsyncClient(base_url=server.url, auth=(USER, PASSWORD)) as raw:
                answer = await raw.post("/api/cameras/cam08/ptz/move", json={"x": 0.2, "y": 0.4})
            assert answer.json() == {"status": "ok"}
            position = await backend.ptz_position("cam08")
            assert (position.pan, position.tilt) == (0.2, 0.4)

    asyncio.run(scenario())


def test_a_day_of_recordings_has_its_gaps():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            now = datetime.now(UTC)
            span = TimeSpan(now - timedelta(hours=12), now)
            timeline = await backend.timeline("cam01", span)
            assert len(timeline.segments) >= 3
            for before, after in zip(timeline.segments, timeline.segments[1:], strict=False):
                assert after.span.start - before.span.end >= timedelta(minutes=20)
            page = await backend.recordings("cam01", span, limit=5)
            assert len(page.recordings) == 5 and page.next_cursor == "5"
            assert all(r.camera_id == "cam01" for r in page.recordings)
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            today = await backend.timeline("cam01", TimeSpan(midnight, now))
            gaps = await backend.gaps("cam01", now.strftime("%Y-%m-%d"))
            holes = zip(today.segments, today.segments[1:], strict=False)
            assert [(g.start, g.end) for g in gaps] == [
                (before.span.end, after.span.start) for before, after in holes
            ]

    asyncio.run(scenario())


def test_snapshot():
    async def scenario():
        async with serving() as server, connected(server) as backend:
            picture = await backend.snapshot("cam01", 640, 360)
            assert picture[:2] == b"\xff\xd8"

    asyncio.run(scenario())
