"""HTTP and HTTPS for FFmpeg through httpx, so that certificates are checked.

FFmpeg's own https accepts any certificate unless told ``tls_verify=1``, and its HLS
demuxer does not pass that option on to the segments it fetches (docs/pitfalls.md): a
playlist from a trusted server could send the player to any server at all. Given an
``io_open`` callback, FFmpeg opens the playlist, every segment and every key through
it, so all of them go through one httpx client with one TLS policy: the system's
trusted authorities (certifi's bundle), a site's own bundle when it has one, or the one
certificate the operator pinned (media/tls.py).

TLS is never left once it was had: after anything came over https, a segment, key,
variant playlist or redirect pointing at plain http is refused before a byte is sent,
since whoever sits on that link could swap the video. Redirects are followed here, one
hop at a time, so each hop is checked before it is requested.

Failures come out as the typed errors the operator is shown, with credentials masked.
"""

from __future__ import annotations

import io
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import certifi
import httpx

from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import (
    AuthenticationError,
    CertificateError,
    InsecureLinkError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    StreamLostError,
    UnreachableError,
    VigilError,
)
from viewer.core.redact import mask_url
from viewer.media.live_join import MAX_WAIT as JOIN_WAIT
from viewer.media.live_join import join_delay
from viewer.media.tls import refusal

# At most 15 digits: any length or delay a server means fits, and int() takes it.
_PLAIN_NUMBER = re.compile(r"[0-9]{1,15}")
# Responses up to this size (playlists, segments, short clips) are read whole, so
# FFmpeg can seek in them; anything longer or open-ended is streamed as it arrives.
WHOLE_BODY_LIMIT = 32 * 2**20
# Browsers allow 20; a camera or a CDN needs one or two.
MAX_REDIRECTS = 5


class HttpOpener:
    """The ``io_open`` callback of one player: one connection pool, one TLS policy."""

    def __init__(
        self,
        ca_file: str | None,
        connect_timeout: float,
        read_timeout: float,
        pinned: PinnedCertificate | None = None,
        *,
        waiting_since: float | None = None,
    ) -> None:
        """``waiting_since``: since when (``time.monotonic()``) the player has waited for
        a first picture; joining a live playlist at a fresh segment may hold it back
        only while that wait stays short (media/live_join.py)."""
        if pinned is not None:
            context = pinned.ssl_context()
        else:
            context = ssl.create_default_context(cafile=ca_file or certifi.where())
        self._pinned = pinned
        self._client = httpx.Client(
            verify=context,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
        )
        self._tls_only = False
        self._given_up: VigilError | None = None
        self._told = False
        self._giving_up = threading.Event()
        self._first = True
        self._waiting_since = time.monotonic() if waiting_since is None else waiting_since

    def give_up(self, reason: VigilError) -> None:
        """Fail every open and read from now on, from any thread.

        FFmpeg's HLS demuxer can stay busy for ever without handing out a packet (a live
        playlist that keeps reloading while its segments yield nothing), so no read
        timeout fires and the player never learns; failing its I/O ends the demux.
        """
        self._given_up = self._given_up or reason
        self._giving_up.set()

    @property
    def given_up(self) -> VigilError | None:
        return self._given_up

    def _check(self) -> bool:
        """Raise the reason for giving up once; after that, True: FFmpeg then reads an
        end of stream. PyAV keeps one exception from a callback until FFmpeg's call
        returns, and prints every further one to stderr as "dropped" (an HLS demuxer
        tries a few more opens and reads after a failed one): a stopped player's
        traceback, and under a captured stderr a crash (docs/pitfalls.md)."""
        if self._given_up is None:
            return False
        if not self._told:
            self._told = True
            raise self._given_up
        return True

    def __call__(self, url: str, flags: int, options: dict[str, str]) -> io.IOBase:
        if self._check():
            return _WholeBody(b"", self._check)
        if urlsplit(url).scheme not in {"http", "https"}:
            where = mask_url(url)
            raise NotSupportedError(f"{where}: only http and https are fetched for a stream")
        response, where = self._get(url)
        if response.status_code >= 400:
            response.close()
            raise _status_error(response, where)
        length = _content_length(response)
        if length is not None and length <= WHOLE_BODY_LIMIT:
            body = self._read(response, where)
            first, self._first = self._first, False
            budget = JOIN_WAIT - (time.monotonic() - self._waiting_since)
            delay = join_delay(body, time.time(), budget) if first else None
            if delay is not None:
                # A live playlist whose newest segment is old: join at the next one
                # (media/live_join.py), unless the player gives up meanwhile.
                if self._giving_up.wait(delay):
                    self._check()
                return self(url, flags, options)
            return _WholeBody(body, self._check)
        self._first = False
        return _StreamedBody(response, where, self._check)

    def _read(self, response: httpx.Response, where: str) -> bytes:
        try:
            return response.read()
        except httpx.HTTPError as exc:
            raise _transport_error(exc, where, None) from None
        finally:
            response.close()

    def _get(self, url: str) -> tuple[httpx.Response, str]:
        """The response at the end of the redirects, and its masked URL."""
        request = self._client.build_request("GET", url)
        for _ in range(MAX_REDIRECTS + 1):
            where = mask_url(str(request.url))
            secure = request.url.scheme == "https"
            if self._tls_only and not secure:
                raise InsecureLinkError(f"{where}: plain http after https is refused")
            try:
                response = self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise _transport_error(exc, where, self._pinned) from None
            self._tls_only = self._tls_only or secure
            if response.next_request is None:
                return response, where
            request = response.next_request
            response.close()
        raise StreamLostError(f"{mask_url(url)} redirected more than {MAX_REDIRECTS} times")

    def close(self) -> None:
        self._client.close()


