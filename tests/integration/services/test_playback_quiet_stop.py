"""A playback player stopped by the operator (Live, a closed tile, quit) has not
failed: neither the log nor stderr may read like a failure."""

from __future__ import annotations

import asyncio
import logging

from tests.integration.backends.milestone.test_milestone_playback import recorded_instant
from tests.integration.services.test_playback_session import HALL, Grid, sites


def test_stopping_mibee_playback_at_any_moment_logs_no_failure(demo_site, caplog, capfd):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with sites(demo_site) as (_server, directory):
            # Stopped while the playlist opens, while segments are fetched at 16x, and
            # while pictures flow.
            for delay in (0.0, 0.1, 0.3, 0.6, 1.0, 2.0):
                grid = Grid(directory, [HALL])
                try:
                    await grid.start()
                    grid.session.set_speed(16)
                    await grid.session.seek(recorded_instant(hours_ago=3))
                    await asyncio.sleep(delay)
                finally:
                    await grid.close()

    asyncio.run(scenario())
    err = capfd.readouterr().err
    assert "was stopped" not in err and "exception being dropped" not in err
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG and "stopped" in r.getMessage()]
    assert loud == []
    assert not [r for r in caplog.records if r.exc_info]
