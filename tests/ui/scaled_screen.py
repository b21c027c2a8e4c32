"""A child process for test_scaled_screen.py: Qt reads QT_SCALE_FACTOR only at start-up.

Reads the demo site's description (JSON) on stdin, opens the demo window at 1000x700
logical pixels, waits until every tile paints the stream it settled on, and prints one
JSON object describing each tile.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

from viewer.app import demo_backend, demo_layout
from viewer.core.models import Quality
from viewer.services.console import Console
from viewer.ui.main_window import MainWindow

from .pixels import patch_colour

SIZES = {Quality.MAIN: (1920, 1080), Quality.SUB: (640, 360)}


def settled(tile) -> bool:
    view, frame = tile.view, tile.frame
    if view is None or frame is None or view.quality is None:
        return False
    return (frame.source_width, frame.source_height) == SIZES[view.quality]


async def probe(description: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        await console.add_site(demo_backend(description))
        await console.start()
        window = MainWindow(console)
        window.restore_session(demo_layout())
        window.resize(1000, 700)
        window.show()
        try:
            deadline = time.monotonic() + 60
            while not all(settled(tile) for tile in window.grid.tiles):
                if time.monotonic() > deadline:
                    raise TimeoutError("the tiles did not settle on a stream")
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            return [
                {
                    "ratio": tile.devicePixelRatioF(),
                    "device_size": list(tile.device_size()),
                    "quality": tile.view.quality.value,
                    "picture": [tile.frame.width, tile.frame.height],
                    "video_rect": list(tile.video_rect().getRect()),
                    "patch": list(patch_colour(tile)),
                }
                for tile in window.grid.tiles
            ]
        finally:
            window.close()
            await console.stop()


def main() -> None:
    description = json.load(sys.stdin)
    app = QApplication(["scaled-screen-probe"])
    # As in the application: closing the window must not stop the loop under the
    # clean-up that follows it (ui/application.py).
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        tiles = loop.run_until_complete(probe(description))
    print(json.dumps(tiles))


if __name__ == "__main__":
    main()
