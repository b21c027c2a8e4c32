"""MiBee has no events to list: its API keeps none that can be asked for over a span,
and its event stream documents no topic but camera status (which the camera tree
shows). Its Capabilities say so, so the events panel names the site at once and the
playback bar's next event never waits on it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.backends.mibee import nvr
from viewer.core.errors import NotSupportedError
from viewer.core.models import CameraRef, TimeSpan
from viewer.services.directory import Directory, SiteSession
from viewer.services.event_feed import EventFeed


def test_a_mibee_site_declares_no_events_and_the_feed_names_it_without_asking():
    async def scenario():
        async with nvr.serving() as server, nvr.connected(server) as backend:
            assert not backend.capabilities.events
            now = datetime.now(UTC)
            span = TimeSpan(now - timedelta(hours=1), now)
            with pytest.raises(NotSupportedError):
                await backend.events_between("cam01", span)
            directory = Directory()
            await directory.add(SiteSession(backend))
            feed = EventFeed(directory, [CameraRef(nvr.SITE.id, "cam01")], span)
            try:
                await feed.more()
                assert feed.silent_sites == {nvr.SITE.id}
                assert feed.items == () and not feed.problems
            finally:
                await feed.close()

    asyncio.run(scenario())
