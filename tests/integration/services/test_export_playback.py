"""Evidence export by recording a site's playback stream, where the site offers no file:
XProtect's WebRTC playback and the REST gateway's RTSP playback (its export jobs
switched off), each asked at the fastest speed at which it still sends every recorded
picture (recorders thin fast playback out). The clip holds every picture the recorder
has, its first and last show the span's ends as their burned-in clocks read, and the
manifest states the speed, the picture count and that nothing is missing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

from tests.integration.backends.gateway.rest import SITE as GATEWAY_SITE
from tests.integration.backends.milestone import xprotect
from tests.integration.media.clock_clips import clock_instants, duration
from viewer.backends.gateway.backend import GatewayBackend
from viewer.core.models import Camera, CameraRef, TimeSpan
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.tracks import PLAYBACK_FPS
from viewer.demo.recordings import recorded_spans
from viewer.demo.rtsp_playback import SENT_FPS
from viewer.services.export import CHECKSUMS, MANIFEST, ExportJob

XPROTECT_STEP = 1 / PLAYBACK_FPS
"""Recorded seconds between the XProtect simulator's recorded pictures (5 a second; it
sends each of them up to 5x, 25 a second, and thins faster playback out)."""
XPROTECT_KEY_INTERVAL = 5 * XPROTECT_STEP
"""A key frame every five pictures."""
RTSP_STEP = 1 / SENT_FPS
"""The demo RTSP playback at 1x: 10 pictures a recorded second (it sends 10 a second at
any speed, so every other speed thins them out)."""
RTSP_KEY_INTERVAL = 10 * RTSP_STEP


def _recorded_span(seconds: float, *, fraction_ms: int) -> TimeSpan:
    """``seconds`` well inside the recording, starting between two whole seconds."""
    now = datetime.now(UTC).replace(microsecond=0)
    *_, (start, _), _ = recorded_spans(now - timedelta(hours=8), now)
    begin = start + timedelta(minutes=30, milliseconds=fraction_ms)
    return TimeSpan(begin, begin + timedelta(seconds=seconds))


def _checked(folder, entry_method: str) -> dict[str, object]:
    done = subprocess.run(
        ["sha256sum", "-c", CHECKSUMS], cwd=folder, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (entry,) = json.loads((folder / MANIFEST).read_text())["clips"]
    assert entry["method"] == entry_method
    return entry


def _consecutive(shown: list[datetime | None], step: float) -> bool:
    """Each picture the recorder's next, none left out: ``step`` apart to the ms."""
    tick = timedelta(seconds=step)
    first = shown[0]
    assert first is not None
    return all(
        s is not None and abs(s - (first + i * tick)) <= timedelta(milliseconds=1)
        for i, s in enumerate(shown)
    )


def _states_complete(entry: dict[str, object], pictures: int, speed: float, step: float):
    assert entry["playback_speed"] == speed
    assert entry["pictures"] == pictures
    whole = entry["completeness"]
    assert isinstance(whole, dict)
    assert whole["complete"] is True and whole["missing_pictures"] == 0
    assert whole["hole_list"] == []
    assert abs(whole["picture_interval_seconds"] - step) <= 0.001


