"""PTZ presets and positions, snapshots and outputs: the backend against the simulated gateway."""

from __future__ import annotations

import io
import json
import ssl
from urllib.parse import urlencode

import av
import httpx
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.integration.backends.milestone.xprotect import (
    PASSWORD,
    USER,
    connected,
    run,
    serving,
    simulator,
)
from viewer.backends.milestone.ptz import Ptz
from viewer.core.errors import (
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    UnreachableError,
)
from viewer.core.models import PtzPosition
from viewer.demo.footage import camera_by_id
from viewer.demo.http import Request
from viewer.demo.milestone.directory import CAMERAS, H265_DEMO_ID, guid
from viewer.demo.milestone.ptz import OUTPUTS, Position, _presets

GATE = CAMERAS["cam12"].id  # a PTZ camera ("Main gate")
HARBOUR = CAMERAS["cam17"].id  # another PTZ camera
FIXED = CAMERAS["cam01"].id  # a fixed camera
GRANT = {"grant_type": "password", "username": USER, "password": PASSWORD}
GRANT["client_id"] = "GrantValidatorClient"


def requests_for(server, fragment: str) -> list[str]:
    return [line for line in server.counters.requests if fragment.lower() in line.lower()]


def test_presets_are_listed_and_goto_turns_the_camera_there():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            assert backend.capabilities.presets and backend.capabilities.ptz
            presets = await backend.ptz_presets(GATE)
            assert [preset.name for preset in presets] == ["Home", "Gate", "Road"]
            road = presets[2]

            await backend.ptz_goto_preset(GATE, road.id)

            assert server.ptz.positions["cam12"] == Position(0.625, -0.125, 0.75)
            assert server.ptz.positions["cam17"] == Position()  # the other one stayed
            assert server.ptz.record.gotos == [("cam12", "Road")]
            assert await backend.ptz_position(GATE) == PtzPosition(0.625, -0.125, 0.75)

    run(scenario)


def test_an_absolute_move_is_a_task_polled_to_its_end_and_cleaned_up():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.ptz.move_seconds = 0.3
            target = PtzPosition(pan=-0.75, tilt=0.5, zoom=0.25)

            await backend.ptz_move_to(HARBOUR, target, speed=0.5)

            assert server.ptz.positions["cam17"] == Position(-0.75, 0.5, 0.25)
            assert await backend.ptz_position(HARBOUR) == target
            polls = requests_for(server, "GET /api/rest/v1/tasks/")
            assert polls and all(line.endswith(" 200") for line in polls)
            (cleaned,) = server.ptz.record.cleaned
            assert requests_for(server, f"POST /api/rest/v1/tasks/{cleaned}?task=TaskCleanup 200")

    run(scenario)


def test_a_task_that_outlasts_the_timeout_is_unreachable_and_still_cleaned_up():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.ptz.move_seconds = 30
            hasty = Ptz(backend._request, backend.version, timeout=0.3, poll=0.05)
            with pytest.raises(UnreachableError, match="did not finish SetPtzAbsolutePosition"):
                await hasty.move_to(GATE, PtzPosition(0.5, 0.5, 0.5), 1.0)
            assert len(server.ptz.record.cleaned) == 1
            assert server.ptz.positions["cam12"] == Position()

    run(scenario)


def decode(picture: bytes) -> np.ndarray:
    with av.open(io.BytesIO(picture)) as container:
        frame = next(container.decode(video=0))
        assert container.streams.video[0].codec_context.name == "mjpeg"
        return frame.to_ndarray(format="rgb24")


