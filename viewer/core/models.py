"""Plain data shared by every layer: what a site holds and what the scrubber shows.

Every backend maps its vendor's vocabulary onto these in its own parser module. All
times are timezone-aware UTC; local time is a concern of the UI only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Quality(StrEnum):
    """Which of a camera's encodings: the full-resolution one or the small one."""

    MAIN = "main"
    SUB = "sub"


class CameraStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CameraRef:
    """A camera's identity across restarts: what layouts and settings store."""

    site_id: str
    camera_id: str

    def __str__(self) -> str:
        return f"{self.site_id}/{self.camera_id}"


@dataclass(frozen=True)
class StreamInfo:
    """One encoding a camera offers; the size is ``None`` until someone has seen it."""

    quality: Quality
    width: int | None = None
    height: int | None = None
    codec: str | None = None


@dataclass(frozen=True)
class Camera:
    ref: CameraRef
    name: str
    streams: tuple[StreamInfo, ...] = (StreamInfo(Quality.MAIN),)
    status: CameraStatus = CameraStatus.UNKNOWN
    ptz: bool = False


@dataclass(frozen=True)
class CameraGroup:
    """A folder of the camera tree; a camera may appear in several groups."""

    id: str
    name: str
    cameras: tuple[Camera, ...] = ()
    groups: tuple[CameraGroup, ...] = ()

    def all_cameras(self) -> tuple[Camera, ...]:
        """Each camera once, in tree order, however many groups hold it."""
        seen: dict[CameraRef, Camera] = {}
        stack: list[CameraGroup] = [self]
        while stack:
            group = stack.pop(0)
            for camera in group.cameras:
                seen.setdefault(camera.ref, camera)
            stack[:0] = group.groups
        return tuple(seen.values())


@dataclass(frozen=True)
class Site:
    """A connected system: one VMS, one gateway, or the operator's own RTSP cameras."""

    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class TimeSpan:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeSpan needs timezone-aware datetimes")
        if self.end < self.start:
            raise ValueError("TimeSpan ends before it starts")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class RecordingSegment:
    span: TimeSpan


@dataclass(frozen=True)
class Event:
    """Something that happened at a source: motion, an alarm, a status change."""

    id: str
    time: datetime
    type: str
    camera: CameraRef | None = None
    description: str = ""


@dataclass(frozen=True)
class Bookmark:
    id: str
    camera: CameraRef
    span: TimeSpan
    header: str
    description: str = ""


@dataclass(frozen=True)
class EvidenceLock:
    """Recordings of some cameras over a span, kept from deletion until it is removed."""

    id: str
    cameras: tuple[CameraRef, ...]
    span: TimeSpan
    header: str
    description: str = ""


@dataclass(frozen=True)
class Timeline:
    """What the scrubber draws for one camera over one span."""

    span: TimeSpan
    segments: tuple[RecordingSegment, ...] = ()
    events: tuple[Event, ...] = ()
    bookmarks: tuple[Bookmark, ...] = ()


class PtzDirection(StrEnum):
    """A step move, as a VMS without continuous control offers it (XProtect's data channel)."""

    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    UP_LEFT = "upLeft"
    UP_RIGHT = "upRight"
    DOWN_LEFT = "downLeft"
    DOWN_RIGHT = "downRight"
    HOME = "home"


@dataclass(frozen=True)
class PtzPosition:
    """Where a camera points: pan and tilt from -1 to 1, zoom from 0 (wide) to 1."""

    pan: float
    tilt: float
    zoom: float


@dataclass(frozen=True)
class Preset:
    id: str
    name: str


@dataclass(frozen=True)
class Output:
    """A device output an operator can switch: a relay opening a barrier, a siren."""

    id: str
    name: str


@dataclass(frozen=True)
class PtzCapabilities:
    continuous: bool = False
    absolute: bool = False
    relative: bool = False
    zoom: bool = False
    presets: tuple[Preset, ...] = field(default=())


class HealthState(StrEnum):
    """How a site's server says it is: a degraded one still serves (a disk filling, a
    recorder restarting), a down one cannot, or could not be asked at all."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class SiteHealth:
    """A server's account of itself, kept in its words for the operator.

    ``summary`` is the server's own word for itself ("healthy", "degraded") or, when
    it could not be asked, why; ``details`` what it says is wrong or worth knowing, most
    important first ("storage: recording disk 93 % full").
    """

    state: HealthState
    summary: str = ""
    details: tuple[str, ...] = ()
