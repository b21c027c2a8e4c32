"""Certificates as servers present them: what the operator checks, and what a pin trusts.

A camera's certificate is usually its own, self-signed, naming the device and not the
address it is reached at. The operator trusts it by its SHA-256 fingerprint, and from
then on exactly that certificate is accepted for the camera (a pin), and nothing else.

- The probe asks a server for its certificate and whether the authorities the player
  uses (certifi's) vouch for it. Python 3.11 cannot hand out an unverified chain, so
  this is one verified handshake, and an unverified one to fetch the certificate when
  the first fails.
- FFmpeg cannot be told "this certificate and no other": given ``tls_verify=1`` and
  the certificate as ``ca_file``, its TLS (GnuTLS in PyAV's wheels) still requires the
  certificate to name the host. Told ``verifyhost`` (a name the certificate carries),
  it checks that name instead, so the pinned certificate passes and any other fails
  (measured, docs/pitfalls.md). The PEM it reads is written to a private folder.
  GnuTLS never matches an IP address against a common name, so a certificate whose
  only name is one gets no check from FFmpeg: it is confirmed by a probe just before.
- httpx gets an SSL context whose only anchor is the pinned certificate, names unchecked.
- When a pinned connection fails, a probe tells a changed certificate (refused for good,
  both fingerprints in the error) from an expired one or a camera that is down.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import shutil
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import certifi
from cryptography import x509
from cryptography.x509.oid import NameOID

from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import (
    CertificateChangedError,
    CertificateError,
    NotSupportedError,
    UnreachableError,
    VigilError,
)

DEFAULT_PORTS = {"rtsps": 322, "https": 443}
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class PresentedCertificate:
    certificate: PinnedCertificate
    trusted: bool
    """Whether the player's usual authorities vouch for it, for the host it was asked by."""


def address(url: str) -> tuple[str, int]:
    """Host and port a TLS URL connects to (a masked URL will do)."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number from 0 to 65535
        port = None
    if not parts.hostname or port is None:
        raise NotSupportedError(f"{url} names no TLS server")
    return parts.hostname, port


def probe(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> PresentedCertificate:
    """The certificate ``host:port`` presents; UnreachableError or CertificateError if none."""
    authorities = ssl.create_default_context(cafile=certifi.where())
    try:
        return PresentedCertificate(_handshake(host, port, authorities, timeout), trusted=True)
    except ssl.SSLCertVerificationError:
        pass
    anything = ssl.create_default_context()
    anything.check_hostname = False
    anything.verify_mode = ssl.CERT_NONE
    return PresentedCertificate(_handshake(host, port, anything, timeout), trusted=False)


def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> PinnedCertificate:
    where = f"{host}:{port}"
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError:
        raise
    except ssl.SSLError as exc:
        raise CertificateError(f"{where} did not complete a TLS handshake ({exc.reason})") from None
    except TimeoutError:
        raise UnreachableError(f"{where} did not answer in time") from None
    except OSError:
        raise UnreachableError(f"{where} cannot be reached") from None
    if not der:
        raise CertificateError(f"{where} presented no certificate")
    return PinnedCertificate.from_der(der)


def refusal(pin: PinnedCertificate, url: str, timeout: float = PROBE_TIMEOUT) -> VigilError:
    """Why a pinned TLS connection to ``url`` (masked) failed: looks at what it presents now."""
    try:
        confirm(pin, url, timeout)
    except VigilError as exc:
        return exc
    return CertificateError(f"{url} presented the trusted certificate, but TLS failed")


def confirm(pin: PinnedCertificate, url: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Raise unless the server at ``url`` (masked) presents the pinned certificate, in date.

    A connection of its own: it catches a replaced certificate, not someone in between
    who answers this connection and the next one differently.
    """
    host, port = address(url)
    presented = probe(host, port, timeout).certificate
    if presented.fingerprint != pin.fingerprint:
        raise CertificateChangedError(
            f"{url} presented a different certificate from the one trusted: "
            f"SHA-256 {presented.fingerprint} (trusted: {pin.fingerprint})",
            pinned=pin.fingerprint,
            presented=presented.fingerprint,
        )
    certificate = _load(pin)
    now = datetime.datetime.now(datetime.UTC)
    if now > certificate.not_valid_after_utc:
        expired = certificate.not_valid_after_utc.date().isoformat()
        raise CertificateError(f"{url}: the trusted certificate expired on {expired}")
    if now < certificate.not_valid_before_utc:
        start = certificate.not_valid_before_utc.date().isoformat()
        raise CertificateError(
            f"{url}: the trusted certificate is valid only from {start} (check the clocks)"
        )


def verify_name(pin: PinnedCertificate) -> str | None:
    """A name the certificate answers to, for FFmpeg's ``verifyhost``; None if it has none.

    Its first DNS name (a wildcard made concrete), else its first IP address, else its
    common name: GnuTLS looks at the common name only when there are no DNS names, and
    never matches an IP address against it, so a certificate whose only name is an
    address in its common name (a camera's favourite) has none. Each kind was checked
    against PyAV's FFmpeg (docs/pitfalls.md).
    """
    certificate = _load(pin)
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        names = x509.SubjectAlternativeName([])
    dns: list[str] = names.get_values_for_type(x509.DNSName)
    if dns:
        return "pinned" + dns[0][1:] if dns[0].startswith("*.") else dns[0]
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [
        ip
        for ip in names.get_values_for_type(x509.IPAddress)
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
    ]
    if addresses:
        return str(addresses[0])
    common = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = common[0].value if common else None
    if not isinstance(name, str) or not name or _is_address(name):
        return None
    return name


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _load(pin: PinnedCertificate) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pin.pem.encode("ascii"))
    except ValueError:
        raise NotSupportedError("the trusted certificate cannot be read") from None


class _PinFiles:
    """PEM files of pinned certificates for FFmpeg's ``ca_file``: public, but private to us,
    in a folder of our own that goes when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def path(self, pin: PinnedCertificate) -> str:
        with self._lock:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="vigil-pins-"))
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
            path = self._folder / f"{pin.fingerprint.replace(':', '').lower()}.pem"
            if not path.exists():
                partial = path.with_suffix(".partial")
                partial.write_text(pin.pem, encoding="ascii")
                partial.replace(path)
        return str(path)


pinned_ca_file = _PinFiles().path
