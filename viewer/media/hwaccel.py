"""Decoding on the graphics card where it helps, in software wherever it fails.

PyAV's wheels offer one hardware decoder each that matters here: CUDA (NVDEC) on
Linux and D3D11VA on Windows (docs/pitfalls.md: the Linux wheel has no VAAPI; asking
for a device it lacks decodes in software without a word). Frames come back in
system memory as NV12, which the GL path uploads as they are (media/planes.py). On the
raster path they would go through swscale all the same, and the copy back from the
card costs about what the decode saved, so ``auto`` turns it on only where the GL
renderer draws.

Each stream is opened with the device and ``allow_software_fallback``, so a stream the
card cannot decode (a profile NVDEC lacks) is decoded in software by FFmpeg itself. An
open that fails because the device cannot be made (PermissionError without a driver,
measured here) is opened again in software at once, and the device is not asked for
again in this process: a machine without the driver will not grow one, and every try
costs a connection to the camera.
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
from typing import Any, cast

import av
from av.codec.hwaccel import HWAccel
from av.container import InputContainer

log = logging.getLogger(__name__)

DEVICE_TYPES = {"linux": "cuda", "win32": "d3d11va"}
"""The device PyAV's wheel for each platform can decode H.264 and H.265 with."""


def device_failure(exc: BaseException) -> bool:
    """Whether av.open failed for want of the device, not of the stream.

    FFmpeg answers EPERM (PermissionError, errno 1) for a device type it cannot make,
    driver missing or type unknown (measured). A file the user may not read is EACCES
    (13), also a PermissionError: not the device's fault.
    """
    if isinstance(exc, PermissionError):
        return exc.errno == errno.EPERM
    return isinstance(exc, NotImplementedError | av.error.ExternalError)


class HardwareDecode:
    """Whether and with which device streams are opened; one per process."""

    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self._lock = threading.Lock()
        self.refused: str | None = None
        """Why the device failed, once it has: streams then open in software."""

    @property
    def active(self) -> bool:
        return self.device is not None and self.refused is None

    def open(self, url: str, **options: Any) -> InputContainer:
        """``av.open(url, **options)``, with the device where it is on and works."""
        device = self.device if self.refused is None else None
        if device is None:
            return cast(InputContainer, av.open(url, **options))
        try:
            accel = HWAccel(device_type=device, allow_software_fallback=True)
            return cast(InputContainer, av.open(url, hwaccel=accel, **options))
        except Exception as exc:
            if not device_failure(exc):
                raise
            with self._lock:
                if self.refused is None:
                    self.refused = type(exc).__name__
                    log.warning(
                        "hardware decoding (%s) is not available here (%s): decoding in software",
                        device,
                        type(exc).__name__,
                    )
        return cast(InputContainer, av.open(url, **options))


HARDWARE = HardwareDecode()


def device_for_platform(platform: str = sys.platform) -> str | None:
    return DEVICE_TYPES.get("win32" if platform.startswith("win") else platform)


def configure(setting: str, *, gl_renderer: bool, platform: str = sys.platform) -> HardwareDecode:
    """Set the process's hardware decoding from the setting ("auto", "on", "off")."""
    wanted = setting == "on" or (setting == "auto" and gl_renderer)
    HARDWARE.device = device_for_platform(platform) if wanted else None
    HARDWARE.refused = None
    if HARDWARE.device is not None:
        log.info("hardware decoding with %s where the device works", HARDWARE.device)
    return HARDWARE


def open_input(url: str, **options: Any) -> InputContainer:
    """The player's av.open: through the process's hardware decoding choice."""
    return HARDWARE.open(url, **options)
