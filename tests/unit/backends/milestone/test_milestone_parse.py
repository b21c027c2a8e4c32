"""Reading what a real XProtect 2025 R1 sends (seed 001 and the captures), and anything else."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.backends.milestone import parse
from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import CameraRef, Quality

CAPTURES = Path(__file__).resolve().parents[5] / "shared" / "captures" / "xprotect-2025r1"

# Verbatim from the captures, with the server's own spacing.
ERROR_404 = (
    '{  "error" : {  "httpCode" : 404,  "details" :  '
    '[ {  "errorText" : "Unknown resource: recordings" } ] } }'
)
ERROR_400 = (
    '{  "error" : {  "httpCode" : 400,  "details" :  '
    '[ {  "errorText" : "Bad request: Unknown request" } ] } }'
)
OUTPUTS_EMPTY = '{  "array" :  [  ] }'
TOKEN_2025R1 = """{
    "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6IkVYQU1QTEUiLCJ0eXAiOiJKV1QifQ.e30.c2ln",
    "expires_in": 3600,
    "token_type": "Bearer",
    "scope": "managementserver"
}"""
# Seed 001, section 2, addresses as published there.
SITES_2025R1 = """{"array": [{
    "displayName": "DESKTOP-8RPFAUH", "id": "3772df00-6ea9-4893-b4b3-6aa944f38861",
    "name": "DESKTOP-8RPFAUH", "description": "", "lastModified": "2025-10-27T14:55:27.0000000Z",
    "timeZone": "Arabian Standard Time", "computerName": "DESKTOP-8RPFAUH",
    "domainName": "WORKGROUP", "lastStatusHandshake": "2025-10-27T15:37:08.0000000Z",
    "physicalMemory": 17053102080, "platform": "Windows 11 Pro", "processors": 8,
    "serviceAccount": "S-1-5-18", "synchronizationStatus": 0, "masterSiteAddress": "",
    "version": "25.1.1804.0",
    "relations": {"self": {"type": "sites", "id": "3772df00-6ea9-4893-b4b3-6aa944f38861"}}}]}"""
CAMERA_2025R1 = {
    "displayName": "GUANGZHOU T18156-AF (192.0.2.13) - Camera 1",
    "enabled": True,
    "id": "a8a8b9dc-3995-49ed-9b00-62caac2ce74a",
    "name": "GUANGZHOU T18156-AF (192.0.2.13) - Camera 1",
    "channel": 0,
    "ptzEnabled": True,
    "recordingEnabled": True,
    "relations": {
        "parent": {"type": "hardware", "id": "5a94379d-468c-40ee-9c16-8d98be28e1dd"},
        "self": {"type": "cameras", "id": "a8a8b9dc-3995-49ed-9b00-62caac2ce74a"},
    },
}


def capture(name: str, embedded: str) -> str:
    """The capture file when ../shared is there, else the same sample kept in this test."""
    path = CAPTURES / name
    return path.read_text(encoding="utf-8") if path.exists() else embedded


def test_a_password_grant_token_has_no_refresh_token():
    token = parse.token(capture("idp-token-200.json", TOKEN_2025R1))
    assert token.access_token.startswith("eyJhbGciOiJSUzI1NiIs")
    assert token.expires_in == 3600
    assert token.refresh_token is None
    assert token.access_token not in repr(token)


def test_a_vms_client_token_carries_its_refresh_token():
    body = json.dumps(
        {"access_token": "a.b.c", "expires_in": 5, "token_type": "Bearer", "refresh_token": "R1"}
    )
    assert parse.token(body).refresh_token == "R1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"expires_in": 3600, "token_type": "Bearer"}', "access_token"),
        ('{"access_token": "x", "token_type": "Bearer"}', "expires_in"),
        ('{"access_token": "x", "expires_in": "3600"}', "expires_in"),
        ('{"access_token": "x", "expires_in": 0}', "expires_in"),
        ('{"access_token": "x", "expires_in": 60, "token_type": "MAC"}', "token_type"),
        ('{"access_token": "x", "expires_in": 60, "refresh_token": 7}', "refresh_token"),
    ],
)
def test_a_token_without_what_we_need_names_the_field(body, field):
    with pytest.raises(MalformedResponseError) as caught:
        parse.token(body)
    assert caught.value.field == field


def test_a_wrong_password_is_an_authentication_error_in_the_servers_words():
    body = '{"error":"invalid_grant","error_description":"The username or password is wrong."}'
    error = parse.oauth_error(400, body)
    assert isinstance(error, AuthenticationError)
    assert "The username or password is wrong." in str(error)


def test_an_unknown_client_is_an_authentication_error_too():
    error = parse.oauth_error(401, '{"error":"invalid_client"}')
    assert isinstance(error, AuthenticationError)
    assert "invalid_client" in str(error)


def test_an_unsupported_grant_is_not_blamed_on_the_password():
    body = '{"error":"unsupported_grant_type","error_description":"Windows only"}'
    error = parse.oauth_error(400, body)
    assert isinstance(error, NotSupportedError)
    assert "Windows only" in str(error)


def test_the_sites_version_names_the_release():
    found = parse.version(SITES_2025R1)
    assert str(found) == "25.1.1804.0"
    assert found.release == "2025 R1"
    assert parse.ServerVersion(24, 2) < found < parse.ServerVersion(25, 2)


@pytest.mark.parametrize("text", ["", "25", "25.x.1", "2025 R1", "1.2.3.4.5", "²5.1"])
def test_a_version_we_cannot_read_is_malformed(text):
    with pytest.raises(MalformedResponseError) as caught:
        parse.version(json.dumps({"array": [{"version": text}]}))
    assert caught.value.field == "array[0].version"


def test_the_cameras_of_a_real_server_become_cameras():
    body = capture("config-cameras-200.json", json.dumps({"array": [CAMERA_2025R1]}))
    page = parse.cameras(body, "site")
    first = page.cameras[0]
    assert first.ref == CameraRef("site", "a8a8b9dc-3995-49ed-9b00-62caac2ce74a")
    assert first.name.startswith("GUANGZHOU T18156-AF (192.0.2.13)")
    assert first.ptz is True
    assert page.count == len(page.cameras) == len(json.loads(body)["array"])


def test_a_disabled_camera_is_hidden_but_counted_for_paging():
    disabled = dict(CAMERA_2025R1, id="off", enabled=False)
    page = parse.cameras(json.dumps({"array": [CAMERA_2025R1, disabled]}), "site")
    assert [camera.ref.camera_id for camera in page.cameras] == [CAMERA_2025R1["id"]]
    assert page.count == 2


def test_flags_sent_as_strings_are_read():
    older = dict(CAMERA_2025R1, enabled="True", ptzEnabled="False")
    (camera,) = parse.cameras(json.dumps({"array": [older]}), "site").cameras
    assert camera.ptz is False
    hidden = dict(CAMERA_2025R1, enabled="false")
    assert parse.cameras(json.dumps({"array": [hidden]}), "site").cameras == ()


def test_a_flag_that_is_neither_true_nor_false_is_named():
    odd = dict(CAMERA_2025R1, ptzEnabled="yes")
    with pytest.raises(MalformedResponseError) as caught:
        parse.cameras(json.dumps({"array": [odd]}), "site")
    assert caught.value.field == "ptzEnabled"


def test_an_empty_list_is_an_empty_page():
    assert parse.cameras(OUTPUTS_EMPTY, "site") == parse.CameraPage((), 0)


def test_groups_are_read_from_their_list():
    body = json.dumps({"array": [{"id": "g1", "displayName": "Ground floor", "name": "gf"}]})
    assert parse.groups(body) == (parse.Group("g1", "Ground floor"),)


def test_streams_say_which_is_the_default_and_offer_a_sub_stream():
    body = json.dumps(
        {
            "array": [
                {
                    "displayName": "Streams",
                    "stream": [
                        {
                            "streamReferenceId": "28dc44c3",
                            "name": "Video stream 1",
                            "liveDefault": True,
                            "liveMode": "Always",
                        },
                        {
                            "streamReferenceId": "0c60e7a5",
                            "name": "Video stream 2",
                            "liveDefault": "False",
                        },
                    ],
                }
            ]
        }
    )
    found = parse.streams(body)
    assert found == (
        parse.Stream("28dc44c3", "Video stream 1", True),
        parse.Stream("0c60e7a5", "Video stream 2", False),
    )
    assert [info.quality for info in parse.stream_infos(found)] == [Quality.MAIN, Quality.SUB]


def test_a_stream_without_its_reference_is_named():
    body = json.dumps({"array": [{"stream": [{"name": "Video stream 1"}]}]})
    with pytest.raises(MalformedResponseError) as caught:
        parse.streams(body)
    assert caught.value.field == "stream[0].streamReferenceId"


def test_a_single_object_envelope_gives_its_object():
    assert parse.data('{"data": {"id": "x"}}') == {"id": "x"}
    with pytest.raises(MalformedResponseError) as caught:
        parse.data('{"array": []}')
    assert caught.value.field == "data"


def test_the_404_envelope_is_not_found_in_the_servers_words():
    error = parse.http_error(404, ERROR_404)
    assert isinstance(error, NotFoundError)
    assert "Unknown resource: recordings" in str(error)


def test_a_400_envelope_keeps_its_words():
    error = parse.http_error(400, ERROR_400.encode())
    assert isinstance(error, NotSupportedError)
    assert "Bad request: Unknown request" in str(error)


def test_a_gateways_html_page_is_unreachable_with_its_title():
    page = (
        "<!DOCTYPE html><html><head><title>503 - Service Unavailable &amp; down</title>"
        "</head><body><h1>Server Error</h1></body></html>"
    )
    error = parse.http_error(503, page.encode())
    assert isinstance(error, UnreachableError)
    assert "503 - Service Unavailable & down" in str(error)


def test_an_iis_404_without_api_is_not_found():
    page = "<html><head><title>404 - File or directory not found.</title></head></html>"
    error = parse.http_error(404, page)
    assert isinstance(error, NotFoundError)
    assert "404 - File or directory not found." in str(error)


def test_an_expired_token_is_an_authentication_error():
    assert isinstance(parse.http_error(401, b""), AuthenticationError)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "array",
                    "data",
                    "id",
                    "name",
                    "displayName",
                    "enabled",
                    "ptzEnabled",
                    "version",
                    "stream",
                    "streamReferenceId",
                    "liveDefault",
                    "access_token",
                    "expires_in",
                    "token_type",
                    "refresh_token",
                    "error",
                    "error_description",
                    "details",
                    "errorText",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)
BODIES = st.one_of(JSON.map(json.dumps), st.binary(max_size=200), st.text(max_size=200))


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_any_answer_gives_a_model_or_a_malformed_response(body):
    for reader in (
        parse.token,
        parse.version,
        parse.groups,
        parse.streams,
        parse.data,
        lambda b: parse.cameras(b, "site"),
    ):
        with contextlib.suppress(MalformedResponseError):
            reader(body)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=400, max_value=599), BODIES)
def test_any_refusal_gives_a_typed_error(status, body):
    assert isinstance(parse.http_error(status, body), VigilError)
    assert isinstance(parse.oauth_error(status, body), VigilError)


def test_streams_in_a_single_object_envelope_are_read_too():
    body = json.dumps({"data": {"stream": [{"streamReferenceId": "s1", "liveDefault": True}]}})
    assert parse.streams(body) == (parse.Stream("s1", "", True),)


def test_a_server_that_echoes_a_secret_does_not_put_it_in_the_error():
    body = json.dumps(
        {"error": "invalid_request", "error_description": "bad request password=hunter22&x=1"}
    )
    assert "hunter22" not in str(parse.oauth_error(400, body))
    envelope = json.dumps(
        {"error": {"httpCode": 400, "details": [{"errorText": "Authorization: Bearer eyJ.abc"}]}}
    )
    assert "eyJ.abc" not in str(parse.http_error(400, envelope))
