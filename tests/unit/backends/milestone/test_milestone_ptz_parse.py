"""Reading XProtect's task answers, presets, positions, snapshots and outputs."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.backends.milestone.parse import ptz as ptz_parse
from viewer.core.errors import MalformedResponseError
from viewer.core.models import Output, Preset, PtzPosition

# As Milestone's RestfulCommunication sample shows them (mipsdk-samples-component README).
LONG_TASK_STARTED = """{
    "result": {
        "sessionDataId": 0,
        "state": "Idle",
        "path": {
            "type": "tasks",
            "id": "81"
        }
    }
}"""
LONG_TASK_DONE = """{
    "data": {
        "displayName": "invokeResult",
        "progress": 100,
        "cameraPath": {
            "type": "cameras",
            "id": "93345da5-de2b-415c-afe3-968f4b28cccd"
        },
        "sessionDataId": 6,
        "affectedProfileIds": [],
        "state": "Success",
        "relations": {
            "parent": {
                "type": "sites",
                "id": "bc4fe0ba-186f-40bc-ab6e-704d55a0aff5"
            },
            "self": {
                "type": "tasks",
                "id": "81"
            }
        }
    }
}"""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(40)) + b"\xff\xd9"


def test_a_long_task_names_the_task_to_poll():
    start = ptz_parse.task_start(LONG_TASK_STARTED)
    assert (start.state, start.task_id, start.error) == ("idle", "81", None)


def test_a_finished_task_carries_its_state_and_fields():
    state = ptz_parse.task_state(LONG_TASK_DONE)
    assert state.state == ptz_parse.TASK_SUCCESS
    assert state.fields["progress"] == 100


def test_a_task_done_at_once_is_its_result():
    start = ptz_parse.task_start('{"result":{"pan":0.5,"tilt":-1,"zoom":0}}')
    assert start.task_id is None and start.state == ptz_parse.TASK_SUCCESS
    assert ptz_parse.ptz_position(start.fields) == PtzPosition(0.5, -1.0, 0.0)


def test_a_failed_task_keeps_the_servers_words():
    body = {"data": {"state": "Error", "errorText": "  Camera\nis  offline "}}
    state = ptz_parse.task_state(json.dumps(body))
    assert (state.state, state.error) == (ptz_parse.TASK_ERROR, "Camera is offline")


def test_a_numeric_task_id_is_read_as_text():
    body = '{"result":{"state":"Idle","path":{"type":"Tasks","id":82}}}'
    assert ptz_parse.task_start(body).task_id == "82"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"data":{"progress":5}}', "data.state"),
        ('{"result":{"path":{"type":"cameras","id":"x"}}}', "result.path.type"),
        ('{"result":{"path":{"type":"tasks","id":true}}}', "result.path.id"),
        ('{"result":{"state":7}}', "result.state"),
        ('{"array":[]}', "result"),
    ],
)
def test_a_task_answer_without_what_is_needed_names_it(body, field):
    read = ptz_parse.task_state if body.startswith('{"data"') else ptz_parse.task_start
    with pytest.raises(MalformedResponseError) as caught:
        read(body)
    assert caught.value.field == field


def test_presets_are_named_for_people():
    body = {
        "array": [
            {"id": "p1", "displayName": "Gate", "name": "gate-internal", "pan": 0.1},
            {"id": "p2", "name": "Road"},
            {"id": "p3"},
        ]
    }
    assert ptz_parse.presets(json.dumps(body)) == (
        Preset("p1", "Gate"),
        Preset("p2", "Road"),
        Preset("p3", "p3"),
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pan": 1.5, "tilt": 0, "zoom": 0}, "pan"),
        ({"pan": 0, "tilt": "north", "zoom": 0}, "tilt"),
        ({"pan": 0, "tilt": 0, "zoom": -0.1}, "zoom"),
        ({"pan": 0, "tilt": 0, "zoom": True}, "zoom"),
        ({"pan": 0, "tilt": 0}, "zoom"),
        ({"pan": float("nan"), "tilt": 0, "zoom": 0}, "pan"),
    ],
)
def test_a_position_out_of_its_range_names_the_axis(fields, field):
    with pytest.raises(MalformedResponseError) as caught:
        ptz_parse.ptz_position(fields)
    assert caught.value.field == field


def test_a_position_sent_as_strings_is_read():
    assert ptz_parse.ptz_position({"pan": "-0.5", "tilt": "0.25", "zoom": "1"}) == PtzPosition(
        -0.5, 0.25, 1.0
    )


def test_a_snapshot_is_the_jpeg_inside_the_base64():
    encoded = base64.b64encode(JPEG).decode("ascii")
    wrapped = "\r\n".join(encoded[i : i + 16] for i in range(0, len(encoded), 16))
    assert ptz_parse.jpeg({"jpegDataAsBase64": wrapped}) == JPEG


@pytest.mark.parametrize(
    "text", ["not base64!", base64.b64encode(b"\x89PNG\r\n\x1a\n....").decode("ascii"), ""]
)
def test_a_snapshot_that_is_no_jpeg_is_malformed(text):
    with pytest.raises(MalformedResponseError) as caught:
        ptz_parse.jpeg({"jpegDataAsBase64": text})
    assert caught.value.field == "jpegDataAsBase64"


def test_outputs_as_the_real_server_lists_none_and_disabled_ones_hidden():
    assert ptz_parse.outputs('{  "array" :  [  ] }') == ()  # captures/responses.md, verbatim
    body = {
        "array": [
            {"id": "o1", "displayName": "Barrier", "enabled": True},
            {"id": "o2", "displayName": "Old siren", "enabled": "False"},
        ]
    }
    assert ptz_parse.outputs(json.dumps(body)) == (Output("o1", "Barrier"),)


def test_a_cameras_ptz_flag_is_read_as_sent():
    assert ptz_parse.ptz_enabled('{"data":{"id":"c","ptzEnabled":"True"}}')
    assert not ptz_parse.ptz_enabled('{"data":{"id":"c","ptzEnabled":false}}')
    assert not ptz_parse.ptz_enabled('{"data":{"id":"c"}}')


NEEDED = ("result", "data", "array", "path", "type", "id", "state", "errorText")
READ = ("pan", "tilt", "zoom", "displayName", "name", "enabled", "ptzEnabled", "jpegDataAsBase64")
KEYS = st.sampled_from(NEEDED + READ)
# Any JSON, with objects keyed as the parsers look for more often than not. One budget
# of leaves for the whole document: JSON trees as the leaves of another tree were
# thousands of values drawn per example.
SHAPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.dictionaries(KEYS, inner, max_size=5)
        | st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=20), inner, max_size=4)
    ),
    max_leaves=40,
)
BODIES = st.one_of(
    SHAPED.map(json.dumps),
    st.binary(max_size=64),
    st.text(max_size=64),
)


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_any_body_is_read_or_refused_as_malformed(body):
    for read in (
        ptz_parse.task_start,
        ptz_parse.task_state,
        ptz_parse.presets,
        ptz_parse.outputs,
        ptz_parse.ptz_enabled,
    ):
        with contextlib.suppress(MalformedResponseError):
            read(body)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, SHAPED, max_size=6))
def test_any_task_result_is_a_position_a_picture_or_malformed(fields):
    for read in (ptz_parse.ptz_position, ptz_parse.jpeg):
        with contextlib.suppress(MalformedResponseError):
            read(fields)
