"""What the operator reads when a stream is not simply playing.

Words, not exception names: short enough to fit a small tile, specific enough to act
on (a password problem is not a network problem).
"""

from __future__ import annotations

import math
import time

from viewer.core.errors import (
    AuthenticationError,
    CertificateChangedError,
    CertificateError,
    CodecNotSupportedError,
    InsecureLinkError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    PtzLockedError,
    RateLimitedError,
    StreamLostError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import CameraStatus, HealthState, Quality, SiteHealth
from viewer.media.state import PlayerState, StateInfo
from viewer.media.stats import StatsSnapshot

NOT_IN_KEYRING = "could not be saved to the system keyring: kept for this session only"
"""Said wherever a password was taken but will be asked for again at the next start."""


_PROBLEMS: tuple[tuple[type[VigilError], str], ...] = (
    # Subclasses before the classes they refine: the first match speaks.
    (AuthenticationError, "Authentication failed"),
    (UnreachableError, "Unreachable"),
    (NotFoundError, "Stream not found"),
    (CodecNotSupportedError, "Codec not supported by this viewer"),
    (NotSupportedError, "Not supported"),
    (PermissionDeniedError, "Not permitted"),
    (CertificateChangedError, "Certificate changed"),
    (InsecureLinkError, "Insecure link refused"),
    (CertificateError, "Certificate not trusted"),
    (RateLimitedError, "Server busy"),
    (StreamLostError, "Stream lost"),
)


def problem(error: VigilError | None) -> str:
    """One or two words naming what went wrong."""
    if error is None:
        return ""
    for kind, words in _PROBLEMS:
        if isinstance(error, kind):
            return words
    return "Error"


def ptz_problem(error: VigilError | None) -> str:
    """Why a camera did not move, in the operator's words: rights, another operator's
    lock and a busy camera need different actions (ask for the right, wait for the
    colleague, try again shortly), so they are told apart."""
    if error is None:
        return ""
    said = str(error)
    if isinstance(error, PtzLockedError):
        holder = f" ({error.holder})" if error.holder else ""
        wait = f": free in {math.ceil(error.retry_after)} s" if error.retry_after else ""
        return f"Locked by another operator{holder}{wait}"
    if isinstance(error, PermissionDeniedError):
        return "You have no rights to move this camera"
    if isinstance(error, RateLimitedError):
        wait = f": try again in {math.ceil(error.retry_after)} s" if error.retry_after else ""
        return f"Camera busy{wait}"
    if isinstance(error, UnreachableError):
        return "Camera unreachable: the command was not carried out"
    if isinstance(error, NotSupportedError):
        return f"Not possible: {said}" if said else "Not possible on this camera"
    return f"{problem(error)}: {said}" if said else problem(error)


def clock_text(instant: float) -> str:
    """A picture's instant (UTC seconds since the epoch) in the operator's local time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(instant))


def trust_question(fingerprint: str, device: str = "camera") -> str:
    """What the operator is asked about a certificate nobody vouches for; ``device`` is
    what presents it ("camera", "server")."""
    return (
        f"No trusted authority vouches for this {device}'s certificate: {device}s usually "
        f"sign their own. Trust it only if its SHA-256 fingerprint is the one the {device} "
        f"shows (on its web page, label or console):\n{fingerprint}"
    )


def state_text(info: StateInfo, now: float | None = None) -> str:
    """The line shown in the middle of a tile; empty while the picture plays."""
    now = time.monotonic() if now is None else now
    match info.state:
        case PlayerState.PLAYING:
            return ""
        case PlayerState.CONNECTING:
            return "Connecting…"
        case PlayerState.STALLED:
            return "No picture – waiting for video"
        case PlayerState.RECONNECTING:
            seconds = max(0, math.ceil((info.retry_at or now) - now))
            retry = f"reconnecting in {seconds} s" if seconds else "reconnecting…"
            reason = problem(info.error)
            return f"{reason} – {retry}" if reason else retry.capitalize()
        case PlayerState.FAILED:
            return problem(info.error) or "Failed"
        case PlayerState.STOPPED:
            return ""
    return ""


def site_text(
    name: str,
    status: str,
    error: VigilError | None,
    retry_at: float | None,
    now: float | None = None,
) -> str:
    """A site's node in the tree: its name, and what keeps it from showing cameras.

    ``status`` is a SiteStatus value ("connecting", "online", "retrying", "failed").
    """
    now = time.monotonic() if now is None else now
    if status == "connecting":
        return f"{name} – connecting…"
    if status == "failed":
        return f"{name} – {problem(error) or 'Failed'}"
    if status == "retrying":
        seconds = max(0, math.ceil((retry_at or now) - now))
        retry = f"retrying in {seconds} s" if seconds else "retrying…"
        return f"{name} – {problem(error) or 'Not connected'}, {retry}"
    return name


def camera_status_text(status: CameraStatus) -> str:
    """What the site says of a camera, for its tooltip; nothing while all is well or
    nobody knows."""
    match status:
        case CameraStatus.OFFLINE:
            return "Offline – the server has lost contact with the camera"
        case CameraStatus.ERROR:
            return "Error – the server reports a problem with the camera"
    return ""


def health_text(health: SiteHealth) -> str:
    """A site's server as it describes itself, for the site's tooltip: the state and
    what matters most on the first line ("Degraded: storage: recording disk 93 % full"),
    the rest below, in the server's words."""
    if health.state is HealthState.OK:
        return "\n".join(("Server healthy", *health.details))
    head = "Degraded" if health.state is HealthState.DEGRADED else "Down"
    said = health.summary if health.summary.lower() not in (head.lower(), "error") else ""
    first, *rest = health.details or (said,)
    return "\n".join((f"{head}: {first}" if first else head, *rest))


def detail_text(info: StateInfo) -> str:
    """The longer explanation for a tooltip or the status bar."""
    return str(info.error) if info.error is not None else state_text(info)


def statistics_text(stats: StatsSnapshot, quality: Quality | None) -> str:
    """The tile's diagnostic lines: which stream, how fast it comes, what was lost."""
    stream = f"{quality.value.capitalize()} stream" if quality else "Stream"
    picture = f"{stats.width}×{stats.height}" if stats.width else "no picture yet"
    codec = f" {stats.codec.upper()}" if stats.codec else ""
    if stats.bitrate >= 1_000_000:
        rate = f"{stats.bitrate / 1_000_000:.1f} Mbit/s"
    else:
        rate = f"{stats.bitrate / 1000:.0f} kbit/s"
    lines = [
        f"{stream}{codec} {picture}",
        f"{stats.fps:.1f} fps · {rate}",
        f"Dropped {stats.frames_dropped} · reconnects {stats.reconnects}",
    ]
    if stats.corrupt_packets:
        lines.append(f"Damaged packets {stats.corrupt_packets}")
    return "\n".join(lines)


NO_RECORDING = "No recording at this time"
"""A tile following the playback clock to an instant its camera recorded nothing at."""


def event_type_text(kind: str) -> str:
    """An event's type as the operator reads it: a site's ``motion.detected`` or
    ``camera_offline`` as "Motion detected", "Camera offline"; XProtect's words kept."""
    words = " ".join(kind.replace(".", " ").replace("_", " ").split())
    return words[:1].upper() + words[1:] if words else "Event"
