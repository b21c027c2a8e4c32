"""The timeline's data feed against the simulated sites: each camera's recordings, gaps
and events over the visible span, fetched in reusable chunks, and a plain RTSP camera
that says it records nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.integration.backends.gateway import rest
from tests.integration.backends.mibee import nvr
from tests.integration.backends.milestone import xprotect
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.backends.rtsp.backend import RtspBackend, RtspCamera
from viewer.core.models import CameraRef, Site, TimeSpan
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.recordings import recorded_spans
from viewer.services.directory import Directory, SiteSession
from viewer.services.timeline_feed import RowState, TimelineFeed

LOCAL = Site("local", "My cameras", "rtsp")
MIBEE_CAM = CameraRef(nvr.SITE.id, "cam01")
GATEWAY_CAM = CameraRef(rest.SITE.id, rest.CAM01)
RTSP_CAM = CameraRef(LOCAL.id, "door")
TIMELINE = "/api/recordings/timeline"
FRONT = next(iter(CAMERAS.values())).id


def rule(span: TimeSpan) -> tuple[TimeSpan, ...]:
    """What the simulators record over ``span``: the demo recorder's rule."""
    return tuple(TimeSpan(a, b) for a, b in recorded_spans(span.start, span.end, span.end))


def asked(server) -> int:
    return sum(1 for _, path, _, _ in server.requests if path == TIMELINE)


def hour_before(now: datetime, hours: int, minute: int = 0) -> datetime:
    top = now.replace(minute=0, second=0, microsecond=0)
    return top - timedelta(hours=hours) + timedelta(minutes=minute)


async def settled(feed: TimelineFeed):
    async with asyncio.timeout(30):  # only stops a broken test from hanging
        return await feed.settled()


def test_each_camera_gets_its_recordings_and_events_and_a_plain_rtsp_camera_says_it_has_none():
    async def scenario() -> None:
        gateway = rest.simulator()
        async with nvr.serving() as mibee, rest.serving(gateway):
            directory = Directory()
            await directory.add(
                SiteSession(nvr.MibeeBackend(nvr.SITE, mibee.url, nvr.USER, nvr.PASSWORD))
            )
            await directory.add(
                SiteSession(rest.GatewayBackend(rest.SITE, gateway.url, rest.USER, rest.PASSWORD))
            )
            door = RtspCamera("door", "Front door", "rtsp://127.0.0.1:1/door")
            await directory.add(SiteSession(RtspBackend(LOCAL, [door], lambda _: None)))
            motion = gateway.publish(rest.CAM01, "motion", "Person at the gate")
            feed = TimelineFeed(directory, debounce=0.05)
            try:
                # The gateway writes whole seconds; the event was stamped by now.
                now = datetime.now(UTC).replace(microsecond=0)
                span = TimeSpan(now - timedelta(hours=7), now)
                gone = CameraRef("gone", "cam01")
                feed.show([MIBEE_CAM, GATEWAY_CAM, RTSP_CAM, gone], span)
                nvr_row, gateway_row, door_row, gone_row = await settled(feed)
                # Both sites call cam01 "Main entrance": each row names its site too.
                assert (nvr_row.name, gateway_row.name) == (
                    f"Main entrance · {nvr.SITE.name}",
                    f"Main entrance · {rest.SITE.name}",
                )
            finally:
                await feed.close()
                await directory.close()
        assert nvr_row.state is RowState.READY
        assert nvr_row.recorded == rule(span)
        assert len(nvr_row.recorded) >= 2  # the rule leaves a gap every three hours
        assert gateway_row.state is RowState.READY
        assert gateway_row.recorded == rule(span)
        assert [(e.type, e.description) for e in gateway_row.events] == [
            ("motion", motion["description"])
        ]
        assert (door_row.state, door_row.name, door_row.recorded) == (
            RowState.NO_RECORDINGS,
            "Front door",
            (),
        )
        assert gone_row.state is RowState.UNAVAILABLE and gone_row.problem is not None

    asyncio.run(scenario())


