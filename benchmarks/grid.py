"""How close the whole viewer comes to the least work decoding needs.

For each configuration (by default 4 tiles on main streams and 16 on sub-streams) the
same demo streams are played three ways, each for the same time:

1. the viewer: offscreen window, grid, tiles, player hub, CameraViews; frames counted
   as they are painted;
2. the decode floor: PyAV alone, one thread per stream, demux and decode;
3. the decode + reformat floor: the same plus swscale to each tile's size in BGRA
   with the interpolation the viewer's own rule picks (media/convert.py): the least
   work any CPU pipeline can do.

Before each measurement every tile must play the quality the configuration names and
the picture size the floor decodes from that stream, or the run stops: a viewer that
played the sub-stream against a floor of main streams would look ten times better.

The three phases alternate over several rounds (the window is hidden and its streams
closed at once, with no grace period, while a floor runs), and the ratios are medians
of the rounds: on a shared
machine the cost of everything drifts by 10 % from minute to minute, and only
measurements taken side by side can be compared. Ratios are frames per CPU-second of
the viewer over those of a floor, so 1.0 means the viewer adds nothing. The demo
servers run in a child process and are not counted.

    uv run python benchmarks/grid.py [--configs 4:main,16:sub] [--rounds 3] [--seconds 4]

``--renderers raster,gl`` measures the viewer with each renderer (ui/renderer.py) against
the same floors; the GL path needs an X server with OpenGL, so run it there, or here
under Xvfb, where GL is Mesa's llvmpipe rasterising on the CPU (the figures are then the
software renderer's, not a graphics card's):

    QT_QPA_PLATFORM=xcb xvfb-run -a uv run python benchmarks/grid.py --renderers raster,gl
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
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
from av.video.reformatter import VideoReformatter
from PySide6.QtWidgets import QApplication

from benchmarks.common import DemoServers, ProcessMeter, demo_servers, machine, print_result
from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.core.streams import StreamDescription, fit_inside
from viewer.media.convert import interpolation_for
from viewer.media.sources import open_plan
from viewer.services.console import Console
from viewer.services.settings import Layout
from viewer.ui import renderer
from viewer.ui.main_window import MainWindow

WINDOW = (1920, 1080)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="4:main,16:sub", help="tiles:quality,...")
    parser.add_argument("--rounds", type=int, default=3, help="viewer/floor rounds per config")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=1.5, help="settling time per phase")
    parser.add_argument("--port-base", type=int, default=None)
    parser.add_argument(
        "--renderers", default="raster", help="raster, gl or both (raster,gl): see above"
    )
    return parser.parse_args()


# -- the viewer --------------------------------------------------------------------------


class Viewer:
    """The real window playing the demo cameras, measured phase by phase."""

    def __init__(self, servers: DemoServers, tiles: int, home: Path) -> None:
        self.console = Console(home / "settings.json")
        # Hidden tiles let go of their streams at once, so a floor has the machine to itself.
        self.console.settings.hidden_grace = 0.0
        self.servers = servers
        self.tiles = tiles
        self.meter = ProcessMeter()
        self.baseline_rss = self.meter.rss_mb()

    async def start(self) -> None:
        await self.console.add_site(demo_backend(self.servers.streams))
        self.window = MainWindow(self.console)
        self.window.resize(*WINDOW)
        self.window.show()
        cameras = self.servers.cameras()[: self.tiles]
        self.window.grid.apply_layout(
            Layout(grid=math.isqrt(self.tiles), tiles=[CameraRef(DEMO_SITE_ID, c) for c in cameras])
        )
        # First runs encode the footage on demand: wait for every tile.
        await self.playing(within=180)

    async def playing(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while (
            not all(
                t.frame is not None and t.view is not None and t.view.quality is not None
                for t in self.window.grid.tiles
            )
            or len(self.console.hub.players()) < self.tiles
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("not every tile is playing")
            await asyncio.sleep(0.05)

    def check_plays(self, quality: str, sizes: list[tuple[int, int]]) -> None:
        """Stop the run unless every tile shows ``quality`` at the size the floor decodes."""
        problems = []
        for tile, size in zip(self.window.grid.tiles, sizes, strict=True):
            view, frame = tile.view, tile.frame
            shown = view.quality if view is not None else None
            source = (frame.source_width, frame.source_height) if frame is not None else None
            if shown != quality or source != size:
                problems.append(
                    f"tile {tile.index} ({tile.camera}) plays {shown} at {source}, "
                    f"the floor decodes {quality} at {size}"
                )
        if problems:
            raise Mismatch("; ".join(problems))

    async def measure(
        self, args: argparse.Namespace, quality: str, sizes: list[tuple[int, int]]
    ) -> dict[str, Any]:
        self.window.show()
        await self.playing()
        await asyncio.sleep(args.warmup)
        self.check_plays(quality, sizes)
        tiles = self.window.grid.tiles
        painted0 = [t.painted_frames for t in tiles]
        players = self.console.hub.players()
        dropped0 = sum(p.statistics().frames_dropped for p in players)
        self.meter.start()
        await asyncio.sleep(args.seconds)
        cpu, wall = self.meter.stop()
        painted = [t.painted_frames - p0 for t, p0 in zip(tiles, painted0, strict=True)]
        result = {
            "frames": sum(painted),
            "frames_dropped": sum(p.statistics().frames_dropped for p in players) - dropped0,
            "cpu_seconds": cpu,
            "wall_seconds": wall,
            "fps_per_tile": [round(count / wall, 2) for count in painted],
            "rss_mb": round(self.meter.rss_mb(), 1),
            "source_sizes": sorted({(t.frame.source_width, t.frame.source_height) for t in tiles}),
            "failed_streams": [str(p.description) for p in players if p.state.error is not None],
        }
        # Hidden, the tiles stop decoding, so the floors have the machine to themselves.
        self.window.hide()
        self.tile_sizes = [converted_size(t) for t in tiles]
        while self.console.hub.players():
            await asyncio.sleep(0.05)
        return result

    async def stop(self) -> None:
        self.window.close()
        await self.console.stop()


def converted_size(tile: Any) -> tuple[int, int]:
    """The size the raster path converts a tile's picture to; on the GL path the picture
    arrives at its source size, so the floor reformats to what raster would have."""
    frame = tile.frame
    if frame.planes is None:
        return frame.width, frame.height
    width, height = fit_inside(frame.source_width, frame.source_height, *tile.device_size())
    return max(2, width & ~1), height


class Mismatch(RuntimeError):
    """The viewer does not play what the floor decodes: the ratios would mean nothing."""


# -- the floors ---------------------------------------------------------------------------


def open_stream(url: str) -> av.container.InputContainer:
    """The stream as the player opens it, decoded on one thread as the player does."""
    options = dict(open_plan(StreamDescription(url)).options)
    container = av.open(url, options=options, timeout=(10, 5))
    container.streams.video[0].codec_context.thread_count = 1
    return container


def decoded_sizes(urls: list[str]) -> list[tuple[int, int]]:
    """The size of the pictures the floor decodes from each stream."""
    sizes = []
    for url in urls:
        with open_stream(url) as container:
            stream = container.streams.video[0]
            frame = next(container.decode(stream))
            sizes.append((frame.width, frame.height))
    return sizes


def measure_floor(
    urls: list[str],
    sources: list[tuple[int, int]],
    sizes: list[tuple[int, int]],
    reformat: bool,
    args: argparse.Namespace,
) -> dict[str, Any]:
    counts = [0] * len(urls)
    wrong: list[str] = []
    measuring = threading.Event()
    stop = threading.Event()

    def run(index: int, url: str) -> None:
        with open_stream(url) as container:
            stream = container.streams.video[0]
            scaler = VideoReformatter()
            width, height = sizes[index]
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                for frame in stream.codec_context.decode(packet):
                    if (frame.width, frame.height) != sources[index]:
                        wrong.append(f"{frame.width}x{frame.height} from stream {index}")
                        return
                    if reformat:
                        scaler.reformat(
                            frame,
                            width,
                            height,
                            "bgra",
                            interpolation=interpolation_for(
                                frame.width, frame.height, width, height
                            ),
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
    if wrong:
        raise Mismatch(f"the floor decoded pictures of another size: {', '.join(wrong)}")
    return {"frames": sum(counts), "cpu_seconds": cpu, "wall_seconds": wall}


def per_cpu_second(phase: dict[str, Any]) -> float:
    return phase["frames"] / phase["cpu_seconds"] if phase["cpu_seconds"] else 0.0


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


async def run_config(
    servers: DemoServers, tiles: int, quality: str, args: argparse.Namespace, drawing: str
) -> dict[str, Any]:
    choice = renderer.configure(renderer.choose(drawing))
    if choice.gl != (drawing == "gl"):
        raise SystemExit(f"the {drawing} renderer is not available here: {choice.reason}")
    with tempfile.TemporaryDirectory() as home:
        viewer = Viewer(servers, tiles, Path(home))
        await viewer.start()
        urls = [servers.authenticated_url(c, quality) for c in servers.cameras()[:tiles]]
        sources = await asyncio.to_thread(decoded_sizes, urls)
        rounds = []
        for _ in range(args.rounds):
            shown = await viewer.measure(args, quality, sources)
            sizes = viewer.tile_sizes
            decode = await asyncio.to_thread(measure_floor, urls, sources, sizes, False, args)
            reformat = await asyncio.to_thread(measure_floor, urls, sources, sizes, True, args)
            rate = per_cpu_second(shown)
            rounds.append(
                {
                    "viewer": shown,
                    "decode": decode,
                    "decode_reformat": reformat,
                    "ratio_vs_decode": rate / per_cpu_second(decode),
                    "ratio_vs_decode_reformat": rate / per_cpu_second(reformat),
                }
            )
        await viewer.stop()
    fps = [f for r in rounds for f in r["viewer"]["fps_per_tile"]]
    return {
        "tiles": tiles,
        "quality": quality,
        "renderer": choice.describe(),
        "source_sizes": rounds[0]["viewer"]["source_sizes"],
        "tile_sizes": sorted(set(sizes)),
        "ratio_vs_decode": median([r["ratio_vs_decode"] for r in rounds]),
        "ratio_vs_decode_reformat": median([r["ratio_vs_decode_reformat"] for r in rounds]),
        "viewer_frames_per_cpu_second": median([per_cpu_second(r["viewer"]) for r in rounds]),
        "decode_frames_per_cpu_second": median([per_cpu_second(r["decode"]) for r in rounds]),
        "decode_reformat_frames_per_cpu_second": median(
            [per_cpu_second(r["decode_reformat"]) for r in rounds]
        ),
        "viewer_cpu_cores": median(
            [r["viewer"]["cpu_seconds"] / r["viewer"]["wall_seconds"] for r in rounds]
        ),
        "fps_per_tile_min": min(fps),
        "fps_per_tile_max": max(fps),
        "frames_dropped": sum(r["viewer"]["frames_dropped"] for r in rounds),
        "failed_streams": sorted({s for r in rounds for s in r["viewer"]["failed_streams"]}),
        "rss_mb": max(r["viewer"]["rss_mb"] for r in rounds),
        "rss_per_tile_mb": round(
            (max(r["viewer"]["rss_mb"] for r in rounds) - viewer.baseline_rss) / tiles, 1
        ),
        "rounds": [
            {
                "ratio_vs_decode": round(r["ratio_vs_decode"], 3),
                "ratio_vs_decode_reformat": round(r["ratio_vs_decode_reformat"], 3),
                "viewer_cpu_seconds": r["viewer"]["cpu_seconds"],
                "decode_cpu_seconds": r["decode"]["cpu_seconds"],
                "decode_reformat_cpu_seconds": r["decode_reformat"]["cpu_seconds"],
            }
            for r in rounds
        ],
    }


async def run_all(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    with demo_servers(args.port_base) as servers:
        for config in args.configs.split(","):
            for drawing in args.renderers.split(","):
                count, quality = config.split(":")
                result = await run_config(servers, int(count), quality, args, drawing)
                results.append(result)
                print(
                    f"{result['renderer']}, "
                    f"{result['tiles']} {quality} tiles: {result['fps_per_tile_min']}-"
                    f"{result['fps_per_tile_max']} fps per tile, "
                    f"ratio vs decode {result['ratio_vs_decode']}, "
                    f"vs decode+reformat {result['ratio_vs_decode_reformat']}, "
                    f"{result['viewer_cpu_cores']} cores, {result['rss_mb']} MB RSS",
                    file=sys.stderr,
                )
    return {
        "benchmark": "grid",
        "machine": machine(),
        "rounds": args.rounds,
        "seconds": args.seconds,
        "runs": results,
    }


def main() -> None:
    args = parse_args()
    app = QApplication(["grid-benchmark"])
    # Each measured window is closed before the next: that must not end the run.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(run_all(args))
    print_result(result)


if __name__ == "__main__":
    main()
