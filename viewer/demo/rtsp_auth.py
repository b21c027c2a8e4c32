"""Basic and Digest authentication for the demo RTSP server (RFC 2617, as cameras do it).

Digest without qop, MD5, a fresh nonce per challenge: what most IP cameras offer and
what FFmpeg, live555 (VLC) and GStreamer all answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Literal

REALM = "Vigil demo"


@dataclass(frozen=True)
class RtspAuth:
    user: str
    password: str
    scheme: Literal["digest", "basic"] = "digest"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def parse_digest(value: str) -> dict[str, str]:
    """The key="value" pairs of a Digest Authorization header.

    A quoted value ends at the next quote, backslashes included: FFmpeg and live555
    write user names into the header without escaping them, so unescaping would break
    a user name with a backslash in it. Whatever does not parse is left out, and the
    check then fails for want of a field.
    """
    fields: dict[str, str] = {}
    rest = value.strip()
    while rest:
        key, eq, rest = rest.partition("=")
        if not eq:
            break
        rest = rest.lstrip()
        if rest.startswith('"'):
            end = rest.find('"', 1)
            if end < 0:
                break
            fields[key.strip().lower()] = rest[1:end]
            rest = rest[end + 1 :]
        else:
            val, _, rest = rest.partition(",")
            fields[key.strip().lower()] = val.strip()
            continue
        rest = rest.lstrip().removeprefix(",")
    return fields


class Authenticator:
    def __init__(self, auth: RtspAuth) -> None:
        self.auth = auth
        self._nonces: deque[str] = deque(maxlen=256)

    def challenge(self) -> str:
        if self.auth.scheme == "basic":
            return f'Basic realm="{REALM}"'
        nonce = secrets.token_hex(16)
        self._nonces.append(nonce)
        return f'Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5'

    def check(self, method: str, header: str | None) -> bool:
        """Whether ``header`` proves the password; False for anything malformed."""
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic" and self.auth.scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except ValueError:  # not base64 (or not ASCII at all), or not UTF-8 inside
                return False
            user, _, password = decoded.partition(":")
            return _same(user, self.auth.user) & _same(password, self.auth.password)
        if scheme.lower() == "digest" and self.auth.scheme == "digest":
            fields = parse_digest(value)
            if fields.get("nonce") not in self._nonces or fields.get("username") != self.auth.user:
                return False
            ha1 = _md5(f"{self.auth.user}:{REALM}:{self.auth.password}")
            ha2 = _md5(f"{method}:{fields.get('uri', '')}")
            expected = _md5(f"{ha1}:{fields['nonce']}:{ha2}")
            return _same(expected, fields.get("response", ""))
        return False


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison; on bytes, because compare_digest refuses non-ASCII text."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
