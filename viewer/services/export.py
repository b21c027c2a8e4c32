"""Evidence export: a span of several cameras into a folder an investigator can hand on.

The folder gets one MP4 per camera, a manifest (site, camera, span in UTC and in local
time, operator, Vigil version, how each clip was made, each file's name and size) and a
``SHA256SUMS`` file that ``sha256sum -c`` checks, so whoever receives the folder can tell
that nothing in it changed.

Each clip comes the best way the site offers: a MiBee NVR's own recording files
(downloaded, then cut and remuxed), a server-side export job where the site makes them
(its file downloaded and remuxed to the span), otherwise the playback stream recorded at
the fastest speed at which the site still sends every picture (recorders thin fast
playback out, and evidence must hold every picture). Nothing is re-encoded unless a
stamp is burned in. Whatever the way, the manifest says whether the clip holds every
picture: how many, at what interval, and any hole where pictures are missing
(media/completeness.py), so an investigator knows before relying on it.

Nothing half-made is ever left in the folder: everything is written into a hidden
staging folder inside it and moved into place only when every clip, the manifest and
the checksums are done; a failure or a cancel removes the staging folder.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from viewer import __version__
from viewer.backends.base import Backend
from viewer.backends.mibee.backend import MibeeBackend
from viewer.backends.mibee.parse import Recording
from viewer.core.errors import InvalidInputError, NotFoundError, NotSupportedError, VigilError
from viewer.core.models import Camera, TimeSpan
from viewer.core.timeline import merge_spans
from viewer.media.completeness import Completeness, completeness
from viewer.media.recording import (
    Clip,
    Piece,
    RecordingCancelled,
    Stamp,
    cut_files,
    export_piece,
    record_stream,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
MAX_SPAN_HOURS = 24
SERVER_JOB_SHARE = 0.6
"""The part of a server-export camera's progress its job takes (the download the next
tenth, cutting the rest): the job is where an operator waits."""

Listener = Callable[[float, str], None]
"""Progress: the part done (0 to 1) and what is being done, in the operator's words."""


class _Unavailable(Exception):
    """The site's own way to a file is not there (an old server, a switched-off
    feature): the playback stream is recorded instead."""


class ExportCancelled(Exception):
    """The operator cancelled the export; nothing of it is left in the folder."""


@runtime_checkable
class ExportDownloads(Protocol):
    """A backend whose server-made exports can be fetched with the site's login."""

    async def download_export(self, url: str) -> bytes: ...


@dataclass(frozen=True)
class ExportedClip:
    camera: Camera
    file: str
    method: str
    """download, server-export or playback-recording."""
    words: str
    """How the clip was made, for a reader of the manifest."""
    clip: Clip
    completeness: Completeness
    speed: float | None = None
    """The playback speed a recorded playback stream was asked for."""


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    clips: tuple[ExportedClip, ...]
    files: tuple[str, ...]
    """Every file written into the folder, checksums last."""


