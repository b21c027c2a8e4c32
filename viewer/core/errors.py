"""Typed errors every layer raises and the UI turns into an operator's words.

Messages never carry secrets: a URL is masked before it goes into one (see
:mod:`viewer.core.redact`).
"""

from __future__ import annotations


class VigilError(Exception):
    """Base of every error the UI knows how to explain."""


class AuthenticationError(VigilError):
    """The server rejected the credentials; retrying with the same ones cannot help."""


class UnreachableError(VigilError):
    """No connection to the server: refused, timed out or no route."""


class NotFoundError(VigilError):
    """The server is there but knows no such camera, stream or recording."""


class CertificateError(VigilError):
    """The connection cannot be trusted: its certificate failed verification, or TLS was
    left. Retrying cannot help; the operator has to look and decide."""


class UnknownCertificateError(CertificateError):
    """No trusted authority vouches for a server's certificate (a camera's own, self-signed).

    The operator may trust it by its SHA-256 ``fingerprint`` (``AA:BB:…``); ``field`` names
    the form field whose server presented it.
    """

    def __init__(self, message: str, fingerprint: str, field: str) -> None:
        super().__init__(message)
        self.fingerprint = fingerprint
        self.field = field


class CertificateChangedError(CertificateError):
    """A server no longer presents the certificate the operator pinned: a replaced device,
    or someone in between. Both fingerprints are SHA-256, ``AA:BB:…``."""

    def __init__(self, message: str, pinned: str, presented: str) -> None:
        super().__init__(message)
        self.pinned = pinned
        self.presented = presented


class InsecureLinkError(CertificateError):
    """A stream fetched over TLS pointed at plain http (a segment, a key, a redirect).

    Following it would let anyone on the way swap the video, so the request is never sent.
    """


class PermissionDeniedError(VigilError):
    """The server knows who we are and will not do this for us: a right the user lacks,
    a camera under privacy masking. Retrying cannot help; the password is not wrong."""


class PtzLockedError(VigilError):
    """Another operator holds the camera's PTZ (a lock, a reservation, a higher priority):
    it moves again once they let go, so this is neither a missing right nor a fault.
    ``holder`` is who holds it and ``retry_after`` when it frees (seconds), where the
    server said."""

    def __init__(
        self, message: str, holder: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.holder = holder
        self.retry_after = retry_after


class NotSupportedError(VigilError):
    """The backend or the stream cannot do what was asked (a codec, a feature)."""


class CodecNotSupportedError(NotSupportedError):
    """The stream is in a codec this viewer cannot decode (an H.265-only WebRTC offer)."""


class RateLimitedError(VigilError):
    """The server asked us to slow down; ``retry_after`` is in seconds when it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MalformedResponseError(VigilError):
    """A server answered with something we cannot use; ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{message} (field {field!r})" if field else message)
        self.field = field


class InvalidInputError(VigilError):
    """What the operator typed cannot be used; ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class StreamLostError(VigilError):
    """A stream that was playing stopped delivering and could not be resumed."""


class SettingsError(VigilError):
    """The settings file could not be read; it is kept aside, never overwritten."""
