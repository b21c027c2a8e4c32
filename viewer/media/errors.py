"""Turning FFmpeg's failures into the typed errors the operator is shown.

PyAV's exception text contains the URL it was opening, credentials included, so the
typed errors are built from scratch around a masked URL and never chain the original.

All FFmpeg says of a failed TLS handshake is "I/O error". For a camera whose certificate
the operator pinned, a probe then tells what happened: the camera presents another
certificate now, or the trusted one has expired, or it went away.
"""

from __future__ import annotations

import errno

import av

from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import (
    AuthenticationError,
    CertificateError,
    NotFoundError,
    NotSupportedError,
    StreamLostError,
    UnreachableError,
    VigilError,
)
from viewer.media.tls import refusal

_UNREACHABLE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.ECONNRESET,
    errno.EHOSTDOWN,
}


def opening_error(
    exc: BaseException, where: str, pinned: PinnedCertificate | None = None
) -> VigilError:
    """Why a stream at ``where`` (a masked URL) could not be opened.

    ``pinned``: the certificate the stream's TLS was told to trust; a failed handshake
    is then looked into (a connection, from the calling thread).
    """
    if isinstance(exc, VigilError):
        return exc  # already explained, by media/http_io.py
    if isinstance(exc, av.HTTPUnauthorizedError | av.HTTPForbiddenError):
        return AuthenticationError(f"{where} rejected the user name or password")
    if isinstance(exc, av.HTTPNotFoundError | FileNotFoundError):
        return NotFoundError(f"{where} has no such stream")
    if isinstance(exc, av.DecoderNotFoundError):
        return NotSupportedError(f"{where} sends video in a format Vigil cannot decode")
    if isinstance(exc, av.ExitError | TimeoutError):
        return UnreachableError(f"{where} did not answer in time")
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        return UnreachableError(f"{where} cannot be reached")
    if isinstance(exc, OSError) and exc.errno == errno.EIO and where.startswith("rtsps:"):
        # All FFmpeg says of a failed TLS handshake; nearly always the certificate.
        if pinned is not None:
            return refusal(pinned, where)
        return CertificateError(f"{where} could not be trusted (its certificate or TLS)")
    if isinstance(exc, av.InvalidDataError):
        return StreamLostError(f"{where} sent something that is not a playable stream")
    return StreamLostError(f"{where} could not be opened ({type(exc).__name__})")


def reading_error(exc: BaseException, where: str) -> VigilError:
    """Why a stream at ``where`` that was open stopped delivering."""
    if isinstance(exc, av.ExitError | TimeoutError):
        return StreamLostError(f"{where} stopped sending video")
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        return StreamLostError(f"{where} dropped the connection")
    return StreamLostError(f"{where} stream broke off ({type(exc).__name__})")
