"""Pinned certificates: read from their PEM text, named by the fingerprint devices print."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.core.certificates import PinnedCertificate, der_from_pem, fingerprint
from viewer.demo.certificate import self_signed


def test_the_fingerprint_is_sha256_of_the_der_bytes_in_pairs_of_capitals():
    digest = hashlib.sha256(b"certificate").hexdigest().upper()
    assert fingerprint(b"certificate") == ":".join(
        digest[i : i + 2] for i in range(0, len(digest), 2)
    )


def test_a_certificate_has_the_fingerprint_openssl_gives_it():
    made = self_signed()
    pinned = PinnedCertificate.from_pem(made.pem.decode())
    assert pinned.fingerprint == made.fingerprint
    assert PinnedCertificate.from_der(der_from_pem(pinned.pem)) == pinned


def test_its_text_stays_out_of_repr():
    pinned = PinnedCertificate.from_pem(self_signed().pem.decode())
    assert "BEGIN" not in repr(pinned)
    assert pinned.fingerprint in repr(pinned)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n" * 2,
        "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n",
    ],
)
def test_anything_but_one_pem_certificate_is_a_value_error(text):
    with pytest.raises(ValueError, match="certificate"):
        PinnedCertificate.from_pem(text)


@given(st.binary(min_size=1, max_size=600))
def test_der_survives_the_trip_through_pem(der):
    pinned = PinnedCertificate.from_der(der)
    assert der_from_pem(pinned.pem) == der
    assert PinnedCertificate.from_pem(pinned.pem) == pinned


@given(st.text(max_size=300))
def test_any_text_gives_a_certificate_or_a_value_error(text):
    try:
        pinned = PinnedCertificate.from_pem(text)
    except ValueError:
        return
    assert pinned.fingerprint == fingerprint(der_from_pem(text))
