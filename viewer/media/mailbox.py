"""A one-slot mailbox between a decode thread and a painter: the newest frame wins.

Live video must never lag behind real time because the UI was busy, so nothing
queues: a frame that arrives before the previous one was taken replaces it and is
counted as dropped. ``put`` tells the producer whether the consumer needs waking,
which turns a burst of frames into a single wake-up.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item: T | None = None
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Store ``item``; True when the slot was empty, i.e. the consumer needs a wake."""
        with self._lock:
            was_empty = self._item is None
            if not was_empty:
                self.dropped += 1
            self._item = item
            return was_empty

    def take(self) -> T | None:
        with self._lock:
            item, self._item = self._item, None
            return item
