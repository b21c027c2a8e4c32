"""Whatever a client sends to the simulator's WebRTC endpoints, it gets the gateway's own
answer (never a 500), and data-channel requests always get a response."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.backends.milestone.xprotect import PASSWORD, USER, run, simulator
from viewer.demo.http import Request
from viewer.demo.milestone.directory import CAMERAS, H265_DEMO_ID, MASKED_DEMO_ID, guid
from viewer.demo.milestone.webrtc import Session

# Cameras whose sessions need no peer connection, so examples stay cheap.
CAMERA_IDS = st.sampled_from(
    [CAMERAS[H265_DEMO_ID].id, CAMERAS[MASKED_DEMO_ID].id, guid("camera/none"), "", "x"]
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def session_bodies(draw):
    body = {draw(st.sampled_from(["deviceId", "cameraId"])): draw(CAMERA_IDS)}
    optional = {
        "streamId": st.none() | st.just(guid(f"stream/{H265_DEMO_ID}/sub")) | JSONISH,
        "includeAudio": st.booleans() | JSONISH,
        "iceServers": st.just([{"url": "stun:127.0.0.1"}]) | JSONISH,
        "playbackTimeNode": st.fixed_dictionaries(
            {},
            optional={
                "playbackTime": st.sampled_from(["2026-11-29T10:00:00Z", "yesterday"]) | JSONISH,
                "speed": st.floats(-1, 40) | JSONISH,
                "skipGaps": st.booleans() | JSONISH,
            },
        )
        | JSONISH,
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            body[key] = draw(values)
    return body


@st.composite
def follow_ups(draw):
    """A PATCH of the session or a candidate list, each part possibly spoiled."""
    answer = json.dumps({"type": "answer", "sdp": "v=0\r\n"})
    candidate = json.dumps({"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"})
    kind = draw(st.sampled_from(["session", "candidates"]))
    if kind == "session":
        body = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "answerSDP": st.just(answer) | JSONISH,
                    "token": st.text(max_size=10) | JSONISH,
                },
            )
        )
        method = draw(st.sampled_from(["PATCH", "GET", "DELETE", "PUT"]))
    else:
        body = {
            "candidates": draw(
                st.lists(st.just(candidate) | st.text(max_size=20), max_size=3) | JSONISH
            )
        }
        method = draw(st.sampled_from(["POST", "GET", "DELETE"]))
    raw = json.dumps(body).encode() if draw(st.integers(0, 9)) else draw(st.binary(max_size=12))
    return kind, method, raw


@settings(max_examples=200, deadline=None)
@given(session_bodies(), st.lists(follow_ups(), max_size=3), st.booleans())
def test_any_webrtc_request_gets_an_answer_of_the_gateways_own(body, later, spoil_json):
    async def scenario():
        server = simulator()
        try:
            form = f"grant_type=password&username={USER}&password={PASSWORD}&client_id=VmsClient"
            login = Request("POST", "/IDP/connect/token", {}, {}, form.encode())
            token = json.loads((await server.handle(login)).body)["access_token"]
            headers = {"authorization": f"Bearer {token}"}
            raw = b"{" if spoil_json else json.dumps(body).encode()
            path = "/api/REST/v1/WebRTC/Session"
            created = await server.handle(Request("POST", path, {}, headers, raw))
            assert created.status in {200, 400, 403, 404}
            document = json.loads(created.body)
            session_id = document.get("sessionId", "no-such-session")
            for kind, method, follow_raw in later:
                where = {"session": "Session", "candidates": "IceCandidates"}[kind]
                target = f"/api/REST/v1/WebRTC/{where}/{session_id}"
                answer = await server.handle(Request(method, target, {}, headers, follow_raw))
                assert answer.status in {200, 400, 404, 405}
                if answer.body:
                    json.loads(answer.body)
        finally:
            await server.stop()

    run(scenario)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | JSONISH.map(json.dumps) | st.binary(max_size=20))
def test_any_data_channel_message_gets_a_response(message):
    server = simulator()
    session = Session("s", CAMERAS["cam12"], {}, None, playback=False)
    reply = server.webrtc._command(session, message)
    assert reply["type"] == "response" and reply["ApiVersion"] == "1.0"
    assert ("result" in reply) != ("error" in reply)
    json.dumps(reply)