class _WholeBody(io.BytesIO):
    """A response read whole, seekable; its reads fail once the player gave up."""

    def __init__(self, body: bytes, check: Callable[[], bool]) -> None:
        super().__init__(body)
        self._check = check

    def read(self, size: int | None = -1) -> bytes:
        if self._check():
            return b""
        return super().read(size)


class _StreamedBody(io.RawIOBase):
    """A response read as FFmpeg asks for it; not seekable."""

    def __init__(self, response: httpx.Response, where: str, check: Callable[[], bool]) -> None:
        self._response = response
        self._where = where
        self._check = check
        self._chunks: Iterator[bytes] = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._check():
            return 0
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as exc:
                raise _transport_error(exc, self._where, None) from None
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        self._response.close()
        super().close()


def _header_number(response: httpx.Response, name: str) -> int | None:
    """A header that must be a plain decimal number, or None when it is anything else.

    Not ``str.isdigit()``: it passes '²' (a Latin-1 byte 0xB2 decodes to it) and runs
    of digits ``int()`` refuses, which would raise out of FFmpeg's io_open callback.
    """
    value = response.headers.get(name, "")
    return int(value) if _PLAIN_NUMBER.fullmatch(value) else None


def _content_length(response: httpx.Response) -> int | None:
    """The announced length, or None when absent or not a plain number."""
    return _header_number(response, "content-length")


def _transport_error(
    exc: httpx.HTTPError, where: str, pinned: PinnedCertificate | None
) -> VigilError:
    cause: BaseException | None = exc
    for _ in range(8):  # the chain is short; the bound only guards against a cycle
        if cause is None:
            break
        if isinstance(cause, ssl.SSLCertVerificationError):
            if pinned is not None:
                return refusal(pinned, where)
            return CertificateError(f"{where} presented a certificate that is not trusted")
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.TimeoutException):
        return UnreachableError(f"{where} did not answer in time")
    if isinstance(exc, httpx.ConnectError):
        return UnreachableError(f"{where} cannot be reached")
    return StreamLostError(f"{where} broke off ({type(exc).__name__})")


def _status_error(response: httpx.Response, where: str) -> VigilError:
    status = response.status_code
    if status in {401, 403}:
        return AuthenticationError(f"{where} rejected the user name or password")
    if status == 404:
        return NotFoundError(f"{where} has no such stream")
    if status in {429, 503}:
        retry = _header_number(response, "retry-after")
        return RateLimitedError(
            f"{where} is busy (HTTP {status})",
            retry_after=float(retry) if retry is not None else None,
        )
    return StreamLostError(f"{where} answered HTTP {status}")
