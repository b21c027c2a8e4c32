"""WebRTC tiles against PyAV tiles of the same footage: first frame, CPU, event-loop lag.

The demo servers run in a child process (`vigil serve-demo --json`): the RTSP server and
the simulated XProtect gateway, whose WebRTC sessions pass the same H.264 footage
through without re-encoding, so both paths decode the same bytes. This process holds
the viewer's side only: the Milestone backend on an asyncio loop standing for the GUI's,
StreamPlayers as the tiles would have them, and a 10 ms ticker on that loop.

- first frame: from asking the backend for a live stream to the first picture handed
  over, one camera at a time (signalling, ICE, DTLS, the first key frame);
- CPU per tile: N sub-stream tiles over WebRTC, then the same N over RTSP (PyAV),
  process CPU over a window, per tile, and the ratio WebRTC / PyAV;
- event-loop lag: the worst and 99th-percentile lateness of the ticker while the
  WebRTC tiles play (WebRTC runs on its own thread; this shows what it leaves the GUI).

    uv run python benchmarks/webrtc.py [--tiles 16] [--seconds 10] [--first-frames 5]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import DemoServers, ProcessMeter, demo_servers, machine, print_result
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.models import Camera, Quality, Site
from viewer.core.streams import StreamDescription
from viewer.media.player import StreamPlayer


class Tile:
    """A subscription that counts pictures, as a tile's mailbox would be emptied."""

    def __init__(self, player: StreamPlayer) -> None:
        self.player = player
        self.first = threading.Event()
        self.subscription = player.subscribe(self._woken, lambda _state: None)
        self.subscription.set_box(640, 360)

    def _woken(self) -> None:
        if self.subscription.take() is not None:
            self.first.set()


async def milestone(servers: DemoServers) -> MilestoneBackend:
    (entry,) = [s for s in servers.servers if s["kind"] == "milestone"]
    pin = await asyncio.to_thread(_pin_for, entry)
    backend = MilestoneBackend(
        Site("bench", "XProtect", "milestone"),
        entry["url"],
        entry["user"],
        entry["password"],
        certificate=pin,
    )
    await backend.open()
    return backend


def _pin_for(entry: dict[str, Any]) -> PinnedCertificate:
    where = urlsplit(entry["url"])
    pem = ssl.get_server_certificate((where.hostname, where.port))
    pin = PinnedCertificate.from_pem(pem)
    if pin.fingerprint != entry["sha256"]:
        raise RuntimeError("the simulator presented another certificate than it described")
    return pin


def everyday(tree_cameras: tuple[Camera, ...], servers: DemoServers) -> list[tuple[Camera, str]]:
    """The Milestone cameras that show the everyday demo cameras, with their demo ids."""
    names = {servers.stream(c, "sub")["name"]: c for c in servers.cameras()}
    return [(camera, names[camera.name]) for camera in tree_cameras if camera.name in names]


async def play(descriptions: list[StreamDescription], within: float = 20.0) -> list[Tile]:
    tiles = [Tile(StreamPlayer(d)) for d in descriptions]
    for tile in tiles:
        tile.player.start()
    deadline = time.monotonic() + within
    while not all(t.first.is_set() for t in tiles) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return tiles


async def stop(tiles: list[Tile]) -> None:
    for tile in tiles:
        tile.player.stop()
    for tile in tiles:
        await asyncio.to_thread(tile.player.join, 5)


async def first_frames(backend: MilestoneBackend, camera: Camera, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.monotonic()
        description = await backend.live(camera.ref.camera_id, Quality.SUB)
        (tile,) = await play([description])
        if tile.first.is_set():
            times.append(time.monotonic() - started)
        await stop([tile])
    return times


async def cpu_per_tile(tiles: list[Tile], seconds: float) -> float:
    meter = ProcessMeter()
    await asyncio.sleep(2.0)
    meter.start()
    await asyncio.sleep(seconds)
    cpu, wall = meter.stop()
    return cpu / wall / len(tiles)


async def ticker_lag(stop_at: asyncio.Event, period: float = 0.01) -> list[float]:
    lags = []
    loop = asyncio.get_running_loop()
    while not stop_at.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        lags.append(max(0.0, loop.time() - due))
    return lags


async def measure(servers: DemoServers, count: int, seconds: float, rounds: int) -> dict[str, Any]:
    backend = await milestone(servers)
    try:
        tree = await backend.camera_tree()
        pairs = everyday(tree.all_cameras(), servers)
        pairs = (pairs * (count // len(pairs) + 1))[:count]
        first = await first_frames(backend, pairs[0][0], rounds)

        rtc = [await backend.live(camera.ref.camera_id, Quality.SUB) for camera, _ in pairs]
        quiet = asyncio.Event()
        lag_task = asyncio.create_task(ticker_lag(quiet))
        tiles = await play(rtc)
        rtc_cpu = await cpu_per_tile(tiles, seconds)
        rtc_fps = [t.player.statistics().fps for t in tiles]
        quiet.set()
        lags = await lag_task
        await stop(tiles)

        rtsp = [StreamDescription(servers.authenticated_url(demo, "sub")) for _, demo in pairs]
        tiles = await play(rtsp)
        pyav_cpu = await cpu_per_tile(tiles, seconds)
        pyav_fps = [t.player.statistics().fps for t in tiles]
        await stop(tiles)
    finally:
        await backend.close()
    lags.sort()
    return {
        "benchmark": "webrtc",
        "tiles": count,
        "first_frame_s": {
            "median": round(statistics.median(first), 3) if first else None,
            "max": round(max(first), 3) if first else None,
            "rounds": len(first),
        },
        "cpu_per_tile": {
            "webrtc": round(rtc_cpu, 3),
            "pyav": round(pyav_cpu, 3),
            "ratio": round(rtc_cpu / pyav_cpu, 2) if pyav_cpu else None,
        },
        "fps": {
            "webrtc_min": round(min(rtc_fps), 1),
            "pyav_min": round(min(pyav_fps), 1),
        },
        "loop_lag_ms": {
            "p99": round(lags[int(len(lags) * 0.99)] * 1000, 1) if lags else None,
            "max": round(lags[-1] * 1000, 1) if lags else None,
        },
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiles", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--first-frames", type=int, default=5)
    arguments = parser.parse_args()
    with demo_servers(kinds=("rtsp", "milestone")) as servers:
        result = asyncio.run(
            measure(servers, arguments.tiles, arguments.seconds, arguments.first_frames)
        )
    print_result(result)


if __name__ == "__main__":
    main()
