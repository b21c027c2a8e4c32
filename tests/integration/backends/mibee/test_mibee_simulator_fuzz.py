"""The simulated NVR takes any request a client can send: malformed JSON, wrong types,
odd paths and query strings, huge values. Every answer is one the real server gives
(its ``{"error","code"?}`` body, its plain-text 404 and 405, an empty 401 or 429),
never a 500 or a dropped connection, and it goes on serving."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.backends.mibee.nvr import PASSWORD, USER
from tests.integration.backends.simulator_fuzz import (
    NUMBERS,
    TIMES,
    Endpoint,
    Running,
    json_body,
    recent_times,
    requests,
)
from viewer.demo.mibee.server import CAMERAS, ONVIF, MibeeSimulator

PLAIN = {b"", b"404 page not found", b"405 method not allowed", b"invalid range"}
CAMERA_IDS = [c.id for c in CAMERAS] + ["cam99"]
FIXED = [c for c in CAMERA_IDS if c not in ONVIF]
"""Cameras whose moves are answered at once (an ONVIF dome's after it gets there)."""
MOVE = json_body(
    {
        "mode": st.sampled_from(["continuous", "absolute", "relative", "zoom"]),
        "pan": st.floats(-2, 2),
        "tilt": st.floats(-2, 2),
        "zoom": st.floats(-1, 2),
        "x": st.floats(-2, 2),
        "y": st.floats(-2, 2),
    }
)
SPAN = {"start": recent_times(), "end": recent_times()}
ENDPOINTS = [
    Endpoint("GET", "/api/health"),
    Endpoint("GET", "/api/readyz"),
    Endpoint("POST", "/api/auth/login"),
    Endpoint("GET", "/api/cameras"),
    Endpoint("GET", "/api/cameras/{camera}"),
    Endpoint("GET", "/api/cameras/{camera}/protocols"),
    Endpoint("GET", "/api/cameras/{camera}/snapshot"),
    Endpoint("GET", "/api/cameras/{camera}/stream/index.m3u8"),
    Endpoint("GET", "/api/cameras/{camera}/timeline/gaps", {"date": TIMES | st.just("2025-01-01")}),
    Endpoint("GET", "/api/recordings/timeline", {"camera_id": st.sampled_from(CAMERA_IDS), **SPAN}),
    Endpoint(
        "GET",
        "/api/recordings",
        {"camera_id": st.sampled_from(CAMERA_IDS), **SPAN, "limit": NUMBERS, "offset": NUMBERS},
    ),
    Endpoint("GET", "/api/recordings/{recording}/download"),
    Endpoint("POST", "/api/cameras/{fixed}/ptz/move", body=MOVE),
    Endpoint("POST", "/api/cameras/{camera}/ptz/stop"),
    Endpoint("GET", "/api/cameras/{camera}/ptz/status"),
    Endpoint("GET", "/api/cameras/{camera}/ptz/presets"),
    Endpoint("POST", "/api/cameras/{camera}/ptz/presets", body=json_body({"name": st.text()})),
    Endpoint("POST", "/api/cameras/{fixed}/ptz/presets/{preset}/goto"),
    Endpoint("DELETE", "/api/cameras/{camera}/ptz/presets/{preset}"),
]
VALUES = {
    "camera": CAMERA_IDS,
    "fixed": FIXED,
    "recording": ["1704123456789012345", "0", "18446744073709551616"],
    "preset": ["preset_1", "preset_2", "preset_9"],
}
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture(scope="module")
def nvr():
    server = MibeeSimulator(user=USER, password=PASSWORD, max_failures=10**9)

    async def start() -> str:
        await server.start()
        return server.url

    running = Running(start, server.stop)
    yield running
    running.close()


def well_formed(status: int, body: bytes) -> bool:
    if status < 400:
        return True
    if body in PLAIN:
        return True
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(document, dict)
        and isinstance(document.get("error"), str)
        and isinstance(document.get("code", ""), str)
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_answer_is_the_servers_own(nvr, endpoint, data):
    request = data.draw(requests([endpoint], VALUES, {"Authorization": BASIC}), "request")
    answer = nvr.send(request)
    assert answer.status_code < 500, answer.content[:300]
    if request.method != "HEAD":  # HEAD: headers only
        assert well_formed(answer.status_code, answer.content), answer.content[:300]


def test_it_still_serves_after_the_fuzzing(nvr):
    answer = nvr.client.get("/api/cameras", headers={"Authorization": BASIC})
    answer = nvr.loop.run_until_complete(answer)
    assert answer.status_code == 200 and len(answer.json()) == len(CAMERAS)
