"""The events panel's feed against the simulated sites: newest first, a page at a time
from the end of the span backwards, live pushes on top, each event once, a site that
fails or keeps no events named rather than hiding the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from tests.integration.backends.gateway import rest
from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator, until
from viewer.core.errors import UnreachableError
from viewer.core.models import CameraRef, TimeSpan
from viewer.demo.clockface import read_instant
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.events import MOTION_STARTED
from viewer.media.frames import VideoImage
from viewer.services.directory import Directory, SiteSession
from viewer.services.event_feed import EventFeed
from viewer.services.thumbnails import Thumbnails

ENTRANCE, YARD, DOCK = (CAMERAS[key].id for key in ("cam01", "cam02", "cam03"))


def ref(camera_id: str, site: str = "xp") -> CameraRef:
    return CameraRef(site, camera_id)


async def directory_of(*backends) -> Directory:
    directory = Directory()
    for backend in backends:
        await directory.add(SiteSession(backend))
    return directory


def burned_in(image: VideoImage) -> datetime | None:
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return read_instant(rows[:, : image.width])


def test_the_newest_page_comes_first_and_scrolling_brings_every_older_event_once():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
            span = TimeSpan(end - timedelta(hours=6), end)
            # One event every 3 minutes on two cameras over six hours, and the third
            # camera's events, which the operator did not select.
            published = []
            for i in range(120):
                at = end - timedelta(minutes=3 * i)
                camera = (ENTRANCE, YARD)[i % 2]
                published.append((camera, at))
                server.events.publish(MOTION_STARTED, f"cameras/{camera}", at)
                server.events.publish(MOTION_STARTED, f"cameras/{DOCK}", at)
            directory = await directory_of(backend)
            feed = EventFeed(directory, [ref(ENTRANCE), ref(YARD)], span, page=30)

            added = await feed.more()
            first = feed.items
            assert added == len(first) >= 30
            # Only the newest part of the span was asked for.
            assert not feed.exhausted and len(first) < 120
            assert [item.event.time for item in first] == sorted(
                (at for _, at in published), reverse=True
            )[: len(first)]
            assert {item.camera_name for item in first} == {
                CAMERAS["cam01"].name,
                CAMERAS["cam02"].name,
            }

            while not feed.exhausted:
                await feed.more()
            assert sorted((i.camera.camera_id, i.event.time) for i in feed.items) == sorted(
                published
            )
            assert not feed.problems
            await feed.close()

    run(scenario)


def test_an_event_on_a_chunk_boundary_is_not_lost_between_two_pages():
    """XProtect's Events REST filters with gt/lt: both ends of a request exclusive."""

    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
            span = TimeSpan(end - timedelta(hours=3), end)
            for hours in (0, 1, 2, 3):
                server.events.publish(
                    MOTION_STARTED, f"cameras/{ENTRANCE}", end - timedelta(hours=hours)
                )
            feed = EventFeed(
                await directory_of(backend),
                [ref(ENTRANCE)],
                span,
                page=1,
                first_chunk=timedelta(hours=1),
            )
            while not feed.exhausted:
                await feed.more()
            assert [item.event.time for item in feed.items] == [
                end - timedelta(hours=hours) for hours in (0, 1, 2, 3)
            ]
            await feed.close()

    run(scenario)


def test_a_pushed_event_goes_on_top_with_the_cameras_snapshot_and_is_not_repeated_from_storage():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            now = datetime.now(UTC)
            old = now - timedelta(minutes=20)
            server.events.publish(MOTION_STARTED, f"cameras/{ENTRANCE}", old)
            feed = EventFeed(
                await directory_of(backend),
                [ref(ENTRANCE)],
                TimeSpan(now - timedelta(hours=1), now),
                thumbnails=Thumbnails((320, 180)),
            )
            told: list[int] = []
            feed.subscribe(lambda: told.append(len(feed.items)))
            feed.start()
            await feed.more()
            assert [item.live for item in feed.items] == [False]
            await until(backend._events.live().connected.is_set)
            server.events.publish(MOTION_STARTED, f"cameras/{YARD}")  # not selected
            pushed = server.events.publish(MOTION_STARTED, f"cameras/{ENTRANCE}")
            await until(lambda: len(feed.items) == 2)
            top = feed.items[0]
            assert top.live and top.event.time == pushed.time
            # The snapshot of the moment it was heard: a JPEG from the VMS.
            await until(lambda: feed.thumbnail(top) is not None)
            picture = feed.thumbnail(top)
            assert isinstance(picture, bytes) and picture[:2] == b"\xff\xd8"
            assert told, "the panel was told"
            await feed.close()

            # Read back from storage, the pushed event is the same entry.
            again = EventFeed(
                await directory_of(backend),
                [ref(ENTRANCE)],
                TimeSpan(now - timedelta(hours=1), datetime.now(UTC)),
            )
            again._add(top)
            await again.more()
            assert [item.event.time for item in again.items] == [pushed.time, old]
            await again.close()

    run(scenario)


def test_a_stored_events_thumbnail_is_the_recorded_picture_of_its_instant():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            at = recorded_instant(hours_ago=3)
            server.events.publish(MOTION_STARTED, f"cameras/{ENTRANCE}", at)
            feed = EventFeed(
                await directory_of(backend),
                [ref(ENTRANCE)],
                TimeSpan(at - timedelta(minutes=10), at + timedelta(minutes=10)),
                thumbnails=Thumbnails((640, 360)),
            )
            await feed.more()
            (item,) = feed.items
            picture = await feed.fetch_thumbnail(item)
            assert isinstance(picture, VideoImage)
            shown = burned_in(picture)
            assert shown is not None and abs(shown - at) < timedelta(seconds=1)
            assert feed.thumbnail(item) is picture
            await feed.close()

    run(scenario)


def test_sites_are_merged_and_one_that_fails_or_keeps_no_events_is_named_not_fatal():
    async def scenario():
        now = datetime.now(UTC).replace(microsecond=0)
        span = TimeSpan(now - timedelta(hours=2), now)
        async with (
            serving(simulator()) as server,
            connected(server) as xprotect,
            rest.serving(rest.simulator()) as gateway_server,
            rest.connected(gateway_server) as gateway,
            nvr.serving() as mibee_server,
            nvr.connected(mibee_server) as mibee,
        ):
            server.events.publish(
                MOTION_STARTED, f"cameras/{ENTRANCE}", now - timedelta(minutes=30)
            )
            gateway_server.events.append(
                {
                    "eventId": "evt-old",
                    "type": "motion.detected",
                    "cameraId": rest.CAM01,
                    "timestamp": (now - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "description": "Loading bay",
                }
            )
            directory = await directory_of(xprotect, gateway, mibee)
            cameras = [ref(ENTRANCE), ref(rest.CAM01, "gw"), ref("cam01", "nvr")]
            feed = EventFeed(directory, cameras, span)
            await feed.more()
            assert [(i.camera.site_id, i.event.type) for i in feed.items] == [
                ("gw", "motion.detected"),
                ("xp", "motion started"),
            ]
            assert feed.items[0].event.description == "Loading bay"
            assert feed.silent_sites == {"nvr"}
            await feed.close()

            await gateway_server.stop()
            feed = EventFeed(directory, cameras, span)
            await feed.more()
            assert [i.camera.site_id for i in feed.items] == ["xp"]
            assert isinstance(feed.problems.get("gw"), UnreachableError)
            await feed.close()

    run(scenario)
