"""Live HLS through the player: time to the first picture, how far behind the edge it plays.

The demo's HLS service (viewer/demo/hls) runs in a child process on loopback and lays
each camera's 10 s footage loop on the wall clock, so a decoded picture's frame-index
marker says when it was "taken": the newest instant at or before its decoding at which
the loop showed that frame. Behind the edge = the end of the newest segment the server
lists at that moment (the live edge a client can reach) - the picture's instant; behind
the wall clock = decoding time - the picture's instant. Targets (issue 11): first
picture under 1.5 s, under 1.5 target durations (2 s segments: 3 s) behind the edge.

Each round opens a stream no one asked for yet (a new camera or quality), so the
server's muxer starts cold; with ``--warm-up 1`` it answers 503 for a second first, as
a MiBee server does. Rounds alternate between the ``live_start_index`` values compared.

    uv run python benchmarks/hls.py [--rounds 4] [--seconds 8] [--warm-up 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import platformdirs

from benchmarks.common import machine, print_result
from viewer.core.streams import StreamDescription
from viewer.demo.footage import (
    DEMO_CAMERAS,
    FPS,
    LOOP_SECONDS,
    FootageLibrary,
    frame_index_from_pixels,
)
from viewer.demo.hls import HlsService
from viewer.demo.http import HttpServer, Request, Response
from viewer.media.frames import VideoImage
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

SEGMENT_SECONDS = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="streams opened per start index")
    parser.add_argument("--seconds", type=float, default=8.0, help="watched per stream")
    parser.add_argument("--warm-up", type=float, default=0.0, help="the server's 503 seconds")
    parser.add_argument(
        "--start-index",
        type=int,
        action="append",
        help="live_start_index to compare (repeatable; default: the player's own choice)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def serve(warm_up: float) -> None:
    """The child process: the HLS service on an HttpServer, its port on stdout."""

    async def main() -> None:
        service = HlsService(
            FootageLibrary(platformdirs.user_cache_path("vigil") / "demo"), warm_up=warm_up
        )

        async def handler(request: Request) -> Response:
            _, camera, quality, name = request.path.split("/")
            return await service.live(camera, quality, name, request.query) or Response(404)

        server = HttpServer(handler)
        await server.start()
        print(json.dumps({"port": server.port}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await server.stop()
        await service.stop()

    asyncio.run(main())


def picture_instant(image: VideoImage, decoded: float) -> float:
    """When the loop showed this picture last, at or before ``decoded``."""
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    into_loop = frame_index_from_pixels(rows[:, : image.width]) / FPS
    loop_start = math.floor((decoded - into_loop) / LOOP_SECONDS) * LOOP_SECONDS
    return loop_start + into_loop


def watch(url: str, options: dict[str, str], seconds: float) -> dict[str, Any]:
    player = StreamPlayer(StreamDescription(url, options=options, live=True))
    arrived = threading.Event()
    states: list[PlayerState] = []
    subscription = player.subscribe(arrived.set, lambda info: states.append(info.state))
    subscription.set_box(640, 360)
    started = time.time()
    player.start()
    first: float | None = None
    behind_edge: list[float] = []
    behind_wall: list[float] = []
    try:
        while True:
            if not arrived.wait(0.5):
                waited_since = started + 20 if first is None else first + seconds
                if time.time() > waited_since:
                    break
                continue
            arrived.clear()
            image = subscription.take()
            if image is None:
                continue
            now = time.time()
            first = first or now
            if now - first > seconds:
                break
            taken = picture_instant(image, now)
            edge = math.floor(now / SEGMENT_SECONDS) * SEGMENT_SECONDS
            behind_edge.append(edge - taken)
            behind_wall.append(now - taken)
    finally:
        player.stop()
        player.join(5)
    return {
        "first_frame_s": None if first is None else first - started,
        "behind_edge": behind_edge,
        "behind_wall": behind_wall,
        "failed_or_reconnecting": sum(
            state in {PlayerState.FAILED, PlayerState.RECONNECTING} for state in states
        ),
    }


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p90": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 3),
        "max": round(ordered[-1], 3),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--warm-up", str(args.warm_up)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdin is not None
        port = json.loads(child.stdout.readline())["port"]
        indexes: list[int | None] = list(args.start_index or [None])
        streams = [(camera.id, quality) for quality in ("sub", "main") for camera in DEMO_CAMERAS]
        results: dict[str, Any] = {}
        runs: dict[int | None, list[dict[str, Any]]] = {index: [] for index in indexes}
        for round_number in range(args.rounds):
            for offset, index in enumerate(indexes):
                camera, quality = streams[(round_number * len(indexes) + offset) % len(streams)]
                url = f"http://127.0.0.1:{port}/{camera}/{quality}/index.m3u8"
                options = {} if index is None else {"live_start_index": str(index)}
                runs[index].append(watch(url, options, args.seconds))
        for index, watched in runs.items():
            firsts = [w["first_frame_s"] for w in watched if w["first_frame_s"] is not None]
            results["default" if index is None else str(index)] = {
                "first_frame_s": summary(firsts),
                "no_picture": len(watched) - len(firsts),
                "behind_edge_s": summary([v for w in watched for v in w["behind_edge"]]),
                "behind_wall_s": summary([v for w in watched for v in w["behind_wall"]]),
                "failed_or_reconnecting_states": sum(w["failed_or_reconnecting"] for w in watched),
            }
        child.stdin.close()
        child.wait(10)
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(10)
    return {
        "benchmark": "hls",
        "rounds": args.rounds,
        "seconds": args.seconds,
        "warm_up": args.warm_up,
        "segment_s": SEGMENT_SECONDS,
        "results": results,
        "machine": machine(),
    }


def main() -> None:
    args = parse_args()
    if args.serve:
        serve(args.warm_up)
        return
    print_result(measure(args))


if __name__ == "__main__":
    main()
