"""What an XProtect server answers about PTZ, snapshots and outputs: Config API tasks.

[code] Milestone's RestfulCommunication samples: ``POST …?task=<Id>`` answers
``{"result":{…}}``; a long task's result holds ``path:{"type":"tasks","id"}`` instead,
polled at ``GET /tasks/{id}`` (``{"data":{"state","progress",…}}``) until its state is
``Success``. MIP's task states are Idle, InProgress, Success and Error [doc]; the words
of a failed one are in ``errorText`` [guess, as MIP's ServerTask names them]. As in
parse.py, unknown fields are ignored and a needed one missing names itself.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from viewer.backends.milestone.parse import _array, _decode, _flag, _object, _text, _words, data
from viewer.core.errors import MalformedResponseError, NotSupportedError, PtzLockedError
from viewer.core.models import Output, Preset, PtzPosition

_HELD = re.compile(r"\b(?:locked|reserved|higher priority)\b", re.IGNORECASE)
"""[guess] XProtect gives a PTZ camera to one operator at a time (reserved PTZ sessions,
PTZ priority) [doc], but no capture shows how a Config API task or ``ptzMove`` is then
refused: its words are all there is to go by."""


def refusal(words: str) -> NotSupportedError | PtzLockedError:
    """A refused PTZ task or ``ptzMove`` in the server's ``words``: another operator's
    hold on the camera, or a plain refusal."""
    if _HELD.search(words):
        return PtzLockedError(words)
    return NotSupportedError(words)


TASK_SUCCESS = "success"
TASK_ERROR = "error"


@dataclass(frozen=True)
class TaskStart:
    """A task's first answer: finished (``fields`` is its result) or, with ``task_id``,
    running on the server."""

    state: str
    task_id: str | None
    error: str | None
    fields: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class TaskState:
    """``GET /tasks/{id}``: where a long task is; ``fields`` hold its outcome once done."""

    state: str
    error: str | None
    fields: dict[str, Any] = field(repr=False)


def _task_state(container: dict[str, Any], name: str) -> str:
    value = container.get("state", "Success")
    if not isinstance(value, str) or not value:
        raise MalformedResponseError("expected a non-empty string", name)
    return value.lower()


def _error(container: dict[str, Any]) -> str | None:
    said = container.get("errorText")
    return _words(said) if isinstance(said, str) and said.strip() else None


def task_start(body: bytes | str) -> TaskStart:
    result = _object(_object(_decode(body), "(body)").get("result"), "result")
    path = result.get("path")
    if path is None:
        return TaskStart(_task_state(result, "result.state"), None, _error(result), result)
    path = _object(path, "result.path")
    if str(path.get("type", "")).lower() != "tasks":
        raise MalformedResponseError("expected a path to a task", "result.path.type")
    task_id = path.get("id")
    if isinstance(task_id, bool) or not isinstance(task_id, str | int) or task_id == "":
        raise MalformedResponseError("expected a task id", "result.path.id")
    return TaskStart(_task_state(result, "result.state"), str(task_id), _error(result), result)


def task_state(body: bytes | str) -> TaskState:
    item = data(body)
    if "state" not in item:
        raise MalformedResponseError("expected a task's state", "data.state")
    return TaskState(_task_state(item, "data.state"), _error(item), item)


def presets(body: bytes | str) -> tuple[Preset, ...]:
    """``/cameras/{id}/ptzPresets``: a list envelope of presets, named for people by
    ``displayName`` (else ``name``)."""
    result = []
    for index, item in enumerate(_array(body)):
        preset_id = _text(item, "id", f"array[{index}].id")
        name = item.get("displayName") or item.get("name") or preset_id
        if not isinstance(name, str):
            raise MalformedResponseError("expected a string", f"array[{index}].displayName")
        result.append(Preset(preset_id, name))
    return tuple(result)


def _number(container: dict[str, Any], key: str, low: float, high: float) -> float:
    """A coordinate; older gateways send numbers as strings, as they do booleans [guess]."""
    value = container.get(key)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise MalformedResponseError("expected a number", key) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResponseError("expected a number", key)
    if not low <= value <= high:  # NaN fails too
        raise MalformedResponseError(f"expected a number from {low:g} to {high:g}", key)
    return float(value)


def ptz_position(fields: dict[str, Any]) -> PtzPosition:
    """``GetPtzAbsolutePosition``'s result [doc]: pan and tilt from -1 to 1, zoom 0 to 1."""
    return PtzPosition(
        _number(fields, "pan", -1.0, 1.0),
        _number(fields, "tilt", -1.0, 1.0),
        _number(fields, "zoom", 0.0, 1.0),
    )


def jpeg(fields: dict[str, Any]) -> bytes:
    """``JpegGetLive``'s result [doc]: the picture as ``jpegDataAsBase64``."""
    text = _text(fields, "jpegDataAsBase64")
    try:
        picture = base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise MalformedResponseError("expected base64", "jpegDataAsBase64") from None
    if not picture.startswith(b"\xff\xd8\xff"):
        raise MalformedResponseError("the picture is not a JPEG", "jpegDataAsBase64")
    return picture


def outputs(body: bytes | str) -> tuple[Output, ...]:
    """``/outputs``: a list envelope of devices like cameras; disabled ones left out."""
    result = []
    for index, item in enumerate(_array(body)):
        output_id = _text(item, "id", f"array[{index}].id")
        name = item.get("displayName") or item.get("name") or output_id
        if not isinstance(name, str):
            raise MalformedResponseError("expected a string", f"array[{index}].displayName")
        if _flag(item, "enabled", True):
            result.append(Output(output_id, name))
    return tuple(result)


def ptz_enabled(body: bytes | str) -> bool:
    """``/cameras/{id}``: whether the camera can be steered (``ptzEnabled``)."""
    return _flag(data(body), "ptzEnabled", False)
