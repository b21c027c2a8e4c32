"""Bookmarks an operator makes: the VMS's own on XProtect, kept in the settings file on a
site that keeps none (a REST gateway, an XProtect before 2024 R2), and both kinds
returned together for the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.backends.gateway import rest
from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator
from viewer.core.models import CameraRef, TimeSpan
from viewer.demo.milestone.directory import CAMERAS
from viewer.services.bookmarks import Bookmarks, is_local
from viewer.services.directory import Directory, SiteSession
from viewer.services.settings import Settings, SettingsStore

FRONT = CAMERAS["cam01"].id
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def span(start_minutes: float, end_minutes: float) -> TimeSpan:
    return TimeSpan(NOON + timedelta(minutes=start_minutes), NOON + timedelta(minutes=end_minutes))


async def directory_of(*backends) -> Directory:
    directory = Directory()
    for backend in backends:
        await directory.add(SiteSession(backend))
    return directory


def test_on_xprotect_a_bookmark_is_the_sites_own_and_nothing_is_kept_locally(tmp_path):
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            settings, store = Settings(), SettingsStore(tmp_path / "settings.json")
            bookmarks = Bookmarks(settings, store, await directory_of(backend))
            camera = CameraRef("xp", FRONT)
            assert bookmarks.kept_by_site(camera)
            made = await bookmarks.create(camera, span(0, 0), "Van at the gate", "white, no plate")
            assert not is_local(made)
            assert server.bookmarks.bookmarks[made.id]["devicePath"] == {
                "type": "cameras",
                "id": FRONT,
            }
            assert settings.bookmarks == []
            assert await bookmarks.bookmarks(camera, span(-5, 5)) == (made,)
            await bookmarks.delete(made)
            assert made.id not in server.bookmarks.bookmarks

    run(scenario)


def test_elsewhere_it_is_kept_in_the_settings_file_and_returned_with_the_sites_own(tmp_path):
    async def scenario():
        path = tmp_path / "settings.json"
        async with (
            serving(simulator(release="2023 R3")) as old_server,
            connected(old_server) as old_xprotect,
            rest.serving(rest.simulator()) as gateway_server,
            rest.connected(gateway_server) as gateway,
        ):
            settings = Settings()
            bookmarks = Bookmarks(
                settings, SettingsStore(path), await directory_of(old_xprotect, gateway)
            )
            told: list[int] = []
            bookmarks.subscribe(lambda: told.append(1))
            dock = CameraRef("gw", rest.CAM01)
            old = CameraRef("xp", FRONT)
            assert not bookmarks.kept_by_site(dock) and not bookmarks.kept_by_site(old)
            kept = await bookmarks.create(dock, span(0, 4), "Forklift", "near miss")
            on_old = await bookmarks.create(old, span(1, 1), "Door")
            assert is_local(kept) and is_local(on_old) and told
            # On disk before create() returned: a restart finds them.
            again = SettingsStore(path).load()
            assert again.bookmarks == [kept, on_old]
            # The timeline of the dock camera, over a span that touches the bookmark.
            assert await bookmarks.bookmarks(dock, span(4, 10)) == (kept,)
            assert bookmarks.local(dock, span(5, 10)) == ()
            await bookmarks.delete(kept)
            assert SettingsStore(path).load().bookmarks == [on_old]

    run(scenario)
