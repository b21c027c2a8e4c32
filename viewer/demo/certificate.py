"""A self-signed certificate made at start, as a camera makes its factory certificate.

It names the device ("Vigil demo camera"), not the address it is reached at, so no
client can verify it the usual way: an operator has to trust it by its fingerprint.
A new one each start, so restarting the demo server is how a test replaces it.
"""

from __future__ import annotations

import datetime
import hashlib
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

COMMON_NAME = "Vigil demo camera"
VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class SelfSignedCertificate:
    pem: bytes
    key_pem: bytes = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER bytes, ``AA:BB:…``, as cameras show it on their web page."""
        der = ssl.PEM_cert_to_DER_cert(self.pem.decode("ascii"))
        return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # Python loads a key only from a file; a private folder holds it for a moment.
        with tempfile.TemporaryDirectory(prefix="vigil-demo-tls-") as folder:
            certificate, key = Path(folder, "certificate.pem"), Path(folder, "key.pem")
            certificate.write_bytes(self.pem)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(certificate, key)
        return context


def self_signed(common_name: str = COMMON_NAME) -> SelfSignedCertificate:
    """A new key (P-256: quick to make, as common on cameras as RSA) and its certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )
    return SelfSignedCertificate(
        pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
