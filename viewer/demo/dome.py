"""A PTZ dome's head: where it points at any moment, moved as a real one moves.

The simulators' PTZ cameras all steer one of these, so their pictures (panorama.py)
follow pan, tilt and zoom at a real dome's pace rather than jumping: a continuous move
is a velocity (-1 to 1 of the axis's top speed) reached after a short ramp, pan and
tilt slower the further the lens is zoomed in (top speed divided by the zoom, so the
picture crosses the screen at about the same rate at any zoom); a stop halts the head
at once (a dropped continuous move ramps down); absolute, relative and preset moves
travel to their goal at ``travel_speed`` (scaled by the command's speed), accelerating
and braking so that they end exactly on the goal. Pan is endless; tilt and zoom stop at
their limits.

Motion is integrated in fixed steps of ``STEP`` seconds from the last command, so where
the head is at an instant does not depend on how often it was asked; the clock is
injectable (tests drive it by hand). Every method may be called from any thread.
Angles are degrees: pan in [0, 360), tilt up from the horizon; zoom is the
magnification, 1 (widest) to ``zoom_max``.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

STEP = 0.005
"""Seconds per integration step."""


@dataclass(frozen=True)
class Pose:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 1.0


@dataclass(frozen=True)
class DomeSpec:
    """What the head can do; the defaults are a mid-range outdoor dome's."""

    pan_speed: float = 100.0
    """Degrees a second at full velocity, widest zoom."""
    tilt_speed: float = 60.0
    zoom_seconds: float = 4.0
    """Widest to narrowest at full velocity (zoom moves evenly in log magnification)."""
    travel_speed: float = 240.0
    """Degrees a second of absolute, relative and preset moves at speed 1."""
    ramp: float = 0.15
    """Seconds from rest to full speed, and back."""
    tilt_min: float = -90.0
    tilt_max: float = 10.0
    zoom_max: float = 20.0

    def clamp(self, pose: Pose) -> Pose:
        return Pose(
            _wrapped(pose.pan),
            min(self.tilt_max, max(self.tilt_min, pose.tilt)),
            min(self.zoom_max, max(1.0, pose.zoom)),
        )


@dataclass(frozen=True)
class _Continuous:
    velocity: tuple[float, float, float]
    """Asked velocities, -1 to 1, of pan, tilt and zoom."""
    until: float
    """The clock's time the move is dropped (inf: held until stopped)."""


@dataclass(frozen=True)
class _Travel:
    goal: Pose
    left: tuple[float, float, float]
    """Signed distance still to go: pan and tilt in degrees, zoom in log magnification."""
    top: tuple[float, float, float]
    """Top speed per axis, in the same units a second."""


@dataclass(frozen=True)
class _State:
    pose: Pose
    speed: tuple[float, float, float]
    """Continuous: the velocities reached (-1 to 1). Travel: speeds along ``left``."""
    command: _Continuous | _Travel | None


def _wrapped(pan: float) -> float:
    pan %= 360.0
    return 0.0 if pan == 360.0 else pan


def _finite(*values: float) -> None:
    """Refuse what no head can do, before it poisons the pose."""
    if not all(math.isfinite(v) for v in values):
        raise ValueError("PTZ values must be finite numbers")


