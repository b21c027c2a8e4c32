"""`vigil export`: evidence export without the window, for investigators' scripts.

Sites are the operator's, as saved in the settings (passwords from the keyring);
``--demo`` starts the demo servers in this process and adds the demo sites under the
names `vigil serve-demo` prints. Progress goes to stderr, one line per step; the exit
code tells a script what happened, so it need not read the words.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from viewer.app import DEMO_VMS_SITES, Paths, demo_backend
from viewer.backends.base import Backend
from viewer.core.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    VigilError,
)
from viewer.core.models import Camera, CameraGroup, TimeSpan
from viewer.demo.site import DemoSite
from viewer.services.export import ExportCancelled, ExportJob
from viewer.services.pinning import certificate_to_pin
from viewer.services.secrets import SecretStore
from viewer.services.settings import SettingsStore, SiteConfig
from viewer.services.sites import backend_for, secret_key

OK = 0
FAILED = 1
"""The site, the network or the disk failed; the words say which."""
UNKNOWN = 2
"""Bad arguments, or no such site or camera."""
NO_RECORDING = 3
NO_RIGHTS = 4
NOT_SUPPORTED = 5
CANCELLED = 130

EPILOG = (
    "Exit codes: 0 every clip, the manifest and SHA256SUMS written; 1 failed; "
    "2 bad arguments or unknown site or camera; 3 no recording in the span; "
    "4 no rights; 5 the site cannot export; 130 interrupted."
)


def add_parser(commands: Any) -> None:
    """The ``export`` subcommand on ``vigil``'s parser."""
    parser = commands.add_parser(
        "export",
        help="export a camera's recording over a span to MP4, with a manifest and checksums",
        epilog=EPILOG,
    )
    parser.add_argument("--site", required=True, help="the site's name as saved (or its id)")
    parser.add_argument(
        "--camera", required=True, action="append", help="a camera's name or id (repeatable)"
    )
    parser.add_argument("--start", required=True, help="ISO-8601, e.g. 2026-03-01T14:00:00+01:00")
    parser.add_argument("--end", required=True, help="ISO-8601; local time if no offset")
    parser.add_argument("--out", required=True, help="the folder to write into")
    parser.add_argument(
        "--burn-in", action="store_true", help="burn the camera name and time in (re-encodes)"
    )
    parser.add_argument(
        "--demo", action="store_true", help="start the demo servers and add the demo sites"
    )


@dataclass(frozen=True)
class _Failure(Exception):
    code: int
    words: str


def run(args: argparse.Namespace, paths: Paths) -> int:
    try:
        return asyncio.run(_export(args, paths))
    except _Failure as failure:
        print(f"vigil export: {failure.words}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:
        print("vigil export: interrupted; nothing was left in the folder", file=sys.stderr)
        return CANCELLED


async def _export(args: argparse.Namespace, paths: Paths) -> int:
    span = TimeSpan(*_span(args.start, args.end))
    demo = DemoSite(paths.demo_footage) if args.demo else None
    if demo is not None:
        _say("Starting the demo servers")
        await demo.start()
    try:
        backend = await _backend(args.site, paths, demo)
        try:
            await backend.open()
            cameras = [_camera(await backend.camera_tree(), name) for name in args.camera]
            job = ExportJob(
                backend, cameras, span, _folder(args.out), burn_in=args.burn_in, listener=_Lines()
            )
            result = await job.run()
        finally:
            await backend.close()
    except _Failure:
        raise
    except ExportCancelled:
        raise _Failure(CANCELLED, "cancelled; nothing was left in the folder") from None
    except VigilError as exc:
        raise _Failure(_code(exc), str(exc)) from None
    finally:
        if demo is not None:
            await demo.stop()
    for name in result.files:
        print(result.folder / name)
    return OK


def _code(exc: VigilError) -> int:
    if isinstance(exc, InvalidInputError):
        return UNKNOWN
    if isinstance(exc, NotFoundError):
        return NO_RECORDING
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return NO_RIGHTS
    if isinstance(exc, NotSupportedError):
        return NOT_SUPPORTED
    return FAILED


def _span(start: str, end: str) -> tuple[datetime, datetime]:
    begins, ends = _moment(start, "--start"), _moment(end, "--end")
    if ends <= begins:
        raise _Failure(UNKNOWN, "--end must come after --start")
    return begins, ends


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _Failure(UNKNOWN, f"{option}: {text!r} is not an ISO-8601 time") from None
    # Without an offset it is the operator's local time, as a person would mean it.
    return moment if moment.tzinfo is not None else moment.astimezone()


def _folder(text: str) -> Path:
    return Path(text).expanduser()


async def _backend(name: str, paths: Paths, demo: DemoSite | None) -> Backend:
    """The site called ``name`` (or with that id): the demo's first, then the saved."""
    wanted = name.strip().casefold()
    known: list[str] = []
    if demo is not None:
        description = demo.describe()
        rtsp = demo_backend(description)
        known.append(rtsp.site.name)
        if wanted in (rtsp.site.name.casefold(), rtsp.site.id):
            return rtsp
        for entry in description:
            if entry["kind"] not in DEMO_VMS_SITES:
                continue
            site_id, site_name = DEMO_VMS_SITES[entry["kind"]]
            known.append(site_name)
            if wanted in (site_name.casefold(), site_id):
                pin = await certificate_to_pin([(entry["url"], "url")], entry.get("sha256") or "")
                config = SiteConfig(
                    site_id, entry["kind"], site_name, entry["url"], entry["user"], pin
                )
                return backend_for(config, entry["password"])
    settings = SettingsStore(paths.settings).load()
    for config in settings.sites:
        known.append(config.name)
        if wanted in (config.name.casefold(), config.id):
            secrets = SecretStore()
            await secrets.load([secret_key(config.id)])
            return backend_for(config, secrets.cached(secret_key(config.id)))
    listed = ", ".join(repr(site) for site in known) or "none (add one in the window, or --demo)"
    raise _Failure(UNKNOWN, f"no site called {name!r}; the sites are: {listed}")


def _cameras(group: CameraGroup) -> Iterator[Camera]:
    yield from group.cameras
    for child in group.groups:
        yield from _cameras(child)


def _camera(tree: CameraGroup, name: str) -> Camera:
    wanted = name.strip().casefold()
    cameras = list(_cameras(tree))
    for camera in cameras:
        if wanted in (camera.name.casefold(), camera.ref.camera_id.casefold()):
            return camera
    raise _Failure(UNKNOWN, f"{tree.name} has no camera called {name!r}")


class _Lines:
    """Progress on stderr: a line when the step changes or another tenth is done."""

    def __init__(self) -> None:
        self._last: tuple[str, int] | None = None

    def __call__(self, fraction: float, words: str) -> None:
        shown = (words, int(fraction * 10))
        if shown != self._last:
            self._last = shown
            _say(f"{fraction:4.0%}  {words}")


def _say(words: str) -> None:
    with contextlib.suppress(OSError):
        print(words, file=sys.stderr, flush=True)
