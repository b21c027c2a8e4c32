"""The gamepad's clock: reads the pad 50 times a second on the GUI thread's timer.

Reading is a poll of what SDL already holds (microseconds), so the timer never blocks
the window. With no pad attached the timer slows to once a second, enough to find one
plugged in later. The PTZ dock owns one and shows "Gamepad: <name>" while a pad is
attached.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from viewer.services.gamepad import GamepadInput, GamepadSteering, load_sdl
from viewer.services.ptz import PtzController
from viewer.ui.tasks import spawn

READ_MS = 20
"""50 readings a second: a stick's movement shows within a frame of video."""
SEARCH_MS = 1000
"""How often to look for a pad while none is attached."""


def default_input() -> GamepadInput | None:
    sdl = load_sdl()
    return GamepadInput(sdl) if sdl is not None else None


class GamepadDriver(QObject):
    """``attached(name)``: a pad was attached ("" once it is gone)."""

    attached = Signal(str)

    def __init__(
        self,
        controller: Callable[[], PtzController | None],
        source: GamepadInput | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._source = source
        self._steering = GamepadSteering()
        self._name: str | None = None
        self._timer = QTimer(self, interval=SEARCH_MS)
        self._timer.timeout.connect(self.read)
        if source is not None:
            self._timer.start()

    @property
    def name(self) -> str | None:
        return self._name

    def read(self) -> None:
        """One reading, handed to the selected camera's controller."""
        source = self._source
        if source is None:
            return
        reading = source.poll()
        if source.name != self._name:
            self._name = source.name
            self._timer.setInterval(READ_MS if source.name else SEARCH_MS)
            self.attached.emit(source.name or "")
        for action in self._steering.apply(reading, self._controller()):
            spawn(action)

    def stop(self) -> None:
        self._timer.stop()
        source, self._source = self._source, None
        if source is not None:
            source.close()
