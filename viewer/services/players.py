"""One player per stream, shared by every tile that shows it.

The hub is what makes "decode once, paint many" true: two tiles asking for the same
stream description get subscriptions on the same player. A player whose last
subscriber leaves stops itself; the hub then replaces it on the next request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from viewer.core.streams import StreamDescription
from viewer.media.player import StateListener, StreamPlayer, Subscription, Wake

PlayerFactory = Callable[[StreamDescription], StreamPlayer]


def stream_key(description: StreamDescription) -> Hashable:
    return (description.url, tuple(sorted(description.options.items())))


class PlayerHub:
    def __init__(self, player_factory: PlayerFactory = StreamPlayer) -> None:
        self._factory = player_factory
        self._players: dict[Hashable, StreamPlayer] = {}

    def subscribe(
        self, description: StreamDescription, wake: Wake, on_state: StateListener
    ) -> Subscription:
        key = stream_key(description)
        player = self._players.get(key)
        if player is None or player.stopping:
            player = self._factory(description)
            self._players[key] = player
            subscription = player.subscribe(wake, on_state)
            player.start()
            return subscription
        return player.subscribe(wake, on_state)

    def players(self) -> list[StreamPlayer]:
        """The players that are running now (stopped ones are forgotten here)."""
        self._players = {k: p for k, p in self._players.items() if not p.stopping}
        return list(self._players.values())

    def stop_all(self) -> None:
        for player in self._players.values():
            player.stop()
        self._players.clear()
