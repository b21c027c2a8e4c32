"""Reading XProtect's events: seed 004's samples verbatim, the socket's messages, and any
JSON at all (a result or a MalformedResponseError, never anything else)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.backends.milestone.events import query, trigger_body
from viewer.backends.milestone.parse import events as event_parse
from viewer.core.errors import MalformedResponseError
from viewer.core.models import CameraRef, CameraStatus, TimeSpan

# Seed 004, "Trigger an event", request sample (verbatim).
TRIGGER_SAMPLE = """{
  "type": "481d4d6c-9156-4698-af7e-74b32f9e4359",
  "source": "cameras/e028f597-c64b-4f27-bb8d-08f5cd768e1c",
  "time": "2009-02-15T00:00:00.0000000Z",
  "datatype": "analytics",
  "tag": "My custom tag",
  "data": { }
}"""
# Seed 004's response samples as the page shows them folded (verbatim).
TRIGGERED_SAMPLE = '{\n  "data": {\n    }\n}'
LIST_SAMPLE = '{\n  "_links": {\n    },\n  "array": [\n    ]\n}'

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=40) | json_values,
        "time": st.sampled_from(["2025-03-01T12:00:00.1234567Z", "2025-03-01", "x"]) | json_values,
        "type": st.sampled_from(list(event_parse.TYPE_NAMES)) | json_values,
        "source": st.sampled_from(["cameras/abc", "userDefinedEvents/u", "cameras/", None])
        | json_values,
        "stategroupid": json_values,
    },
)


def test_seed_004s_trigger_sample_reads_as_a_camera_event_once_the_server_gave_it_an_id():
    document = {**json.loads(TRIGGER_SAMPLE), "id": "7c3e5f0e-0000-4000-8000-000000000001"}
    found = event_parse.event(document, "xp")
    assert found.camera == CameraRef("xp", "e028f597-c64b-4f27-bb8d-08f5cd768e1c")
    assert found.time == datetime(2009, 2, 15, tzinfo=UTC)
    assert found.type == "481d4d6c-9156-4698-af7e-74b32f9e4359"  # unknown types keep their id


def test_seed_004s_response_samples_are_an_empty_list_and_an_answer_without_the_event():
    assert event_parse.events(LIST_SAMPLE, "xp") == ((), 0)
    assert event_parse.triggered(TRIGGERED_SAMPLE, "xp") is None


def test_an_event_without_an_id_or_with_a_local_time_names_the_field():
    with pytest.raises(MalformedResponseError) as missing:
        event_parse.event(json.loads(TRIGGER_SAMPLE), "xp")
    assert missing.value.field == "event.id"
    local = {**json.loads(TRIGGER_SAMPLE), "id": "e", "time": "2009-02-15T00:00:00"}
    with pytest.raises(MalformedResponseError) as naive:
        event_parse.event(local, "xp")
    assert naive.value.field == "event.time"


def test_known_types_are_named_and_communication_decides_a_cameras_status():
    for kind, name, status in [
        (event_parse.MOTION_STARTED, "motion started", None),
        (event_parse.COMMUNICATION_STARTED, "communication started", CameraStatus.ONLINE),
        (event_parse.COMMUNICATION_STOPPED, "communication stopped", CameraStatus.OFFLINE),
        (event_parse.COMMUNICATION_ERROR, "communication error", CameraStatus.ERROR),
    ]:
        item = {
            "id": "1",
            "time": "2025-03-01T12:00:00Z",
            "type": kind.upper(),
            "source": "cameras/C1",
        }
        assert event_parse.event(item, "xp").type == name
        assert event_parse.status(item) == (None if status is None else ("c1", status))


def test_socket_messages_are_replies_to_commands_or_pushed_events():
    reply = event_parse.message('{"commandId":2,"status":201,"sessionId":"s"}')
    assert reply == event_parse.Reply(2, 201, {"commandId": 2, "status": 201, "sessionId": "s"})
    refused = event_parse.message(
        '{"commandId":1,"status":401,"error":{"errorText":"Unauthorized"}}'
    )
    assert isinstance(refused, event_parse.Reply) and refused.error == "Unauthorized"
    pushed = event_parse.message('{"events":[{"id":"1","type":"t","source":"cameras/a"}]}')
    assert pushed == [{"id": "1", "type": "t", "source": "cameras/a"}]
    states = event_parse.Reply(
        3,
        200,
        {
            "states": [
                {
                    "type": event_parse.COMMUNICATION_STOPPED,
                    "source": "cameras/a",
                    "stategroupid": "g",
                },
                {"type": event_parse.MOTION_STOPPED, "source": "cameras/a"},
                {"type": event_parse.COMMUNICATION_STARTED, "source": "outputs/o"},
            ]
        },
    )
    assert event_parse.states(states) == {"a": CameraStatus.OFFLINE}


def test_user_defined_events_are_read_from_a_list_a_created_result_and_an_object():
    listed = '{"array":[{"id":"U1","displayName":"Door forced","name":"Door forced"}]}'
    assert event_parse.user_defined_events(listed) == (
        event_parse.UserDefinedEvent("u1", "Door forced"),
    )
    assert event_parse.user_defined_event('{"result":{"id":"u2","name":"Gate"}}').name == "Gate"
    assert event_parse.user_defined_event('{"data":{"id":"u3"}}').name == "u3"


def test_a_query_asks_for_a_span_and_a_camera_oldest_first():
    span = TimeSpan(datetime(2025, 3, 1, 12, tzinfo=UTC), datetime(2025, 3, 1, 13, tzinfo=UTC))
    assert query("c'1", span, 2, 50) == {
        "time": "gt:'2025-03-01T12:00:00.000Z',lt:'2025-03-01T13:00:00.000Z'",
        "orderBy": "asc:'time'",
        "page": 2,
        "size": 50,
        "source.id": "equals:'cameras/c''1'",
    }
    assert trigger_body("u1", None) == {"type": "u1"}
    assert trigger_body("t", "c1") == {"type": "t", "source": "cameras/c1"}


@given(st.lists(event_like, max_size=4), json_values)
def test_any_page_of_events_is_read_or_refused_with_a_named_field(items, links):
    for body in (json.dumps({"_links": links, "array": items}), json.dumps(items)):
        try:
            found, count = event_parse.events(body, "xp")
        except MalformedResponseError as error:
            assert error.field
        else:
            assert count == len(items) == len(found)


@given(json_values | event_like.map(lambda e: {"events": [e]}) | st.text())
def test_any_socket_message_is_read_or_refused(value):
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        found = event_parse.message(text)
        if isinstance(found, event_parse.Reply):
            event_parse.states(found)
        else:
            for item in found:
                event_parse.status(item)
                event_parse.event(item, "xp")
    except MalformedResponseError:
        pass


@given(json_values)
def test_any_answer_about_user_defined_events_or_a_trigger_is_read_or_refused(value):
    body = json.dumps(value)
    for read in (
        event_parse.user_defined_event,
        event_parse.user_defined_events,
        lambda text: event_parse.triggered(text, "xp"),
    ):
        with contextlib.suppress(MalformedResponseError):
            read(body)
