"""`vigil serve-demo`: the demo servers alone, headless, until interrupted.

Prints one line per server and per camera stream so that any client (ffplay, VLC,
GStreamer, a browser, a script) can use them; ``--json`` prints the same as one JSON
object per line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

from viewer.demo.site import DemoSite


def format_line(entry: dict[str, Any]) -> str:
    if entry["kind"] == "stream":
        return (
            f"stream  {entry['camera']} {entry['quality']:<4}  {entry['url']}  "
            f"{entry['width']}x{entry['height']} {_habit(entry)}  ({entry['name']})"
        )
    credentials = f"user {entry['user']}  password {entry['password']}" if entry["user"] else ""
    line = f"{entry['kind']:<6}  {entry['name']}  {entry['url']}  {credentials}".rstrip()
    return f"{line}  SHA-256 {entry['sha256']}" if entry.get("sha256") else line


def _habit(entry: dict[str, Any]) -> str:
    """E.g. "1-5 fps (variable), key frame every 10 s, starts between key frames"."""
    if entry["variable_fps"]:
        words = [f"{entry['min_fps']:g}-{entry['fps']:g} fps (variable)"]
    else:
        words = [f"{entry['fps']:g} fps"]
    words.append(f"key frame every {entry['keyframe_interval']:g} s")
    if not entry["starts_on_keyframe"]:
        words.append("starts between key frames")
    return ", ".join(words)


async def _serve(cache_dir: Path, port_base: int | None, json_output: bool) -> None:
    site = DemoSite(cache_dir, port_base=port_base)
    await site.start()
    for entry in site.describe():
        print(json.dumps(entry) if json_output else format_line(entry), flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still interrupts
            loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        await site.stop()


def run(cache_dir: Path, *, port_base: int | None, json_output: bool) -> int:
    try:
        asyncio.run(_serve(cache_dir, port_base, json_output))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"serve-demo: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
