"""The simulated gateway's PTZ presets, absolute positions, snapshots and outputs.

Shapes follow Milestone's public samples where they show them ([code]: the task
envelope ``{"result":{"sessionDataId","state","path":{"type":"tasks","id"}}}``, polling
``/tasks/{id}`` for ``{"data":{"state":"Success","progress":100,…}}``, ``?task=TaskCleanup``)
and backends.md ([doc]: ``/ptzPresets``, ``Goto``, ``GetPtzAbsolutePosition``,
``SetPtzAbsolutePosition`` with pan/tilt −1…1 and zoom/speed 0…1, ``JpegGetLive``
``{width,height}`` → ``jpegDataAsBase64``). Marked [guess] where nothing public says
(the error words, which tasks are long, the output task names).

Each PTZ camera is a dome (demo/dome.py) whose live view its WebRTC sessions show
(tracks.py); positions are normalised over the head's whole range (pan and tilt -1 to 1,
zoom 0 to 1). ``Goto`` travels to the preset and is answered when the head is there
[guess]; ``SetPtzAbsolutePosition`` is a long task whose head starts after
``move_seconds`` (longer for a slower move) and which succeeds on arrival, so a client
has to poll and clean up as it must on a real server. The data channel's ``ptzMove``
steps the head by a part of its field of view (``step``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from viewer.demo import panorama, snapshots
from viewer.demo.dome import Dome, DomeSpec, Pose, Space, until_still
from viewer.demo.footage import camera_by_id
from viewer.demo.http import Request, Response
from viewer.demo.milestone import gateway as xp
from viewer.demo.milestone.directory import CAMERAS, SimCamera, guid

if TYPE_CHECKING:
    from viewer.demo.milestone.gateway import MilestoneSimulator

CONFIG = "/api/rest/v1/"
TASKS_FROM = "2024 R2"
"""Goto, the absolute position and the output tasks came with 2024 R2 (its release notes)."""
OUTPUT_TASKS = {"activate": True, "deactivate": False, "trigger": None}
"""[guess] ``?task=Activate|Deactivate|Trigger`` on ``/outputs/{id}``: the release notes
name the actions, no public page the task ids; named like the preset's ``Goto``."""
SPEC = DomeSpec()
STEP = 0.25
"""A data-channel step turns the head by this part of its field of view [guess]."""
STEP_SPEED = 0.5
ARRIVAL_LIMIT = 15.0
"""Seconds an absolute move's task waits for the head (a Goto's answer, a third)."""
_STEPS = {
    "up": (0, 1),
    "down": (0, -1),
    "left": (-1, 0),
    "right": (1, 0),
    "upleft": (-1, 1),
    "upright": (1, 1),
    "downleft": (-1, -1),
    "downright": (1, -1),
}


@dataclass(frozen=True)
class Position:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0


@dataclass(frozen=True)
class SimPreset:
    id: str
    name: str
    position: Position

    def config(self, camera_id: str) -> dict[str, Any]:
        """[code] MIP's PtzPreset properties (Name, Description, Pan, Tilt, Zoom,
        DefaultPreset, Locked, DevicePreset, DevicePresetInternalId), spelt as the REST
        API spells a camera's (camelCase) [guess]."""
        return {
            "displayName": self.name,
            "id": self.id,
            "name": self.name,
            "description": "",
            "lastModified": "2025-10-27T15:20:00.0000000Z",
            "defaultPreset": self.name == "Home",
            "devicePreset": False,
            "devicePresetInternalId": "",
            "locked": False,
            "pan": self.position.pan,
            "tilt": self.position.tilt,
            "zoom": self.position.zoom,
            "relations": {
                "parent": {"type": "cameras", "id": camera_id},
                "self": {"type": "ptzPresets", "id": self.id},
            },
        }


def _presets(camera: SimCamera) -> tuple[SimPreset, ...]:
    places = (
        ("Home", Position()),
        ("Gate", Position(-0.5, -0.25, 0.3)),
        ("Road", Position(0.625, -0.125, 0.75)),
    )
    return tuple(
        SimPreset(guid(f"preset/{camera.demo_id}/{name}"), name, position)
        for name, position in places
    )


