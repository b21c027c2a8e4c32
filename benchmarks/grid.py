"""How close the whole viewer comes to the least work decoding needs.

For each configuration (by default 4 tiles on main streams and 16 on sub-streams) the
same demo streams are played three ways in one run, each for the same time:

1. the viewer: offscreen window, grid, tiles, player hub, CameraViews; frames counted
   as they are painted;
2. the decode floor: PyAV alone, one thread per stream, demux and decode;
3. the decode + reformat floor: the same plus swscale to each tile's size in BGRA
   with the viewer's interpolation: the least work any CPU pipeline can do.

Ratios are frames per CPU-second of the viewer over those of a floor, so 1.0 means the
viewer adds nothing. The demo servers run in a child process and are not counted.

    uv run python benchmarks/grid.py [--configs 4:main,16:sub] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av
import qasync
from av.video.reformatter import Interpolation, VideoReformatter
from PySide6.QtWidgets import QApplication

from benchmarks.common import DemoServers, ProcessMeter, demo_servers, machine, print_result
from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.core.streams import StreamDescription
from viewer.media.sources import open_plan
from viewer.services.console import Console
from viewer.services.settings import Layout
from viewer.ui.main_window import MainWindow

WINDOW = (1920, 1080)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="4:main,16:sub", help="tiles:quality,...")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="settling time per phase")
    parser.add_argument("--port-base", type=int, default=None)
    return parser.parse_args()


# -- the viewer --------------------------------------------------------------------------


async def measure_viewer(
    app: QApplication, servers: DemoServers, tiles: int, quality: str, args: argparse.Namespace
) -> dict[str, Any]:
    meter = ProcessMeter()
    baseline_rss = meter.rss_mb()
    with tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        await console.add_site(demo_backend(servers.servers + servers.streams))
        window = MainWindow(console)
        window.resize(*WINDOW)
        window.show()
        grid = math.isqrt(tiles)
        cameras = servers.cameras()[:tiles]
        window.grid.apply_layout(
            Layout(grid=grid, tiles=[CameraRef(DEMO_SITE_ID, c) for c in cameras])
        )
        painted = [set() for _ in range(tiles)]
        for tile in window.grid.tiles:
            tile.frame_painted.connect(
                lambda image, seen=painted[tile.index]: (
                    image is not None and seen.add(image.sequence)
                )
            )
        # First runs encode the footage on demand: wait for every tile, then settle.
        deadline = time.monotonic() + 180
        while not all(t.frame is not None for t in window.grid.tiles):
            if time.monotonic() > deadline:
                raise RuntimeError("not every tile started playing")
            await asyncio.sleep(0.1)
        await asyncio.sleep(args.warmup)
        for seen in painted:
            seen.clear()
        players = console.hub.players()
        decoded0 = sum(p.statistics().frames_decoded for p in players)
        dropped0 = sum(p.statistics().frames_dropped for p in players)
        meter.start()
        await asyncio.sleep(args.seconds)
        cpu, wall = meter.stop()
        decoded = sum(p.statistics().frames_decoded for p in players) - decoded0
        dropped = sum(p.statistics().frames_dropped for p in players) - dropped0
        rss = meter.rss_mb()
        sources = [(t.frame.source_width, t.frame.source_height) for t in window.grid.tiles]
        sizes = [(t.frame.width, t.frame.height) for t in window.grid.tiles]
        failed = [str(p.description) for p in players if p.state.error is not None]
        window.close()
        await console.stop()
    delivered = sum(len(seen) for seen in painted)
    return {
        "frames": delivered,
        "frames_decoded": decoded,
        "frames_dropped": dropped,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "fps_per_tile": [round(len(seen) / wall, 2) for seen in painted],
        "rss_mb": round(rss, 1),
        "rss_baseline_mb": round(baseline_rss, 1),
        "source_sizes": sources,
        "tile_sizes": sizes,
        "failed_streams": failed,
        "expected_quality": quality,
    }


# -- the floors ---------------------------------------------------------------------------


def measure_floor(
    urls: list[str], sizes: list[tuple[int, int]], reformat: bool, args: argparse.Namespace
) -> dict[str, Any]:
    counts = [0] * len(urls)
    measuring = threading.Event()
    stop = threading.Event()

    def run(index: int, url: str) -> None:
        options = dict(open_plan(StreamDescription(url)).options)
        with av.open(url, options=options, timeout=(10, 5)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            scaler = VideoReformatter()
            width, height = sizes[index]
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                for frame in stream.codec_context.decode(packet):
                    if reformat:
                        scaler.reformat(
                            frame,
                            width,
                            height,
                            "bgra",
                            interpolation=Interpolation.AREA,
                            threads=1,
                        )
                    if measuring.is_set():
                        counts[index] += 1

    threads = [threading.Thread(target=run, args=(i, u), daemon=True) for i, u in enumerate(urls)]
    for thread in threads:
        thread.start()
    time.sleep(args.warmup)
    meter = ProcessMeter()
    meter.start()
    measuring.set()
    time.sleep(args.seconds)
    measuring.clear()
    cpu, wall = meter.stop()
    stop.set()
    for thread in threads:
        thread.join(10)
    return {"frames": sum(counts), "cpu_seconds": cpu, "wall_seconds": wall}


def per_cpu_second(phase: dict[str, Any]) -> float:
    return phase["frames"] / phase["cpu_seconds"] if phase["cpu_seconds"] else 0.0


async def run_all(app: QApplication, args: argparse.Namespace) -> dict[str, Any]:
    results = []
    with demo_servers(args.port_base) as servers:
        for config in args.configs.split(","):
            count, quality = config.split(":")
            tiles = int(count)
            viewer = await measure_viewer(app, servers, tiles, quality, args)
            urls = [servers.authenticated_url(c, quality) for c in servers.cameras()[:tiles]]
            decode = await asyncio.to_thread(measure_floor, urls, viewer["tile_sizes"], False, args)
            reformat = await asyncio.to_thread(
                measure_floor, urls, viewer["tile_sizes"], True, args
            )
            rate = per_cpu_second(viewer)
            results.append(
                {
                    "tiles": tiles,
                    "quality": quality,
                    "viewer_frames_per_cpu_second": round(rate, 1),
                    "decode_frames_per_cpu_second": round(per_cpu_second(decode), 1),
                    "decode_reformat_frames_per_cpu_second": round(per_cpu_second(reformat), 1),
                    "ratio_vs_decode": round(rate / per_cpu_second(decode), 3),
                    "ratio_vs_decode_reformat": round(rate / per_cpu_second(reformat), 3),
                    "viewer_cpu_cores": round(viewer["cpu_seconds"] / viewer["wall_seconds"], 3),
                    "rss_per_tile_mb": round(
                        (viewer["rss_mb"] - viewer["rss_baseline_mb"]) / tiles, 1
                    ),
                    "viewer": viewer,
                    "decode": decode,
                    "decode_reformat": reformat,
                }
            )
            print(
                f"{tiles} {quality} tiles: "
                f"{min(viewer['fps_per_tile'])}-{max(viewer['fps_per_tile'])} fps per tile, "
                f"ratio vs decode {results[-1]['ratio_vs_decode']}, "
                f"vs decode+reformat {results[-1]['ratio_vs_decode_reformat']}, "
                f"{results[-1]['viewer_cpu_cores']} cores, "
                f"{viewer['rss_mb']} MB RSS",
                file=sys.stderr,
            )
    return {"benchmark": "grid", "machine": machine(), "seconds": args.seconds, "runs": results}


def main() -> None:
    args = parse_args()
    app = QApplication(["grid-benchmark"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(run_all(app, args))
    print_result(result)


if __name__ == "__main__":
    main()
