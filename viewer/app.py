"""Composition root: the command line, where files live, and the wiring of the layers.

``vigil``                 the operator's window
``vigil --demo``          the window with the built-in demo site playing
``vigil serve-demo``      only the demo servers, headless, for other clients and scripts
``vigil --demo --self-check``  whether this installation plays every kind of demo site
``vigil --version``       Vigil's version and those of Qt, FFmpeg and the rest, for IT
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtWidgets import QApplication

from viewer import __version__
from viewer.backends.rtsp import RtspBackend, RtspCamera
from viewer.core.errors import VigilError
from viewer.core.models import CameraRef, Site
from viewer.demo import serve
from viewer.demo.footage import ALL_CAMERAS, DEMO_CAMERAS
from viewer.demo.site import DemoSiteThread
from viewer.media import hwaccel
from viewer.services.console import Console
from viewer.services.diagnostics import report
from viewer.services.logs import log_unhandled_errors, setup_logging
from viewer.services.preload import preload
from viewer.services.settings import RENDERERS, Layout
from viewer.ui import application
from viewer.ui import renderer as video_renderer
from viewer.ui.application import until_quit
from viewer.ui.main_window import MainWindow, versions

log = logging.getLogger("viewer")

DEMO_SITE_ID = "demo"
DEMO_XPROTECT_ID = "demo-xprotect"
DEMO_GATEWAY_ID = "demo-gateway"
DEMO_MIBEE_ID = "demo-mibee"
DEMO_VMS_SITES = {
    "milestone": (DEMO_XPROTECT_ID, "Demo XProtect"),
    "gateway": (DEMO_GATEWAY_ID, "Demo REST gateway"),
    "mibee": (DEMO_MIBEE_ID, "Demo MiBee NVR"),
}
"""The demo's simulated VMS sites by the kind ``describe()`` lists them under."""


@dataclass(frozen=True)
class Paths:
    """Where Vigil keeps things; each can be moved with an environment variable."""

    config: Path
    cache: Path
    logs: Path

    @classmethod
    def from_environment(cls) -> Paths:
        def pick(variable: str, default: Path) -> Path:
            value = os.environ.get(variable)
            return Path(value) if value else default

        return cls(
            config=pick("VIGIL_CONFIG_DIR", platformdirs.user_config_path("vigil")),
            cache=pick("VIGIL_CACHE_DIR", platformdirs.user_cache_path("vigil")),
            logs=pick("VIGIL_LOG_DIR", platformdirs.user_log_path("vigil")),
        )

    @property
    def settings(self) -> Path:
        return self.config / "settings.json"

    @property
    def demo_footage(self) -> Path:
        return self.cache / "demo"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="vigil", description="One operator console for the cameras of several VMSs."
    )
    # Not argparse's "version" action: it rewraps the text into one line.
    parser.add_argument(
        "--version", action="store_true", help="show the versions of Vigil and its libraries"
    )
    parser.add_argument(
        "--demo", action="store_true", help="start the built-in demo site and play it"
    )
    parser.add_argument("--debug", action="store_true", help="log in detail")
    parser.add_argument(
        "--renderer",
        choices=RENDERERS,
        default=None,
        help="draw video with OpenGL (gl), without (raster), or GL on a real GPU only "
        "(auto); overrides the setting",
    )
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="with --demo: play a camera of every demo site (RTSP, RTSPS, XProtect over "
        "WebRTC, MiBee over HLS, the REST gateway), say whether each decoded, exit 0 if all did",
    )
    parser.add_argument(
        "--seconds", type=float, default=60, help="how long --self-check waits for pictures"
    )
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser(
        "serve-demo", help="run only the demo servers, headless, until interrupted"
    )
    serve.add_argument("--json", action="store_true", help="one JSON object per line")
    serve.add_argument(
        "--port-base", type=int, default=None, help="first port to use (default: any free)"
    )
    from viewer import export_command  # noqa: PLC0415 (it builds on this module)

    export_command.add_parser(commands)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.version:
        print(report(versions()))
        return 0
    paths = Paths.from_environment()
    level = logging.DEBUG if args.debug else logging.INFO
    log_file = setup_logging(paths.logs, level)
    log_unhandled_errors()
    log.info("Vigil %s starting; log file %s", __version__, log_file)
    if args.command == "serve-demo":
        return serve.run(paths.demo_footage, port_base=args.port_base, json_output=args.json)
    if args.command == "export":
        from viewer import export_command  # noqa: PLC0415 (it builds on this module)

        return export_command.run(args, paths)
    if args.self_check:
        from viewer import self_check  # noqa: PLC0415 (it builds on this module)

        return application.run(
            lambda app: self_check.run(
                app, paths.demo_footage, log_file, args.seconds, renderer=args.renderer
            )
        )
    return application.run(
        lambda app: _gui_session(app, paths, log_file, demo=args.demo, renderer=args.renderer)
    )


