"""Quitting during playback: the console owns the window's playback session, so the
players following its clock are stopped and joined like the hub's live ones, and no
decode thread outlives the quit."""

from __future__ import annotations

import asyncio
import threading

from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.integration.services.test_playback_session import HALL, burned_in, sites
from viewer.services.camera_view import CameraView
from viewer.services.console import Console


def decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("player ", "catch-up "))]


def test_no_decode_thread_survives_quit_after_playback(demo_site, tmp_path, memory_keyring):
    async def scenario():
        async with sites(demo_site) as (_server, directory):
            console = Console(tmp_path / "settings.json")
            # The window's tiles, as the grid holds them; the site is the test's.
            console.directory = directory
            views = [CameraView(directory, console.hub, HALL)]
            session = console.playback_session(lambda: views, lambda: views[0])
            await views[0].set_box(640, 360)
            at = recorded_instant(hours_ago=4)
            await session.seek(at)
            async with asyncio.timeout(20):
                while (image := views[0].take()) is None or burned_in(image) is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert decode_threads()
            # Quit as the app does: the console stops (the window gave no close of its own).
            await console.stop()
            assert decode_threads() == []
            views[0].close()

    asyncio.run(scenario())