class ExportJob:
    """One export of ``cameras`` of one site over ``span`` into ``folder``."""

    def __init__(
        self,
        backend: Backend,
        cameras: Sequence[Camera],
        span: TimeSpan,
        folder: Path,
        *,
        burn_in: bool = False,
        zone: tzinfo | None = None,
        listener: Listener | None = None,
        operator: str | None = None,
    ) -> None:
        if not cameras:
            raise InvalidInputError("choose at least one camera to export", "cameras")
        if span.end <= span.start:
            raise InvalidInputError("the span must end after it starts", "end")
        if span.duration.total_seconds() > MAX_SPAN_HOURS * 3600:
            raise InvalidInputError(f"export at most {MAX_SPAN_HOURS} hours at once", "end")
        self.backend = backend
        self.cameras = tuple(cameras)
        self.span = span
        self.folder = folder
        self.burn_in = burn_in
        self.zone = zone or datetime.now().astimezone().tzinfo or UTC
        self.operator = operator or _operator()
        self.fraction = 0.0
        self.words = "Waiting to start"
        self._listener = listener
        self._stop = threading.Event()
        self._camera_index = 0
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def cancel(self) -> None:
        """Stop now: a request in flight is abandoned, a worker thread stops at its next
        packet; ``run`` then raises ExportCancelled, having removed what it wrote."""
        self._stop.set()
        task, loop = self._task, self._loop
        if task is not None and loop is not None and not loop.is_closed():
            # A listener may call this from a worker thread.
            loop.call_soon_threadsafe(task.cancel)

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    async def run(self) -> ExportResult:
        self._task, self._loop = asyncio.current_task(), asyncio.get_running_loop()
        try:
            return await self._run()
        except asyncio.CancelledError:
            if not self._stop.is_set() or self._task is None:
                raise
            self._task.uncancel()
            raise ExportCancelled("the export was cancelled") from None
        finally:
            self._task = self._loop = None

    async def _run(self) -> ExportResult:
        self.folder.mkdir(parents=True, exist_ok=True)
        names = [self._clip_name(camera) for camera in self.cameras]
        for name in (*names, MANIFEST, CHECKSUMS):
            if (self.folder / name).exists():
                raise InvalidInputError(
                    f"{self.folder / name} exists already: choose an empty folder", "folder"
                )
        staging = Path(tempfile.mkdtemp(prefix=".vigil-export-", dir=self.folder))
        try:
            clips: list[ExportedClip] = []
            for index, (camera, name) in enumerate(zip(self.cameras, names, strict=True)):
                self._camera_index = index
                self._check()
                clips.append(await self._export_camera(camera, staging / name, staging))
            self._tell(1.0, "Writing the manifest and checksums")
            manifest = self._manifest(clips, staging)
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
            files = (*names, MANIFEST)
            sums = await self._thread(lambda: _checksums(staging, files))
            (staging / CHECKSUMS).write_text(sums, "utf-8")
            self._check()
            for name in (*files, CHECKSUMS):
                (staging / name).replace(self.folder / name)
        except RecordingCancelled:
            raise ExportCancelled("the export was cancelled") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        done = f"Exported {len(clips)} clip{'s' if len(clips) != 1 else ''}"
        self._tell(1.0, "; ".join([done, *incomplete_words(clips)]))
        return ExportResult(self.folder, tuple(clips), (*files, CHECKSUMS))

    # -- one camera ----------------------------------------------------------------

    async def _export_camera(self, camera: Camera, path: Path, staging: Path) -> ExportedClip:
        backend = self.backend
        if isinstance(backend, MibeeBackend):
            try:
                return await self._from_recordings(backend, camera, path, staging)
            except _Unavailable as exc:
                log.info("%s: %s; recording the playback instead", camera.name, exc)
        elif backend.capabilities.export and isinstance(backend, ExportDownloads):
            try:
                return await self._from_server_export(backend, camera, path, staging)
            except _Unavailable as exc:
                log.info("%s: %s; recording the playback instead", camera.name, exc)
        return await self._from_playback(camera, path)

    async def _from_recordings(
        self, backend: MibeeBackend, camera: Camera, path: Path, staging: Path
    ) -> ExportedClip:
        camera_id = camera.ref.camera_id
        self._tell(0.0, f"{camera.name}: finding the recordings")
        found: list[Recording] = []
        while True:
            page = await backend.recordings(camera_id, self.span, offset=len(found))
            found.extend(page.recordings)
            if not page.recordings or page.total is None or len(found) >= page.total:
                break
        found = sorted(
            (r for r in found if r.span.end > self.span.start and r.span.start < self.span.end),
            key=lambda r: r.span.start,
        )
        if not found:
            raise NotFoundError(f"{camera.name} has no recording between {self._span_words()}")
        pieces: list[Piece] = []
        for number, recording in enumerate(found, 1):
            self._check()
            self._tell(
                0.5 * (number - 1) / len(found),
                f"{camera.name}: downloading recording {number} of {len(found)}",
            )
            try:
                data = await backend.download(recording.id)
            except (NotFoundError, NotSupportedError) as exc:
                raise _Unavailable(f"the recorder serves no download ({exc})") from None
            file = staging / f".recording-{number}.mp4"
            file.write_bytes(data)
            pieces.append(Piece(file, recording.span.start))
        self._tell(0.5, f"{camera.name}: cutting to the span")
        clip = await self._thread(
            lambda: cut_files(
                pieces,
                self.span,
                path,
                stamp=self._stamp(camera),
                progress=lambda done: self._tell(0.5 + 0.5 * done),
                stop=self._stop,
            )
        )
        for piece in pieces:
            piece.path.unlink(missing_ok=True)
        whole = await self._completeness(clip, tuple(r.span for r in found))
        words = (
            f"the recorder's own {len(pieces)} recording file{'s' if len(pieces) > 1 else ''}, "
            + self._cut_words(clip)
        )
        return ExportedClip(camera, path.name, "download", words, clip, whole)

    async def _from_server_export(
        self, backend: ExportDownloads, camera: Camera, path: Path, staging: Path
    ) -> ExportedClip:
        # Servers take whole seconds (the gateway drops the fraction): order the
        # seconds around the span, so the file's start is known, and cut it here.
        order = _whole_seconds(self.span)
        job, download = SERVER_JOB_SHARE, SERVER_JOB_SHARE + 0.1
        self._tell(0.0, f"{camera.name}: waiting for the site's export")
        try:
            url = await self.backend.export_recording(
                camera.ref.camera_id, order, progress=lambda done: self._tell(job * done)
            )
            self._check()
            recorded = await self._recorded_parts(camera, order)
            self._tell(job, f"{camera.name}: downloading the site's export")
            data = await backend.download_export(url)
        except NotSupportedError as exc:
            raise _Unavailable(str(exc)) from None
        file = staging / ".server-export.mp4"
        file.write_bytes(data)
        del data
        self._tell(download, f"{camera.name}: cutting to the span")
        piece = await self._thread(lambda: export_piece(file, order.start, recorded or ()))
        clip = await self._thread(
            lambda: cut_files(
                [piece],
                self.span,
                path,
                stamp=self._stamp(camera),
                progress=lambda done: self._tell(download + (1 - download) * done),
                stop=self._stop,
            )
        )
        file.unlink(missing_ok=True)
        whole = await self._completeness(clip, recorded)
        words = "the site's own export job, " + self._cut_words(clip)
        return ExportedClip(camera, path.name, "server-export", words, clip, whole)

    async def _recorded_parts(self, camera: Camera, span: TimeSpan) -> tuple[TimeSpan, ...] | None:
        """The parts of ``span`` the site recorded, by its timeline; None where the site
        has none."""
        if not self.backend.capabilities.timeline:
            return None
        try:
            timeline = await self.backend.timeline(camera.ref.camera_id, span)
        except NotSupportedError:
            return None
        cut = (
            TimeSpan(max(s.span.start, span.start), min(s.span.end, span.end))
            for s in timeline.segments
            if s.span.end > span.start and s.span.start < span.end
        )
        return merge_spans(cut)

    async def _from_playback(self, camera: Camera, path: Path) -> ExportedClip:
        if not self.backend.capabilities.playback:
            raise NotSupportedError(f"{self.backend.site.name} keeps no recordings to export")
        speed = self.backend.capabilities.lossless_playback_speed
        self._tell(0.0, f"{camera.name}: recording the playback at {speed:g}x")
        description = await self.backend.playback(camera.ref.camera_id, self.span.start, speed)
        clip = await self._thread(
            lambda: record_stream(
                description,
                self.span,
                path,
                epoch=self.span.start,
                stamp=self._stamp(camera),
                progress=self._tell,
                stop=self._stop,
            )
        )
        try:
            recorded = await self._recorded_parts(camera, self.span)
        except VigilError as exc:
            log.info("%s: the timeline is not known (%s); every break counts", camera.name, exc)
            recorded = None
        whole = await self._completeness(clip, recorded)
        how = f"the site's playback stream at {speed:g}x recorded as it came, "
        words = how + self._cut_words(clip)
        return ExportedClip(
            camera, path.name, "playback-recording", words, clip, whole, speed=speed
        )

    async def _completeness(self, clip: Clip, recorded: Sequence[TimeSpan] | None) -> Completeness:
        whole = await self._thread(lambda: completeness(clip.instants, self.span, recorded))
        if not whole.complete:
            log.warning(
                "%s: %d picture(s) missing in %d hole(s)",
                clip.path.name,
                whole.missing,
                whole.hole_count,
            )
        return whole

    # -- helpers -------------------------------------------------------------------

    def _stamp(self, camera: Camera) -> Stamp | None:
        return Stamp(camera.name, self.zone) if self.burn_in else None

    def _cut_words(self, clip: Clip) -> str:
        if clip.reencoded:
            return "re-encoded (H.264) with the camera name and recorded time burned in"
        if clip.lead > 0:
            return (
                "remuxed without re-encoding; it starts at the key frame "
                f"{clip.lead:.2f} s before the span"
            )
        return "remuxed without re-encoding"

    def _clip_name(self, camera: Camera) -> str:
        when = self.span.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{_safe(camera.name)}_{_safe(camera.ref.camera_id)}_{when}.mp4"

    def _span_words(self) -> str:
        start, end = self.span.start.astimezone(self.zone), self.span.end.astimezone(self.zone)
        return f"{start:%Y-%m-%d %H:%M:%S} and {end:%Y-%m-%d %H:%M:%S}"

    def _check(self) -> None:
        if self._stop.is_set():
            raise RecordingCancelled

    def _tell(self, part: float, words: str | None = None) -> None:
        """Progress of the current camera (``part``), spread over all cameras; may come
        from a worker thread, so listeners must be thread-safe or hop threads."""
        count = len(self.cameras)
        self.fraction = min(1.0, (self._camera_index + min(part, 1.0)) / count)
        if words is not None:
            prefix = f"Camera {self._camera_index + 1} of {count}: " if count > 1 else ""
            self.words = prefix + words
        if self._listener is not None:
            self._listener(self.fraction, self.words)

    async def _thread(self, work: Callable[[], T]) -> T:
        """``work`` on a worker thread; if this task is cancelled, the work is told to
        stop and waited for, so no thread writes into a folder being removed."""
        future = asyncio.get_running_loop().run_in_executor(None, work)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self._stop.set()
            await asyncio.wait([future])
            raise

    def _manifest(self, clips: Sequence[ExportedClip], staging: Path) -> dict[str, Any]:
        site = self.backend.site
        return {
            "format": "vigil-evidence-export/1",
            "vigil_version": __version__,
            "exported_at_utc": _utc(datetime.now(UTC)),
            "operator": self.operator,
            "site": {"id": site.id, "name": site.name, "kind": site.kind},
            "span": {
                "start_utc": _utc(self.span.start),
                "end_utc": _utc(self.span.end),
                "start_local": self.span.start.astimezone(self.zone).isoformat(),
                "end_local": self.span.end.astimezone(self.zone).isoformat(),
                "time_zone": str(self.zone),
            },
            "clips": [
                {
                    "file": item.file,
                    "size": (staging / item.file).stat().st_size,
                    "camera": {"id": item.camera.ref.camera_id, "name": item.camera.name},
                    "method": item.method,
                    "how": item.words,
                    "reencoded": item.clip.reencoded,
                    "burned_in": self.burn_in,
                    "first_picture_utc": _utc(item.clip.first),
                    "last_picture_utc": _utc(item.clip.last),
                    "starts_before_span_seconds": round(item.clip.lead, 3),
                    "codec": item.clip.codec,
                    "width": item.clip.width,
                    "height": item.clip.height,
                    "pictures": item.clip.frames,
                    **({"playback_speed": item.speed} if item.speed is not None else {}),
                    "completeness": _completeness_entry(item.completeness),
                }
                for item in clips
            ],
            "checksums": CHECKSUMS,
        }


