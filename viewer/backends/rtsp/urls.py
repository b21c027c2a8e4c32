"""Camera URLs as operators type them, and as FFmpeg needs them.

Operators paste URLs with the password inside (``rtsp://admin:pw@cam/...``). Vigil
stores the URL without it and keeps the password in the keyring, then puts the
credentials back only in the URL handed to the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from viewer.core.errors import InvalidInputError

SCHEMES = ("rtsp", "rtsps")


@dataclass(frozen=True)
class SplitUrl:
    url: str
    """The URL without user or password."""
    user: str | None
    password: str | None


def split_credentials(url: str, field: str = "url") -> SplitUrl:
    """Validate an operator's URL and take any credentials out of it.

    Raises InvalidInputError naming ``field``, the form field the URL came from.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInputError("This is not a valid URL.", field) from None
    if parts.scheme.lower() not in SCHEMES:
        raise InvalidInputError("The URL must start with rtsp:// or rtsps://.", field)
    if not parts.hostname:
        raise InvalidInputError("The URL names no camera address.", field)
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    clean = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SplitUrl(clean, user, password)


def with_credentials(url: str, user: str | None, password: str | None) -> str:
    """``url`` with the user and password put in, escaped as RFC 3986 wants."""
    if not user:
        return url
    parts = urlsplit(url)
    userinfo = quote(user, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    netloc = f"{userinfo}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
