"""The words a tile uses for what went wrong: the most specific that fits."""

from __future__ import annotations

import pytest

from viewer.core.errors import (
    AuthenticationError,
    CertificateChangedError,
    CertificateError,
    CodecNotSupportedError,
    NotSupportedError,
    PermissionDeniedError,
    VigilError,
)
from viewer.ui.wording import problem


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AuthenticationError("no"), "Authentication failed"),
        # A camera under privacy masking is no password problem.
        (PermissionDeniedError("privacy masking"), "Not permitted"),
        (CodecNotSupportedError("H265"), "Codec not supported by this viewer"),
        (NotSupportedError("no live video"), "Not supported"),
        (CertificateChangedError("changed", "AA", "BB"), "Certificate changed"),
        (CertificateError("expired"), "Certificate not trusted"),
        (VigilError("odd"), "Error"),
        (None, ""),
    ],
)
def test_each_error_is_named_by_its_most_specific_words(error, words):
    assert problem(error) == words
