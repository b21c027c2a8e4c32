"""The simulated REST gateway takes any request a client can send: malformed JSON, wrong
types, odd paths and query strings, huge values. Every refusal is seed 000's envelope
(``{"error":{"code","message","statusCode","timestamp"}}`` with the answer's status),
never a 500 or a dropped connection, and it goes on serving."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.backends.gateway.rest import CAM01, CAM03, PASSWORD, USER, simulator
from tests.integration.backends.simulator_fuzz import (
    NUMBERS,
    Endpoint,
    Running,
    json_body,
    recent_times,
    requests,
)

API = "/api/rest/v1"
SPAN = {"startTime": recent_times(), "endTime": recent_times()}
POSITION = {"pan": st.floats(-400, 400), "tilt": st.floats(-100, 100), "zoom": st.floats(0, 30)}
ENDPOINTS = [
    Endpoint("POST", "/api/auth/login", body=json_body({"username": st.just(USER)})),
    Endpoint("GET", "/api/ws/events"),
    Endpoint("GET", f"{API}/system/capabilities"),
    Endpoint("GET", f"{API}/system/health"),
    Endpoint("GET", f"{API}/cameras", {"limit": NUMBERS, "offset": NUMBERS}),
    Endpoint("GET", f"{API}/cameras/groups"),
    Endpoint("GET", f"{API}/cameras/{{camera}}"),
    Endpoint("GET", f"{API}/cameras/{{camera}}/live"),
    Endpoint("GET", f"{API}/cameras/{{camera}}/snapshot", {"width": NUMBERS, "height": NUMBERS}),
    Endpoint("GET", f"{API}/recordings/{{camera}}/timeline", SPAN),
    Endpoint(
        "GET",
        f"{API}/recordings/{{camera}}/playback",
        {"startTime": recent_times(), "speed": st.sampled_from(["1", "2", "4", "8"]) | NUMBERS},
    ),
    Endpoint(
        "POST",
        f"{API}/recordings/export",
        body=json_body(
            {
                "cameraId": st.just(CAM01),
                # Seconds long where they are valid at all: each order is encoded.
                "startTime": st.just("2020-01-01T00:00:00Z"),
                "endTime": st.just("2020-01-01T00:00:02Z") | recent_times(),
            }
        ),
    ),
    Endpoint("GET", f"{API}/recordings/export/{{job}}"),
    Endpoint("GET", f"{API}/recordings/export/{{job}}/download"),
    Endpoint("GET", f"{API}/events/{{camera}}", SPAN),
    Endpoint("GET", f"{API}/cameras/{{camera}}/ptz/presets"),
    Endpoint("POST", f"{API}/cameras/{{camera}}/ptz/move", body=json_body(POSITION)),
    Endpoint("POST", f"{API}/cameras/{{camera}}/ptz/relative", body=json_body(POSITION)),
    Endpoint("POST", f"{API}/cameras/{{camera}}/ptz/preset/{{preset}}"),
]
VALUES = {
    "camera": [CAM01, CAM03, "8b3a2c1d-4e5f-6789-abcd-ef0123456789"],
    "job": ["exp-12345-abcde"],
    "preset": ["1", "2", "3"],
}
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture(scope="module")
def gateway():
    server = simulator(rate_limit=10**9)

    async def start() -> str:
        await server.start()
        return server.url

    running = Running(start, server.stop)
    yield running
    running.close()


def envelope(status: int, body: bytes) -> bool:
    try:
        document = json.loads(body)
    except ValueError:
        return False
    error = document.get("error") if isinstance(document, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and error.get("statusCode") == status
        and isinstance(error.get("timestamp"), str)
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_refusal_is_the_seeds_envelope(gateway, endpoint, data):
    request = data.draw(requests([endpoint], VALUES, {"Authorization": BASIC}), "request")
    answer = gateway.send(request)
    assert answer.status_code < 500, answer.content[:300]
    if answer.status_code >= 400 and request.method != "HEAD":  # HEAD: headers only
        assert envelope(answer.status_code, answer.content), answer.content[:300]


def test_it_still_serves_after_the_fuzzing(gateway):
    answer = gateway.client.get(f"{API}/cameras", headers={"Authorization": BASIC})
    answer = gateway.loop.run_until_complete(answer)
    assert answer.status_code == 200 and answer.json()["totalCount"] == 8
