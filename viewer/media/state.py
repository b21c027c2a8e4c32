"""The life of a stream as the operator sees it.

``CONNECTING`` -> ``PLAYING`` -> (``STALLED`` ->) ``RECONNECTING`` -> ``PLAYING``...;
``FAILED`` when retrying cannot help (wrong password, unsupported codec), ``STOPPED``
when nobody watches any more or a recording ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from viewer.core.errors import VigilError


class PlayerState(StrEnum):
    CONNECTING = "connecting"
    PLAYING = "playing"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class StateInfo:
    state: PlayerState
    error: VigilError | None = None
    retry_at: float | None = None
    """``time.monotonic()`` of the next attempt while ``RECONNECTING``."""