def incomplete_words(clips: Sequence[ExportedClip]) -> list[str]:
    """A line for each clip with pictures missing: the operator must know at once."""
    return [
        f"{item.camera.name}: {item.completeness.missing} picture"
        f"{'s' if item.completeness.missing != 1 else ''} missing in "
        f"{item.completeness.hole_count} hole{'s' if item.completeness.hole_count != 1 else ''}"
        f" ({MANIFEST} says where)"
        for item in clips
        if not item.completeness.complete
    ]


def _completeness_entry(whole: Completeness) -> dict[str, Any]:
    """Whether the clip holds every picture, for a reader of the manifest."""
    entry: dict[str, Any] = {
        "complete": whole.complete,
        "picture_interval_seconds": (None if whole.interval is None else round(whole.interval, 4)),
        "missing_pictures": whole.missing,
        "holes": whole.hole_count,
        "gaps_told_by_timeline": whole.timeline_known,
        "hole_list": [
            {"from_utc": _utc(hole.start), "to_utc": _utc(hole.end), "missing": hole.missing}
            for hole in whole.holes
        ],
    }
    if whole.hole_count > len(whole.holes):
        entry["hole_list_truncated"] = True
    return entry


def _checksums(folder: Path, names: Sequence[str]) -> str:
    """``sha256sum``'s format: the hex digest, two spaces (text mode), the name."""
    lines = []
    for name in names:
        digest = hashlib.sha256()
        with (folder / name).open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        lines.append(f"{digest.hexdigest()}  {name}\n")
    return "".join(lines)


def _whole_seconds(span: TimeSpan) -> TimeSpan:
    """The span widened to whole seconds."""
    start = span.start.replace(microsecond=0)
    end = span.end.replace(microsecond=0)
    if end < span.end:
        end += timedelta(seconds=1)
    return TimeSpan(start, end)


def _safe(text: str) -> str:
    """A file name part that every file system takes."""
    cleaned = re.sub(r"[^\w.-]+", "-", text, flags=re.ASCII).strip("-.")
    return cleaned[:60] or "camera"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
