"""Server write to paint on loopback, and how fast a dropped camera shows its first frame.

Latency: the demo RTSP server reports the moment it writes each frame to the socket;
every frame carries its number in its pixels; the tile's paint reads the number back
from the picture it painted. Latency = paint time - write time, per frame. The server
runs in this process (in its own thread) so both times come from one clock. The window
is offscreen: the paint goes into Qt's backing store, and no compositor, display or
camera sensor is involved, so this is not glass-to-glass; a real screen adds its
compositing and scan-out, a real camera its exposure and encoding.

A painted frame whose write was more than 2 s earlier is kept in the figures and
counted as late; one whose number was never written (or was written after the paint)
is counted as unmatched. Neither is dropped silently.

First frame: a camera is dropped on a tile (the real drop event), and the clock runs
until the tile has painted a picture of it.

    uv run python benchmarks/latency.py [--seconds 20] [--tiles 4] [--drops 12]
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import platformdirs
import qasync
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from benchmarks.common import machine, print_result
from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.demo.footage import DEMO_CAMERAS, FPS, frame_index_from_pixels
from viewer.demo.site import DemoSiteThread
from viewer.media.frames import VideoImage
from viewer.services.console import Console
from viewer.services.settings import Layout
from viewer.ui.dragdrop import camera_mime
from viewer.ui.main_window import MainWindow
from viewer.ui.video_tile import VideoTile


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="latency sampling time")
    parser.add_argument("--tiles", type=int, default=4, help="tiles playing while measuring")
    parser.add_argument("--drops", type=int, default=12, help="cameras dropped for first frame")
    return parser.parse_args()


def painted_index(image: VideoImage) -> int:
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    return frame_index_from_pixels(rows[:, : image.width])


def drop(tile: VideoTile, ref: CameraRef) -> None:
    """The drop an operator makes with the mouse, as Qt delivers it to the tile."""
    mime = camera_mime(ref)
    centre = QPointF(tile.rect().center())
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre.toPoint(), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(tile, enter)
    QApplication.sendEvent(
        tile, QDropEvent(centre, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    )


# Beyond this a paint is counted as late: the tile showed a picture two seconds old.
LATE = 2.0


def summary_ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "samples": len(ordered),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    sent: dict[tuple[str, str, int], float] = {}
    site = DemoSiteThread(platformdirs.user_cache_path("vigil") / "demo")
    site.site.rtsp.on_frame_sent = lambda camera, quality, index, at: sent.__setitem__(
        (camera, quality, index), at
    )
    site.start()
    try:
        with tempfile.TemporaryDirectory() as home:
            console = Console(Path(home) / "settings.json")
            await console.add_site(demo_backend(site.site.describe()))
            window = MainWindow(console)
            window.resize(1280, 800)
            window.show()
            refs = [CameraRef(DEMO_SITE_ID, c.id) for c in DEMO_CAMERAS[: args.tiles]]
            window.grid.apply_layout(Layout(grid=math.isqrt(args.tiles), tiles=refs))
            tiles = window.grid.tiles
            latencies: list[float] = []
            unmatched = 0
            measuring = False
            last_sequence: dict[int, int] = {}

            def painted(tile: VideoTile, image: VideoImage | None) -> None:
                nonlocal unmatched
                now = time.monotonic()
                if not measuring or image is None or tile.camera is None or tile.view is None:
                    return
                if last_sequence.get(tile.index) == image.sequence:
                    return
                last_sequence[tile.index] = image.sequence
                quality = tile.view.quality
                key = (tile.camera.camera_id, str(quality), painted_index(image))
                if key in sent and now >= sent[key]:
                    latencies.append(now - sent[key])
                else:
                    unmatched += 1

            for tile in tiles:
                tile.frame_painted.connect(lambda image, t=tile: painted(t, image))
            while not all(t.frame is not None for t in tiles):
                await asyncio.sleep(0.05)
            await asyncio.sleep(2)
            measuring = True
            await asyncio.sleep(args.seconds)
            measuring = False

            first_frames: list[float] = []
            target = tiles[0]
            first_paint: list[float] = []

            def painted_first(image: VideoImage | None) -> None:
                if image is not None and not first_paint:
                    first_paint.append(time.monotonic())

            target.frame_painted.connect(painted_first)
            for trial in range(args.drops):
                window.grid.assign(0, None)
                await asyncio.sleep(0.5)
                ref = CameraRef(DEMO_SITE_ID, DEMO_CAMERAS[trial % len(DEMO_CAMERAS)].id)
                first_paint.clear()
                started = time.monotonic()
                drop(target, ref)
                while not first_paint:
                    await asyncio.sleep(0.002)
                first_frames.append(first_paint[0] - started)
            qualities = sorted({str(t.view.quality) for t in tiles if t.view})
            window.close()
            await console.stop()
    finally:
        site.stop()
    return {
        "benchmark": "latency",
        "machine": machine(),
        "tiles": args.tiles,
        "qualities": qualities,
        "frame_interval_ms": 1000 / FPS,
        "server_write_to_paint": {
            **summary_ms(latencies),
            "late_samples": sum(latency > LATE for latency in latencies),
            "unmatched_frames": unmatched,
        },
        "first_frame_after_drop": summary_ms(first_frames),
    }


def main() -> None:
    args = parse_args()
    app = QApplication(["latency-benchmark"])
    # Each measured window is closed before the next: that must not end the run.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(measure(args))
    latency, first = result["server_write_to_paint"], result["first_frame_after_drop"]
    print(
        f"server write to paint: median {latency['median_ms']} ms, p90 {latency['p90_ms']} ms "
        f"({latency['samples']} frames, {latency['late_samples']} late, "
        f"{latency['unmatched_frames']} unmatched); first frame after a drop painted: "
        f"median {first['median_ms']} ms, max {first['max_ms']} ms",
        file=sys.stderr,
    )
    print_result(result)


if __name__ == "__main__":
    main()
