"""A shift in fast-forward: 16 demo tiles playing offscreen, watched for leaks and freezes.

Reports memory at the start (after warm-up) and the end, samples in between, frames
painted, the longest the event loop was late (a frozen window shows up here), and any
stream that failed or reconnected. The demo servers run in a child process.

    uv run python benchmarks/soak.py                 # 90 s
    uv run python benchmarks/soak.py --minutes 10    # the recorded shift soak
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from benchmarks.common import ProcessMeter, demo_servers, machine, print_result
from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.media.state import PlayerState
from viewer.services.console import Console
from viewer.services.settings import Layout
from viewer.ui.main_window import MainWindow


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.5)
    parser.add_argument("--tiles", type=int, default=16)
    parser.add_argument("--sample-seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--port-base", type=int, default=None)
    return parser.parse_args()


async def loop_lag(record: list[float], period: float = 0.1) -> None:
    """How late the event loop wakes us: a frozen UI shows up as a long lateness."""
    while True:
        start = time.monotonic()
        await asyncio.sleep(period)
        record.append(time.monotonic() - start - period)


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    meter = ProcessMeter()
    with demo_servers(args.port_base) as servers, tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        await console.add_site(demo_backend(servers.streams))
        window = MainWindow(console)
        window.resize(1920, 1080)
        window.show()
        grid = math.isqrt(args.tiles)
        cameras = servers.cameras()
        refs = [CameraRef(DEMO_SITE_ID, cameras[i % len(cameras)]) for i in range(args.tiles)]
        window.grid.apply_layout(Layout(grid=grid, tiles=refs))
        tiles = window.grid.tiles
        failures: dict[str, str] = {}

        def state_changed(index: int) -> None:
            state = tiles[index].state
            if state.state in (PlayerState.FAILED, PlayerState.RECONNECTING):
                failures[str(tiles[index].camera)] = f"{state.state}: {state.error}"

        for tile in tiles:
            tile.state_changed.connect(state_changed)
        deadline = time.monotonic() + 180
        while not all(t.frame is not None for t in tiles):
            if time.monotonic() > deadline:
                raise RuntimeError("not every tile started playing")
            await asyncio.sleep(0.1)
        await asyncio.sleep(args.warmup)
        lags: list[float] = []
        lag_task = asyncio.ensure_future(loop_lag(lags))
        painted0 = [t.painted_frames for t in tiles]
        rss_start = meter.rss_mb()
        samples = [(0.0, round(rss_start, 1))]
        meter.start()
        started = time.monotonic()
        total = args.minutes * 60
        # Sample on a fixed schedule: sleeping for "what is left" near the end wakes
        # early on a millisecond timer and would sample the same instant many times.
        steps = math.ceil(total / args.sample_seconds)
        for step in range(1, steps + 1):
            due = started + min(step * args.sample_seconds, total)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            samples.append((round(time.monotonic() - started, 1), round(meter.rss_mb(), 1)))
        cpu, wall = meter.stop()
        painted = [t.painted_frames - p0 for t, p0 in zip(tiles, painted0, strict=True)]
        lag_task.cancel()
        rss_end = meter.rss_mb()
        dropped = sum(p.statistics().frames_dropped for p in console.hub.players())
        playing = sum(t.state.state is PlayerState.PLAYING for t in tiles)
        window.close()
        await console.stop()
    lags.sort()
    return {
        "benchmark": "soak",
        "machine": machine(),
        "minutes": args.minutes,
        "tiles": args.tiles,
        "tiles_playing_at_end": playing,
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_mb": round(rss_end - rss_start, 1),
        "rss_samples": samples,
        "frames_painted": sum(painted),
        "fps_per_tile_min": round(min(painted) / wall, 2),
        "fps_per_tile_max": round(max(painted) / wall, 2),
        "frames_dropped": dropped,
        "cpu_cores": round(cpu / wall, 3),
        "loop_lag_ms_p99": round(lags[int(len(lags) * 0.99)] * 1000, 1) if lags else None,
        "loop_lag_ms_max": round(lags[-1] * 1000, 1) if lags else None,
        "stream_problems": failures,
    }


def main() -> None:
    args = parse_args()
    app = QApplication(["soak-benchmark"])
    # Each measured window is closed before the next: that must not end the run.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(soak(args))
    print(
        f"{result['tiles_playing_at_end']}/{result['tiles']} tiles playing after "
        f"{args.minutes} min; RSS {result['rss_start_mb']} -> {result['rss_end_mb']} MB; "
        f"loop lag max {result['loop_lag_ms_max']} ms; problems: {result['stream_problems']}",
        file=sys.stderr,
    )
    print_result(result)


if __name__ == "__main__":
    main()
