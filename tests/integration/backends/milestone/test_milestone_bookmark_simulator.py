"""The simulator's bookmarks, evidence locks and SOAP recorder under any request: always the
server's own 200/201/400/401/404/405/500 fault, never a handler that fails."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.backends.milestone.xprotect import PASSWORD, USER, simulator
from viewer.demo.http import Request
from viewer.demo.milestone.directory import CAMERAS

CAMERA = next(iter(CAMERAS.values())).id
TIMES = st.sampled_from(
    [
        "2025-10-27T12:00:00Z",
        "2025-10-27T12:05:00.1234567Z",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",
        "2025-10-27",
        "",
        "x",
    ]
)
VALUES = st.one_of(
    TIMES,
    st.none(),
    st.integers(),
    st.text(max_size=8),
    st.just({"type": "cameras", "id": CAMERA}),
    st.just([{"type": "cameras", "id": CAMERA}]),
    st.lists(st.integers(), max_size=2),
)
KEYS = st.sampled_from(
    [
        "header",
        "description",
        "timeBegin",
        "timeEnd",
        "timeTriggered",
        "startTime",
        "endTime",
        "devicePath",
        "devicePaths",
        "maxCount",
        "reference",
        "relations",
    ]
)
VALID = {
    "header": "h",
    "description": "d",
    "timeBegin": "2025-10-27T12:00:00Z",
    "timeEnd": "2025-10-27T12:05:00Z",
    "startTime": "2025-10-27T12:00:00Z",
    "endTime": "2025-10-27T12:05:00Z",
    "devicePath": {"type": "cameras", "id": CAMERA},
    "devicePaths": [{"type": "cameras", "id": CAMERA}],
    "maxCount": 10,
}


def spoiled(spoil: dict[str, object], dropped: set[str]) -> bytes:
    """A valid body with one or two keys changed or left out (pitfalls.md: hypothesis)."""
    body = {key: value for key, value in {**VALID, **spoil}.items() if key not in dropped}
    return json.dumps(body).encode()


BODIES = st.one_of(
    st.builds(
        spoiled, st.dictionaries(KEYS, VALUES, min_size=1, max_size=2), st.sets(KEYS, max_size=1)
    ),
    st.binary(max_size=40),
)


def login(server) -> str:
    form = f"grant_type=password&username={USER}&password={PASSWORD}&client_id=VmsClient"
    request = Request("POST", "/API/IDP/connect/token", {}, {}, form.encode())
    answer = asyncio.run(server.handle(request))
    return json.loads(answer.body)["access_token"]


def soap_body(operation: str, fields: dict[str, str]) -> bytes:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<{operation} xmlns="http://videoos.net/2/XProtectCSRecorderCommand">{inner}'
        f"</{operation}></s:Body></s:Envelope>"
    ).encode()


SERVER = simulator()
BEARER = {"authorization": f"Bearer {login(SERVER)}"}


def ask(method: str, path: str, query: dict[str, str], body: bytes) -> None:
    answer = asyncio.run(SERVER.handle(Request(method, path, query, BEARER, body)))
    assert answer.status in (200, 201, 400, 404)
    if answer.body:
        json.loads(answer.body)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["bookmarks", "evidenceLocks"]),
    st.sampled_from([{}, {"task": "searchTime"}, {"task": "search"}, {"task": "nope"}]),
    BODIES,
)
def test_creating_and_searching_get_the_servers_own_answers(kind, query, body):
    ask("POST", f"/api/rest/v1/{kind}", query, body)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    st.sampled_from(["bookmarks", "evidenceLocks", "BOOKMARKS"]),
    st.sampled_from(["", "/x", "/known", "/known/extra"]),
    BODIES,
)
def test_any_request_gets_the_servers_own_answers(method, kind, rest, body):
    store = SERVER.bookmarks.bookmarks if kind != "evidenceLocks" else SERVER.bookmarks.locks
    known = next(iter(store), "none")
    ask(method, f"/api/rest/v1/{kind}{rest.replace('known', known)}", {}, body)


SOAP_FIELDS = st.sampled_from(
    ["token", "deviceId", "sequenceType", "minTime", "maxTime", "maxCount", "currentToken"]
)
SOAP_VALUES = st.one_of(
    TIMES, st.sampled_from([CAMERA, "5", "0", "²", "-1", "99999", "f9c62604", "TOKEN#x#"])
)


def soap_token() -> str:
    path = "/ManagementServer/ServerCommandServiceOAuth.svc"
    body = soap_body("Login", {"instanceId": "i", "currentToken": ""})
    answer = asyncio.run(SERVER.handle(Request("POST", path, {}, BEARER, body)))
    return answer.body.split(b"<Token>")[1].split(b"</Token>")[0].decode()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["SequencesGet", "Login", "Other"]),
    st.dictionaries(SOAP_FIELDS, SOAP_VALUES, min_size=1, max_size=2),
    st.sets(SOAP_FIELDS, max_size=1),
    st.sampled_from(
        [
            "/RecorderCommandService/RecorderCommandService.asmx",
            "/ManagementServer/ServerCommandServiceOAuth.svc",
        ]
    ),
    st.booleans(),
)
def test_soap_requests_get_an_answer_or_a_fault(operation, spoil, dropped, path, raw):
    """A valid SequencesGet (a live token, a camera, an hour) with one or two parts spoiled."""
    valid = {
        "token": TOKEN,
        "deviceId": CAMERA,
        "sequenceType": "f9c62604-d0c5-4050-ae25-72de51639b14",
        "minTime": "2025-10-27T12:00:00Z",
        "maxTime": "2025-10-27T13:00:00Z",
        "maxCount": "10",
    }
    fields = {k: v for k, v in {**valid, **spoil}.items() if k not in dropped}
    body = json.dumps(fields).encode() if raw else soap_body(operation, fields)
    answer = asyncio.run(SERVER.handle(Request("POST", path, {}, BEARER, body)))
    assert answer.status in (200, 500)
    assert answer.body.startswith((b"<s:Envelope", b"<soap:Envelope"))


TOKEN = soap_token()
