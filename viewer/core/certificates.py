"""Certificates the operator trusts by their fingerprint, because nobody else vouches for them.

Most cameras, and many servers on a site's own network, present a certificate they
signed themselves. No authority can say it is the right one, so the operator compares
its SHA-256 fingerprint with the one the device shows (on its label or web page) and
trusts exactly that certificate. A certificate is public: its PEM text is kept in the
settings beside the camera it belongs to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import ssl
import textwrap
from dataclasses import dataclass, field

from viewer.core.errors import CertificateError

_PEM = re.compile(
    r"\A\s*-----BEGIN CERTIFICATE-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*"
    r"-----END CERTIFICATE-----\s*\Z"
)


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER bytes as devices print it: ``AA:BB:…``, 32 pairs."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def der_from_pem(pem: str) -> bytes:
    """The DER bytes of one PEM certificate; ValueError for anything else."""
    match = _PEM.match(pem)
    if match is None:
        raise ValueError("not one PEM certificate")
    try:
        der = base64.b64decode("".join(match["body"].split()), validate=True)
    except binascii.Error:
        raise ValueError("the certificate's base64 is damaged") from None
    if not der:
        raise ValueError("the certificate is empty")
    return der


@dataclass(frozen=True)
class PinnedCertificate:
    """One certificate trusted as it is, whoever signed it and whatever host it names."""

    pem: str = field(repr=False)
    fingerprint: str

    @classmethod
    def from_pem(cls, pem: str) -> PinnedCertificate:
        return cls(pem, fingerprint(der_from_pem(pem)))

    @classmethod
    def from_der(cls, der: bytes) -> PinnedCertificate:
        body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
        pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
        return cls(pem, fingerprint(der))

    def ssl_context(self) -> ssl.SSLContext:
        """A client context whose only anchor is this certificate, host names unchecked
        (for HTTPS through httpx; FFmpeg's TLS needs a file, media/tls.py).

        Partial chains are accepted so that a pinned certificate issued by someone else
        anchors on its own. Raises ssl.SSLError if the PEM is not a certificate.
        """
        context = ssl.create_default_context(cadata=self.pem)
        context.check_hostname = False
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context


def https_verify(pin: PinnedCertificate | None) -> ssl.SSLContext | bool:
    """What httpx's ``verify`` takes for a site: the usual authorities, or only the
    pinned certificate. CertificateError if the pinned one cannot be read."""
    if pin is None:
        return True
    try:
        return pin.ssl_context()
    except ssl.SSLError:
        raise CertificateError("the trusted certificate cannot be read") from None
