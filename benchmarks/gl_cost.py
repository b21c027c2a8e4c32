"""What the GL path costs our own threads per picture: uploads and draw calls.

A grid of N tiles (default 16 sub-streams, and 4 and 1 main streams) on the GL surface
(ui/gl_video.py), each tile handed a new decoded picture of the demo footage before
every paint, so every paint uploads every tile. The GUI thread's CPU time (not the
wall clock) inside the surface's paint is divided by the tiles drawn: Python, Qt's
bindings and the driver's work on our thread (the texture copy into the driver, the
draw calls). With a graphics card that is all the CPU the path costs; with Mesa's
llvmpipe the rasterising runs on llvmpipe's own threads (measured separately, as the
process's whole CPU time per picture), so on this machine the second figure is the
software renderer's, not a GPU's.

Needs an X server with OpenGL (the GL path cannot run offscreen). Runs as is on a
workstation with a GPU; under Xvfb it measures llvmpipe:

    uv run python benchmarks/gl_cost.py [--configs 16:sub,4:main,1:main] [--paints 120]
    xvfb-run -a uv run python benchmarks/gl_cost.py   # no display: Mesa's CPU rasteriser
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av
import platformdirs
import psutil
import qasync
from PySide6.QtWidgets import QApplication

from benchmarks.common import machine, print_result
from tests.ui.gl.probe import StillPicture
from viewer.core.models import CameraRef
from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary
from viewer.media.planes import PlanarConverter
from viewer.services.console import Console
from viewer.ui import renderer
from viewer.ui.gl_video import GlVideoSurface
from viewer.ui.video_grid import VideoGrid

WINDOW = (1920, 1080)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="16:sub,4:main,1:main", help="tiles:quality,...")
    parser.add_argument("--paints", type=int, default=120, help="measured paints per config")
    parser.add_argument("--footage", type=Path, default=None, help="demo footage folder")
    return parser.parse_args()


def pictures(library: FootageLibrary, camera: str, quality: str, count: int) -> list[Any]:
    """``count`` decoded pictures of the camera's footage, as planes the GL path takes."""
    converter = PlanarConverter()
    images = []
    with av.open(str(library.path(camera, quality))) as container:
        for index, frame in enumerate(container.decode(video=0)):
            images.append(converter.convert(frame, 0, 0, index + 1))
            if len(images) == count:
                break
    return images


class Timed:
    """Wraps the surface's paint: the GUI thread's CPU time inside it, per paint."""

    def __init__(self, surface: GlVideoSurface) -> None:
        self.thread_seconds: list[float] = []
        paint = surface._paint

        def timed() -> None:
            started = time.thread_time()
            paint()
            self.thread_seconds.append(time.thread_time() - started)

        surface._paint = timed  # type: ignore[method-assign]


async def run_config(
    console: Console, library: FootageLibrary, tiles: int, quality: str, paints: int
) -> dict[str, Any]:
    cameras = [camera.id for camera in DEMO_CAMERAS[:tiles]]
    library.prepare(cameras)
    frames = [pictures(library, camera, quality, 8) for camera in cameras]
    grid = VideoGrid(console)
    grid.resize(*WINDOW)
    grid.set_grid(math.isqrt(tiles))
    grid.show()
    await asyncio.sleep(0.5)
    surface = grid._surface
    if surface is None:
        raise SystemExit(f"the GL path is not available: {renderer.active().reason}")
    timed = Timed(surface)
    process = psutil.Process()
    sequence = 0

    def hand_over() -> None:
        nonlocal sequence
        sequence += 1
        for index, tile in enumerate(grid.tiles):
            image = frames[index][sequence % len(frames[index])]
            tile.show_camera(StillPicture(CameraRef("bench", str(index)), image), "")
        grid._tick()

    for _ in range(10):  # textures allocated, shaders compiled, caches warm
        hand_over()
        surface.repaint()
    timed.thread_seconds.clear()
    uploads0 = surface.uploads
    cpu0, wall0 = sum(process.cpu_times()[:2]), time.monotonic()
    for _ in range(paints):
        hand_over()
        surface.repaint()
    cpu = sum(process.cpu_times()[:2]) - cpu0
    wall = time.monotonic() - wall0
    uploaded = surface.uploads - uploads0
    per_paint = timed.thread_seconds
    grid.close()
    grid.deleteLater()
    await asyncio.sleep(0.1)
    width, height = frames[0][0].width, frames[0][0].height
    return {
        "tiles": tiles,
        "quality": quality,
        "source": f"{width}x{height}",
        "uploads": uploaded,
        "paint_thread_us_per_picture": round(statistics.median(per_paint) / tiles * 1e6, 1),
        "paint_thread_us_per_picture_p90": round(
            sorted(per_paint)[int(len(per_paint) * 0.9)] / tiles * 1e6, 1
        ),
        "process_cpu_us_per_picture": round(cpu / max(1, uploaded) * 1e6, 1),
        "paints_per_second": round(paints / wall, 1),
    }


async def run_all(args: argparse.Namespace) -> dict[str, Any]:
    choice = renderer.configure(renderer.choose("gl"))
    if not choice.gl:
        raise SystemExit(f"no OpenGL here: {choice.reason}")
    footage = args.footage or platformdirs.user_cache_path("vigil") / "demo"
    library = FootageLibrary(footage)
    results = []
    with tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        for config in args.configs.split(","):
            count, quality = config.split(":")
            result = await run_config(console, library, int(count), quality, args.paints)
            results.append(result)
            print(result, file=sys.stderr)
        await console.stop()
    return {
        "benchmark": "gl_cost",
        "machine": machine(),
        "gl_renderer": choice.renderer,
        "software_renderer": renderer.is_software(choice.renderer),
        "runs": results,
    }


def main() -> None:
    args = parse_args()
    app = QApplication(["gl-cost-benchmark"])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(run_all(args))
    print_result(result)


if __name__ == "__main__":
    main()