def test_an_xprotect_span_is_its_webrtc_playback_recorded_with_every_picture(tmp_path):
    span = _recorded_span(20, fraction_ms=300)
    camera = Camera(CameraRef(xprotect.SITE.id, CAMERAS["cam01"].id), "Front")

    async def scenario():
        server = xprotect.simulator()
        async with xprotect.serving(server), xprotect.connected(server) as backend:
            speed = backend.capabilities.lossless_playback_speed
            return speed, await ExportJob(backend, [camera], span, tmp_path).run()

    speed, result = asyncio.run(scenario())
    assert speed > 1  # faster than real time, where it keeps every picture
    (clip,) = result.clips
    path = tmp_path / clip.file
    shown = clock_instants(path)
    assert None not in shown
    assert span.start - timedelta(seconds=XPROTECT_KEY_INTERVAL) <= shown[0] <= span.start
    assert span.end - timedelta(seconds=XPROTECT_STEP) <= shown[-1] < span.end
    # Every picture the recorder stored over the span: 5 a second, none left out.
    in_span = [s for s in shown if s is not None and s >= span.start]
    assert len(in_span) == round(span.duration.total_seconds() / XPROTECT_STEP)
    assert _consecutive(shown, XPROTECT_STEP)
    # The clip lasts from its first picture to the end of its last.
    lasts = (shown[-1] - shown[0]).total_seconds() + XPROTECT_STEP
    assert abs(duration(path) - lasts) <= 0.05
    entry = _checked(tmp_path, "playback-recording")
    assert datetime.fromisoformat(entry["first_picture_utc"]) == shown[0]
    assert datetime.fromisoformat(entry["last_picture_utc"]) == shown[-1]
    _states_complete(entry, len(shown), speed, XPROTECT_STEP)


@contextlib.contextmanager
def _exports_switched_off(demo_site) -> Iterator[None]:
    gateway = demo_site.site.gateway
    gateway.switched_off.add("export")
    try:
        yield
    finally:
        gateway.switched_off.discard("export")


@contextlib.asynccontextmanager
async def _gateway(demo_site) -> AsyncIterator[GatewayBackend]:
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "gateway"]
    backend = GatewayBackend(GATEWAY_SITE, entry["url"], entry["user"], entry["password"])
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


def _export_gateway(demo_site, span: TimeSpan, folder):
    async def scenario():
        async with _gateway(demo_site) as backend:
            tree = await backend.camera_tree()
            first = sorted(tree.all_cameras(), key=lambda c: c.name)[0]
            return await ExportJob(backend, [first], span, folder).run()

    with _exports_switched_off(demo_site):
        (clip,) = asyncio.run(scenario()).clips
    return clip


def test_a_gateway_span_is_its_rtsp_playback_recorded_from_the_instant_asked(demo_site, tmp_path):
    # The gateway's playback URL names whole seconds; the span starts 0.6 s later.
    span = _recorded_span(12, fraction_ms=600)
    clip = _export_gateway(demo_site, span, tmp_path)
    path = tmp_path / clip.file
    shown = clock_instants(path)
    assert None not in shown
    assert span.start - timedelta(seconds=RTSP_KEY_INTERVAL) <= shown[0] <= span.start
    assert span.end - timedelta(seconds=RTSP_STEP) <= shown[-1] < span.end
    assert _consecutive(shown, RTSP_STEP)
    lasts = (shown[-1] - shown[0]).total_seconds() + RTSP_STEP
    assert abs(duration(path) - lasts) <= 0.05
    entry = _checked(tmp_path, "playback-recording")
    assert datetime.fromisoformat(entry["first_picture_utc"]) == shown[0]
    assert datetime.fromisoformat(entry["last_picture_utc"]) == shown[-1]
    # Seed 000 says nothing of thinning: the gateway is played at 1x.
    _states_complete(entry, len(shown), 1.0, RTSP_STEP)


def test_a_gateway_span_starting_in_a_gap_begins_at_the_gaps_end(demo_site, tmp_path):
    """The RTSP server answers PLAY with the npt= offset of the gap's end."""
    now = datetime.now(UTC).replace(microsecond=0)
    *_, (gap_end, _) = recorded_spans(now - timedelta(hours=8), now)
    span = TimeSpan(gap_end - timedelta(seconds=10), gap_end + timedelta(seconds=8))
    clip = _export_gateway(demo_site, span, tmp_path)
    shown = clock_instants(tmp_path / clip.file)
    assert shown[0] == gap_end
    assert gap_end + timedelta(seconds=8 - RTSP_STEP) <= shown[-1] < span.end
    assert _consecutive(shown, RTSP_STEP)
    assert clip.clip.first == gap_end
    # The gap before the recording is told by the gateway's timeline: no hole.
    assert clip.completeness.complete and clip.completeness.timeline_known
