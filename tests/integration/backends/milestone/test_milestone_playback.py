"""Recorded video of an XProtect site through the real player: the picture of the instant
asked for, stamped with its recorded time, and a seek that opens a new session.

The simulator burns each recorded picture's instant into it (viewer/demo/milestone/
clockface.py); the test reads it back from the pixels the player handed over.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from tests.integration.backends.milestone.test_milestone_webrtc import pictures, player_of
from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator
from viewer.core.models import Quality
from viewer.demo.clockface import read_instant
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.recordings import recorded_spans

FRONT = CAMERAS["cam01"]


def burned_in(image) -> datetime | None:
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return read_instant(rows[:, : image.width])


def recorded_instant(hours_ago: float) -> datetime:
    """An instant well inside a recorded span, about ``hours_ago`` back."""
    now = datetime.now(UTC)
    wanted = (now - timedelta(hours=hours_ago)).replace(microsecond=0)
    for start, end in recorded_spans(wanted - timedelta(hours=4), wanted + timedelta(hours=4)):
        if start + timedelta(minutes=5) <= wanted <= end - timedelta(minutes=5):
            return wanted
        if start > wanted:
            return start + timedelta(minutes=10)
    raise AssertionError("no recording near the instant")


def test_playback_shows_the_instant_asked_for_and_each_frame_carries_its_recorded_time():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            at = recorded_instant(hours_ago=30)
            description = await backend.playback(FRONT.id, at, 1.0)
            assert description.live is False and description.quality is Quality.MAIN
            async with player_of(description) as viewer:
                await pictures(viewer, 3)
                for image in viewer.images:
                    shown = burned_in(image)
                    assert shown is not None
                    # What the picture shows and what the player stamped agree...
                    assert abs(image.instant - shown.timestamp()) < 0.25
                # ...and the first picture is the instant asked for.
                assert abs(burned_in(viewer.images[0]) - at) < timedelta(seconds=1)

    run(scenario)


def test_a_seek_is_a_new_session_showing_the_new_instant():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            first, second = recorded_instant(hours_ago=50), recorded_instant(hours_ago=5)
            async with player_of(await backend.playback(FRONT.id, first, 1.0)) as viewer:
                await pictures(viewer, 2)
                assert abs(burned_in(viewer.images[-1]) - first) < timedelta(seconds=2)
            async with player_of(await backend.playback(FRONT.id, second, 1.0)) as viewer:
                await pictures(viewer, 2)
                assert abs(burned_in(viewer.images[0]) - second) < timedelta(seconds=1)
            created = [
                r
                for r in server.counters.requests
                if r.lower().startswith("post /api/rest/v1/webrtc/session")
            ]
            assert len(created) == 2

    run(scenario)


def test_playback_asked_for_inside_a_gap_starts_when_the_recording_resumes_stamped_so():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            wanted = datetime.now(UTC) - timedelta(hours=20)
            spans = recorded_spans(wanted - timedelta(hours=8), wanted)
            # Three seconds before a recording resumes after a gap.
            resumes = next(start for start, _ in reversed(spans) if start > spans[0][0])
            at = resumes - timedelta(seconds=3)
            async with player_of(await backend.playback(FRONT.id, at, 1.0)) as viewer:
                await pictures(viewer, 2)
                first = viewer.images[0]
                assert abs(burned_in(first) - resumes) < timedelta(seconds=1)
                assert abs(first.instant - burned_in(first).timestamp()) < 0.25

    run(scenario)