async def _gui_session(
    app: QApplication, paths: Paths, log_file: Path, *, demo: bool, renderer: str | None = None
) -> int:
    console = Console(paths.settings)
    choose_video_path(renderer or console.settings.renderer, console.settings.hardware_decode)
    window = MainWindow(console, log_file=log_file)
    default_layout = demo_layout() if demo else Layout()
    window.restore_session(default_layout)
    window.show()
    preload()
    application.freeze_startup()
    demo_site = None
    footage_notice: asyncio.Task[None] | None = None
    if demo:
        demo_site = DemoSiteThread(paths.demo_footage)
        await asyncio.to_thread(demo_site.start)
        await add_demo_sites(console, demo_site.site.describe())
        footage_notice = asyncio.create_task(_report_footage(window, demo_site))
    await console.start()
    try:
        await until_quit(app)
    finally:
        if footage_notice is not None:
            footage_notice.cancel()
        await window.closed()
        await console.stop()
        if demo_site is not None:
            await asyncio.to_thread(demo_site.stop)
    return 0


async def _report_footage(window: MainWindow, demo_site: DemoSiteThread) -> None:
    """On a first run the demo footage is still being encoded: say so until it is done,
    so that cameras that take a while to come up do not look broken."""
    cameras = [camera.id for camera in ALL_CAMERAS]
    announced = False
    while True:
        ready, total = await asyncio.to_thread(demo_site.site.library.progress, cameras)
        if ready == total:
            if announced:
                window.statusBar().showMessage("Demo footage ready", 5000)
            return
        window.statusBar().showMessage(
            f"Preparing the demo footage (first run only): {ready} of {total} streams ready"
        )
        announced = True
        await asyncio.sleep(1)


async def add_demo_sites(console: Console, description: Sequence[dict[str, Any]]) -> None:
    """The demo's RTSP cameras and its simulated VMS sites, for this session only: a
    certificate pinned by the fingerprint the demo reports, passwords in memory."""
    await console.add_site(demo_backend(description))
    for entry in description:
        if entry["kind"] not in DEMO_VMS_SITES:
            continue
        site_id, name = DEMO_VMS_SITES[entry["kind"]]
        try:
            await console.sites.add_unsaved(
                site_id,
                entry["kind"],
                name,
                entry["url"],
                user=entry["user"],
                password=entry["password"],
                fingerprint=entry.get("sha256") or "",
            )
        except VigilError as exc:
            log.error("the demo site %s could not be added: %s", name, exc)


def choose_video_path(renderer: str, hardware_decode: str) -> None:
    """Before the first grid: which renderer draws, what decode threads hand it, and
    whether streams are decoded on the GPU (ui/renderer.py, media/hwaccel.py)."""
    choice = video_renderer.configure(video_renderer.choose(renderer))
    hwaccel.configure(hardware_decode, gl_renderer=choice.gl)


def demo_layout() -> Layout:
    refs = [CameraRef(DEMO_SITE_ID, camera.id) for camera in DEMO_CAMERAS[:4]]
    return Layout(grid=2, tiles=list(refs), selected=0)


def demo_backend(description: Sequence[dict[str, Any]]) -> RtspBackend:
    """The demo site's cameras as a plain RTSP site, from what the demo servers describe."""
    streams = [entry for entry in description if entry["kind"] == "stream"]
    cameras: dict[str, dict[str, Any]] = {}
    for entry in streams:
        cameras.setdefault(entry["camera"], {"name": entry["name"]})[entry["quality"]] = entry
    password = streams[0]["password"] if streams else None
    site = Site(id=DEMO_SITE_ID, name="Demo cameras", kind="demo")
    built = [
        RtspCamera(
            id=camera_id,
            name=info["name"],
            main_url=info["main"]["url"],
            sub_url=info["sub"]["url"] if "sub" in info else None,
            user=info["main"]["user"],
            main_size=(info["main"]["width"], info["main"]["height"]),
            sub_size=(info["sub"]["width"], info["sub"]["height"]) if "sub" in info else None,
        )
        for camera_id, info in cameras.items()
    ]
    # The demo's ONVIF dome is one of its RTSP cameras: its stream is the dome's view, so
    # the operator sees it move (one size only), and it moves by its ONVIF address.
    for onvif in (entry for entry in description if entry["kind"] == "onvif"):
        built = [
            replace(
                camera,
                main_url=onvif["rtsp"],
                sub_url=None,
                main_size=None,
                sub_size=None,
                onvif_url=onvif["url"],
            )
            if camera.id == onvif["camera"]
            else camera
            for camera in built
        ]
    return RtspBackend(site, built, passwords=lambda _camera_id: password)
