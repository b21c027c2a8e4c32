"""How long to wait before the next reconnect attempt.

Exponential (1 s doubling to a 30 s cap) so a dead camera costs almost nothing, with
jitter so that a hundred tiles that lost the same recorder do not all reconnect in
the same millisecond when it comes back. A camera can be dark all night: the delay
stays at the cap however many attempts there were (the nominal delay is kept, not
recomputed as ``factor ** attempt``, which overflows a float after about a thousand
attempts).
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self,
        initial: float = 1.0,
        factor: float = 2.0,
        cap: float = 30.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._nominal = min(cap, initial)

    def next_delay(self) -> float:
        """The wait before the next attempt, within ±``jitter`` of the nominal delay."""
        nominal = self._nominal
        self._nominal = min(self.cap, nominal * self.factor)
        spread = nominal * self.jitter
        return min(self.cap, max(0.0, nominal + self._rng.uniform(-spread, spread)))

    def reset(self) -> None:
        """Called once a connection has delivered pictures again."""
        self._nominal = min(self.cap, self.initial)
