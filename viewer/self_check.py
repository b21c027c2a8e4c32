"""`vigil --demo --self-check`: does this installation show video from every kind of site?

An operator's IT, or CI against a freshly built package, runs it once after installing.
It starts the demo servers on loopback and opens the real window (offscreen works too)
with one tile for each simulator and each way Vigil receives video: plain RTSP, RTSPS with
a certificate pinned by its fingerprint, the simulated XProtect site over WebRTC, the
MiBee NVR over HLS and the REST gateway's RTSP. The sites are added as `vigil --demo`
adds them (app.add_demo_sites: the services an operator's site goes through, login and
camera tree included). It waits until each tile has painted decoded pictures of the
right camera, prints one line per site and exits 0 when all did, 1 otherwise.

The tiles play sub-streams only, of cameras whose sub-streams the demo encodes among the
first on a first run (seconds each): a check does not wait minutes for main streams. So
the MiBee tile is cam07, which that NVR offers over HLS only (its other cameras' RTSP is
their main stream, encoded last). The settings live in a temporary folder for the
check's duration, so the operator's saved layout and window are left as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from viewer.app import (
    DEMO_GATEWAY_ID,
    DEMO_MIBEE_ID,
    DEMO_SITE_ID,
    DEMO_XPROTECT_ID,
    add_demo_sites,
    choose_video_path,
)
from viewer.backends.rtsp import RtspBackend, RtspCamera
from viewer.core.models import CameraRef, Site
from viewer.demo.footage import FootageLibrary, camera_by_id
from viewer.demo.gateway.server import camera_guid
from viewer.demo.mibee.server import HLS_ONLY
from viewer.demo.milestone.directory import CAMERAS as XPROTECT_CAMERAS
from viewer.demo.site import DemoSiteThread
from viewer.services.console import Console
from viewer.services.pinning import certificate_to_pin
from viewer.services.settings import Layout
from viewer.ui.main_window import MainWindow
from viewer.ui.video_tile import VideoTile

log = logging.getLogger("viewer.self_check")

RTSPS_SITE_ID = "self-check-rtsps"
FRAMES_WANTED = 25
"""Distinct pictures each tile must paint: a second of video at 25 fps, enough to show
that decoding goes on, not just that one key frame got through."""
PATCH_TOLERANCE = 40
"""How far (per channel, 0-255) the painted corner patch may be from the camera's colour
after encoding, decoding and scaling."""


@dataclass
class Check:
    """One site's tile and what it painted."""

    site: str
    ref: CameraRef
    demo_camera: str
    quality: str = "sub"
    """The demo stream the tile plays, encoded ahead of the rest of the demo's footage."""
    frames: int = 0
    last: Any = field(default=None, repr=False)
    first_frame: float | None = None
    size: tuple[int, int] | None = None

    def line(self, tile: VideoTile, started: float) -> tuple[bool, str]:
        camera = camera_by_id(self.demo_camera)
        if not self.frames:
            return False, f"self-check {self.site}: FAILED, no picture; tile: {_state(tile)}"
        painted = _patch_colour(tile)
        right = all(
            abs(a - e) <= PATCH_TOLERANCE for a, e in zip(painted, camera.colour, strict=True)
        )
        width, height = self.size or (0, 0)
        first = (self.first_frame or started) - started
        summary = (
            f"{self.frames} frames of {camera.id} ({width}x{height}), first after {first:.2f} s"
        )
        if not right:
            return False, (
                f"self-check {self.site}: FAILED, {summary}, but the picture is not that "
                f"camera's (corner {painted}, expected {camera.colour})"
            )
        if self.frames < FRAMES_WANTED:
            return False, f"self-check {self.site}: FAILED, only {summary}"
        return True, f"self-check {self.site}: ok, {summary}"


async def run(
    _app: QApplication,
    demo_footage: Path,
    log_file: Path,
    seconds: float,
    *,
    renderer: str | None = None,
) -> int:
    """The check as a GUI session: 0 when every site's tile played, 1 otherwise.

    It draws with the renderer an operator's session would choose (or ``renderer``), so
    a machine whose GL path cannot show video fails the check instead of passing it on
    the raster path. Times are counted from the window's creation, before the demo
    servers start."""
    started = time.monotonic()
    done = asyncio.Event()
    with tempfile.TemporaryDirectory(prefix="vigil-self-check-") as folder:
        console = Console(Path(folder) / "settings.json")
        choose_video_path(renderer or console.settings.renderer, console.settings.hardware_decode)
        window = MainWindow(console, log_file=log_file)
        checks = [
            Check("RTSP", CameraRef(DEMO_SITE_ID, "cam01"), "cam01"),
            Check("RTSPS", CameraRef(RTSPS_SITE_ID, "cam02"), "cam02"),
            Check(
                "XProtect WebRTC",
                CameraRef(DEMO_XPROTECT_ID, XPROTECT_CAMERAS["cam01"].id),
                "cam01",
            ),
            # The NVR lists one stream per camera, so its tile plays the main stream.
            Check("MiBee HLS", CameraRef(DEMO_MIBEE_ID, HLS_ONLY[0]), HLS_ONLY[0], "main"),
            # Not a PTZ camera: their live view is the moving head's, not the footage.
            Check("Gateway RTSP", CameraRef(DEMO_GATEWAY_ID, camera_guid("cam03")), "cam03"),
        ]
        # Three by three in a small window: every tile is smaller than a sub-stream even
        # on a scaled screen, so sub-streams are asked for wherever a site has them.
        window.restore_session(Layout(grid=3, tiles=[check.ref for check in checks]))
        window.resize(960, 600)
        tiles = window.grid.tiles[: len(checks)]
        for tile, check in zip(tiles, checks, strict=True):
            tile.frame_painted.connect(
                lambda frame, c=check: _painted(c, frame, started, checks, done)
            )
        window.show()
        demo_site = DemoSiteThread(demo_footage)
        footage = _encode_first(demo_site.site.library, checks)
        await asyncio.sleep(0)  # its threads are asking before the demo's start
        try:
            await asyncio.to_thread(demo_site.start)
            await _add_sites(console, demo_site.site.describe())
            await console.start()
            await _wait(done, started + seconds)
            passed = _report(tiles, checks, started)
            print(f"self-check video drawn by: {window.grid.renderer_text}", flush=True)
        finally:
            window.close()
            await window.closed()
            await console.stop()
            await asyncio.to_thread(demo_site.stop)
            await footage
    return 0 if passed else 1


