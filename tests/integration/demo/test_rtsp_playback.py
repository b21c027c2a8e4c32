"""Recorded video from the REST gateway's RTSP playback URLs: the demo RTSP server draws
each recorded instant as it plays, paced by the server at the speed asked for, gaps
skipped, and seeks by PLAY Range as FFmpeg sends it."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import av
import numpy as np
import pytest

from tests.integration.backends.gateway.rest import SITE, run
from tests.integration.demo.test_hostile_clients import TCP, RawClient, ServerThread
from viewer.backends.gateway.backend import GatewayBackend
from viewer.demo import clockface
from viewer.demo.footage import FootageLibrary
from viewer.demo.recordings import recorded_spans
from viewer.demo.rtsp_playback import playback_sources
from viewer.media.player import StreamPlayer

FAST_OPEN = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32"}


def inside_a_recording() -> datetime:
    """A whole second two minutes into a recorded span of the last few hours."""
    now = datetime.now(UTC)
    spans = recorded_spans(now - timedelta(hours=8), now - timedelta(minutes=10))
    begin, _ = next(s for s in reversed(spans) if s[1] - s[0] > timedelta(minutes=10))
    return begin + timedelta(minutes=2)


def a_gap() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    spans = recorded_spans(now - timedelta(days=2), now - timedelta(days=1))
    return spans[0][1], spans[1][0]


def playback_url(demo_site, at: datetime, speed: float, camera: int = 0):
    """The gateway backend's playback description of a demo camera, as Vigil gets it."""
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "gateway"]

    async def ask():
        backend = GatewayBackend(SITE, entry["url"], entry["user"], entry["password"])
        await backend.open()
        try:
            tree = await backend.camera_tree()
            cameras = sorted(tree.all_cameras(), key=lambda c: c.name)
            return await backend.playback(cameras[camera].ref.camera_id, at, speed)
        finally:
            await backend.close()

    return asyncio.run(ask())


