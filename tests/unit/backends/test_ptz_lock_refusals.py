"""Each backend reads another operator's hold on a camera as ``PtzLockedError``.

No seed documents a PTZ lock: the gateway and MiBee take HTTP's 423 Locked, or a 409
with a lock code, and XProtect, which does reserve PTZ for one operator, is read by the
words of its refusal. Anything else keeps its old meaning.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from viewer.backends.gateway import parse as gateway
from viewer.backends.mibee import parse as mibee
from viewer.backends.milestone.parse import ptz as xprotect
from viewer.core.errors import (
    MalformedResponseError,
    NotSupportedError,
    PtzLockedError,
    UnreachableError,
)


def gateway_body(code: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": "held", "statusCode": 409}}).encode()


def test_gateway_423_or_a_409_with_a_lock_code_is_a_lock_and_camera_offline_is_not():
    locked = gateway.http_error(423, gateway_body("PTZ_LOCKED"), retry_after=12.0)
    assert isinstance(locked, PtzLockedError)
    assert locked.retry_after == 12.0
    assert "PTZ_LOCKED held" in str(locked)
    assert isinstance(gateway.http_error(409, gateway_body("PTZ_RESERVED")), PtzLockedError)
    assert isinstance(gateway.http_error(409, gateway_body("CAMERA_OFFLINE")), UnreachableError)
    assert isinstance(gateway.http_error(409, b"<html>conflict</html>"), UnreachableError)


def test_mibee_423_or_a_409_with_a_lock_code_is_a_lock_and_other_conflicts_are_not():
    locked = mibee.error(423, b'{"error":"ptz locked by Anna","code":"PTZ_LOCKED"}')
    assert isinstance(locked, PtzLockedError)
    assert "ptz locked by Anna" in str(locked)
    assert isinstance(mibee.error(409, b'{"error":"x","code":"PTZ_LOCKED"}'), PtzLockedError)
    exists = mibee.error(409, b'{"error":"exists","code":"CAMERA_ALREADY_EXISTS"}')
    assert isinstance(exists, MalformedResponseError)


def test_xprotect_a_refusal_saying_reserved_locked_or_priority_is_a_lock():
    for words in (
        "PTZ session is reserved by another user",
        "The camera is LOCKED",
        "A user with higher priority controls the camera",
    ):
        assert isinstance(xprotect.refusal(words), PtzLockedError), words
    for words in ("Camera has no PTZ", "unlocked presets only", "Unknown preset"):
        refusal = xprotect.refusal(words)
        assert type(refusal) is NotSupportedError, words
        assert str(refusal) == words


@given(st.integers(min_value=400, max_value=599), st.binary(max_size=300))
def test_any_refusal_of_the_gateway_or_mibee_is_typed(status, body):
    assert isinstance(gateway.http_error(status, body), Exception)
    assert isinstance(mibee.error(status, body), Exception)


@given(st.text(max_size=300))
def test_any_xprotect_refusal_words_are_typed_and_kept(words):
    refusal = xprotect.refusal(words)
    assert isinstance(refusal, NotSupportedError | PtzLockedError)
    assert str(refusal) == words