def _encode_first(library: FootageLibrary, checks: list[Check]) -> asyncio.Future[Any]:
    """On a first run, the streams the tiles play are encoded before the demo's other
    footage: asked for first, they wait on the library's encoders ahead of the demo's
    own preparation, which encodes every sub-stream before any main stream and whose
    workers, taking the next stream as they release the last (``threading.Semaphore``
    is not fair), could keep the cores from a later request. What cannot be encoded
    shows as a tile without a picture."""
    streams = dict.fromkeys((check.demo_camera, check.quality) for check in checks)
    return asyncio.gather(
        *(asyncio.to_thread(library.load, camera, quality) for camera, quality in streams),
        return_exceptions=True,
    )


async def _add_sites(console: Console, description: Sequence[dict[str, Any]]) -> None:
    await add_demo_sites(console, description)
    await console.add_site(await rtsps_backend(description))


async def rtsps_backend(description: Sequence[dict[str, Any]]) -> RtspBackend:
    """The demo's cam02 over RTSPS, its self-signed certificate pinned as an operator
    pins one: by the fingerprint the server is known to have (here, what the demo reports),
    compared with the certificate it presents."""
    server = next(entry for entry in description if entry["kind"] == "rtsps")
    stream = next(
        entry
        for entry in description
        if entry["kind"] == "stream" and entry["camera"] == "cam02" and entry["quality"] == "sub"
    )
    path = stream["url"].split("/", 3)[3]
    url = f"{server['url']}{path}"
    certificate = await certificate_to_pin([(url, "url")], trusted=server["sha256"])
    site = Site(id=RTSPS_SITE_ID, name="Self-check RTSPS", kind="demo")
    camera = RtspCamera(
        id="cam02",
        name=f"{stream['name']} (RTSPS)",
        main_url=url,
        user=server["user"],
        main_size=(stream["width"], stream["height"]),
        certificate=certificate,
    )
    password = server["password"]
    return RtspBackend(site, [camera], passwords=lambda _camera_id: password)


async def _wait(done: asyncio.Event, deadline: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), max(0.0, deadline - time.monotonic()))


def _report(tiles: list[VideoTile], checks: list[Check], started: float) -> bool:
    passed = True
    for tile, check in zip(tiles, checks, strict=True):
        tile.frame_painted.disconnect()
        ok, line = check.line(tile, started)
        (log.info if ok else log.error)("%s", line)
        print(line, flush=True)
        passed = passed and ok
    return passed


def _painted(
    check: Check, frame: Any, started: float, checks: list[Check], done: asyncio.Event
) -> None:
    if frame is None:  # a tile paints its message while it has no picture yet
        return
    if check.first_frame is None:
        check.first_frame = time.monotonic()
        line = f"self-check {check.site}: first frame after {check.first_frame - started:.2f} s"
        log.info("%s", line)
        print(line, flush=True)
    if frame is not check.last:  # a repaint of the same picture is not a new frame
        check.frames += 1
        check.last = frame
    if all(each.frames >= FRAMES_WANTED for each in checks):
        done.set()
    check.size = (frame.source_width, frame.source_height)


def _patch_colour(tile: VideoTile) -> tuple[int, int, int]:
    """The painted colour at the centre of the demo footage's corner patch, as the window
    shows it: on the GL path the picture is drawn by the grid's GL surface under the
    tile, so the tile's own grab holds only its overlays."""
    rect = tile.video_rect()
    window = tile.window()
    image = window.grab(QRect(tile.mapTo(window, QPoint(0, 0)), tile.size())).toImage()
    ratio = image.devicePixelRatio()
    x = rect.x() + rect.width() * 15 / 16
    y = rect.y() + rect.height() * 15 / 16
    colour = image.pixelColor(round(x * ratio), round(y * ratio))
    return colour.red(), colour.green(), colour.blue()


def _state(tile: VideoTile) -> str:
    info = tile.state
    return f"{info.state.name.lower()}" + (f" ({info.error})" if info.error else "")