def test_panning_and_zooming_reuse_what_was_fetched():
    async def scenario() -> None:
        async with nvr.serving() as mibee:  # which keeps a day of recordings
            directory = Directory()
            await directory.add(
                SiteSession(nvr.MibeeBackend(nvr.SITE, mibee.url, nvr.USER, nvr.PASSWORD))
            )
            feed = TimelineFeed(directory, debounce=0.05)
            try:
                now = datetime.now(UTC)
                start = hour_before(now, 14, minute=10)
                hour = timedelta(hours=1)

                async def view(begin: datetime, length: timedelta) -> int:
                    before = asked(mibee)
                    span = TimeSpan(begin, begin + length)
                    feed.show([MIBEE_CAM], span)
                    (row,) = await settled(feed)
                    assert row.state is RowState.READY
                    assert row.recorded == rule(span)
                    return asked(mibee) - before

                # An hour from xx:10 meets two hour-long chunks.
                assert await view(start, hour) == 2
                # Twenty minutes later it still lies in them.
                assert await view(start + timedelta(minutes=20), hour) == 0
                # An hour later, only the chunk it newly meets is asked for.
                assert await view(start + hour, hour) == 1
                # Zoomed out to six hours: coarser chunks, asked once...
                wide = await view(hour_before(now, 22), 6 * hour)
                assert 1 <= wide <= 2
                # ...which then serve every hour inside them.
                assert await view(hour_before(now, 20, minute=25), hour) == 0
            finally:
                await feed.close()
                await directory.close()

    asyncio.run(scenario())


def test_a_burst_of_views_fetches_only_where_the_operator_stopped():
    async def scenario() -> None:
        async with nvr.serving() as mibee:
            directory = Directory()
            await directory.add(
                SiteSession(nvr.MibeeBackend(nvr.SITE, mibee.url, nvr.USER, nvr.PASSWORD))
            )
            feed = TimelineFeed(directory, debounce=0.3)
            told: list[RowState] = []
            feed.subscribe(lambda rows: told.extend(row.state for row in rows))
            try:
                start = hour_before(datetime.now(UTC), 20)
                for step in range(10):  # a wheel spun over ten hours without a pause
                    begin = start + step * timedelta(hours=1)
                    feed.show([MIBEE_CAM], TimeSpan(begin, begin + timedelta(minutes=10)))
                    await asyncio.sleep(0.01)
                (row,) = await settled(feed)
            finally:
                await feed.close()
                await directory.close()
        assert asked(mibee) == 1  # the last view's one ten-minute chunk
        assert row.state is RowState.READY
        # Each view was answered at once from what was known (nothing yet: loading).
        assert told[:10] == [RowState.LOADING] * 10 and told[-1] is RowState.READY

    asyncio.run(scenario())


def test_the_chunk_at_the_live_edge_is_fetched_again_once_it_is_stale():
    async def scenario() -> None:
        async with nvr.serving() as mibee:
            directory = Directory()
            await directory.add(
                SiteSession(nvr.MibeeBackend(nvr.SITE, mibee.url, nvr.USER, nvr.PASSWORD))
            )
            feed = TimelineFeed(directory, debounce=0.05, fresh_for=0.5)
            try:
                now = datetime.now(UTC)
                past = TimeSpan(now - timedelta(hours=20), now - timedelta(hours=19))
                recent = TimeSpan(now - timedelta(minutes=5), now)
                for span in (past, recent):
                    feed.show([MIBEE_CAM], span)
                    await settled(feed)
                first = asked(mibee)
                await asyncio.sleep(0.6)
                feed.show([MIBEE_CAM], past)
                await settled(feed)
                assert asked(mibee) == first  # the past does not change
                feed.show([MIBEE_CAM], recent)
                await settled(feed)
                assert asked(mibee) > first  # recording went on since
            finally:
                await feed.close()
                await directory.close()

    asyncio.run(scenario())


def test_an_xprotect_camera_shows_its_bookmarks_and_a_new_one_after_a_refresh():
    async def scenario() -> None:
        async with xprotect.serving(xprotect.simulator()) as server:
            backend = MilestoneBackend(
                xprotect.SITE,
                server.url,
                xprotect.USER,
                xprotect.PASSWORD,
                certificate=xprotect.pin(server),
            )
            directory = Directory()
            await directory.add(SiteSession(backend))
            feed = TimelineFeed(directory, debounce=0.05)
            try:
                now = datetime.now(UTC)
                camera = CameraRef(xprotect.SITE.id, FRONT)
                span = TimeSpan(hour_before(now, 30), hour_before(now, 24))
                marked = TimeSpan(
                    span.start + timedelta(hours=1), span.start + timedelta(hours=1, minutes=2)
                )
                early = await backend.create_bookmark(FRONT, marked, "Van at the gate")
                feed.show([camera], span)
                (row,) = await settled(feed)
                assert row.state is RowState.READY
                assert row.recorded == rule(span)
                assert [mark.header for mark in row.bookmarks] == [early.header]
                later = await backend.create_bookmark(
                    FRONT,
                    TimeSpan(marked.start + timedelta(hours=2), marked.end + timedelta(hours=2)),
                    "Gate left open",
                )
                feed.refresh(camera)
                (row,) = await settled(feed)
                assert [mark.id for mark in row.bookmarks] == [early.id, later.id]
            finally:
                await feed.close()
                await directory.close()

    asyncio.run(scenario())