def corner_colour(image: np.ndarray) -> np.ndarray:
    """The camera's colour patch, bottom right of every demo picture (footage.py)."""
    height, width = image.shape[:2]
    patch = image[height * 15 // 16 :, width * 15 // 16 :]
    return patch.reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize(("demo_id", "width", "height"), [("cam11", 320, 180), ("cam03", 321, 241)])
def test_a_snapshot_is_a_jpeg_of_the_asked_size_showing_that_camera(demo_id, width, height):
    """Fixed cameras show their footage; a PTZ camera's view: tests/integration/demo/
    test_ptz_snapshots.py."""

    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            assert backend.capabilities.snapshot
            picture = await backend.snapshot(CAMERAS[demo_id].id, width, height)
            image = decode(picture)
            assert image.shape == (height, width, 3)
            colour = corner_colour(image)
            assert np.abs(colour - camera_by_id(demo_id).colour).max() < 24
            assert server.ptz.record.snapshots == [(demo_id, width, height)]

    run(scenario)


def test_a_snapshot_size_out_of_range_is_refused_before_asking():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            with pytest.raises(InvalidInputError) as caught:
                await backend.snapshot(GATE, 0, 180)
            assert caught.value.field == "width"
            assert not requests_for(server, "JpegGetLive")

    run(scenario)


def test_outputs_are_listed_and_switched_on_and_off():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            assert backend.capabilities.outputs
            outputs = await backend.outputs()
            assert [output.name for output in outputs] == [output.name for output in OUTPUTS]
            barrier = outputs[0]

            await backend.set_output(barrier.id, True)
            assert server.ptz.active == {"Main gate barrier": True, "Harbour siren": False}
            await backend.set_output(barrier.id, False)
            assert server.ptz.active == {"Main gate barrier": False, "Harbour siren": False}

    run(scenario)


def test_refusals_keep_the_servers_words():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            with pytest.raises(NotSupportedError, match="does not support PTZ"):
                await backend.ptz_position(FIXED)
            with pytest.raises(NotSupportedError, match="no PTZ control"):
                await backend.ptz_capabilities(FIXED)
            with pytest.raises(NotFoundError, match="ptzPresets"):
                await backend.ptz_goto_preset(GATE, CAMERAS["cam13"].id)
            server.ptz.denied.add("cam12")
            with pytest.raises(PermissionDeniedError, match="no PTZ permission"):
                await backend.ptz_move_to(GATE, PtzPosition(0, 0, 1))
            assert server.ptz.positions["cam12"] == Position()
            with pytest.raises(InvalidInputError) as caught:
                await backend.ptz_move_to(HARBOUR, PtzPosition(1.5, 0, 0))
            assert caught.value.field == "pan"

    run(scenario)


def test_a_ptz_cameras_capabilities_name_its_presets():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            capabilities = await backend.ptz_capabilities(GATE)
            assert capabilities.absolute and capabilities.zoom and not capabilities.continuous
            assert [preset.id for preset in capabilities.presets] == [
                preset.id for preset in server.ptz.presets[GATE]
            ]

    run(scenario)


def test_a_2023_r3_site_refuses_goto_without_asking_and_its_gateway_would_refuse_too():
    async def scenario():
        async with serving(simulator(release="2023 R3")) as server:
            async with connected(server) as backend:
                assert not backend.capabilities.presets and backend.capabilities.snapshot
                (home, *_) = await backend.ptz_presets(GATE)
                with pytest.raises(NotSupportedError, match="2024 R2"):
                    await backend.ptz_goto_preset(GATE, home.id)
                with pytest.raises(NotSupportedError, match="2024 R2"):
                    await backend.set_output(OUTPUTS[0].id, True)
                assert not requests_for(server, "task=Goto")

            context = ssl.create_default_context(cadata=server.certificate.pem.decode("ascii"))
            context.check_hostname = False
            async with httpx.AsyncClient(base_url=server.url, verify=context) as http:
                token = await http.post("/API/IDP/connect/token", data=GRANT)
                answer = await http.post(
                    f"/api/rest/v1/cameras/{GATE}/ptzPresets/{home.id}",
                    params={"task": "Goto"},
                    headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                    json={},
                )
            assert answer.status_code == 400
            assert answer.json()["error"]["details"][0]["errorText"].startswith("Bad request")
            assert server.ptz.positions["cam12"] == Position()

    run(scenario)


CAMERA = "/api/rest/v1/cameras/{}"
HOME = _presets(CAMERAS["cam12"])[0].id
TASK_SET = {"task": "SetPtzAbsolutePosition"}  # the simulator's first task is number 81
# Hypothesis draws mostly near-valid requests only if told to: the feature's real
# requests, each with a chance of its method, id or task spoiled.
REAL = st.sampled_from(
    [
        ("GET", CAMERA.format(f"{GATE}/ptzPresets"), None),
        ("GET", CAMERA.format(f"{FIXED}/ptzPresets"), None),
        ("GET", CAMERA.format(f"{GATE}/ptzPresets/{HOME}"), None),
        ("POST", CAMERA.format(f"{GATE}/ptzPresets/{HOME}"), "Goto"),
        ("POST", CAMERA.format(GATE), "GetPtzAbsolutePosition"),
        ("POST", CAMERA.format(GATE), "SetPtzAbsolutePosition"),
        ("POST", CAMERA.format(FIXED), "SetPtzAbsolutePosition"),
        ("POST", CAMERA.format(GATE), "JpegGetLive"),
        ("GET", CAMERA.format(f"{FIXED}/outputs"), None),
        ("GET", "/api/rest/v1/outputs", None),
        ("GET", f"/api/rest/v1/outputs/{OUTPUTS[0].id}", None),
        ("POST", f"/api/rest/v1/outputs/{OUTPUTS[0].id}", "Activate"),
        ("GET", "/api/rest/v1/tasks/81", None),
        ("POST", "/api/rest/v1/tasks/81", "TaskCleanup"),
    ]
)
TASKS = st.sampled_from(["Goto", "Trigger", "JpegGetLive", "goto", ""]) | st.text(max_size=8)
VALUES = st.none() | st.booleans() | st.floats() | st.integers(-5, 5000) | st.text(max_size=6)
BODY_KEYS = st.sampled_from(["pan", "tilt", "zoom", "speed", "width", "height"])
BODIES = st.one_of(
    st.dictionaries(BODY_KEYS, VALUES, max_size=6).map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=24),
    st.sampled_from([b"", b"[]", b"null", b'"x"', b'{"width":1e999,"height":2}']),
)


