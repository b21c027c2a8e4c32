"""The demo site offers its simulated MiBee NVR, and a status change on the NVR's event
stream reaches the camera tree through the services."""

from __future__ import annotations

import asyncio

from tests.integration.backends.mibee.nvr import PASSWORD, SITE, USER, serving, until
from viewer.backends.mibee.backend import MibeeBackend
from viewer.core.models import CameraStatus, Quality
from viewer.demo.mibee.server import CAMERAS
from viewer.demo.serve import format_line
from viewer.services.directory import Directory, SiteSession


def test_serve_demo_lists_the_nvr_with_its_login_and_it_serves_eight_cameras(demo_site):
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "mibee"]
    assert entry["url"] == demo_site.site.mibee.url
    assert entry["url"].startswith("http://127.0.0.1:")
    assert f"user {entry['user']}  password {entry['password']}" in format_line(entry)

    async def scenario():
        backend = MibeeBackend(SITE, entry["url"], entry["user"], entry["password"])
        await backend.open()
        try:
            tree = await backend.camera_tree()
            live = await backend.live("cam01", Quality.MAIN)
        finally:
            await backend.close()
        assert [c.name for c in tree.cameras] == [c.name for c in CAMERAS]
        assert live.url == demo_site.site.rtsp.url("cam01", "main").replace(
            "rtsp://", "rtsp://demo:demo@", 1
        )

    asyncio.run(scenario())


def test_a_status_change_on_the_event_stream_reaches_the_tree():
    async def scenario():
        async with serving(ping_interval=0.2) as server:
            directory = Directory()
            told: list[str] = []
            directory.subscribe_statuses(told.append)
            backend = MibeeBackend(SITE, server.url, USER, PASSWORD)
            await directory.add(SiteSession(backend))
            try:
                await until(lambda: backend.via_events and server.events.listeners == 1)
                server.set_status("cam06", "offline")

                def status() -> CameraStatus:
                    session = directory.session(SITE.id)
                    assert session is not None
                    (camera,) = [c for c in session.tree.cameras if c.ref.camera_id == "cam06"]
                    return camera.status

                await until(lambda: status() is CameraStatus.OFFLINE)
                assert SITE.id in told
            finally:
                await directory.close()

    asyncio.run(scenario())
