"""How FFmpeg should open each kind of source, and whether we must pace it ourselves.

RTSP is opened over TCP (a lost UDP packet is a smeared picture, and TCP crosses
firewalls), with probing cut to the minimum: the SDP carries the parameter sets, so
waiting a second to "analyse" the stream only delays the first picture. Do not add
``fflags=nobuffer``: it swallowed the first key frame here (docs/pitfalls.md).

No FFmpeg ``timeout`` option: on RTSP over TCP it fires first and hands out a packet
it was holding back, which restarts PyAV's read timer, so a frozen camera was never
declared lost. PyAV's interrupt-based read timeout (the player's stall timeout) is the
one watchdog.

HTTP and HTTPS (HLS, progressive streams) are fetched by httpx through FFmpeg's
``io_open`` hook (media/http_io.py), because FFmpeg's HLS demuxer does not check the
certificates of segment servers. RTSP over TLS is FFmpeg's own, told to verify: against
the usual authorities, a site's own, or one pinned certificate (media/tls.py).

A network stream paces itself; a file or an HLS playlist arrives as fast as it can
be read, so the player holds each frame until its presentation time. Live HLS starts at
the newest segment of the window, joined when it is fresh (media/live_join.py), so it
plays a little more than a segment behind the camera.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi

from viewer.core.certificates import PinnedCertificate
from viewer.core.streams import StreamDescription
from viewer.media.tls import confirm, pinned_ca_file, verify_name

_SELF_PACED_SCHEMES = {"rtsp", "rtsps", "rtp", "udp", "srt"}
LIVE_START_INDEX = "-1"


@dataclass(frozen=True)
class OpenPlan:
    options: Mapping[str, str]
    paced_by_source: bool
    fetched_by_httpx: bool = False
    server_paced: bool = False
    """The server sends at the pace it plays, live or recorded (RTSP playback included)."""


def open_plan(description: StreamDescription) -> OpenPlan:
    """Options for FFmpeg; a pinned certificate is written out for it to read.

    A pinned certificate FFmpeg cannot check is confirmed first, over a connection of
    its own: CertificateChangedError, CertificateError or UnreachableError if it fails.
    """
    scheme = urlsplit(description.url).scheme.lower()
    options: dict[str, str] = {}
    if scheme in {"rtsp", "rtsps"}:
        options.update(
            rtsp_transport="tcp",
            analyzeduration="0",
            probesize="32",
        )
    if scheme == "rtsps" and description.pinned is not None:
        options.update(_pinned_tls(description.pinned, description.display_url))
    elif scheme == "rtsps":
        # FFmpeg accepts any certificate unless asked to verify.
        options.update(tls_verify="1", ca_file=description.ca_file or certifi.where())
    if scheme in {"http", "https"}:
        # FFmpeg's HLS demuxer reuses a connection by reaching for FFmpeg's own http
        # context behind it; an io_open stream has none, and an assertion aborted the
        # process at the first reload of a live playlist (docs/pitfalls.md).
        options["http_persistent"] = "0"
        if description.live:
            # Start at the newest segment of a live playlist, not three back (FFmpeg's
            # default): the first picture comes as soon, 2-4 s nearer the live edge
            # (benchmarks/hls.py).
            options["live_start_index"] = LIVE_START_INDEX
    options.update(description.options)
    paced = description.live and scheme in _SELF_PACED_SCHEMES
    return OpenPlan(
        options=options,
        paced_by_source=paced,
        fetched_by_httpx=scheme in {"http", "https"},
        server_paced=scheme in _SELF_PACED_SCHEMES,
    )


def _pinned_tls(pin: PinnedCertificate, where: str) -> dict[str, str]:
    name = verify_name(pin)
    if name is None:
        # Nothing GnuTLS would match (docs/pitfalls.md): look at the certificate first.
        confirm(pin, where)
        return {"tls_verify": "0"}
    return {"tls_verify": "1", "ca_file": pinned_ca_file(pin), "verifyhost": name}
