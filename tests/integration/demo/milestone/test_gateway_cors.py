"""The simulated gateway's CORS: off as a real gateway ships, on for the origins named."""

from __future__ import annotations

import ssl

import httpx

from tests.integration.backends.milestone.xprotect import PASSWORD, USER, run, serving, simulator

PAGE = "http://127.0.0.1:8123"
SESSION = "/api/REST/v1/WebRTC/Session"
PREFLIGHT = {
    "Origin": PAGE,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization,content-type",
}
LOGIN = {
    "grant_type": "password",
    "username": USER,
    "password": PASSWORD,
    "client_id": "GrantValidatorClient",
}


def client(server) -> httpx.AsyncClient:
    context = ssl.create_default_context(cadata=server.certificate.pem.decode("ascii"))
    context.check_hostname = False
    return httpx.AsyncClient(base_url=server.url, verify=context)


def test_a_gateway_without_cors_lets_no_page_read_its_answers():
    async def scenario():
        async with serving(simulator()) as server, client(server) as http:
            preflight = await http.options(SESSION, headers=PREFLIGHT)
            login = await http.post("/API/IDP/connect/token", data=LOGIN, headers={"Origin": PAGE})

            assert preflight.status_code == 401
            assert "access-control-allow-origin" not in preflight.headers
            assert login.status_code == 200
            assert "access-control-allow-origin" not in login.headers

    run(scenario)


def test_an_allowed_origin_passes_the_preflight_and_may_read_every_answer():
    async def scenario():
        async with serving(simulator()) as server, client(server) as http:
            server.cors_origins = (PAGE,)
            preflight = await http.options(SESSION, headers=PREFLIGHT)
            login = await http.post("/API/IDP/connect/token", data=LOGIN, headers={"Origin": PAGE})
            refused = await http.get("/api/rest/v1/sites", headers={"Origin": PAGE})

            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == PAGE
            assert "PATCH" in preflight.headers["access-control-allow-methods"]
            assert preflight.headers["access-control-allow-headers"] == "authorization,content-type"
            assert login.status_code == 200
            assert login.headers["access-control-allow-origin"] == PAGE
            # A refusal is readable too, so the page can tell why.
            assert refused.status_code == 401
            assert refused.headers["access-control-allow-origin"] == PAGE

    run(scenario)


def test_another_origin_is_not_allowed():
    async def scenario():
        async with serving(simulator()) as server, client(server) as http:
            server.cors_origins = (PAGE,)
            stranger = {**PREFLIGHT, "Origin": "http://127.0.0.1:9999"}
            preflight = await http.options(SESSION, headers=stranger)
            login = await http.post(
                "/API/IDP/connect/token", data=LOGIN, headers={"Origin": stranger["Origin"]}
            )

            assert preflight.status_code == 401
            assert "access-control-allow-origin" not in preflight.headers
            assert "access-control-allow-origin" not in login.headers

    run(scenario)
