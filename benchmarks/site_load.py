"""Loading a large XProtect site: how soon its camera tree is usable, and how long the
window's event loop is held on the way.

The simulated gateway runs in a child process with its large-site mode (10,000 more
cameras in 200 groups of 50 by default), so its work is not counted against the
viewer. The viewer is the real one, offscreen: a Console and a MainWindow, the site
connected through the Sites service (pinned by its fingerprint, as `vigil --demo`
does), its tree built by the camera tree widget. A ticker on the event loop asks to
wake every 10 ms; each wake-up's delay beyond that is the loop's lag. Usable means the
site's node in the tree holds every group of the large site.

    uv run python benchmarks/site_load.py [--cameras 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from benchmarks.common import ProcessMeter, machine, print_result
from viewer.demo.milestone.directory import BULK_GROUP_SIZE
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.services.console import Console
from viewer.services.preload import preload
from viewer.services.secrets import SecretStore
from viewer.services.settings import Layout
from viewer.ui.application import freeze_startup
from viewer.ui.main_window import MainWindow

TICK = 0.010
SITE_ID = "large"


def serve(cameras: int) -> None:
    """The child process: the simulator until its standard input closes."""

    async def run() -> None:
        server = MilestoneSimulator(user="bench", password="bench-pw", extra_cameras=cameras)
        await server.start()
        entry = {"url": server.url, "sha256": server.certificate.fingerprint}
        print(json.dumps(entry), flush=True)
        await asyncio.to_thread(sys.stdin.read)
        print(json.dumps({"requests": len(server.counters.requests)}), flush=True)
        await server.stop()

    asyncio.run(run())


class Ticker:
    """Wakes every TICK seconds and keeps the worst delay beyond it."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.lags: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_event_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(TICK)
            lag = loop.time() - asked - TICK
            self.lags.append(lag)
            self.worst = max(self.worst, lag)


def groups_shown(window: MainWindow) -> int:
    """How many groups the large site's "Large site" node shows now."""
    model = window.tree.model
    for row in range(model.rowCount()):
        site = model.item(row)
        for inner in range(site.rowCount()):
            child = site.child(inner)
            if child is not None and child.text() == "Large site":
                return child.rowCount()
    return 0


async def one_round(entry: dict[str, Any], groups: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        console = Console(Path(folder) / "settings.json", secrets=SecretStore("vigil-bench"))
        window = MainWindow(console)
        window.restore_session(Layout())
        window.resize(1280, 800)
        window.show()
        # As `vigil` does once its window shows.
        preload()
        freeze_startup()
        await console.start()
        ticker = Ticker()
        ticking = asyncio.ensure_future(ticker.run())
        await asyncio.sleep(0.2)
        ticker.worst, ticker.lags = 0.0, []
        meter = ProcessMeter()
        meter.start()
        started = time.monotonic()
        adding = asyncio.ensure_future(
            console.sites.add_unsaved(
                SITE_ID,
                "milestone",
                "Large site",
                entry["url"],
                user="bench",
                password="bench-pw",
                fingerprint=entry["sha256"],
            )
        )
        while groups_shown(window) < groups:
            if adding.done():
                adding.result()
                if groups_shown(window) < groups:
                    raise RuntimeError(f"the tree shows {groups_shown(window)} of {groups} groups")
            await asyncio.sleep(0.005)
        usable = time.monotonic() - started
        cpu, _ = meter.stop()
        await adding
        await asyncio.sleep(0.3)  # what the loop does right after, the tree's first paint
        ticking.cancel()
        lags = sorted(ticker.lags)
        window.close()
        await console.stop()
        return {
            "usable_s": round(usable, 3),
            "viewer_cpu_s": round(cpu, 2),
            "load_average": round(os.getloadavg()[0], 1),
            "worst_lag_ms": round(ticker.worst * 1000, 1),
            "p99_lag_ms": round(lags[int(len(lags) * 0.99)] * 1000, 1) if lags else 0.0,
            "ticks": len(lags),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    groups = -(-args.cameras // BULK_GROUP_SIZE)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(args.cameras)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        entry = json.loads(child.stdout.readline())
        app = QApplication.instance() or QApplication([])
        app.setQuitOnLastWindowClosed(False)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        rounds = [loop.run_until_complete(one_round(entry, groups)) for _ in range(args.rounds)]
        child.stdin.close()
        requests = json.loads(child.stdout.readline())["requests"]
    finally:
        child.stdout.close()
        child.terminate()
        child.wait(10)
    print_result(
        {
            "benchmark": "site_load",
            "cameras": args.cameras,
            "groups": groups,
            "requests_per_round": requests // max(1, args.rounds),
            "usable_s_median": statistics.median(r["usable_s"] for r in rounds),
            "worst_lag_ms_max": max(r["worst_lag_ms"] for r in rounds),
            "rounds": rounds,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
