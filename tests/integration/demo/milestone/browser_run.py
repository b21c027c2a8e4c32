"""Chromium playing a camera from the simulated gateway, run inside a private network namespace.

test_browser.py starts this module under ``unshare -n`` (``-rn`` when not root) and reads
the JSON it prints. The namespace is what keeps the browser's WebRTC off the machine's
network: Chromium gathers no candidate at all without a non-loopback address and a
default route, so this module gives the namespace one, a veth pair with documentation
addresses (192.0.2.1, 192.0.2.2) and a default route that leads nowhere outside it, as
../shared/tools/netns-run does. Chromium then offers only mDNS names for 192.0.2.x; the
simulator offers 127.0.0.1 and learns the browser's address from its checks
(peer-reflexive).

Usage: ``python -m tests.integration.demo.milestone.browser_run <chromium> <camera demo id>``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.integration.backends.milestone.xprotect import PASSWORD, USER, serving, simulator
from viewer.demo.http import HttpServer, Request, Response
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.milestone.gateway import MilestoneSimulator

PAGE = Path(__file__).with_name("browser_page.html")
REPORT_LIMIT = 25.0
NAMESPACE_NETWORK = [
    ["ip", "link", "set", "lo", "up"],
    ["ip", "link", "add", "vigil0", "type", "veth", "peer", "name", "vigil1"],
    ["ip", "addr", "add", "192.0.2.1/24", "dev", "vigil0"],
    ["ip", "addr", "add", "192.0.2.2/24", "dev", "vigil1"],
    ["ip", "link", "set", "vigil0", "up"],
    ["ip", "link", "set", "vigil1", "up"],
    ["ip", "route", "add", "default", "via", "192.0.2.2", "dev", "vigil0"],
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # root, or a user namespace: the sandbox cannot start in either
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def spki_hash(certificate_pem: bytes) -> str:
    """What ``--ignore-certificate-errors-spki-list`` takes: base64 of the SHA-256 of the
    certificate's public key info. Only this certificate's errors are ignored."""
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


class PageServer:
    """Serves the page and its configuration on loopback, and takes its one report."""

    def __init__(self, config: dict[str, str]) -> None:
        self.config = config
        self.report: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.http = HttpServer(self.handle, server_name="vigil-test-page")

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    async def handle(self, request: Request) -> Response:
        if request.path == "/config":
            return Response(200, json.dumps(self.config).encode("utf-8"))
        if request.path == "/report" and request.method == "POST":
            if not self.report.done():
                self.report.set_result(json.loads(request.body))
            return Response(200, b"{}")
        if request.path == "/":
            return Response(200, PAGE.read_bytes(), "text/html; charset=utf-8")
        return Response(404, b"")


def server_side(server: MilestoneSimulator) -> dict[str, Any]:
    """How the simulator's end of each session connected: the nominated pair's remote
    candidate (aioice's own record) and what the browser posted."""
    sessions = []
    for session in server.webrtc.sessions.values():
        remote = None
        if session.peer is not None:
            ice = session.peer.getTransceivers()[0].sender.transport.transport
            nominated = ice._connection._nominated  # aioice keeps no public record
            if 1 in nominated:
                candidate = nominated[1].remote_candidate
                remote = {"address": candidate.host, "type": candidate.type}
        posted = [json.loads(text)["candidate"] for text in session.client_candidates]
        sessions.append({"remote": remote, "posted": posted})
    return {"sessions": sessions}


async def scenario(chromium: str, demo_id: str, profile: Path, log: IO[bytes]) -> dict[str, Any]:
    config = {"user": USER, "password": PASSWORD, "camera": CAMERAS[demo_id].id}
    page = PageServer(config)
    await page.http.start()
    try:
        async with serving(simulator()) as server:
            server.cors_origins = (page.origin,)
            config["gateway"] = server.url
            # Encoded now on a machine without the footage, not under the page's timer.
            await asyncio.to_thread(server.webrtc.library.load, demo_id, "main")
            browser = await asyncio.create_subprocess_exec(
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--ignore-certificate-errors-spki-list={spki_hash(server.certificate.pem)}",
                page.origin + "/",
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            try:
                async with asyncio.timeout(REPORT_LIMIT):
                    report = await page.report
                report["server"] = server_side(server)
            except TimeoutError:
                report = {"error": "no report from the page"}
            finally:
                browser.terminate()
                await browser.wait()
    finally:
        await page.http.stop()
    return report


def main() -> None:
    for command in NAMESPACE_NETWORK:
        subprocess.run(command, check=True)
    chromium, demo_id = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="vigil-chromium-") as profile:
        log_path = Path(profile, "chromium.log")
        with log_path.open("wb") as log:
            report = asyncio.run(scenario(chromium, demo_id, Path(profile), log))
        if "error" in report:
            report["log"] = log_path.read_text(errors="replace")[-4000:]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
