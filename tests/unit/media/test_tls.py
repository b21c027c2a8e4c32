"""The name FFmpeg is told to check a pinned certificate against: one the certificate
carries, since a camera's certificate rarely names the address it is reached at."""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import NotSupportedError
from viewer.media.tls import address, verify_name


def certificate(common_name: str | None, *alternative_names: x509.GeneralName):
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    name = x509.Name(attributes)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if alternative_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alternative_names), critical=False
        )
    pem = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    return PinnedCertificate.from_pem(pem.decode())


@pytest.mark.parametrize(
    ("common_name", "alternative_names", "name"),
    [
        ("IPC-2", (), "IPC-2"),
        ("IPC-2", (x509.DNSName("cam7.site.example"), x509.DNSName("cam7")), "cam7.site.example"),
        ("IPC-2", (x509.DNSName("*.site.example"),), "pinned.site.example"),
        ("IPC-2", (x509.IPAddress(ipaddress.ip_address("192.168.1.64")),), "192.168.1.64"),
        (None, (x509.IPAddress(ipaddress.ip_address("fd00::40")),), "fd00::40"),
    ],
)
def test_the_name_checked_is_one_the_certificate_answers_to(common_name, alternative_names, name):
    assert verify_name(certificate(common_name, *alternative_names)) == name


@pytest.mark.parametrize("common_name", [None, "192.168.1.64", "fd00::40"])
def test_a_certificate_named_by_no_name_gnutls_would_match_has_none(common_name):
    assert verify_name(certificate(common_name)) is None


def test_a_damaged_pinned_certificate_is_a_clear_error():
    damaged = PinnedCertificate.from_der(b"not a certificate")
    with pytest.raises(NotSupportedError, match="cannot be read"):
        verify_name(damaged)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsps://user:***@192.0.2.4/live", ("192.0.2.4", 322)),
        ("https://nvr.example:8443/hls/index.m3u8", ("nvr.example", 8443)),
        ("HTTPS://[fd00::1]/x", ("fd00::1", 443)),
    ],
)
def test_a_tls_url_connects_to_its_port_or_its_scheme_s(url, expected):
    assert address(url) == expected


@pytest.mark.parametrize(
    "url", ["rtsps://camera:99999/live", "rtsps://camera:port/live", "rtsps:///"]
)
def test_a_url_without_a_usable_tls_address_is_a_clear_error(url):
    with pytest.raises(NotSupportedError, match="names no TLS server"):
        address(url)
