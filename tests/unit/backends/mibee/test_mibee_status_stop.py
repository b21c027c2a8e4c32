"""Stopping the MiBee status follower lets the HTTP client finish its clean-up.

httpcore closes the connections it took out of its pool inside an anyio shield. A plain
``Task.cancel()`` goes through that shield, and the connections it had taken out stayed
open for ever (the PTZ dock's tests leaked two sockets when a site closed just after its
server went away). Here the follower's poll stands in that shielded clean-up when the
follower is stopped: the clean-up must run to its end before ``stop()`` returns.
"""

from __future__ import annotations

import asyncio

import anyio
import httpx

from viewer.backends.mibee.status import StatusFeed


def no_event_stream(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, text="404 page not found")


def test_stop_waits_for_the_clients_shielded_clean_up():
    async def scenario():
        cleaning, cleaned = asyncio.Event(), []

        async def poll():
            with anyio.CancelScope(shield=True):
                cleaning.set()
                await asyncio.sleep(0.2)
                cleaned.append(True)

        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                base_url="http://127.0.0.1", transport=httpx.MockTransport(no_event_stream)
            )

        feed = StatusFeed(client, poll, poll_every=60.0)
        feed.start()
        await asyncio.wait_for(cleaning.wait(), 10)
        await feed.stop()
        assert cleaned == [True]
        assert not feed.via_events

    asyncio.run(scenario())


def test_a_follower_stopped_before_it_ran_never_polls():
    async def scenario():
        polled = []

        async def poll():
            polled.append(True)

        feed = StatusFeed(httpx.AsyncClient, poll)
        feed.start()
        await feed.stop()
        assert polled == []

    asyncio.run(scenario())
