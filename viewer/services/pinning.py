"""Deciding, when a camera is added, which certificate (if any) its streams will trust.

A server whose certificate the usual authorities vouch for needs nothing. Otherwise
the operator is shown the certificate's fingerprint and has to say they trust that
one: only a fingerprint handed back equal to what the server presents now pins it, so
a certificate swapped between the question and the answer is asked about again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import InvalidInputError, UnknownCertificateError, VigilError
from viewer.media.tls import PresentedCertificate, address, probe

TLS_SCHEMES = ("rtsps:", "https:")


async def certificate_to_pin(
    urls: Sequence[tuple[str, str]], trusted: str | None
) -> PinnedCertificate | None:
    """The certificate to pin for streams at ``urls`` ((URL, form field) pairs), if any.

    ``trusted`` is the SHA-256 fingerprint the operator accepted. Raises
    UnknownCertificateError (with the fingerprint to show) until it matches, and
    InvalidInputError naming the field when a server cannot be asked or the streams of
    one camera present different certificates.
    """
    presented: list[tuple[PresentedCertificate, str]] = []
    for url, field in urls:
        if url.lower().startswith(TLS_SCHEMES):
            presented.append((await _probe(url, field), field))
    if all(answer.trusted for answer, _ in presented):
        return None
    first = presented[0][0].certificate
    for answer, field in presented[1:]:
        if answer.certificate != first:
            raise InvalidInputError(
                "This stream's server presents a different certificate from the main "
                "stream's; one camera can trust only one.",
                field,
            )
    if first.fingerprint != trusted:
        raise UnknownCertificateError(
            f"The camera presents a certificate that no trusted authority vouches for "
            f"(SHA-256 {first.fingerprint}).",
            fingerprint=first.fingerprint,
            field=presented[0][1],
        )
    return first


async def _probe(url: str, field: str) -> PresentedCertificate:
    try:
        return await asyncio.to_thread(probe, *address(url))
    except VigilError as exc:
        raise InvalidInputError(f"{exc}: its certificate could not be checked.", field) from None
