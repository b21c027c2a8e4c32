"""The simulated gateway answers as the real 2025 R1 server did (seed 001, the captures)."""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.backends.milestone.xprotect import PASSWORD, USER, run, serving, simulator
from viewer.demo.http import HttpServer, Request, Response
from viewer.demo.milestone.directory import CAMERAS, GROUPS
from viewer.demo.milestone.gateway import MilestoneSimulator

CAPTURED_404 = (
    '{  "error" : {  "httpCode" : 404,  "details" :  '
    '[ {  "errorText" : "Unknown resource: recordings" } ] } }'
)


@contextlib.asynccontextmanager
async def client(server: MilestoneSimulator) -> AsyncIterator[httpx.AsyncClient]:
    context = ssl.create_default_context(cadata=server.certificate.pem.decode("ascii"))
    context.check_hostname = False
    async with httpx.AsyncClient(base_url=server.url, verify=context) as http:
        yield http


def grant(client_id: str = "GrantValidatorClient", **form: str) -> dict[str, str]:
    fields = {"grant_type": "password", "username": USER, "password": PASSWORD}
    return {**fields, **form, "client_id": client_id}


async def bearer(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post("/API/IDP/connect/token", data=grant())
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_password_grant_answers_as_the_real_idp():
    async def scenario():
        async with serving(simulator(token_lifetime=3600)) as server, client(server) as http:
            answer = await http.post("/API/IDP/connect/token", data=grant())
            assert answer.status_code == 200
            assert set(answer.json()) == {"access_token", "expires_in", "token_type", "scope"}
            assert answer.json()["expires_in"] == 3600
            assert answer.json()["access_token"].count(".") == 2
            other_path = await http.post("/idp/connect/TOKEN", data=grant())
            assert other_path.status_code == 200

    run(scenario)


def test_a_vms_client_gets_a_refresh_token_that_works_once():
    async def scenario():
        async with serving(simulator()) as server, client(server) as http:
            first = (await http.post("/IDP/connect/token", data=grant("VmsClient"))).json()
            again = grant(
                "VmsClient", grant_type="refresh_token", refresh_token=first["refresh_token"]
            )
            renewed = await http.post("/IDP/connect/token", data=again)
            assert renewed.status_code == 200
            assert renewed.json()["refresh_token"] != first["refresh_token"]
            replayed = await http.post("/IDP/connect/token", data=again)
            assert (replayed.status_code, replayed.json()) == (400, {"error": "invalid_grant"})

    run(scenario)


def test_the_idp_refuses_in_oauth_words():
    async def scenario():
        async with serving(simulator()) as server, client(server) as http:
            wrong = await http.post("/IDP/connect/token", data=grant(password="nope"))
            assert wrong.status_code == 400
            assert wrong.json() == {
                "error": "invalid_grant",
                "error_description": "invalid_username_or_password",
            }
            stranger = await http.post("/IDP/connect/token", data=grant("Someone"))
            assert (stranger.status_code, stranger.json()) == (401, {"error": "invalid_client"})
            refresh = await http.post("/IDP/connect/token", data=grant(grant_type="refresh_token"))
            assert refresh.json() == {"error": "unsupported_grant_type"}

    run(scenario)


def test_the_config_api_wants_a_live_bearer_token():
    async def scenario():
        async with serving(simulator(token_lifetime=0.5)) as server, client(server) as http:
            assert (await http.get("/api/rest/v1/sites")).status_code == 401
            headers = await bearer(http)
            assert (await http.get("/api/rest/v1/sites", headers=headers)).status_code == 200
            server.expire_tokens()
            assert (await http.get("/api/rest/v1/sites", headers=headers)).status_code == 401

    run(scenario)


def test_paths_are_case_insensitive_and_errors_are_shaped_as_captured():
    async def scenario():
        async with serving(simulator(release="2025 R1")) as server, client(server) as http:
            headers = await bearer(http)
            sites = await http.get("/API/REST/V1/Sites", headers=headers)
            assert sites.json()["array"][0]["version"] == "25.1.1804.0"
            missing = await http.get("/api/rest/v1/recordings", headers=headers)
            assert (missing.status_code, missing.text) == (404, CAPTURED_404)
            outside = await http.post("/webRTC/session", headers=headers)
            assert outside.status_code == 404
            assert "<title>404 - File or directory not found.</title>" in outside.text
            unknown = await http.get("/api/rest/v1/cameras/not-a-camera/streams", headers=headers)
            assert unknown.status_code == 404
            assert json.loads(unknown.text)["error"]["httpCode"] == 404

    run(scenario)


def test_cameras_are_paged_without_a_total_and_disabled_ones_hidden_unless_asked():
    async def scenario():
        async with serving(simulator()) as server, client(server) as http:
            headers = await bearer(http)
            everything = (await http.get("/api/rest/v1/cameras", headers=headers)).json()["array"]
            assert len(everything) == 22
            with_disabled = await http.get("/api/rest/v1/cameras?disabled", headers=headers)
            assert [c["enabled"] for c in with_disabled.json()["array"]].count(False) == 1
            pages = []
            for page in range(3):
                params = {"page": page, "size": 8}
                answer = await http.get("/api/rest/v1/cameras", params=params, headers=headers)
                assert set(answer.json()) == {"array"}
                pages.append([camera["id"] for camera in answer.json()["array"]])
            assert [len(page) for page in pages] == [8, 8, 6]
            assert [i for page in pages for i in page] == [camera["id"] for camera in everything]

    run(scenario)


def test_stopping_with_an_idle_keep_alive_client_logs_no_error(caplog):
    async def scenario():
        server = simulator()
        await server.start()
        async with client(server) as http:
            assert (await http.get("/api/rest/v1/sites")).status_code == 401
            await server.stop()
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    caplog.set_level(logging.WARNING, logger="asyncio")
    run(scenario)


SEGMENTS = st.sampled_from(
    ["api", "API", "rest", "v1", "idp", "token", "cameras", "streams", "", "..", "%00"]
) | st.text(max_size=8)
# Hypothesis draws mostly near-valid requests only if told to (docs/pitfalls.md): real
# paths of the gateway, each with a chance of one segment spoiled.
PATHS = st.sampled_from(
    [
        "/api/rest/v1/sites",
        "/api/rest/v1/cameras",
        "/api/rest/v1/cameraGroups",
        f"/api/rest/v1/cameraGroups/{GROUPS[1].id}/cameraGroups",
        f"/api/rest/v1/cameraGroups/{GROUPS[1].id}/cameras",
        f"/api/rest/v1/cameras/{CAMERAS['cam01'].id}",
        f"/api/rest/v1/cameras/{CAMERAS['cam01'].id}/streams",
        "/API/IDP/connect/token",
        "/IDP/connect/token",
    ]
)
NUMBERS = st.sampled_from(["0", "-1", "2", "99999999999999999999", "²", "1_0", " 3", "x"])


@st.composite
def requests(draw):
    segments = draw(PATHS).split("/")
    if draw(st.booleans()):
        segments[draw(st.integers(0, len(segments) - 1))] = draw(SEGMENTS)
    token_path = "token" in segments[-1].lower()
    method = draw(st.sampled_from(["POST" if token_path else "GET", "GET", "PATCH"]))
    query = draw(
        st.dictionaries(
            st.sampled_from(["page", "size", "disabled"]) | st.text(max_size=5),
            NUMBERS | st.text(max_size=12),
            max_size=3,
        )
    )
    form = draw(
        st.dictionaries(
            st.sampled_from(["grant_type", "client_id", "username", "password", "refresh_token"]),
            st.sampled_from(["password", "refresh_token", "VmsClient", USER, PASSWORD])
            | st.text(max_size=12),
        )
    )
    return method, "/".join(segments), query, urlencode(form).encode()


@settings(max_examples=300, deadline=None)
@given(requests(), st.booleans())
def test_any_request_gets_an_answer_of_the_gateways_own(request, unauthorised):
    method, path, query, body = request

    async def scenario():
        server = simulator()
        headers = {}
        if not unauthorised:
            login = Request("POST", "/IDP/connect/token", {}, {}, urlencode(grant()).encode())
            token = json.loads((await server.handle(login)).body)["access_token"]
            headers["authorization"] = f"Bearer {token}"
        answer = await server.handle(Request(method, path, query, headers, body))
        assert answer.status in {200, 400, 401, 404, 405}
        if answer.content_type.startswith("application/json") and answer.body:
            json.loads(answer.body)

    run(scenario)


def test_a_handler_that_fails_answers_500_and_the_connection_goes_on(caplog):
    async def handler(request):
        if request.path == "/broken":
            raise KeyError("a bug")
        return Response(200, b"fine")

    async def scenario():
        server = HttpServer(handler)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
                assert (await http.get("/broken")).status_code == 500
                assert (await http.get("/other")).text == "fine"
        finally:
            await server.stop()

    caplog.set_level(logging.WARNING, logger="viewer.demo.http")
    run(scenario)
    assert [r.getMessage() for r in caplog.records] == ["GET /broken failed: KeyError"]
