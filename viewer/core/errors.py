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
    """TLS verification failed and the site has not pinned this certificate."""


class NotSupportedError(VigilError):
    """The backend or the stream cannot do what was asked (a codec, a feature)."""


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
