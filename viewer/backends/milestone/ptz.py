"""PTZ presets and absolute positions, snapshots and outputs of an XProtect site.

All of them are Config API tasks (``POST …?task=<Id>``). A task the server finishes at
once answers its result; a long one answers a path to poll, and every task that was
polled is cleaned up (``TaskCleanup``) whether it succeeded, failed or ran out of time,
because a server keeps tasks nobody cleans up [code: Milestone's samples insist on it].

Goto, the absolute position and the output tasks exist from 2024 R2 (its release
notes); older sites are told apart by their version before anything is sent. The output
task ids are a [guess]: no public page names them (``OUTPUT_TASKS``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from typing import Any, Protocol

from viewer.backends.milestone.parse import ServerVersion
from viewer.backends.milestone.parse import ptz as ptz_parse
from viewer.core.errors import (
    InvalidInputError,
    NotSupportedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import Output, Preset, PtzCapabilities, PtzPosition

_log = logging.getLogger(__name__)

CONFIG = "/api/rest/v1"
TASKS_FROM = ServerVersion(24, 2)
TASK_TIMEOUT = 30.0
TASK_POLL = 0.2
MAX_SNAPSHOT_SIDE = 4096
OUTPUT_TASKS = {True: "Activate", False: "Deactivate"}
"""[guess] named like the preset's ``Goto``; the release notes say outputs can be
activated, deactivated and triggered by task."""


class Request(Protocol):
    """``MilestoneBackend._request``: an answer's body, or a typed error in the server's
    words."""

    async def __call__(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
    ) -> bytes: ...


class Ptz:
    def __init__(
        self,
        request: Request,
        version: ServerVersion | None,
        *,
        timeout: float = TASK_TIMEOUT,
        poll: float = TASK_POLL,
    ) -> None:
        self._request = request
        self._version = version
        self._timeout, self._poll = timeout, poll

    @property
    def tasks(self) -> bool:
        """Whether the site has Goto, the absolute position and output tasks (2024 R2+)."""
        return self._version is not None and self._version >= TASKS_FROM

    def _require_tasks(self, what: str) -> None:
        if not self.tasks:
            release = self._version.release if self._version else "this release"
            raise NotSupportedError(f"XProtect {release} cannot {what} (2024 R2 or newer can)")

    async def capabilities(self, camera_id: str) -> PtzCapabilities:
        """From the camera's ``ptzEnabled``; absolute moves and presets where the site
        has the tasks for them."""
        camera = await self._request("GET", _camera(camera_id))
        if not ptz_parse.ptz_enabled(camera):
            raise NotSupportedError("this camera has no PTZ control")
        if not self.tasks:
            return PtzCapabilities()
        return PtzCapabilities(absolute=True, zoom=True, presets=await self.presets(camera_id))

    async def presets(self, camera_id: str) -> tuple[Preset, ...]:
        return ptz_parse.presets(await self._request("GET", _camera(camera_id, "ptzPresets")))

    async def goto_preset(self, camera_id: str, preset_id: str) -> None:
        self._require_tasks("move a camera to a preset")
        await self._task(_camera(camera_id, "ptzPresets", preset_id), "Goto")

    async def position(self, camera_id: str) -> PtzPosition:
        self._require_tasks("report where a camera points")
        return ptz_parse.ptz_position(
            await self._task(_camera(camera_id), "GetPtzAbsolutePosition")
        )

    async def move_to(self, camera_id: str, position: PtzPosition, speed: float) -> None:
        body = {
            "pan": _within(position.pan, -1.0, 1.0, "pan"),
            "tilt": _within(position.tilt, -1.0, 1.0, "tilt"),
            "zoom": _within(position.zoom, 0.0, 1.0, "zoom"),
            "speed": _within(speed, 0.0, 1.0, "speed"),
        }
        self._require_tasks("move a camera to a position")
        await self._task(_camera(camera_id), "SetPtzAbsolutePosition", body)

    async def snapshot(self, camera_id: str, width: int, height: int) -> bytes:
        for value, name in ((width, "width"), (height, "height")):
            if not 1 <= value <= MAX_SNAPSHOT_SIDE:
                raise InvalidInputError(
                    f"a snapshot is 1 to {MAX_SNAPSHOT_SIDE} pixels a side", name
                )
        body = {"width": width, "height": height}
        return ptz_parse.jpeg(await self._task(_camera(camera_id), "JpegGetLive", body))

    async def outputs(self) -> tuple[Output, ...]:
        return ptz_parse.outputs(await self._request("GET", f"{CONFIG}/outputs"))

    async def set_output(self, output_id: str, active: bool) -> None:
        self._require_tasks("switch outputs")
        await self._task(f"{CONFIG}/outputs/{_segment(output_id)}", OUTPUT_TASKS[active])

    # -- tasks ------------------------------------------------------------------------

    async def _task(
        self, path: str, task: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The task's result, once the server has finished it."""
        start = ptz_parse.task_start(await self._request("POST", path, {"task": task}, body or {}))
        if start.task_id is None:
            if start.state == ptz_parse.TASK_ERROR:
                raise _failed(task, start.error)
            return start.fields
        try:
            return await self._finish(task, start.task_id)
        finally:
            await self._cleanup(start.task_id)

    async def _finish(self, task: str, task_id: str) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    body = await self._request("GET", f"{CONFIG}/tasks/{_segment(task_id)}")
                    state = ptz_parse.task_state(body)
                    if state.state == ptz_parse.TASK_SUCCESS:
                        return state.fields
                    if state.state == ptz_parse.TASK_ERROR:
                        raise _failed(task, state.error)
                    await asyncio.sleep(self._poll)
        except TimeoutError:
            raise UnreachableError(
                f"the server did not finish {task} within {self._timeout:g} s"
            ) from None

    async def _cleanup(self, task_id: str) -> None:
        """A cleanup that fails is only logged: the task's own outcome is what the caller
        needs to hear."""
        path = f"{CONFIG}/tasks/{_segment(task_id)}"
        try:
            await self._request("POST", path, {"task": "TaskCleanup"}, {})
        except VigilError as error:
            _log.warning("task %s was not cleaned up: %s", task_id, error)


def _camera(camera_id: str, *parts: str) -> str:
    return "/".join((f"{CONFIG}/cameras", _segment(camera_id), *map(_segment, parts)))


def _segment(value: str) -> str:
    """An id as one path segment: ids come from the server, but are never trusted to
    stay inside their segment."""
    if not value or any(c in value for c in "/?#%\\") or value in (".", ".."):
        raise InvalidInputError(f"{value[:40]!r} is not an id", "id")
    return value


def _within(value: float, low: float, high: float, name: str) -> float:
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInputError(f"{name} must be from {low:g} to {high:g}", name)
    return float(value)


def _failed(task: str, words: str | None) -> VigilError:
    return ptz_parse.refusal(f"the server could not run {task}" + (f": {words}" if words else ""))
