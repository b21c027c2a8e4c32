"""Shared by the benchmark scripts: the demo servers in a child process, the machine,
and the process's CPU and memory.

The demo servers run in their own process (`vigil serve-demo --json`) so that their
packetisation is not counted against the viewer being measured.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import av
import psutil

from viewer.demo.footage import ALL_CAMERAS


@dataclass
class DemoServers:
    servers: list[dict[str, Any]]
    streams: list[dict[str, Any]]

    def stream(self, camera: str, quality: str) -> dict[str, Any]:
        for entry in self.streams:
            if entry["camera"] == camera and entry["quality"] == quality:
                return entry
        raise KeyError(f"{camera}/{quality}")

    def cameras(self) -> list[str]:
        """The everyday cameras (25 fps, a key frame every 2 s, sessions starting on
        one), which every run compares on; the site's cameras with real sites' habits
        (1 fps, a 10 s key-frame interval...) would make runs incomparable."""
        everyday = [
            entry["camera"]
            for entry in self.streams
            if entry["fps"] == 25
            and not entry["variable_fps"]
            and entry["keyframe_interval"] == 2
            and entry["starts_on_keyframe"]
        ]
        return list(dict.fromkeys(everyday))

    def authenticated_url(self, camera: str, quality: str) -> str:
        entry = self.stream(camera, quality)
        return entry["url"].replace("rtsp://", f"rtsp://{entry['user']}:{entry['password']}@", 1)


@contextmanager
def demo_servers(
    port_base: int | None = None, within: float = 60.0, kinds: tuple[str, ...] = ("rtsp",)
) -> Iterator[DemoServers]:
    """Run `vigil serve-demo --json` until the block ends.

    Returns once every camera stream and a server of each of ``kinds`` (``milestone``…)
    have been listed."""
    command = [sys.executable, "-m", "viewer", "serve-demo", "--json"]
    if port_base is not None:
        command += ["--port-base", str(port_base)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        servers, streams = [], []
        expected = sum(len(camera.profiles) for camera in ALL_CAMERAS)
        deadline = time.monotonic() + within
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("serve-demo exited before describing its servers")
            entry = json.loads(line)
            (streams if entry["kind"] == "stream" else servers).append(entry)
            listed = {server["kind"] for server in servers}
            if listed.issuperset(kinds) and len(streams) == expected:
                break
        yield DemoServers(servers, streams)
    finally:
        process.terminate()
        process.wait(10)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(logical=True),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "pyav": av.__version__,
        "ffmpeg": ".".join(map(str, av.ffmpeg_version_info))
        if isinstance(av.ffmpeg_version_info, tuple)
        else str(av.ffmpeg_version_info),
    }


class ProcessMeter:
    """CPU seconds (all threads) and wall seconds between start() and stop()."""

    def __init__(self) -> None:
        self.process = psutil.Process()

    def start(self) -> None:
        times = self.process.cpu_times()
        self._cpu0 = times.user + times.system
        self._wall0 = time.monotonic()

    def stop(self) -> tuple[float, float]:
        times = self.process.cpu_times()
        return times.user + times.system - self._cpu0, time.monotonic() - self._wall0

    def rss_mb(self) -> float:
        return self.process.memory_info().rss / 2**20


def print_result(result: dict[str, Any]) -> None:
    """The last line of every benchmark: one JSON object, comparable run to run."""
    print(json.dumps(result, separators=(",", ":")), flush=True)
