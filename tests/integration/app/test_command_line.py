"""The `vigil` command: the versions IT asks for, and the headless demo servers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys

from viewer import __version__


def vigil(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "viewer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_version_names_every_library_that_touches_a_stream():
    process = vigil("--version")
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    versions = dict(line.split(" ", 1) for line in out.splitlines())
    assert versions["Vigil"] == __version__
    for name in ("Qt", "PySide6", "FFmpeg", "PyAV", "aiortc", "Python"):
        assert re.fullmatch(r"\d+(\.\d+)+", versions[name]), (name, versions.get(name))
    assert versions["OS"]


def test_serve_demo_json_describes_every_server_and_stream_then_stops_on_sigint():
    port = free_port()
    with vigil("serve-demo", "--json", "--port-base", str(port)) as process:
        try:
            lines = [json.loads(process.stdout.readline()) for _ in range(33)]
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(20)
    assert process.returncode == 0
    server, streams = lines[0], lines[1:]
    assert server == {
        "kind": "rtsp",
        "name": "Demo RTSP server",
        "url": f"rtsp://127.0.0.1:{port}/",
        "user": "demo",
        "password": "demo",
    }
    assert len(streams) == 32
    main = streams[0]
    assert main["kind"] == "stream"
    assert (main["camera"], main["quality"]) == ("cam01", "main")
    assert main["url"] == f"rtsp://127.0.0.1:{port}/demo/cam01/main"
    assert (main["width"], main["height"], main["fps"]) == (1920, 1080, 25)
    assert {s["quality"] for s in streams} == {"main", "sub"}
    assert len({s["camera"] for s in streams}) == 16


def test_serve_demo_text_names_urls_and_credentials():
    port = free_port()
    with vigil("serve-demo", "--port-base", str(port)) as process:
        try:
            first = process.stdout.readline()
            second = process.stdout.readline()
        finally:
            process.terminate()
            process.wait(20)
    assert f"rtsp://127.0.0.1:{port}/" in first
    assert "user demo" in first
    assert "password demo" in first
    assert f"rtsp://127.0.0.1:{port}/demo/cam01/main" in second


def test_a_busy_port_is_a_clear_error_not_a_traceback():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = vigil("serve-demo", "--port-base", str(port), env={**os.environ})
        _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in err
    assert "serve-demo:" in err
