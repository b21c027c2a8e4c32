"""The operator's non-secret settings: sites, cameras added by URL, layout, window.

One JSON file in the platform config directory, written atomically (temp file, then
rename) so a crash mid-write leaves the previous version intact. A file that cannot
be read is moved aside, never overwritten, and the problem is reported: whatever the
operator saved can still be recovered by hand. Passwords are never in here.

Writing (an fsync can take a while on a busy disk) happens on one writer thread, so
the window never waits for the disk; the settings are turned into text on the
caller's thread first, so the writer never sees them half changed. One thread keeps
the writes in order: the last settings handed in are the ones on disk.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viewer.backends.rtsp import RtspCamera
from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import SettingsError
from viewer.core.models import Bookmark, CameraRef
from viewer.services.bookmark_json import bookmarks_from_json, bookmarks_to_json

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
GRID_SIZES = (1, 2, 3, 4, 5, 6, 8)
RENDERERS = ("auto", "gl", "raster")
HARDWARE_DECODE = ("auto", "on", "off")


@dataclass
class Layout:
    grid: int = 2
    tiles: list[CameraRef | None] = field(default_factory=list)
    selected: int = 0


# Site kinds this version connects to (besides the operator's own RTSP cameras).
SITE_KINDS = ("milestone", "mibee", "gateway")
# How a site's user logs in: a user of the VMS itself, or a Windows (domain) user.
LOGIN_KINDS = ("basic", "windows")


@dataclass(frozen=True)
class SiteConfig:
    """A VMS site the operator added: what it takes to connect again, never a password
    (that is in the keyring under the site's id)."""

    id: str
    kind: str
    name: str
    url: str
    user: str | None = None
    certificate: PinnedCertificate | None = None
    """The gateway's own certificate, trusted by the operator (most are self-signed)."""
    login: str = "basic"
    """One of LOGIN_KINDS."""


@dataclass
class Settings:
    cameras: list[RtspCamera] = field(default_factory=list)
    sites: list[SiteConfig] = field(default_factory=list)
    unknown_sites: list[dict[str, Any]] = field(default_factory=list)
    """Sites of kinds this version does not know (saved by a newer Vigil): written back
    as they were, so opening the file with an older version loses nothing."""
    layout: Layout | None = None
    """``None`` until the operator has had a layout: the app then picks a first one."""
    window_geometry: str | None = None
    window_state: str | None = None
    hidden_grace: float = 30.0
    """Seconds a hidden tile (another maximised, the window minimised) keeps its stream
    open without decoding, so it shows the current picture at once when it comes back."""
    bookmarks: list[Bookmark] = field(default_factory=list)
    """Bookmarks of sites that keep none of their own (services/bookmarks.py)."""
    renderer: str = "auto"
    """One of RENDERERS: the GL video renderer, the raster one, or GL on a real GPU."""
    hardware_decode: str = "auto"
    """One of HARDWARE_DECODE: "auto" decodes on the GPU only where the GL renderer
    draws (elsewhere the pictures come back for swscale, which gains little)."""


class SettingsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="settings-writer")

    def load(self) -> Settings:
        """The saved settings, or defaults; raises SettingsError after moving a bad file aside.

        The caller shows the error and carries on with defaults.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            raise SettingsError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            return settings_from_json(json.loads(text))
        except ValueError as exc:
            kept = self.path.with_name(
                f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            os.replace(self.path, kept)
            raise SettingsError(
                f"settings could not be read ({exc}); the file was kept as {kept}"
            ) from None

    def save(self, settings: Settings) -> None:
        """Write ``settings`` and wait for it; raises the write's OSError."""
        self.save_soon(settings).result()

    def save_soon(self, settings: Settings) -> Future[None]:
        """Snapshot ``settings`` now and write them on the writer thread, after any
        earlier write; the future ends with the write's OSError, if any."""
        text = json.dumps(settings_to_json(settings), indent=2, ensure_ascii=False)
        return self._writer.submit(self._write, text)

    def flush(self) -> None:
        """Wait until every write handed in so far has ended and been reported.

        Waiting on the last write's future would not do: it wakes its waiters before
        it runs its done-callbacks (where a failure is logged). The writer runs one
        job at a time, in order, callbacks included, so an empty job marks the end.
        """
        self._writer.submit(lambda: None).result()

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def settings_to_json(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "sites": [
            {
                "id": "cameras",
                "kind": "rtsp",
                "cameras": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "main_url": without_password(c.main_url),
                        "sub_url": c.sub_url and without_password(c.sub_url),
                        "user": c.user,
                        **_certificate_to_json(c.certificate),
                        **({"onvif_url": without_password(c.onvif_url)} if c.onvif_url else {}),
                    }
                    for c in settings.cameras
                ],
            },
            *(_site_to_json(site) for site in settings.sites),
            *settings.unknown_sites,
        ],
        "window": {"geometry": settings.window_geometry, "state": settings.window_state},
        "video": {
            "hidden_grace_seconds": settings.hidden_grace,
            "renderer": settings.renderer,
            "hardware_decode": settings.hardware_decode,
        },
    }
    if settings.bookmarks:
        out["bookmarks"] = bookmarks_to_json(settings.bookmarks)
    if settings.layout is not None:
        out["layout"] = {
            "grid": settings.layout.grid,
            "selected": settings.layout.selected,
            "tiles": [
                None if ref is None else {"site": ref.site_id, "camera": ref.camera_id}
                for ref in settings.layout.tiles
            ],
        }
    return out


