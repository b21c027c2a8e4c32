"""Stream statistics an operator or a benchmark can read while video plays.

Rates are measured over a sliding window so they follow changes within seconds;
the decode thread records, any thread reads a consistent snapshot.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class StatsSnapshot:
    fps: float
    bitrate: float
    """Bits per second received, over the window."""
    width: int
    height: int
    codec: str
    frames_decoded: int
    frames_dropped: int
    corrupt_packets: int
    reconnects: int


class StreamStats:
    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._frame_times: deque[float] = deque()
        self._packets: deque[tuple[float, int]] = deque()
        self._packet_bytes = 0
        self.width = 0
        self.height = 0
        self.codec = ""
        self.frames_decoded = 0
        self.packet_count = 0
        self.corrupt_packets = 0
        self.reconnects = 0
        self.last_frame_at: float | None = None

    def _trim(self, now: float) -> None:
        horizon = now - self.window
        while self._frame_times and self._frame_times[0] < horizon:
            self._frame_times.popleft()
        while self._packets and self._packets[0][0] < horizon:
            self._packet_bytes -= self._packets.popleft()[1]

    def packet(self, size: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._packets.append((now, size))
            self._packet_bytes += size
            self.packet_count += 1
            self._trim(now)

    def frame(self, width: int, height: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._frame_times.append(now)
            self.frames_decoded += 1
            self.width, self.height = width, height
            self.last_frame_at = now
            self._trim(now)

    def snapshot(self, dropped: int = 0, now: float | None = None) -> StatsSnapshot:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            return StatsSnapshot(
                fps=len(self._frame_times) / self.window,
                bitrate=self._packet_bytes * 8 / self.window,
                width=self.width,
                height=self.height,
                codec=self.codec,
                frames_decoded=self.frames_decoded,
                frames_dropped=dropped,
                corrupt_packets=self.corrupt_packets,
                reconnects=self.reconnects,
            )
