"""Seek to first frame, per backend: how long after the operator clicks the timeline the
tile shows the recorded picture of that instant.

The demo servers run in a child process (`serve-demo --json`); in this process each
backend on an asyncio loop standing for the GUI's, a CameraView per camera as a tile
holds it, and the PlaybackSession the window uses. Each round seeks a paused clock to
an instant well inside the demo's recordings and times from the seek to the first
picture the view hands over whose burned-in clock (demo/clockface.py) is within a
second of the instant: "from live" with the tile on live video before (a playback
stream is opened), "again" with the tile already playing back (XProtect and the
gateway open a new session, MiBee seeks in its open playlist). Target (issue 12):
under 1 s on loopback.

    uv run python benchmarks/seek.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import DemoServers, demo_servers, machine, print_result
from benchmarks.webrtc import milestone
from viewer.backends.base import Backend
from viewer.backends.gateway.backend import GatewayBackend
from viewer.backends.mibee.backend import MibeeBackend
from viewer.core.models import CameraRef, Site
from viewer.demo.clockface import read_instant
from viewer.demo.recordings import recorded_spans
from viewer.media.frames import VideoImage
from viewer.services.camera_view import CameraView
from viewer.services.directory import Directory, SiteSession
from viewer.services.playback import PlaybackSession
from viewer.services.players import PlayerHub

BOX = (640, 360)
LIMIT = 20.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="seeks of each kind per backend")
    parser.add_argument("--seed", type=int, default=12, help="for the instants sought")
    return parser.parse_args()


def instants(count: int, rng: random.Random) -> list[datetime]:
    """Instants at least a minute inside a recorded span over the last 20 hours (a
    MiBee NVR keeps a day)."""
    now = datetime.now(UTC).replace(microsecond=0)
    spans = [
        (start, end)
        for start, end in recorded_spans(now - timedelta(hours=20), now - timedelta(minutes=10))
        if end - start > timedelta(minutes=3)
    ]
    found = []
    for _ in range(count):
        start, end = rng.choice(spans)
        room = int((end - start).total_seconds()) - 120
        found.append(start + timedelta(seconds=60 + rng.randrange(room)))
    return found


def burned_in(image: VideoImage) -> datetime | None:
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return read_instant(rows[:, : image.width])


async def shown(view: CameraView, at: datetime) -> float:
    """Seconds until the view hands over a picture of ``at`` (within a second)."""
    started = time.monotonic()
    async with asyncio.timeout(LIMIT):
        while True:
            image = view.take()
            if image is not None:
                instant = burned_in(image)
                if instant is not None and abs(instant - at) < timedelta(seconds=1):
                    return time.monotonic() - started
            await asyncio.sleep(0.005)


async def backends(servers: DemoServers) -> dict[str, Backend]:
    def entry(kind: str) -> dict[str, Any]:
        (found,) = [s for s in servers.servers if s["kind"] == kind]
        return found

    mibee, gateway = entry("mibee"), entry("gateway")
    opened: dict[str, Backend] = {"milestone": await milestone(servers)}
    opened["mibee"] = MibeeBackend(
        Site("nvr", "MiBee", "mibee"), mibee["url"], mibee["user"], mibee["password"]
    )
    opened["gateway"] = GatewayBackend(
        Site("gw", "Gateway", "gateway"), gateway["url"], gateway["user"], gateway["password"]
    )
    await opened["mibee"].open()
    await opened["gateway"].open()
    return opened


async def measure(backend: Backend, rounds: int, rng: random.Random) -> dict[str, Any]:
    directory = Directory()
    await directory.add(SiteSession(backend))
    camera = (await backend.camera_tree()).all_cameras()[0]
    hub = PlayerHub()
    from_live: list[float] = []
    again: list[float] = []
    for at in instants(rounds, rng):
        view = CameraView(directory, hub, CameraRef(backend.site.id, camera.ref.camera_id))
        session = PlaybackSession(directory, lambda v=view: [v], lambda v=view: v)
        try:
            await view.set_box(*BOX)
            session.pause()
            await session.seek(at)
            from_live.append(await shown(view, at))
            later = at + timedelta(seconds=rng.randrange(30, 600))
            if recorded_spans(later, later + timedelta(seconds=2)):
                await session.seek(later)
                again.append(await shown(view, later))
        finally:
            await session.close()
            view.close()
    hub.stop_all()
    await asyncio.to_thread(hub.join_all, 5)
    await directory.close()
    return {
        "camera": camera.name,
        "from_live_s": _summary(from_live),
        "again_s": _summary(again),
    }


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"rounds": 0}
    return {
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "rounds": len(values),
    }


async def run(args: argparse.Namespace, servers: DemoServers) -> dict[str, Any]:
    rng = random.Random(args.seed)
    opened = await backends(servers)
    result: dict[str, Any] = {}
    for kind, backend in opened.items():
        try:
            result[kind] = await measure(backend, args.rounds, rng)
        except TimeoutError:
            result[kind] = {"failed": f"no picture of the instant within {LIMIT:.0f} s"}
    return result


def main() -> None:
    args = parse_args()
    with demo_servers(kinds=("milestone", "mibee", "gateway")) as servers:
        measured = asyncio.run(run(args, servers))
    print_result({"benchmark": "seek", "rounds": args.rounds, **measured, "machine": machine()})


if __name__ == "__main__":
    main()
