"""Keeping the simulator's WebRTC on loopback, and its playback clock in milliseconds from 0.

aioice gathers the machine's LAN addresses and never 127.0.0.1 (docs/pitfalls.md), and
aiortc's sender adds a random origin to every RTP timestamp. Both are module-level
functions, replaced here once per process by wrappers that change their answer only
inside a context where this module's variables are set (asyncio tasks inherit the
context they were created in), and otherwise call whatever was installed before: the
media layer wraps the address lookup the same way for its own connections, so each
wrapper chains to the previous one and never replaces it.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator

import aioice.ice
import aiortc.rtcrtpsender

_LOOPBACK_ICE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "vigil_demo_loopback_ice", default=False
)
_ZERO_RTP_ORIGIN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "vigil_demo_zero_rtp_origin", default=False
)
_installed = threading.Event()
_install_lock = threading.Lock()


def install() -> None:
    """Put both wrappers in place (again is a no-op)."""
    with _install_lock:
        if _installed.is_set():
            return
        host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
        random32: Callable[[], int] = aiortc.rtcrtpsender.random32  # type: ignore[attr-defined]

        def loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
            if _LOOPBACK_ICE.get():
                return ["127.0.0.1"] if use_ipv4 else ["::1"]
            return host_addresses(use_ipv4, use_ipv6)

        def rtp_origin() -> int:
            return 0 if _ZERO_RTP_ORIGIN.get() else random32()

        aioice.ice.get_host_addresses = loopback_host_addresses
        aiortc.rtcrtpsender.random32 = rtp_origin  # type: ignore[attr-defined]
        _installed.set()


@contextlib.contextmanager
def loopback_ice() -> Iterator[None]:
    """ICE gathering started inside offers 127.0.0.1 only (wrap setLocalDescription)."""
    install()
    token = _LOOPBACK_ICE.set(True)
    try:
        yield
    finally:
        _LOOPBACK_ICE.reset(token)


@contextlib.contextmanager
def zero_rtp_origin() -> Iterator[None]:
    """RTP senders started inside count timestamps from 0 (wrap setRemoteDescription:
    the sender's task starts from the connection task it creates). The SSRCs, drawn
    when a transceiver is added, stay random."""
    install()
    token = _ZERO_RTP_ORIGIN.set(True)
    try:
        yield
    finally:
        _ZERO_RTP_ORIGIN.reset(token)
