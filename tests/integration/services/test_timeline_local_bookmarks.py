"""Bookmarks this Vigil keeps (a site without its own) are drawn on the timeline with
what the site returned, and a new one shows at once, with nothing fetched again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.integration.backends.mibee import nvr
from tests.integration.services.test_timeline_feed import (
    MIBEE_CAM,
    asked,
    hour_before,
    rule,
    settled,
)
from viewer.core.models import TimeSpan
from viewer.services.bookmarks import Bookmarks, is_local
from viewer.services.directory import Directory, SiteSession
from viewer.services.settings import Settings, SettingsStore
from viewer.services.timeline_feed import RowState, TimelineFeed


def test_kept_bookmarks_join_the_sites_row_and_a_new_one_shows_at_once(tmp_path):
    async def scenario() -> None:
        async with nvr.serving() as mibee:
            directory = Directory()
            await directory.add(
                SiteSession(nvr.MibeeBackend(nvr.SITE, mibee.url, nvr.USER, nvr.PASSWORD))
            )
            bookmarks = Bookmarks(Settings(), SettingsStore(tmp_path / "s.json"), directory)
            assert not bookmarks.kept_by_site(MIBEE_CAM)
            feed = TimelineFeed(directory, debounce=0.05)
            try:
                now = datetime.now(UTC)
                span = TimeSpan(hour_before(now, 10), hour_before(now, 4))
                at = span.start + timedelta(hours=1)
                early = await bookmarks.create(MIBEE_CAM, TimeSpan(at, at), "Van at the gate")
                # Outside the span: not on this view.
                await bookmarks.create(MIBEE_CAM, TimeSpan(now, now), "Later")
                feed.set_local_bookmarks(bookmarks.local)
                bookmarks.subscribe(feed.bookmarks_changed)
                feed.show([MIBEE_CAM], span)
                (row,) = await settled(feed)
                assert row.state is RowState.READY and row.recorded == rule(span)
                assert row.bookmarks == (early,)
                fetched = asked(mibee)
                assert fetched > 0

                told = []
                feed.subscribe(told.append)
                marked = TimeSpan(at + timedelta(hours=2), at + timedelta(hours=2, minutes=3))
                later = await bookmarks.create(MIBEE_CAM, marked, "Gate left open")
                assert is_local(later)
                # Told before anything could be fetched, and nothing was.
                assert told and told[-1][0].bookmarks == (early, later)
                assert feed.rows[0].recorded == rule(span)
                await asyncio.sleep(0.2)
                assert asked(mibee) == fetched
            finally:
                await feed.close()
                await directory.close()

    asyncio.run(scenario())