def without_password(url: str) -> str:
    """``url`` as it may be written to disk: its user name kept, never a password.

    The authority ends where ``urlsplit`` ends it (the first ``/``, ``?`` or ``#``),
    which is where FFmpeg ends it too.
    """
    scheme, separator, rest = url.partition("://")
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    authority_end = min(ends, default=len(rest))
    userinfo, at, host = rest[:authority_end].rpartition("@")
    if not separator or not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}@{host}{rest[authority_end:]}"


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text")
    return value


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _choice(video: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    """A word from ``allowed``; one this version does not know (a newer Vigil's) is the
    default, so the file is not set aside for it."""
    value = video.get(name, allowed[0])
    if not isinstance(value, str):
        raise ValueError(f"video {name} {value!r} is not a word")
    return value if value in allowed else allowed[0]


def settings_from_json(data: object) -> Settings:
    """Parse the settings file; any shape it does not expect raises ValueError."""
    top = _object(data, "the settings file")
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise ValueError(f"unknown settings version {version!r}")
    settings = Settings()
    for entry in _list(top.get("sites", []), "sites"):
        site = _object(entry, "a site")
        if site.get("kind") == "rtsp":
            cameras = _list(site.get("cameras", []), "cameras")
            settings.cameras = [_camera_from_json(_object(c, "a camera")) for c in cameras]
        elif site.get("kind") in SITE_KINDS:
            settings.sites.append(_site_from_json(site))
        else:
            settings.unknown_sites.append(site)
    window = _object(top.get("window") or {}, "window")
    settings.window_geometry = _optional_text(window.get("geometry"), "window geometry")
    settings.window_state = _optional_text(window.get("state"), "window state")
    video = _object(top.get("video") or {}, "video")
    grace = video.get("hidden_grace_seconds", settings.hidden_grace)
    if isinstance(grace, bool) or not isinstance(grace, int | float) or not 0 <= grace <= 3600:
        raise ValueError(f"hidden tiles' grace period {grace!r} is not 0-3600 seconds")
    settings.hidden_grace = float(grace)
    settings.renderer = _choice(video, "renderer", RENDERERS)
    settings.hardware_decode = _choice(video, "hardware_decode", HARDWARE_DECODE)
    settings.bookmarks = bookmarks_from_json(top.get("bookmarks", []))
    if "layout" in top:
        settings.layout = _layout_from_json(_object(top["layout"], "layout"))
    return settings


def _camera_from_json(data: dict[str, Any]) -> RtspCamera:
    return RtspCamera(
        id=_text(data.get("id"), "camera id"),
        name=_text(data.get("name"), "camera name"),
        main_url=_text(data.get("main_url"), "main URL"),
        sub_url=_optional_text(data.get("sub_url"), "sub-stream URL"),
        user=_optional_text(data.get("user"), "user"),
        certificate=_certificate_from_json(data.get("certificate")),
        onvif_url=_optional_text(data.get("onvif_url"), "ONVIF address"),
    )


def _certificate_to_json(certificate: PinnedCertificate | None) -> dict[str, Any]:
    """The certificate the operator trusted for a camera: public, so it is kept here."""
    if certificate is None:
        return {}
    return {"certificate": {"sha256": certificate.fingerprint, "pem": certificate.pem}}


def _site_to_json(site: SiteConfig) -> dict[str, Any]:
    return {
        "id": site.id,
        "kind": site.kind,
        "name": site.name,
        "url": without_password(site.url),
        "user": site.user,
        "login": site.login,
        **_certificate_to_json(site.certificate),
    }


def _site_from_json(data: dict[str, Any]) -> SiteConfig:
    return SiteConfig(
        id=_text(data.get("id"), "site id"),
        kind=_text(data.get("kind"), "site kind"),
        name=_text(data.get("name"), "site name"),
        url=_text(data.get("url"), "site address"),
        user=_optional_text(data.get("user"), "site user"),
        certificate=_certificate_from_json(data.get("certificate")),
        login=_login_kind(data.get("login", "basic")),
    )


def _login_kind(value: object) -> str:
    if value not in LOGIN_KINDS:
        raise ValueError(f"unknown login kind {value!r}; known: {', '.join(LOGIN_KINDS)}")
    return str(value)


def _certificate_from_json(value: object) -> PinnedCertificate | None:
    """The fingerprint is what the operator saw and trusted: it must be the PEM's."""
    if value is None:
        return None
    data = _object(value, "a camera's certificate")
    certificate = PinnedCertificate.from_pem(_text(data.get("pem"), "certificate"))
    if _text(data.get("sha256"), "certificate fingerprint") != certificate.fingerprint:
        raise ValueError("a camera's certificate does not match its fingerprint")
    return certificate


def _layout_from_json(data: dict[str, Any]) -> Layout:
    grid = data.get("grid", 2)
    if grid not in GRID_SIZES or isinstance(grid, bool):
        raise ValueError(f"grid size {grid!r} is not one of {GRID_SIZES}")
    tiles: list[CameraRef | None] = []
    for entry in _list(data.get("tiles", []), "tiles")[: grid * grid]:
        if entry is None:
            tiles.append(None)
        else:
            tile = _object(entry, "a tile")
            tiles.append(
                CameraRef(
                    _text(tile.get("site"), "tile site"), _text(tile.get("camera"), "tile camera")
                )
            )
    selected = data.get("selected", 0)
    if not isinstance(selected, int) or not 0 <= selected < grid * grid:
        selected = 0
    return Layout(grid=grid, tiles=tiles, selected=selected)
