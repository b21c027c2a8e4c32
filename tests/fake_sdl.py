"""A stand-in for PySDL2's module at the library seam: the calls Vigil makes of SDL's
game controller API, answered from a pad a test holds (plugged in, pushed, pressed)."""

from __future__ import annotations

_AXES = ("LEFTX", "LEFTY", "RIGHTX", "RIGHTY", "TRIGGERLEFT", "TRIGGERRIGHT")
_BUTTONS = ("A", "B", "X", "Y", "START", "DPAD_UP", "DPAD_DOWN", "DPAD_LEFT", "DPAD_RIGHT")


class FakePad:
    def __init__(self, name: bytes) -> None:
        self.name = name
        self.axes: dict[int, int] = {}
        self.buttons: set[int] = set()
        self.attached = True


class FakeSdl:
    SDL_INIT_GAMECONTROLLER = 0x2000
    SDL_IGNORE = 0
    SDL_HINT_NO_SIGNAL_HANDLERS = b"SDL_NO_SIGNAL_HANDLERS"
    SDL_HINT_JOYSTICK_ALLOW_BACKGROUND_EVENTS = b"SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS"

    def __init__(self) -> None:
        for number, name in enumerate(_AXES):
            setattr(self, f"SDL_CONTROLLER_AXIS_{name}", number)
        for number, name in enumerate(_BUTTONS):
            setattr(self, f"SDL_CONTROLLER_BUTTON_{name}", number)
        self.devices: list[FakePad] = []
        self.opened: list[FakePad] = []
        self.updates = 0
        self.running = True

    # -- the test's hand ----------------------------------------------------------------

    def plug(self, name: bytes = b"Xbox Series X Controller") -> FakePad:
        pad = FakePad(name)
        self.devices.append(pad)
        return pad

    def unplug(self, pad: FakePad) -> None:
        pad.attached = False
        self.devices.remove(pad)

    @staticmethod
    def push(pad: FakePad, axis: str, value: int) -> None:
        pad.axes[_AXES.index(axis.upper())] = value

    @staticmethod
    def press(pad: FakePad, button: str, down: bool = True) -> None:
        number = _BUTTONS.index(button.upper())
        (pad.buttons.add if down else pad.buttons.discard)(number)

    # -- SDL's API as Vigil calls it --------------------------------------------------

    def SDL_GameControllerUpdate(self) -> None:
        self.updates += 1

    def SDL_NumJoysticks(self) -> int:
        return len(self.devices)

    def SDL_IsGameController(self, index: int) -> bool:
        return 0 <= index < len(self.devices)

    def SDL_GameControllerOpen(self, index: int) -> FakePad:
        pad = self.devices[index]
        self.opened.append(pad)
        return pad

    def SDL_GameControllerName(self, pad: FakePad) -> bytes:
        return pad.name

    def SDL_GameControllerGetAttached(self, pad: FakePad) -> bool:
        return pad.attached

    def SDL_GameControllerGetAxis(self, pad: FakePad, axis: int) -> int:
        return pad.axes.get(axis, 0)

    def SDL_GameControllerGetButton(self, pad: FakePad, button: int) -> int:
        return int(button in pad.buttons)

    def SDL_GameControllerClose(self, pad: FakePad) -> None:
        self.opened.remove(pad)

    def SDL_QuitSubSystem(self, flags: int) -> None:
        self.running = False
