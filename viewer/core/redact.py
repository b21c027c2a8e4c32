"""Masking of credentials in text that may reach a log, a label or an exception.

Operators paste camera URLs such as ``rtsp://admin:secret@10.0.0.5/stream``; those
must never be written anywhere in clear. Redaction is pattern based (credentials in
URLs, ``password=``/``token=`` parameters, Authorization headers) plus an explicit
list of secrets known to the running process, which catches a password that shows
up where no pattern expects it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^@/\s?#]+)@")
_SECRET_PARAMS = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|pass|token|access_token|refresh_token|usertoken|"
    r"authtoken|secret|apikey|api_key)\b\s*[=:]\s*)(?P<quote>[\"']?)(?P<value>[^\s&\"',;}]+)",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"(?P<key>\bauthorization\s*[:=]\s*[\"']?(?:basic|bearer|digest|manythingtoken)?\s*)"
    r"(?P<value>[^\s\"',}]+)",
    re.IGNORECASE,
)


def mask_url(url: str) -> str:
    """Return ``url`` with any password, and any token in its query (an NVR's HLS URL
    carries one), replaced by ``***``; the user name and the rest stay readable."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    query = _SECRET_PARAMS.sub(lambda m: f"{m['key']}{m['quote']}{MASK}", parts.query)
    netloc = parts.netloc
    if parts.password is not None or "@" in netloc:
        host = netloc.rpartition("@")[2]
        user = parts.username
        netloc = f"{user}:{MASK}@{host}" if user else f"{MASK}@{host}"
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _mask_userinfo(match: re.Match[str]) -> str:
    user = match["userinfo"].partition(":")[0]
    if ":" not in match["userinfo"]:
        return f"{match['scheme']}{MASK}@"
    return f"{match['scheme']}{user}:{MASK}@"


class SecretRegistry:
    """Secrets the process holds in memory, so redaction can find them verbatim.

    Counted, not a set: two cameras may share a password, and forgetting one of them
    must not unmask the other's.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, int] = {}
        # Redaction reads this snapshot without the lock, on every log record.
        self._secrets: tuple[str, ...] = ()

    def add(self, secret: str) -> None:
        # Very short strings would mask ordinary words; patterns still cover them in context.
        if len(secret) >= 4:
            with self._lock:
                self._holders[secret] = self._holders.get(secret, 0) + 1
                self._refresh()

    def discard(self, secret: str) -> None:
        """One holder fewer; the secret stays masked while any other still holds it."""
        with self._lock:
            count = self._holders.get(secret, 0)
            if count > 1:
                self._holders[secret] = count - 1
            elif count == 1:
                del self._holders[secret]
                self._refresh()

    def _refresh(self) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = tuple(sorted(self._holders, key=len, reverse=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self._secrets)


known_secrets = SecretRegistry()


def redact_text(text: str) -> str:
    """Mask every credential this module can recognise in free text."""
    text = _URL_USERINFO.sub(_mask_userinfo, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m['key']}{MASK}", text)
    text = _SECRET_PARAMS.sub(lambda m: f"{m['key']}{m['quote']}{MASK}", text)
    for secret in known_secrets:
        text = text.replace(secret, MASK)
    return text