@dataclass(frozen=True)
class SimOutput:
    id: str
    name: str
    hardware: str

    def config(self) -> dict[str, Any]:
        """The fields the Config API gives every device, as a camera has them."""
        return {
            "displayName": self.name,
            "enabled": True,
            "id": self.id,
            "name": self.name,
            "channel": 0,
            "description": "",
            "createdDate": "0001-01-01T00:00:00.0000000",
            "lastModified": "2025-10-27T15:03:52.8070000Z",
            "gisPoint": "POINT EMPTY",
            "shortName": "",
            "relations": {
                "parent": {"type": "hardware", "id": self.hardware},
                "self": {"type": "outputs", "id": self.id},
            },
        }


OUTPUTS = tuple(
    SimOutput(guid(f"output/{name}"), name, guid(f"hardware/{demo_id}"))
    for name, demo_id in (("Main gate barrier", "cam12"), ("Harbour siren", "cam17"))
)


@dataclass
class SimTask:
    id: str
    camera_id: str
    state: str = "InProgress"  # [guess] the state between Idle and Success
    progress: int = 0

    def data(self) -> dict[str, Any]:
        """[code] ``GET /tasks/{id}`` as the RestfulCommunication sample shows it."""
        return {
            "displayName": "invokeResult",
            "progress": self.progress,
            "cameraPath": {"type": "cameras", "id": self.camera_id},
            "sessionDataId": 0,
            "affectedProfileIds": [],
            "state": self.state,
            "relations": {
                "parent": {"type": "sites", "id": xp.SITE_ID},
                "self": {"type": "tasks", "id": self.id},
            },
        }


@dataclass
class Record:
    """What clients did, for tests."""

    gotos: list[tuple[str, str]] = field(default_factory=list)
    """(camera demo id, preset name) of every Goto."""
    cleaned: list[str] = field(default_factory=list)
    """Ids of the tasks cleaned up."""
    snapshots: list[tuple[str, int, int]] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    """Names of the outputs triggered (a pulse: on, then off)."""