@st.composite
def ptz_requests(draw):
    method, path, task = draw(REAL)
    spoil = draw(st.sampled_from(["nothing", "method", "id", "task"]))
    if spoil == "method":
        method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE"]))
    elif spoil == "id":
        parts = path.split("/")
        parts[draw(st.integers(4, len(parts) - 1))] = draw(st.text(max_size=8))
        path = "/".join(parts)
    elif spoil == "task":
        task = draw(st.none() | TASKS)
    query = {} if task is None else {"task": task}
    return method, path, query, draw(BODIES)


@settings(max_examples=200, deadline=None)
@given(ptz_requests(), st.sampled_from(["2023 R3", "2025 R2"]))
@example(("POST", CAMERA.format(GATE), TASK_SET, b"[]"), "2025 R2")
@example(("POST", CAMERA.format(GATE), {"task": "JpegGetLive"}, b"null"), "2025 R2")
def test_any_ptz_request_gets_a_well_formed_answer(request, release):
    method, path, query, body = request

    async def scenario():
        server = simulator(release=release)
        login = Request("POST", "/IDP/connect/token", {}, {}, urlencode(GRANT).encode())
        token = json.loads((await server.handle(login)).body)["access_token"]
        headers = {"authorization": f"Bearer {token}"}
        move = json.dumps({"pan": 0, "tilt": 0, "zoom": 0}).encode()
        await server.handle(Request("POST", CAMERA.format(GATE), TASK_SET, headers, move))
        try:
            answer = await server.handle(Request(method, path.lower(), query, headers, body))
        finally:
            await server.ptz.stop()
        assert answer.status in {200, 400, 404, 405}
        document = json.loads(answer.body)
        assert ("error" in document) == (answer.status != 200)

    run(scenario)


def test_a_large_sites_camera_gives_its_footages_picture_and_one_without_footage_refuses():
    async def scenario():
        async with serving(simulator(extra_cameras=3)) as server, connected(server) as backend:
            bulk = server.camera(guid("camera/bulk/1"))
            assert bulk is not None
            image = decode(await backend.snapshot(bulk.id, 160, 90))
            colour = camera_by_id(bulk.demo_id).colour
            assert np.abs(corner_colour(image) - colour).max() < 24
            with pytest.raises(NotSupportedError, match="has no live image"):
                await backend.snapshot(CAMERAS[H265_DEMO_ID].id, 160, 90)

    run(scenario)
