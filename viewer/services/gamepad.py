"""A USB gamepad or joystick steering the selected camera, through SDL2 where installed.

SDL2 (PySDL2 with the pysdl2-dll wheels, the optional ``vigil[gamepad]`` extra) is used
for its game controller layer: one layout (A/B/X/Y, sticks, triggers) for the thousands
of pads in its mapping database, hot-plug, and no system packages on Linux or Windows.
Nothing here blocks: :meth:`GamepadInput.poll` reads what SDL already holds, and the UI
calls it on a timer. Without the library, or with no pad, nothing happens and nothing is
logged above INFO.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Coroutine
from typing import Any

from viewer.core.gamepad import PadIntent, PadReading, intent
from viewer.services.ptz import PtzController

log = logging.getLogger(__name__)

AXES = ("leftx", "lefty", "rightx", "righty", "triggerleft", "triggerright")
BUTTONS = ("a", "b", "x", "y", "start", "dpad_up", "dpad_down", "dpad_left", "dpad_right")


def load_sdl() -> Any | None:
    """PySDL2's module with its game controller subsystem started, or None where the
    extra is not installed or SDL cannot start (said at INFO: a pad is optional)."""
    try:
        with warnings.catch_warnings():
            # PySDL2 announces the pysdl2-dll binaries it found as a UserWarning.
            warnings.filterwarnings("ignore", message="Using SDL2 binaries", category=UserWarning)
            sdl = importlib.import_module("sdl2")
    except (ImportError, OSError, RuntimeError) as error:
        log.info("no gamepad support (the vigil[gamepad] extra): %s", error)
        return None
    # SDL would otherwise take over Ctrl+C, and hear pads only while a window of its own
    # has the focus (it has none here).
    sdl.SDL_SetHint(sdl.SDL_HINT_NO_SIGNAL_HANDLERS, b"1")
    sdl.SDL_SetHint(sdl.SDL_HINT_JOYSTICK_ALLOW_BACKGROUND_EVENTS, b"1")
    if sdl.SDL_InitSubSystem(sdl.SDL_INIT_GAMECONTROLLER) != 0:
        log.info("no gamepad support: SDL did not start (%s)", sdl.SDL_GetError())
        return None
    # Read by polling: events nobody takes would pile up in SDL's queue.
    sdl.SDL_GameControllerEventState(sdl.SDL_IGNORE)
    sdl.SDL_JoystickEventState(sdl.SDL_IGNORE)
    return sdl


class GamepadInput:
    """The first game controller SDL knows; one plugged in later is found at the next
    poll, one pulled out is let go."""

    def __init__(self, sdl: Any) -> None:
        self._sdl = sdl
        self._pad: Any = None
        self.name: str | None = None
        self._axes = {name: getattr(sdl, f"SDL_CONTROLLER_AXIS_{name.upper()}") for name in AXES}
        self._buttons = {
            name: getattr(sdl, f"SDL_CONTROLLER_BUTTON_{name.upper()}") for name in BUTTONS
        }

    def poll(self) -> PadReading | None:
        """The attached pad's sticks and buttons now; None while there is none."""
        sdl = self._sdl
        sdl.SDL_GameControllerUpdate()
        if self._pad is not None and not sdl.SDL_GameControllerGetAttached(self._pad):
            log.info("gamepad %s unplugged", self.name)
            sdl.SDL_GameControllerClose(self._pad)
            self._pad, self.name = None, None
        if self._pad is None and not self._find():
            return None
        pad = self._pad
        axes = {name: int(sdl.SDL_GameControllerGetAxis(pad, a)) for name, a in self._axes.items()}
        held = (n for n, b in self._buttons.items() if sdl.SDL_GameControllerGetButton(pad, b))
        return PadReading(axes, frozenset(held))

    def _find(self) -> bool:
        sdl = self._sdl
        for index in range(sdl.SDL_NumJoysticks()):
            if not sdl.SDL_IsGameController(index):
                continue
            pad = sdl.SDL_GameControllerOpen(index)
            if pad:
                raw = sdl.SDL_GameControllerName(pad)
                self._pad = pad
                self.name = raw.decode("utf-8", "replace") if raw else "Gamepad"
                log.info("gamepad %s attached", self.name)
                return True
        return False

    def close(self) -> None:
        if self._pad is not None:
            self._sdl.SDL_GameControllerClose(self._pad)
            self._pad, self.name = None, None
        self._sdl.SDL_QuitSubSystem(self._sdl.SDL_INIT_GAMECONTROLLER)


class GamepadSteering:
    """Turns readings into the controller's calls: a deflection while one is held, one
    release when the pad comes to rest (or is pulled out), presets and home on a press."""

    def __init__(self) -> None:
        self._before: PadReading | None = None
        self._moving = False

    def apply(
        self, reading: PadReading | None, controller: PtzController | None
    ) -> list[Coroutine[Any, Any, Any]]:
        """Steers ``controller`` (None: no camera that moves); returns the preset or home
        moves to run."""
        wish = intent(reading, self._before) if reading is not None else PadIntent()
        self._before = reading
        if controller is None:
            self._moving = False
            return []
        if not wish.idle:
            controller.steer(wish.pan, wish.tilt)
            controller.zoom(wish.zoom)
            self._moving = True
        elif self._moving:
            controller.release()
            self._moving = False
        actions: list[Coroutine[Any, Any, Any]] = []
        if wish.preset is not None and wish.preset <= len(controller.presets):
            actions.append(controller.goto_preset(controller.presets[wish.preset - 1].id))
        if wish.home:
            actions.append(controller.home())
        return actions