class PtzFeature:
    def __init__(self, simulator: MilestoneSimulator, *, move_seconds: float = 0.2) -> None:
        self._simulator = simulator
        self.move_seconds = move_seconds
        """How long a SetPtzAbsolutePosition task runs before the camera is there."""
        steered = [camera for camera in CAMERAS.values() if camera.enabled and camera.ptz]
        self.space = Space(SPEC)
        home = self.space.pose(0.0, 0.0, 0.0)
        self.domes = {camera.demo_id: Dome(SPEC, pose=home) for camera in steered}
        """Each PTZ camera's head, by demo id."""
        self.presets = {camera.id: _presets(camera) for camera in steered}
        self.outputs = {output.id: output for output in OUTPUTS}
        self.active: dict[str, bool] = {output.name: False for output in OUTPUTS}
        """Each output's state, by name."""
        self.denied: set[str] = set()
        """Demo ids of cameras the user may see but not steer (a role without PTZ rights)."""
        self.record = Record()
        self._tasks: dict[str, SimTask] = {}
        self._moves: set[asyncio.Task[None]] = set()
        self._task_ids = itertools.count(81)

    @property
    def positions(self) -> dict[str, Position]:
        """Where each PTZ camera points now, by demo id."""
        return {
            demo_id: Position(*self.space.position(dome.pose()))
            for demo_id, dome in self.domes.items()
        }

    def step(self, demo_id: str, direction: str) -> None:
        """A ``ptzMove`` of the data channel: a step of the field of view, or home."""
        dome = self.domes.get(demo_id)
        if dome is None:
            return
        if direction == "home":
            dome.move_to(self.space.pose(0.0, 0.0, 0.0), STEP_SPEED)
            return
        pan, tilt = _STEPS[direction]
        size = STEP * panorama.field_of_view(dome.pose().zoom)
        dome.move_by(pan * size, tilt * size, 0.0, STEP_SPEED)

    async def stop(self) -> None:
        for move in list(self._moves):
            move.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await move

    async def answer(self, request: Request, path: str) -> Response | None:
        if not path.startswith(CONFIG):
            return None
        parts = path[len(CONFIG) :].split("/")
        task = next((v for k, v in request.query.items() if k.lower() == "task"), None)
        known = parts[0] == "cameras" and len(parts) > 1 and self._simulator.camera(parts[1])
        match parts, request.method:
            case ["cameras", camera_id, "ptzpresets"], "GET" if known:
                return self._preset_list(camera_id)
            case ["cameras", camera_id, "ptzpresets", preset_id], _ if known:
                return await self._preset(request, known, preset_id, task)
            case ["cameras", camera_id, "outputs"], "GET" if known:
                # [real] 2025 R1 answers this, outputs hang off hardware, not cameras.
                return xp.error_envelope(400, f"Invalid parent. cameras/{camera_id}/OutputFolder")
            case ["cameras", _], "POST" if known and task:
                return await self._camera_task(request, known, task)
            case ["tasks", task_id], "GET" if task_id in self._tasks:
                return _json({"data": self._tasks[task_id].data()})
            case ["tasks", task_id], "POST" if task_id in self._tasks:
                return self._cleanup(task_id, task)
            case ["tasks", unknown, *_], _:
                return xp.error_envelope(404, f"Unknown resource: tasks/{unknown}")
            case ["outputs"], "GET":
                return _json({"array": [output.config() for output in self.outputs.values()]})
            case ["outputs", output_id], "GET" if output_id in self.outputs:
                return _json({"data": self.outputs[output_id].config()})
            case ["outputs", output_id], "POST" if output_id in self.outputs and task:
                return self._output_task(self.outputs[output_id], task)
            case ["outputs", unknown, *_], _:
                return xp.error_envelope(404, f"Unknown resource: outputs/{unknown}")
        return None

    # -- presets ----------------------------------------------------------------------

    def _preset_list(self, camera_id: str) -> Response:
        presets = self.presets.get(camera_id)
        if presets is None:
            # [guess] worded as the real server words /cameras/{id}/outputs.
            return xp.error_envelope(400, f"Invalid parent. cameras/{camera_id}/PtzPresetFolder")
        return _json({"array": [preset.config(camera_id) for preset in presets]})

    async def _preset(
        self, request: Request, camera: SimCamera, preset_id: str, task: str | None
    ) -> Response:
        found = {p.id: p for p in self.presets.get(camera.id, ())}.get(preset_id)
        if found is None:
            return xp.error_envelope(404, f"Unknown resource: ptzPresets/{preset_id}")
        if request.method == "GET" and task is None:
            return _json({"data": found.config(camera.id)})
        if request.method != "POST" or task is None or task.lower() != "goto":
            return _unknown_task(task)
        refused = self._refusal(camera)
        if refused is not None:
            return refused
        self.record.gotos.append((camera.demo_id, found.name))
        dome = self.domes[camera.demo_id]
        dome.move_to(self._pose(found.position))
        await until_still(dome, ARRIVAL_LIMIT / 3)
        return _json({"result": {"state": "Success"}})  # [guess] Goto ends on arrival

    # -- tasks on a camera ------------------------------------------------------------

    async def _camera_task(self, request: Request, camera: SimCamera, task: str) -> Response:
        name = task.lower()
        if name == "jpeggetlive":
            return await self._snapshot(request, camera)
        if name not in ("getptzabsoluteposition", "setptzabsoluteposition"):
            return _unknown_task(task)
        refused = self._refusal(camera)
        if refused is not None:
            return refused
        if name == "getptzabsoluteposition":
            where = self.positions[camera.demo_id]
            return _json({"result": {"pan": where.pan, "tilt": where.tilt, "zoom": where.zoom}})
        try:
            target, speed = _absolute(request.body)
        except ValueError as error:
            return xp.error_envelope(400, f"Bad request: {error}")
        return self._start_move(camera, target, speed)

    def _refusal(self, camera: SimCamera) -> Response | None:
        """Why this camera cannot be steered here, in a server's words [guess]."""
        if not self._simulator.at_least(TASKS_FROM):
            return _unknown_task("PTZ")
        if not camera.ptz:
            return xp.error_envelope(400, f"Camera {camera.name} does not support PTZ")
        if camera.demo_id in self.denied:
            return xp.error_envelope(403, "Forbidden: the user has no PTZ permission")
        return None

    def _start_move(self, camera: SimCamera, target: Position, speed: float) -> Response:
        task = SimTask(str(next(self._task_ids)), camera.id)
        self._tasks[task.id] = task
        move = asyncio.create_task(self._move(task, camera.demo_id, target, speed))
        self._moves.add(move)
        move.add_done_callback(self._moves.discard)
        return _json(
            {
                "result": {
                    "sessionDataId": 0,
                    "state": "Idle",
                    "path": {"type": "tasks", "id": task.id},
                }
            }
        )

    async def _move(self, task: SimTask, demo_id: str, target: Position, speed: float) -> None:
        # A slower move starts later, as a real head's would; speed 0 is the camera's own.
        await asyncio.sleep(self.move_seconds * (2 - speed if speed > 0 else 1))
        dome = self.domes[demo_id]
        dome.move_to(self._pose(target), speed if speed > 0 else 1.0)
        await until_still(dome, ARRIVAL_LIMIT)
        task.state, task.progress = "Success", 100

    def _pose(self, position: Position) -> Pose:
        return self.space.pose(position.pan, position.tilt, position.zoom)

    def _cleanup(self, task_id: str, task: str | None) -> Response:
        if task is None or task.lower() != "taskcleanup":
            return _unknown_task(task)
        del self._tasks[task_id]
        self.record.cleaned.append(task_id)
        return _json({"result": {"state": "Success"}})

    async def _snapshot(self, request: Request, camera: SimCamera) -> Response:
        try:
            asked = json.loads(request.body or b"null")
            width, height = int(asked["width"]), int(asked["height"])
        except (ValueError, TypeError, KeyError, OverflowError):
            # [code] a public client notes width and height are required (400 without).
            return xp.error_envelope(400, "Bad request: width and height are required")
        if not (1 <= width <= snapshots.MAX_SIDE and 1 <= height <= snapshots.MAX_SIDE):
            return xp.error_envelope(400, "Bad request: width or height out of range")
        dome = self.domes.get(camera.demo_id)
        if dome is not None:
            # A PTZ camera's picture is where its head points, as its live stream shows.
            picture = await asyncio.to_thread(snapshots.view_jpeg, dome, width, height)
        else:
            try:
                footage = camera_by_id(camera.demo_id)
            except KeyError:
                # [guess] a camera whose recorder has no picture to give (no demo footage).
                return xp.error_envelope(400, f"Camera {camera.name} has no live image")
            picture = await asyncio.to_thread(snapshots.jpeg, footage, width, height)
        self.record.snapshots.append((camera.demo_id, width, height))
        encoded = base64.b64encode(picture).decode("ascii")
        return _json({"result": {"jpegDataAsBase64": encoded}})

    # -- outputs ----------------------------------------------------------------------

    def _output_task(self, output: SimOutput, task: str) -> Response:
        name = task.lower()
        if name not in OUTPUT_TASKS or not self._simulator.at_least(TASKS_FROM):
            return _unknown_task(task)
        state = OUTPUT_TASKS[name]
        if state is None:
            self.record.triggers.append(output.name)
            self.active[output.name] = False
        else:
            self.active[output.name] = state
        return _json({"result": {"state": "Success"}})


def _absolute(body: bytes) -> tuple[Position, float]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(document, dict):
        raise ValueError("the body is not an object")
    values: dict[str, float] = {}
    for key, low in (("pan", -1.0), ("tilt", -1.0), ("zoom", 0.0), ("speed", 0.0)):
        value = document.get(key, 1.0 if key == "speed" else None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number")
        if not low <= value <= 1.0:
            raise ValueError(f"{key} out of range")
        values[key] = float(value)
    return Position(values["pan"], values["tilt"], values["zoom"]), values["speed"]


def _unknown_task(task: str | None) -> Response:
    """[guess] what a release without the task, or a task the item lacks, answers."""
    return xp.error_envelope(400, f"Bad request: Unknown task {task or ''}".rstrip())


def _json(document: dict[str, Any]) -> Response:
    return Response(200, json.dumps(document, indent=4).encode("utf-8"))
