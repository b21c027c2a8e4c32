"""The one interface every VMS backend implements.

A backend declares what it can do in :class:`Capabilities`; the UI shows only what is
declared, so an operator never meets a button that cannot work. Backends return
stream *descriptions*, never frames: turning a description into pictures is the
media layer's job. Everything a backend raises is a :mod:`viewer.core.errors` type.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from viewer.core.errors import NotSupportedError
from viewer.core.models import (
    Bookmark,
    CameraGroup,
    CameraStatus,
    Event,
    EvidenceLock,
    Output,
    Preset,
    PtzCapabilities,
    PtzDirection,
    PtzPosition,
    Quality,
    Site,
    SiteHealth,
    StreamInfo,
    Timeline,
    TimeSpan,
)
from viewer.core.streams import StreamDescription


@dataclass(frozen=True)
class Capabilities:
    live: bool = True
    playback: bool = False
    timeline: bool = False
    events: bool = False
    ptz: bool = False
    presets: bool = False
    bookmarks: bool = False
    evidence_lock: bool = False
    export: bool = False
    snapshot: bool = False
    sub_streams: bool = False
    outputs: bool = False
    lossless_playback_speed: float = 1.0
    """The fastest playback speed at which the site's stream still carries every recorded
    picture: recorders thin fast playback out (key frames only, or a picture every so
    often), and evidence recorded from a playback stream must hold every picture."""


ExportProgress = Callable[[float], None]
"""The part of a server's export job done (0 to 1), as the server reports it."""