def watch(url: str, seconds: float, seek: float | None = None):
    """(wall seconds since open, recorded instant, pts in seconds) of each decoded picture."""
    seen = []
    started = time.monotonic()
    with av.open(url, options=FAST_OPEN, timeout=(20, 5)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            for frame in stream.codec_context.decode(packet):
                instant = clockface.read_instant(frame.to_ndarray(format="rgb24"))
                pts = None if frame.pts is None else float(frame.pts * frame.time_base)
                seen.append((time.monotonic() - started, instant, pts))
            if seek is not None and len(seen) >= 3:
                container.seek(int(seek * av.time_base))
                seek = None
                seen.append((time.monotonic() - started, None, None))  # the seek's mark
            if time.monotonic() - started > seconds:
                break
    return seen


def test_the_player_shows_the_asked_instant_and_plays_on_at_1x(demo_site):
    at = inside_a_recording()
    description = playback_url(demo_site, at, 1)
    assert "/playback/" in description.url and not description.live
    player = StreamPlayer(description)
    arrived = threading.Event()
    subscription = player.subscribe(arrived.set, lambda info: None)
    subscription.set_box(640, 360)
    shown: list[tuple[float, datetime | None]] = []
    player.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not shown or shown[-1][0] - shown[0][0] < 3):
            if arrived.wait(0.5):
                arrived.clear()
                image = subscription.take()
                if image is not None:
                    rows = np.frombuffer(image.pixels, np.uint8)
                    rows = rows.reshape(image.height, image.stride // 4, 4)[:, : image.width]
                    shown.append((time.monotonic(), clockface.read_instant(rows)))
    finally:
        player.stop()
        player.join(5)
    assert shown, "no picture"
    first = shown[0][1]
    assert first is not None and abs((first - at).total_seconds()) <= 1.0
    # The recorded clock goes on at about the wall clock's pace (loosely: a loaded machine).
    wall = shown[-1][0] - shown[0][0]
    recorded = (shown[-1][1] - first).total_seconds()
    assert 0.5 * wall <= recorded <= 1.5 * wall + 0.5


def test_at_4x_the_server_sends_four_recorded_seconds_a_second(demo_site):
    at = inside_a_recording()
    description = playback_url(demo_site, at, 4)
    seen = watch(description.url, seconds=4)
    first_wall, first, _ = seen[0]
    assert first is not None and abs((first - at).total_seconds()) <= 1.0
    later = [(w, i) for w, i, _ in seen if w - first_wall >= 1.0]
    (wall_a, instant_a), (wall_b, instant_b) = later[0], later[-1]
    rate = (instant_b - instant_a).total_seconds() / (wall_b - wall_a)
    assert 2.5 <= rate <= 5.5, rate


def test_rtp_time_counts_recorded_time_from_the_start_across_a_skipped_gap(demo_site):
    gap_start, gap_end = a_gap()
    at = gap_start - timedelta(seconds=3)
    description = playback_url(demo_site, at, 8)
    seen = [(i, p) for _, i, p in watch(description.url, seconds=3) if p is not None]
    before = [(i, p) for i, p in seen if i < gap_start]
    after = [(i, p) for i, p in seen if i >= gap_end]
    assert before and after, "the gap was not crossed"
    # The first picture after the gap is the gap's end, sent at once: no gap-long wait.
    assert abs((after[0][0] - gap_end).total_seconds()) <= 1.0
    # A picture's time is its instant's distance from the URL's start, gap included.
    for instant, pts in (before[0], after[0], after[-1]):
        assert abs(pts - (instant - at).total_seconds()) <= 0.2


def test_a_start_inside_a_gap_plays_from_the_gaps_end(demo_site):
    gap_start, gap_end = a_gap()
    description = playback_url(demo_site, gap_start + timedelta(minutes=5), 1)
    _, first, _ = watch(description.url, seconds=1)[0]
    assert first is not None and abs((first - gap_end).total_seconds()) <= 1.0


def test_ffmpeg_seeks_by_play_range(demo_site):
    at = inside_a_recording()
    description = playback_url(demo_site, at, 1)
    seen = watch(description.url, seconds=4, seek=30.0)
    mark = next(i for i, (_, instant, _) in enumerate(seen) if instant is None)
    after = [instant for _, instant, _ in seen[mark + 1 :] if instant is not None]
    assert after, "no picture after the seek"
    assert abs((after[0] - (at + timedelta(seconds=30))).total_seconds()) <= 1.0


def test_unknown_cameras_and_speeds_are_refused(demo_site):
    at = inside_a_recording()
    url = playback_url(demo_site, at, 1).url
    base, _, query = url.partition("?")
    with pytest.raises(av.HTTPNotFoundError):
        av.open(base.rsplit("/", 1)[0] + "/no-such-camera?" + query, options=FAST_OPEN)
    with pytest.raises(av.HTTPBadRequestError):
        av.open(url.replace("speed=1", "speed=3"), options=FAST_OPEN)


def test_each_session_encodes_on_a_thread_of_its_own_never_on_the_servers_loop(
    demo_site, monkeypatch
):
    threads: dict[str, set[int]] = {}
    draw = clockface.draw

    def spying(camera_name, instant, *args, **kwargs):
        threads.setdefault(camera_name, set()).add(threading.get_ident())
        return draw(camera_name, instant, *args, **kwargs)

    monkeypatch.setattr(clockface, "draw", spying)
    at = inside_a_recording()
    urls = [playback_url(demo_site, at, 8, camera).url for camera in (0, 1)]

    async def both():
        await asyncio.gather(*(asyncio.to_thread(watch, url, 2) for url in urls))

    run(both)
    loop_thread = demo_site._thread.ident
    assert len(threads) == 2
    first, second = threads.values()
    assert loop_thread not in first | second
    assert not first & second


@pytest.fixture
def playback_server(footage_cache):
    library = FootageLibrary(footage_cache)
    with ServerThread(library) as server:
        server.on_demand["playback"] = playback_sources({"gate": "Gate"})
        yield server
    library.close()


@pytest.fixture
def clients():
    opened: list[RawClient] = []

    def connect(port: int) -> RawClient:
        opened.append(RawClient(port))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


def session_of(client: RawClient, uri: str) -> str:
    described = client.request("DESCRIBE", uri, 1)
    assert described.status == 200
    (control,) = [
        line.split(":", 1)[1]
        for line in described.body.decode().splitlines()
        if line.startswith("a=control:rtsp")
    ]
    assert control.endswith("/trackID=0?" + uri.split("?", 1)[1])  # the query kept
    setup = client.request("SETUP", control, 2, Transport=TCP)
    assert setup.status == 200
    return setup.headers["session"].split(";")[0]


def test_pause_keeps_the_place_and_play_ranges_move_it(playback_server, clients):
    at = inside_a_recording()
    start = at.isoformat().replace("+00:00", "Z")
    uri = f"rtsp://127.0.0.1:{playback_server.port}/playback/gate?start={start}&speed=4"
    client = clients(playback_server.port)
    session = session_of(client, uri)
    later = (at + timedelta(seconds=60)).strftime("%Y%m%dT%H%M%SZ")
    moved = client.request("PLAY", uri, 3, Session=session, Range=f"clock={later}-")
    assert moved.status == 200 and moved.headers["range"] == "npt=60.000-"
    time.sleep(1.0)
    paused = client.request("PAUSE", uri, 4, Session=session)
    assert paused.status == 200 and paused.media_frames > 0
    time.sleep(1.0)
    resumed = client.request("PLAY", uri, 5, Session=session)
    assert resumed.status == 200
    # Where it stopped: about four recorded seconds a second, not a second more for the pause.
    place = float(resumed.headers["range"].removeprefix("npt=").rstrip("-"))
    assert 61.0 <= place <= 60 + 4 * 1.0 + 1.5, place
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%dT%H%M%SZ")
    refused = client.request("PLAY", uri, 6, Session=session, Range=f"clock={future}-")
    assert refused.status == 457
    assert client.request("TEARDOWN", uri, 7, Session=session).status == 200


def test_a_torn_down_session_lets_its_encoding_thread_go(playback_server, clients):
    def encoders():
        return [t for t in threading.enumerate() if t.name.startswith("demo playback")]

    before = len(encoders())
    start = inside_a_recording().isoformat().replace("+00:00", "Z")
    uri = f"rtsp://127.0.0.1:{playback_server.port}/playback/gate?start={start}&speed=1"
    client = clients(playback_server.port)
    session = session_of(client, uri)
    assert client.request("PLAY", uri, 3, Session=session).status == 200
    time.sleep(0.5)
    assert len(encoders()) == before + 1
    assert client.request("TEARDOWN", uri, 4, Session=session).status == 200
    deadline = time.monotonic() + 10
    while len(encoders()) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(encoders()) == before
