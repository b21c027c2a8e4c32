"""Restore to picture: how soon the hidden tiles of a 4x4 grid show the present again
when the operator restores a maximised tile, and what a hidden tile costs meanwhile.

Two behaviours, alternated round by round on one offscreen 1920x1080 window playing the
16 everyday demo cameras on their sub-streams (or one camera in every tile, say
``--camera cam17``, the one with a key frame every 10 s):

- kept (the default since issue 8): a hidden tile keeps its stream for the grace
  period (30 s) without decoding it; on restore the packets since the last key frame are
  decoded at once and the current picture handed over;
- released (grace 0, as before issue 8): a hidden tile closes its stream and opens it
  again when shown: an RTSP handshake, then, from a camera that starts sessions
  between key frames (cam17), a wait for its next key frame.

Each round maximises one tile (another one each round), waits until it plays its main
stream and the others are hidden, measures the process's CPU for a few seconds, waits
a little longer (a different part of the key-frame interval each round: the maximised
tile settles on a key frame, and without this every round would restore at the same
point of the cameras' key-frame cycle, which is what both behaviours' times depend on),
restores, and times each of the 15 hidden tiles from ``restore()`` to its first paint of
a picture decoded after the restore (the picture a tile kept on screen while hidden
does not count, nor does any older one; a tile that paints an older picture it had not
shown before is counted as a stale paint, with the picture's age). Then, all 16 tiles
back on their sub-streams, it measures the CPU of the whole grid. A hidden tile's cost
is the difference in process CPU between the two behaviours while maximised, over the
15 hidden tiles; the worker threads of the hidden streams are also timed on their own.
The demo servers run in a child process and are not counted.

    uv run python benchmarks/restore.py [--camera cam17] [--rounds 4] [--hidden-seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import qasync
from PySide6.QtWidgets import QApplication

from benchmarks.common import DemoServers, ProcessMeter, demo_servers, machine, print_result
from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef, Quality
from viewer.media.frames import VideoImage
from viewer.media.player import StreamPlayer
from viewer.services.console import Console
from viewer.services.settings import Layout
from viewer.ui.main_window import MainWindow
from viewer.ui.video_grid import VideoGrid

WINDOW = (1920, 1080)
GRID = 4
KEPT, RELEASED = "kept", "released"
# The grace period of the kept behaviour: the setting's default.
KEPT_GRACE = 30.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--camera", default=None, help="one camera in every tile (e.g. cam17)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each behaviour")
    parser.add_argument(
        "--hidden-seconds", type=float, default=4.0, help="maximised time measured per round"
    )
    parser.add_argument(
        "--grid-seconds", type=float, default=3.0, help="whole-grid time measured per round"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="longest wait for a picture")
    parser.add_argument("--port-base", type=int, default=None)
    return parser.parse_args()


class Stuck(RuntimeError):
    """The window never reached the state a measurement needs."""


class PaintWatch:
    """When each tile first paints a picture decoded after a moment (the restore)."""

    def __init__(self, grid: VideoGrid) -> None:
        self._since: float | None = None
        self._kept: dict[int, VideoImage | None] = {}
        self.first: dict[int, float] = {}
        self.stale: dict[int, float] = {}
        for tile in grid.tiles:
            tile.frame_painted.connect(partial(self._painted, tile.index))

    def arm(self, grid: VideoGrid, indices: list[int]) -> None:
        self._kept = {i: grid.tiles[i].frame for i in indices}
        self.first, self.stale = {}, {}
        self._since = time.monotonic()

    def disarm(self) -> None:
        self._since = None

    @property
    def since(self) -> float:
        assert self._since is not None
        return self._since

    def _painted(self, index: int, image: VideoImage | None) -> None:
        since = self._since
        if since is None or image is None or index not in self._kept or index in self.first:
            return
        if image.decoded_at >= since:
            self.first[index] = time.monotonic() - since
        elif image is not self._kept[index] and index not in self.stale:
            # A picture from before the restore that the tile had not shown yet: its age.
            self.stale[index] = since - image.decoded_at


def player_threads(players: list[StreamPlayer]) -> set[int]:
    """The native ids of the worker threads of ``players`` (named after their stream)."""
    names = {f"player {p.description.display_url}" for p in players}
    ids = {t.native_id for t in threading.enumerate() if t.name in names and t.native_id}
    if len(ids) != len(players):
        raise Stuck(f"found {len(ids)} worker threads for {len(players)} players")
    return ids


def thread_cpu(ids: set[int]) -> float:
    """CPU seconds so far of the threads ``ids``; all of them must still run."""
    threads = [t for t in psutil.Process().threads() if t.id in ids]
    if len(threads) != len(ids):
        raise Stuck("a player's thread ended while it was measured (a reconnect?)")
    return sum(t.user_time + t.system_time for t in threads)


class Bench:
    def __init__(self, servers: DemoServers, cameras: list[str], home: Path) -> None:
        self.servers = servers
        self.cameras = cameras
        self.console = Console(home / "settings.json")
        self.meter = ProcessMeter()

    async def start(self) -> None:
        await self.console.add_site(demo_backend(self.servers.streams))
        self.window = MainWindow(self.console)
        self.window.resize(*WINDOW)
        self.window.show()
        self.grid = self.window.grid
        self.grid.apply_layout(
            Layout(grid=GRID, tiles=[CameraRef(DEMO_SITE_ID, c) for c in self.cameras])
        )
        self.watch = PaintWatch(self.grid)
        # First runs encode the footage on demand, and cam17 starts between key frames.
        await self.until(self.grid_settled, 180, "every tile playing its sub-stream")

    def size(self, camera: str, quality: Quality) -> tuple[int, int]:
        entry = self.servers.stream(camera, quality)
        return entry["width"], entry["height"]

    def plays(self, index: int, quality: Quality) -> bool:
        tile = self.grid.tiles[index]
        view, frame, camera = tile.view, tile.frame, self.cameras[index]
        return (
            view is not None
            and view.quality == quality
            and frame is not None
            and (frame.source_width, frame.source_height) == self.size(camera, quality)
        )

    def grid_settled(self) -> bool:
        """Every tile on its sub-stream, and no other stream open."""
        return all(self.plays(i, Quality.SUB) for i in range(len(self.cameras))) and len(
            self.console.hub.players()
        ) == len(set(self.cameras))

    def maximised_settled(self, index: int, behaviour: str) -> bool:
        """The maximised tile on its main stream; the others' streams hidden or closed."""
        players = self.console.hub.players()
        hidden = [p for p in players if p.hidden]
        others = {c for i, c in enumerate(self.cameras) if i != index}
        expected = len(others) if behaviour == KEPT else 0
        return (
            self.plays(index, Quality.MAIN)
            and len(players) - len(hidden) == 1
            and len(hidden) == expected
        )

    async def until(self, condition: Any, within: float, what: str) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise Stuck(f"waited {within:.0f} s for {what}")
            await asyncio.sleep(0.01)

    async def round(
        self, index: int, behaviour: str, offset: float, args: argparse.Namespace
    ) -> dict[str, Any]:
        grace = KEPT_GRACE if behaviour == KEPT else 0.0
        for tile in self.grid.tiles:
            assert tile.view is not None
            tile.view.hidden_grace = grace
        self.grid.maximise(index)
        await self.until(
            lambda: self.maximised_settled(index, behaviour),
            args.timeout,
            f"tile {index} maximised on its main stream ({behaviour})",
        )
        hidden_players = [p for p in self.console.hub.players() if p.hidden]
        ids = player_threads(hidden_players)
        threads0 = thread_cpu(ids)
        self.meter.start()
        await asyncio.sleep(args.hidden_seconds)
        hidden_cpu, hidden_wall = self.meter.stop()
        hidden_threads = thread_cpu(ids) - threads0
        await asyncio.sleep(offset)

        others = [i for i in range(len(self.cameras)) if i != index]
        self.watch.arm(self.grid, others)
        self.grid.restore()
        deadline = self.watch.since + args.timeout
        while len(self.watch.first) < len(others) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self.watch.disarm()
        restore = dict(self.watch.first)
        stale = dict(self.watch.stale)

        await self.until(self.grid_settled, args.timeout, "the grid back on its sub-streams")
        players = self.console.hub.players()
        ids = player_threads(players)
        threads0 = thread_cpu(ids)
        self.meter.start()
        await asyncio.sleep(args.grid_seconds)
        grid_cpu, grid_wall = self.meter.stop()
        grid_threads = thread_cpu(ids) - threads0
        return {
            "behaviour": behaviour,
            "maximised": index,
            "offset": offset,
            "restore_seconds": [restore[i] for i in others if i in restore],
            "missing": [i for i in others if i not in restore],
            "stale": stale,
            "hidden_streams": len(hidden_players),
            "maximised_cores": hidden_cpu / hidden_wall,
            "hidden_thread_cores": hidden_threads / hidden_wall,
            "grid_streams": len(players),
            "grid_cores": grid_cpu / grid_wall,
            "grid_thread_cores": grid_threads / grid_wall,
        }

    async def stop(self) -> None:
        self.window.close()
        await self.console.stop()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(t for r in rounds for t in r["restore_seconds"])
    return {
        "restore_to_picture": {
            "median_ms": ms(statistics.median(times)) if times else None,
            "p90_ms": ms(times[int(len(times) * 0.9)]) if times else None,
            "max_ms": ms(times[-1]) if times else None,
            "samples": len(times),
            "missing": sum(len(r["missing"]) for r in rounds),
            "stale_paints": sum(len(r["stale"]) for r in rounds),
            "stale_age_max_ms": ms(
                max((a for r in rounds for a in r["stale"].values()), default=0)
            ),
        },
        "maximised_cores": round(statistics.median(r["maximised_cores"] for r in rounds), 4),
        "hidden_streams": rounds[0]["hidden_streams"],
        "hidden_thread_cores": round(
            statistics.median(r["hidden_thread_cores"] for r in rounds), 4
        ),
        "rounds": [
            {
                "maximised": r["maximised"],
                "offset_s": round(r["offset"], 2),
                "median_ms": ms(statistics.median(r["restore_seconds"]))
                if r["restore_seconds"]
                else None,
                "max_ms": ms(max(r["restore_seconds"])) if r["restore_seconds"] else None,
                "missing": r["missing"],
                "maximised_cores": round(r["maximised_cores"], 4),
            }
            for r in rounds
        ],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with demo_servers(args.port_base) as servers, tempfile.TemporaryDirectory() as home:
        everyday = servers.cameras()
        if args.camera is None:
            if len(everyday) < GRID * GRID:
                raise Stuck(f"the demo has {len(everyday)} everyday cameras, not {GRID * GRID}")
            cameras = everyday[: GRID * GRID]
        else:
            servers.stream(args.camera, Quality.SUB)
            cameras = [args.camera] * (GRID * GRID)
        interval = max(servers.stream(c, Quality.SUB)["keyframe_interval"] for c in cameras)
        bench = Bench(servers, cameras, Path(home))
        await bench.start()
        results: dict[str, list[dict[str, Any]]] = {KEPT: [], RELEASED: []}
        try:
            for number in range(args.rounds):
                # Each round maximises another tile, and the behaviour that goes first alternates.
                order = (KEPT, RELEASED) if number % 2 == 0 else (RELEASED, KEPT)
                offset = interval * (number + 0.5) / args.rounds
                for step, behaviour in enumerate(order):
                    index = (5 * (2 * number + step)) % len(cameras)
                    result = await bench.round(index, behaviour, offset, args)
                    results[behaviour].append(result)
                    print(
                        f"{behaviour}: tile {index} restored, median "
                        f"{ms(statistics.median(result['restore_seconds'] or [0]))} ms, "
                        f"missing {result['missing']}, stale {sorted(result['stale'])}, "
                        f"maximised {result['maximised_cores']:.3f} cores",
                        file=sys.stderr,
                    )
        finally:
            await bench.stop()
    hidden_tiles = len(cameras) - 1
    differences = [
        k["maximised_cores"] - r["maximised_cores"]
        for k, r in zip(results[KEPT], results[RELEASED], strict=True)
    ]
    every_round = results[KEPT] + results[RELEASED]
    grid_cores = statistics.median(r["grid_cores"] for r in every_round)
    grid_streams = every_round[0]["grid_streams"]
    kept = summary(results[KEPT])
    hidden_streams = kept["hidden_streams"]
    return {
        "benchmark": "restore",
        "machine": machine(),
        "camera": args.camera or "everyday",
        "tiles": len(cameras),
        "rounds": args.rounds,
        "hidden_seconds": args.hidden_seconds,
        "grace_seconds": KEPT_GRACE,
        "keyframe_interval": interval,
        KEPT: kept,
        RELEASED: summary(results[RELEASED]),
        "hidden_tile_cores": round(statistics.median(differences) / hidden_tiles, 5),
        "hidden_stream_thread_cores": round(kept["hidden_thread_cores"] / hidden_streams, 5),
        "grid_cores": round(grid_cores, 4),
        "visible_tile_cores": round(grid_cores / len(cameras), 5),
        "visible_stream_thread_cores": round(
            statistics.median(r["grid_thread_cores"] for r in every_round) / grid_streams, 5
        ),
    }


def main() -> None:
    args = parse_args()
    app = QApplication(["restore-benchmark"])
    # Each measured window is closed before the next: that must not end the run.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(run(args))
    kept, released = result[KEPT]["restore_to_picture"], result[RELEASED]["restore_to_picture"]
    print(
        f"restore to picture, {result['camera']}: kept median {kept['median_ms']} ms "
        f"(max {kept['max_ms']}), released median {released['median_ms']} ms "
        f"(max {released['max_ms']}); a hidden tile {result['hidden_tile_cores']} cores, "
        f"a visible one {result['visible_tile_cores']}",
        file=sys.stderr,
    )
    print_result(result)


if __name__ == "__main__":
    main()