class Backend(abc.ABC):
    """One connected site. Instances are owned by a SiteSession in the services layer."""

    site: Site
    capabilities: Capabilities

    @abc.abstractmethod
    async def open(self) -> None:
        """Authenticate and start whatever keeps the session alive."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop timers and keep-alives and log out where the VMS wants it."""

    @abc.abstractmethod
    async def camera_tree(self) -> CameraGroup:
        """The site's groups and cameras, as the VMS arranges them."""

    @abc.abstractmethod
    async def live(self, camera_id: str, quality: Quality) -> StreamDescription:
        """How to open the camera's live stream in the given quality."""

    async def camera_streams(self, camera_id: str) -> tuple[StreamInfo, ...]:
        """The streams of a camera the tree gave without any (``streams == ()``): a site
        that pays a request per camera for them lists them only when asked."""
        raise NotSupportedError(f"{self.site.name} lists no streams of its own")

    async def playback(self, camera_id: str, at: datetime, speed: float) -> StreamDescription:
        raise NotSupportedError(f"{self.site.name} has no recordings to play back")

    async def health(self) -> SiteHealth:
        """The server's own account of itself (asked every 30 s while the site is open);
        a server that cannot be asked raises, as any request would."""
        raise NotSupportedError(f"{self.site.name} reports no health of its own")

    async def timeline(self, camera_id: str, span: TimeSpan) -> Timeline:
        raise NotSupportedError(f"{self.site.name} has no timeline")

    def events(self) -> AsyncIterator[Event]:
        raise NotSupportedError(f"{self.site.name} sends no events")

    async def events_between(self, camera_id: str | None, span: TimeSpan) -> tuple[Event, ...]:
        """The stored events of ``span`` (of one camera, or of all), oldest first."""
        raise NotSupportedError(f"{self.site.name} keeps no events")

    def watch_camera_status(self, listener: Callable[[str, CameraStatus], None]) -> None:
        """``listener(camera_id, status)`` on every change the site reports after
        ``open()``."""
        raise NotSupportedError(f"{self.site.name} reports no camera status")

    async def ptz_capabilities(self, camera_id: str) -> PtzCapabilities:
        raise NotSupportedError(f"{self.site.name} has no PTZ control")

    async def ptz_step(self, camera_id: str, direction: PtzDirection) -> None:
        """One step in ``direction`` (or home)."""
        raise NotSupportedError(f"{self.site.name} cannot step this camera")

    async def ptz_presets(self, camera_id: str) -> tuple[Preset, ...]:
        raise NotSupportedError(f"{self.site.name} has no PTZ presets")

    async def ptz_goto_preset(self, camera_id: str, preset_id: str) -> None:
        raise NotSupportedError(f"{self.site.name} has no PTZ presets")

    async def ptz_position(self, camera_id: str) -> PtzPosition:
        raise NotSupportedError(f"{self.site.name} does not report PTZ positions")

    async def ptz_move_to(self, camera_id: str, position: PtzPosition, speed: float = 1.0) -> None:
        raise NotSupportedError(f"{self.site.name} cannot move to a PTZ position")

    async def ptz_move(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        """A continuous move at these velocities (-1 to 1) while a control is held; sent
        again while it stays held (servers drop a move nobody renews), ``ptz_stop`` on
        release."""
        raise NotSupportedError(f"{self.site.name} cannot move this camera continuously")

    async def ptz_stop(self, camera_id: str) -> None:
        raise NotSupportedError(f"{self.site.name} cannot move this camera continuously")

    async def ptz_move_by(self, camera_id: str, pan: float, tilt: float, zoom: float) -> None:
        """A relative move: pan and tilt in the units of :class:`PtzPosition` (a pan of
        1 is half a turn), zoom in its 0-1 range; for a VMS without continuous moves,
        sent again while a control is held."""
        raise NotSupportedError(f"{self.site.name} cannot move this camera by an amount")

    async def ptz_save_preset(self, camera_id: str, name: str) -> Preset:
        """Where the camera points now, kept by the VMS under ``name``."""
        raise NotSupportedError(f"{self.site.name} cannot save PTZ presets")

    async def ptz_delete_preset(self, camera_id: str, preset_id: str) -> None:
        raise NotSupportedError(f"{self.site.name} cannot delete PTZ presets")

    async def create_bookmark(
        self, camera_id: str, span: TimeSpan, header: str, description: str = ""
    ) -> Bookmark:
        raise NotSupportedError(f"{self.site.name} keeps no bookmarks")

    async def bookmark(self, bookmark_id: str) -> Bookmark:
        raise NotSupportedError(f"{self.site.name} keeps no bookmarks")

    async def bookmarks(self, camera_id: str, span: TimeSpan) -> tuple[Bookmark, ...]:
        """The camera's bookmarks that overlap ``span``, oldest first."""
        raise NotSupportedError(f"{self.site.name} keeps no bookmarks")

    async def update_bookmark(self, bookmark: Bookmark) -> Bookmark:
        """Stores ``bookmark``'s span, header and description under its id."""
        raise NotSupportedError(f"{self.site.name} keeps no bookmarks")

    async def delete_bookmark(self, bookmark_id: str) -> None:
        raise NotSupportedError(f"{self.site.name} keeps no bookmarks")

    async def create_evidence_lock(
        self, camera_ids: Sequence[str], span: TimeSpan, header: str, description: str = ""
    ) -> EvidenceLock:
        raise NotSupportedError(f"{self.site.name} cannot lock evidence")

    async def evidence_locks(self, span: TimeSpan) -> tuple[EvidenceLock, ...]:
        """The site's evidence locks that overlap ``span``."""
        raise NotSupportedError(f"{self.site.name} cannot lock evidence")

    async def delete_evidence_lock(self, lock_id: str) -> None:
        raise NotSupportedError(f"{self.site.name} cannot lock evidence")

    async def snapshot(self, camera_id: str, width: int, height: int) -> bytes:
        """A JPEG of the camera's current picture, at most ``width`` x ``height``."""
        raise NotSupportedError(f"{self.site.name} takes no snapshots")

    async def export_recording(
        self, camera_id: str, span: TimeSpan, progress: ExportProgress | None = None
    ) -> str:
        """A file of the camera's recording over ``span``, made by the server: the address
        to download it from once it is ready; ``progress`` hears the job's advance while
        the server builds the file."""
        raise NotSupportedError(f"{self.site.name} makes no exports")

    async def outputs(self) -> tuple[Output, ...]:
        """The site's outputs (relays, sirens) the operator may switch."""
        raise NotSupportedError(f"{self.site.name} has no outputs to switch")

    async def set_output(self, output_id: str, active: bool) -> None:
        raise NotSupportedError(f"{self.site.name} has no outputs to switch")
