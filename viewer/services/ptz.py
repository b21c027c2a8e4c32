"""Steering one camera: the operator's controls turned into what its VMS can do.

Every control (the panel's joystick and zoom rocker, a drag on the tile, the keyboard, a
gamepad) ends in :meth:`PtzController.steer` and :meth:`PtzController.zoom`, with a
deflection from -1 to 1, and :meth:`PtzController.release`. The controller picks the way
the camera can be moved, once, from its capabilities:

- continuous (MiBee's ONVIF): the deflection is the velocity, renewed while held (a
  server forgets a move nobody renews), one stop on release;
- relative (the REST gateway): a move by an amount proportional to the deflection, sent
  again every ``step_every`` s while held; nothing to stop, the moves just end;
- steps (XProtect's data channel): the nearest of eight directions, sent more often the
  further the stick is pushed.

Commands go through a :class:`~viewer.core.ptz.Coalescer`, one at a time and at most
about ten a second. Presets, home and absolute moves wait for the stop that went before
them, so a camera never stops just after it was sent somewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from viewer.backends.base import Backend
from viewer.core.errors import (
    NotSupportedError,
    PtzLockedError,
    RateLimitedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import Preset, PtzCapabilities, PtzDirection, PtzPosition
from viewer.core.ptz import Coalescer, Deflection, nearest_direction

log = logging.getLogger(__name__)

T = TypeVar("T")

RENEW_EVERY = 4.0
"""Seconds between renewals of a held continuous move (MiBee drops one after 10 s)."""
STEP_EVERY = 0.5
"""Seconds between relative moves or steps at full deflection."""
SLOWEST_STEP = 2.0
"""Seconds between steps at the smallest deflection, for a VMS that moves by direction."""
RELATIVE_STEP = 0.05
"""How far one relative move at full deflection goes (9° of pan on a 360° dome), so a
held stick turns the camera about 18° a second."""
POLL_EVERY = 1.0
"""Seconds between position reports while the panel shows."""


class Drive(StrEnum):
    CONTINUOUS = "continuous"
    RELATIVE = "relative"
    STEPS = "steps"


@dataclass(frozen=True)
class _Velocity:
    pan: float
    tilt: float
    zoom: float


@dataclass(frozen=True)
class _Stop:
    pass


@dataclass(frozen=True)
class _By:
    pan: float
    tilt: float
    zoom: float


@dataclass(frozen=True)
class _Step:
    direction: PtzDirection


_Command = _Velocity | _Stop | _By | _Step


def drive_for(capabilities: PtzCapabilities) -> Drive:
    if capabilities.continuous:
        return Drive.CONTINUOUS
    if capabilities.relative:
        return Drive.RELATIVE
    return Drive.STEPS


def is_home(preset: Preset) -> bool:
    """A preset an operator would call home: "Home", "Home position", "home 1"."""
    words = preset.name.casefold().split()
    return bool(words) and words[0] == "home"


class PtzController:
    """One camera's PTZ, while it is selected; :meth:`close` when it no longer is."""

    def __init__(
        self,
        backend: Backend,
        camera_id: str,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        renew_every: float = RENEW_EVERY,
        step_every: float = STEP_EVERY,
        poll_every: float = POLL_EVERY,
    ) -> None:
        self.backend = backend
        self.camera_id = camera_id
        self.capabilities: PtzCapabilities | None = None
        self.drive = Drive.STEPS
        self.presets: tuple[Preset, ...] = ()
        self.position: PtzPosition | None = None
        self.problem: VigilError | None = None
        self.changed: Callable[[], None] = lambda: None
        """Called after anything above changed; the panel redraws."""
        self.sent = 0
        """Commands handed to the backend, for the operator's statistics and tests."""
        self._monotonic = monotonic
        self._renew_every, self._step_every, self._poll_every = (
            renew_every,
            step_every,
            poll_every,
        )
        self._coalescer: Coalescer[_Command] = Coalescer()
        self._stick = Deflection()
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self._retried = False

    # -- what the camera can do -------------------------------------------------------

    @property
    def can_save_presets(self) -> bool:
        return type(self.backend).ptz_save_preset is not Backend.ptz_save_preset

    @property
    def can_delete_presets(self) -> bool:
        return type(self.backend).ptz_delete_preset is not Backend.ptz_delete_preset

    @property
    def can_zoom(self) -> bool:
        """Whether the zoom rocker can work: a VMS that moves by direction has no zoom
        step (XProtect's data channel)."""
        capabilities = self.capabilities
        return capabilities is not None and capabilities.zoom and self.drive is not Drive.STEPS

    async def start(self) -> bool:
        """Asks what the camera can do; False (with ``problem`` set) when it cannot move."""
        try:
            self.capabilities = await self.backend.ptz_capabilities(self.camera_id)
        except VigilError as error:
            self._report(error)
            return False
        self.drive = drive_for(self.capabilities)
        self.presets = self.capabilities.presets
        self._pump = asyncio.ensure_future(self._run())
        self.changed()
        return True

    async def close(self) -> None:
        """Stops a camera still moving, then everything of this controller."""
        if self._pump is not None:
            self.release()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._quiet.wait()
        for task in (self._pump, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._pump = self._poller = None

    # -- the operator's hand --------------------------------------------------------------

    def steer(self, pan: float, tilt: float) -> None:
        """Pan and tilt deflection, -1 to 1 (right and up positive)."""
        self._set(Deflection.of(pan, tilt, self._stick.zoom))

    def zoom(self, speed: float) -> None:
        """Zoom deflection, -1 (out) to 1 (in)."""
        self._set(Deflection.of(self._stick.pan, self._stick.tilt, speed))

    def release(self) -> None:
        """Every control let go: the camera stops at once."""
        self._set(Deflection())

    def stop(self) -> None:
        """Stop, whatever the controller believes (Esc): a preset move in progress too."""
        self._stick = Deflection()
        self._coalescer.release(_Stop() if self.drive is Drive.CONTINUOUS else None, force=True)
        self._kick()

    def _set(self, stick: Deflection) -> None:
        if stick == self._stick:
            return
        before, self._stick = self._stick, stick
        now = self._monotonic()
        if stick.idle:
            self._coalescer.release(_Stop() if self.drive is Drive.CONTINUOUS else None)
        elif self.drive is Drive.CONTINUOUS:
            self._coalescer.hold(
                _Velocity(stick.pan, stick.tilt, stick.zoom), now, self._renew_every
            )
        elif self.drive is Drive.RELATIVE:
            move = _By(
                stick.pan * RELATIVE_STEP, stick.tilt * RELATIVE_STEP, stick.zoom * RELATIVE_STEP
            )
            turned = (
                nearest_direction(stick.pan, stick.tilt)
                != nearest_direction(before.pan, before.tilt)
                or (stick.zoom > 0) != (before.zoom > 0)
                or (stick.zoom < 0) != (before.zoom < 0)
            )
            self._coalescer.hold(move, now, self._step_every, soon=turned)
        else:
            direction = nearest_direction(stick.pan, stick.tilt)
            if direction is None:
                self._coalescer.release()
            else:
                every = min(SLOWEST_STEP, self._step_every / max(stick.magnitude, 1e-3))
                self._coalescer.hold(_Step(direction), now, every)
        self._kick()

    def _kick(self) -> None:
        self._quiet.clear()
        self._wake.set()

    # -- presets, home, position ------------------------------------------------------

    async def goto_preset(self, preset_id: str) -> None:
        await self._after_moves(lambda: self.backend.ptz_goto_preset(self.camera_id, preset_id))

    async def save_preset(self, name: str) -> Preset | None:
        """The current position as a new preset; None when the VMS refused (``problem``)."""
        saved = await self._after_moves(lambda: self.backend.ptz_save_preset(self.camera_id, name))
        await self.refresh_presets()
        return saved

    async def delete_preset(self, preset_id: str) -> None:
        await self._after_moves(lambda: self.backend.ptz_delete_preset(self.camera_id, preset_id))
        await self.refresh_presets()

    async def refresh_presets(self) -> None:
        try:
            self.presets = await self.backend.ptz_presets(self.camera_id)
        except VigilError as error:
            self._report(error)
            return
        self.changed()

    async def home(self) -> None:
        """A preset called home where there is one, else the absolute centre, zoomed out,
        else the VMS's own home step."""
        home = next((preset for preset in self.presets if is_home(preset)), None)
        if home is not None:
            await self.goto_preset(home.id)
        elif self.capabilities is not None and self.capabilities.absolute:
            centre = PtzPosition(0.0, 0.0, 0.0)
            await self._after_moves(lambda: self.backend.ptz_move_to(self.camera_id, centre))
        else:
            await self._after_moves(
                lambda: self.backend.ptz_step(self.camera_id, PtzDirection.HOME)
            )

    def watch_position(self, on: bool) -> None:
        """Polls the position every ``poll_every`` s while on (the panel shows)."""
        if on and self._poller is None:
            self._poller = asyncio.ensure_future(self._poll())
        elif not on and self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll(self) -> None:
        while True:
            try:
                position: PtzPosition | None = await self.backend.ptz_position(self.camera_id)
            except NotSupportedError:
                position = None
            except VigilError as error:
                log.info("PTZ position of %s not read: %s", self.camera_id, error)
                position = None
            if position != self.position:
                self.position = position
                self.changed()
            await asyncio.sleep(self._poll_every)

    async def _after_moves(self, action: Callable[[], Awaitable[T]]) -> T | None:
        """``action`` once the stick's moves (and their stop) are done; its refusal is
        the ``problem``."""
        self.release()
        await self._quiet.wait()
        async with self._lock:
            try:
                result = await action()
            except VigilError as error:
                self._report(error)
                return None
        if self.problem is not None:
            self.problem = None
            self.changed()
        return result

    # -- sending ----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            now = self._monotonic()
            command = self._coalescer.take(now) if now >= self._paused_until else None
            if command is None:
                wake = self._coalescer.wake_at()
                if wake is None:
                    self._quiet.set()
                if now < self._paused_until:
                    wake = self._paused_until if wake is None else max(wake, self._paused_until)
                self._wake.clear()
                timeout = None if wake is None else max(0.0, wake - now)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                continue
            try:
                async with self._lock:
                    await self._send(command)
            finally:
                self._coalescer.finished()

    async def _send(self, command: _Command) -> None:
        camera = self.camera_id
        self.sent += 1
        try:
            match command:
                case _Velocity(pan, tilt, zoom):
                    await self.backend.ptz_move(camera, pan, tilt, zoom)
                case _Stop():
                    await self.backend.ptz_stop(camera)
                case _By(pan, tilt, zoom):
                    await self.backend.ptz_move_by(camera, pan, tilt, zoom)
                case _Step(direction):
                    await self.backend.ptz_step(camera, direction)
        except RateLimitedError as error:
            self._paused_until = self._monotonic() + (error.retry_after or 1.0)
            self._report(error)
        except PtzLockedError as error:
            # Held by a colleague: commands wait for the time the server named, if any.
            if error.retry_after:
                self._paused_until = self._monotonic() + error.retry_after
            self._report(error)
        except VigilError as error:
            if command == _Stop() and isinstance(error, UnreachableError) and not self._retried:
                # A camera left turning is worse than a stop sent twice.
                self._retried = True
                self._coalescer.release(_Stop(), force=True)
            self._report(error)
        else:
            self._retried = False
            if self.problem is not None:
                self.problem = None
                self.changed()

    def _report(self, error: VigilError) -> None:
        log.info("PTZ of %s refused: %s", self.camera_id, error)
        self.problem = error
        self.changed()
