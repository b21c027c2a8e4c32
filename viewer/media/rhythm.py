"""How long a stream may stay silent, judged by the pace the stream itself has shown.

One fixed rule cannot serve every camera. A 25 fps camera that sends nothing for 5 s is
gone; a 1 fps camera at a remote site, or a smart-codec camera idling at 1 fps on a
still scene, leaves a second between pictures all day; a camera with 10 s between key
frames makes a new viewer wait up to 10 s for its first picture while its packets flow
normally. So the limits are derived from what the stream has shown (the longest recent
gap between packets, the time between key frames), never below the old fixed figures,
so a stream that really stops is still declared lost within a few of its own intervals.

Plain arithmetic on times the caller passes in: no clock, no threads, no I/O.
"""

from __future__ import annotations

from collections import deque


class Rhythm:
    # Recent packet gaps kept: a few seconds of a fast stream, half a minute of a slow one.
    WINDOW = 32
    # Silence of this many of the stream's own longest recent gaps means it is gone.
    LOST_AFTER_GAPS = 5.0
    # A picture this many gaps late is worth telling the operator about.
    NOTICE_AFTER_GAPS = 2.5
    # Waiting for a key frame may take this much longer than the stream's key-frame interval.
    KEYFRAME_MARGIN = 1.5

    def __init__(
        self,
        minimum_loss: float = 5.0,
        minimum_notice: float = 2.0,
        first_picture: float = 30.0,
        longest: float = 60.0,
    ) -> None:
        """``first_picture`` bounds the wait for a key frame while the key-frame interval is
        unknown; ``longest`` bounds every limit, so a wrong estimate cannot hide a dead
        stream for long."""
        self.minimum_loss = minimum_loss
        self.minimum_notice = minimum_notice
        self.first_picture = first_picture
        self.longest = longest
        self._gaps: deque[float] = deque(maxlen=self.WINDOW)
        self._last_packet: float | None = None
        self._last_keyframe: float | None = None
        self.keyframe_interval: float | None = None

    def new_connection(self) -> None:
        """Gaps across a reconnect say nothing about the stream; what it showed is kept."""
        self._last_packet = None
        self._last_keyframe = None

    def packet(self, at: float, keyframe: bool) -> None:
        if self._last_packet is not None:
            self._gaps.append(max(0.0, at - self._last_packet))
        self._last_packet = at
        if keyframe:
            if self._last_keyframe is not None:
                self.keyframe_interval = at - self._last_keyframe
            self._last_keyframe = at

    @property
    def last_packet(self) -> float | None:
        return self._last_packet

    @property
    def frame_interval(self) -> float | None:
        """The longest recent gap between packets (one packet is one picture)."""
        return max(self._gaps) if self._gaps else None

    def silence_limit(self) -> float:
        """How long without any data before the connection counts as lost."""
        gap = self.frame_interval or 0.0
        return min(self.longest, max(self.minimum_loss, self.LOST_AFTER_GAPS * gap))

    def stall_notice(self) -> float:
        """How long without a new picture before the tile says it is waiting."""
        gap = self.frame_interval or 0.0
        return min(self.longest, max(self.minimum_notice, self.NOTICE_AFTER_GAPS * gap))

    def picture_limit(self, seen_picture: bool) -> float:
        """How long packets may flow without a picture before the connection counts as lost.

        Without a picture yet, the decoder waits for a key frame; after one, a damaged
        packet makes it wait for the next. Either way the wait is a key-frame interval.
        """
        if self.keyframe_interval is not None:
            keyframe_wait = self.KEYFRAME_MARGIN * self.keyframe_interval
        else:
            keyframe_wait = self.first_picture
        floor = self.minimum_loss if not seen_picture else self.silence_limit()
        return min(self.longest, max(floor, keyframe_wait))
