"""A refused PTZ command in words that tell the operator what to do about it."""

from __future__ import annotations

from viewer.core.errors import (
    NotSupportedError,
    PermissionDeniedError,
    PtzLockedError,
    RateLimitedError,
    UnreachableError,
)
from viewer.ui.wording import ptz_problem


def test_rights_a_lock_and_a_busy_camera_are_told_apart():
    assert ptz_problem(None) == ""
    assert ptz_problem(PermissionDeniedError("the server does not allow this")) == (
        "You have no rights to move this camera"
    )
    assert ptz_problem(PtzLockedError("PTZ_LOCKED")) == "Locked by another operator"
    assert ptz_problem(PtzLockedError("held", holder="Anna", retry_after=29.5)) == (
        "Locked by another operator (Anna): free in 30 s"
    )
    # Only the type tells a lock: a refusal of rights that mentions one is still rights.
    assert ptz_problem(PermissionDeniedError("not allowed to unlock")) == (
        "You have no rights to move this camera"
    )
    assert ptz_problem(RateLimitedError("slow down", retry_after=2.2)) == (
        "Camera busy: try again in 3 s"
    )
    assert ptz_problem(UnreachableError("gone")).startswith("Camera unreachable")
    assert ptz_problem(NotSupportedError("show the camera live first")) == (
        "Not possible: show the camera live first"
    )