def _unit(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _towards(value: float, goal: float, most: float) -> float:
    return value + max(-most, min(most, goal - value))


def step(spec: DomeSpec, state: _State, now: float, dt: float) -> _State:
    """The state ``dt`` seconds on; ``now`` is the clock's time at the start of the step."""
    command = state.command
    if command is None:
        return state
    if isinstance(command, _Travel):
        return _travel_step(spec, state, command, dt)
    goal = command.velocity if now < command.until else (0.0, 0.0, 0.0)
    most = dt / spec.ramp
    pan_v, tilt_v, zoom_v = (_towards(v, g, most) for v, g in zip(state.speed, goal, strict=True))
    pose = state.pose
    tilt = pose.tilt + tilt_v * spec.tilt_speed / pose.zoom * dt
    if not spec.tilt_min <= tilt <= spec.tilt_max:
        tilt, tilt_v = min(spec.tilt_max, max(spec.tilt_min, tilt)), 0.0
    zoom = pose.zoom * math.exp(zoom_v * math.log(spec.zoom_max) / spec.zoom_seconds * dt)
    if not 1.0 <= zoom <= spec.zoom_max:
        zoom, zoom_v = min(spec.zoom_max, max(1.0, zoom)), 0.0
    pan = _wrapped(pose.pan + pan_v * spec.pan_speed / pose.zoom * dt)
    speed = (pan_v, tilt_v, zoom_v)
    still = speed == (0.0, 0.0, 0.0) and goal == (0.0, 0.0, 0.0)
    return _State(Pose(pan, tilt, zoom), speed, None if still else command)


def _travel_step(spec: DomeSpec, state: _State, travel: _Travel, dt: float) -> _State:
    left: list[float] = []
    speeds: list[float] = []
    for distance, was, top in zip(travel.left, state.speed, travel.top, strict=True):
        if distance == 0.0:
            left.append(0.0)
            speeds.append(0.0)
            continue
        brake = top / spec.ramp
        speed = min(was + brake * dt, top, math.sqrt(2 * brake * abs(distance)))
        moved = max(speed, brake * dt) * dt  # never stalls just short of the goal
        if moved >= abs(distance):
            left.append(0.0)
            speeds.append(0.0)
        else:
            left.append(math.copysign(abs(distance) - moved, distance))
            speeds.append(speed)
    if left == [0.0, 0.0, 0.0]:
        return _State(travel.goal, (0.0, 0.0, 0.0), None)
    goal = travel.goal
    pan_left, tilt_left, zoom_left = left
    pose = Pose(
        _wrapped(goal.pan - pan_left),
        goal.tilt - tilt_left,
        goal.zoom / math.exp(zoom_left),
    )
    remaining = (left[0], left[1], left[2])
    return _State(pose, (speeds[0], speeds[1], speeds[2]), replace(travel, left=remaining))


class Dome:
    def __init__(
        self,
        spec: DomeSpec | None = None,
        *,
        pose: Pose | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec or DomeSpec()
        self._clock = clock
        self._lock = threading.Lock()
        self._state = _State(self.spec.clamp(pose or Pose()), (0.0, 0.0, 0.0), None)
        self._time = clock()
        self.presets: dict[str, Pose] = {}
        """Stored poses by token; ``save``, ``recall`` and ``forget`` keep them."""

    def pose(self, at: float | None = None) -> Pose:
        """Where the head points at ``at`` (the clock's time; now when None). An
        instant before the last command is read as that command's, one after now as
        now: a command still to come may change the future."""
        with self._lock:
            now = self._clock()
            return self._settled(now if at is None else min(at, now)).pose

    @property
    def moving(self) -> bool:
        with self._lock:
            return self._settled(self._clock()).command is not None

    @property
    def travelling(self) -> bool:
        """On an absolute, relative or preset move (not a continuous one)."""
        with self._lock:
            return isinstance(self._settled(self._clock()).command, _Travel)

    def continuous(
        self, pan: float, tilt: float, zoom: float, duration: float | None = None
    ) -> None:
        """Move at these velocities (-1 to 1) until stopped, or for ``duration`` s."""
        _finite(pan, tilt, zoom)
        velocity = (_unit(pan), _unit(tilt), _unit(zoom))
        with self._lock:
            now = self._clock()
            state = self._commit(now)
            until = math.inf if duration is None else now + duration
            speed = state.speed if isinstance(state.command, _Continuous) else (0.0, 0.0, 0.0)
            self._state = _State(state.pose, speed, _Continuous(velocity, until))

    def stop(self) -> None:
        """Halt where the head is: its motors brake far harder than they accelerate."""
        with self._lock:
            state = self._commit(self._clock())
            self._state = _State(state.pose, (0.0, 0.0, 0.0), None)

    def move_to(self, pose: Pose, speed: float = 1.0) -> None:
        """Travel to ``pose`` (pan the shorter way round)."""
        _finite(pose.pan, pose.tilt, pose.zoom, speed)
        with self._lock:
            here = self._commit(self._clock()).pose
            goal = self.spec.clamp(pose)
            turn = (goal.pan - here.pan + 180.0) % 360.0 - 180.0
            self._travel(here, goal, turn, speed)

    def move_by(self, pan: float, tilt: float, zoom: float = 0.0, speed: float = 1.0) -> None:
        """Travel by these degrees (pan the way its sign says, even past half a turn,
        but less than a whole one) and this much magnification."""
        _finite(pan, tilt, zoom, speed)
        turn = math.fmod(pan, 360.0)
        with self._lock:
            here = self._commit(self._clock()).pose
            goal = self.spec.clamp(Pose(here.pan + turn, here.tilt + tilt, here.zoom + zoom))
            self._travel(here, goal, turn, speed)

    def place(self, pose: Pose) -> None:
        """Put the head there at once, motion stopped (a test's hand, a restart)."""
        _finite(pose.pan, pose.tilt, pose.zoom)
        with self._lock:
            self._time = self._clock()
            self._state = _State(self.spec.clamp(pose), (0.0, 0.0, 0.0), None)

    def save(self, token: str) -> Pose:
        pose = self.pose()
        self.presets[token] = pose
        return pose

    def recall(self, token: str, speed: float = 1.0) -> bool:
        pose = self.presets.get(token)
        if pose is None:
            return False
        self.move_to(pose, speed)
        return True

    def forget(self, token: str) -> bool:
        return self.presets.pop(token, None) is not None

    def _travel(self, here: Pose, goal: Pose, turn: float, speed: float) -> None:
        pace = max(0.05, min(1.0, speed))
        spec = self.spec
        top = (
            spec.travel_speed * pace,
            spec.travel_speed * pace,
            math.log(spec.zoom_max) / spec.zoom_seconds * pace,
        )
        left = (turn, goal.tilt - here.tilt, math.log(goal.zoom / here.zoom))
        self._state = _State(here, (0.0, 0.0, 0.0), _Travel(goal, left, top))
        if left == (0.0, 0.0, 0.0):
            self._state = _State(goal, (0.0, 0.0, 0.0), None)

    def _commit(self, now: float) -> _State:
        """Advance the stored state to ``now``, which a new command starts from."""
        self._state = self._settled(now)
        self._time = max(self._time, now)
        return self._state

    def _settled(self, now: float) -> _State:
        """The state at ``now``: whole steps are kept, the part step is not, so the
        path never depends on when it was read."""
        state, at = self._state, self._time
        if state.command is None or now <= at:
            self._time = max(at, now) if state.command is None else at
            return state
        steps = int((now - at) / STEP)
        for _ in range(steps):
            state = step(self.spec, state, at, STEP)
            at += STEP
            if state.command is None:
                break
        if state.command is None:
            self._state, self._time = state, max(at, now)
            return state
        self._state, self._time = state, at
        return step(self.spec, state, at, now - at)


class Space:
    """A VMS's normalised PTZ space on a dome: pan -1..1 is -180°..180°, tilt -1..1
    the head's whole tilt range (as ONVIF's generic space maps a device's limits),
    zoom 0..1 is 1x to the top magnification.

    A position sent is remembered with the pose it became, so a head that arrived
    there reports exactly the numbers it was sent (as a real one reports its encoder's
    steps), not their round trip through floating point.
    """

    REMEMBERED = 256

    def __init__(self, spec: DomeSpec) -> None:
        self.spec = spec
        self._sent: dict[Pose, tuple[float, float, float]] = {}

    def pose(self, pan: float, tilt: float, zoom: float) -> Pose:
        spec = self.spec
        low, high = spec.tilt_min, spec.tilt_max
        pose = spec.clamp(
            Pose(
                pan * 180.0,
                low + (max(-1.0, min(1.0, tilt)) + 1.0) / 2.0 * (high - low),
                1.0 + max(0.0, min(1.0, zoom)) * (spec.zoom_max - 1.0),
            )
        )
        self._sent[pose] = (pan, tilt, zoom)
        while len(self._sent) > self.REMEMBERED:
            del self._sent[next(iter(self._sent))]
        return pose

    def position(self, pose: Pose) -> tuple[float, float, float]:
        sent = self._sent.get(pose)
        if sent is not None:
            return sent
        spec = self.spec
        pan = pose.pan / 180.0
        if pan > 1.0:
            pan -= 2.0
        tilt = (pose.tilt - spec.tilt_min) / (spec.tilt_max - spec.tilt_min) * 2.0 - 1.0
        zoom = (pose.zoom - 1.0) / (spec.zoom_max - 1.0)
        return pan, tilt, zoom


async def until_still(dome: Dome, limit: float = 10.0, poll: float = 0.02) -> None:
    """Wait for a travel to end (a server that answers a move once the head is there);
    a head still moving after ``limit`` s (a continuous move) is left to it."""
    deadline = time.monotonic() + limit
    while dome.travelling and time.monotonic() < deadline:  # noqa: ASYNC110 - moved by time
        await asyncio.sleep(poll)
