"""One player per stream, shared by every tile that shows it.

The hub is what makes "decode once, paint many" true: two tiles asking for the same
stream get subscriptions on the same player. A stream is named by what it shows (a
camera and a quality), not by its URL, because a backend may hand out a new URL with a
fresh token for every request. A player whose last subscriber leaves stops itself; the
hub then replaces it on the next request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable

from viewer.core.streams import StreamDescription
from viewer.media.player import Resolve, StateListener, StreamPlayer, Subscription, Wake

log = logging.getLogger(__name__)

PlayerFactory = Callable[[StreamDescription, Resolve | None], StreamPlayer]


def stream_key(description: StreamDescription) -> Hashable:
    return (description.url, tuple(sorted(description.options.items())))


def _new_player(description: StreamDescription, resolve: Resolve | None) -> StreamPlayer:
    return StreamPlayer(description, resolve=resolve)


class PlayerHub:
    def __init__(self, player_factory: PlayerFactory = _new_player) -> None:
        self._factory = player_factory
        self._players: dict[Hashable, StreamPlayer] = {}
        self._stopped: list[StreamPlayer] = []

    def subscribe(
        self,
        description: StreamDescription,
        wake: Wake,
        on_state: StateListener,
        *,
        key: Hashable | None = None,
        resolve: Resolve | None = None,
    ) -> Subscription:
        """A subscription on the player of ``key`` (by default the description's URL).

        ``resolve`` gives a fresh description before each reconnect of a new player.
        """
        key = stream_key(description) if key is None else key
        player = self._players.get(key)
        if player is None or player.stopping:
            if player is not None:
                self._stopped.append(player)
            player = self._factory(description, resolve)
            self._players[key] = player
            subscription = player.subscribe(wake, on_state)
            player.start()
            return subscription
        return player.subscribe(wake, on_state)

    def players(self) -> list[StreamPlayer]:
        """The players that are running now (stopped ones are forgotten here)."""
        for player in self._players.values():
            if player.stopping:
                self._stopped.append(player)
        self._players = {k: p for k, p in self._players.items() if not p.stopping}
        self._stopped = [p for p in self._stopped if not p.finished]
        return list(self._players.values())

    def stop_all(self) -> None:
        for player in self._players.values():
            player.stop()
        self._stopped.extend(self._players.values())
        self._players.clear()

    def join_all(self, timeout: float) -> list[StreamPlayer]:
        """Wait, at most ``timeout`` seconds in all, for stopped players' threads to end.

        Returns those still running: a read blocked in FFmpeg ends only at its timeout,
        and quitting must not hang on a camera that stopped answering.
        """
        deadline = time.monotonic() + timeout
        left = [p for p in self._stopped if not p.join(max(0.0, deadline - time.monotonic()))]
        self._stopped = left
        for player in left:
            log.warning("%s did not stop in time", player.description.display_url)
        return left
