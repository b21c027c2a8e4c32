"""Reading XProtect's WebRTC signalling (the capture of a real 2025 R1, and anything else)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.backends.milestone import parse
from viewer.backends.milestone.webrtc import Playback, session_body
from viewer.core.errors import (
    InvalidInputError,
    MalformedResponseError,
)

CAPTURES = Path(__file__).resolve().parents[5] / "shared" / "captures" / "xprotect-2025r1"
# webrtc-session-create-200.json, verbatim: an H.265 camera's live session.
SESSION_2025R1 = (
    r'{"sessionId":"7acf1727-5dfa-4fd2-8b47-a9e32d683ec6","cameraId":null,"deviceId":null,"tok'
    r'en":null,"resolution":null,"offerSDP":"{\u0022type\u0022:\u0022offer\u0022,\u0022sdp\u00'
    r"22:\u0022v=0\\r\\no=- 75657 0 IN IP4 127.0.0.1\\r\\ns=sipsorcery\\r\\nt=0 0\\r\\na=group"
    r":BUNDLE 0 1\\r\\nm=video 9 UDP/TLS/RTP/SAVP 104\\r\\nc=IN IP4 0.0.0.0\\r\\na=ice-ufrag:C"
    r"IKJ\\r\\na=ice-pwd:AXVJQVBUIBSYEZHFOICNQOZT\\r\\na=fingerprint:sha-256 66:23:ED:04:7B:00"
    r":07:54:76:77:AE:1C:4C:B3:C3:3E:C2:FB:88:39:E9:C6:8D:D6:FA:70:FC:67:FF:8B:39:5F\\r\\na=se"
    r"tup:actpass\\r\\na=candidate:2108781580 1 udp 2113937663 192.0.2.11 49766 typ host gener"
    r"ation 0\\r\\na=candidate:2733486262 1 udp 2113940223 2001:db8:1c44:17af:bd73:6788:fd2c:c"
    r"10e 49766 typ host generation 0\\r\\na=candidate:235467802 1 udp 2113940223 2001:db8:1c4"
    r"4:17af:b033:9572:d393:4cb0 49766 typ host generation 0\\r\\na=ice-options:ice2,trickle\\"
    r"r\\na=mid:0\\r\\na=rtpmap:104 H265/90000\\r\\na=rtcp-fb:104 transport-cc\\r\\na=fmtp:104"
    r" level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST\\r\\na=rtcp-mux\\r\\na=rtcp:9 IN IP4 "
    r"0.0.0.0\\r\\na=end-of-candidates\\r\\na=sendonly\\r\\na=ssrc:1215188135 cname:6abd1808-3"
    r"328-4dd8-a672-c9a488b0bdbe\\r\\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\\r\\nc="
    r"IN IP4 0.0.0.0\\r\\na=ice-ufrag:CIKJ\\r\\na=ice-pwd:AXVJQVBUIBSYEZHFOICNQOZT\\r\\na=fing"
    r"erprint:sha-256 66:23:ED:04:7B:00:07:54:76:77:AE:1C:4C:B3:C3:3E:C2:FB:88:39:E9:C6:8D:D6:"
    r"FA:70:FC:67:FF:8B:39:5F\\r\\na=setup:actpass\\r\\na=ice-options:ice2,trickle\\r\\na=mid:"
    r'1\\r\\na=sctp-port:5000\\r\\na=max-message-size:262144\\r\\n\u0022}","answerSDP":"Uninit'
    r'ialised","streamId":null,"playbackTimeNode":{"playbackTime":null,"skipGaps":null,"speed"'
    r':null},"iceServers":[],"includeAudio":true}'
    "\n"
)
CANDIDATE_A = "candidate:2108781580 1 udp 2113937663 192.0.2.11 49766 typ host generation 0"
CANDIDATE_B = "candidate:235467802 1 udp 2113940223 2001:db8:1c44::4cb0 49766 typ host"


def init(candidate: str, mid: str = "0") -> str:
    """A candidate as browsers and the gateway write it: a JSON string of RTCIceCandidateInit."""
    return json.dumps({"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": 0})


def test_the_capture_is_kept_verbatim():
    if (CAPTURES / "webrtc-session-create-200.json").exists():
        assert (CAPTURES / "webrtc-session-create-200.json").read_text("utf-8") == SESSION_2025R1


def test_a_real_session_gives_its_id_and_the_offer_text():
    session = parse.webrtc_session(SESSION_2025R1)
    assert session.id == "7acf1727-5dfa-4fd2-8b47-a9e32d683ec6"
    assert session.offer_sdp.startswith("v=0\r\no=- 75657 0 IN IP4 127.0.0.1\r\n")
    assert "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" in session.offer_sdp
    assert session.offer_sdp not in repr(session)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("sessionId"), "sessionId"),
        (lambda d: d.update(offerSDP="v=0"), "offerSDP"),
        (
            lambda d: d.update(offerSDP=json.dumps({"type": "answer", "sdp": "v=0"})),
            "offerSDP.type",
        ),
        (lambda d: d.update(offerSDP=json.dumps({"type": "offer"})), "offerSDP.sdp"),
        (lambda d: d.update(offerSDP=None), "offerSDP"),
    ],
)
def test_a_session_without_what_we_need_names_the_field(change, field):
    document = json.loads(SESSION_2025R1)
    change(document)
    with pytest.raises(MalformedResponseError) as raised:
        parse.webrtc_session(json.dumps(document))
    assert raised.value.field == field


def test_candidates_are_read_from_their_json_strings_each_once_in_order():
    body = json.dumps(
        {"candidates": [init(CANDIDATE_A), init(CANDIDATE_B), init(CANDIDATE_A, "1"), init("")]}
    )
    assert parse.ice_candidates(body) == (CANDIDATE_A, CANDIDATE_B)


def test_candidates_written_otherwise_are_read_too():
    """A bare line, an SDP attribute, an object, aiortc's text without the prefix."""
    bare = CANDIDATE_A.removeprefix("candidate:")
    body = json.dumps(
        {"candidates": [CANDIDATE_A, f"a={CANDIDATE_B}", {"candidate": CANDIDATE_A}, init(bare)]}
    )
    assert parse.ice_candidates(body) == (CANDIDATE_A, CANDIDATE_B)


@pytest.mark.parametrize(
    "body",
    [
        "{}",
        '{"candidates": "candidate:1 1 udp 1 192.0.2.1 9 typ host"}',
        '{"candidates": [42]}',
        '{"candidates": ["not json"]}',
        '{"candidates": ["{\\"candidate\\": \\"candidate:x 1 udp 1 192.0.2.1 port typ host\\"}"]}',
    ],
)
def test_candidates_we_cannot_read_are_malformed(body):
    with pytest.raises(MalformedResponseError):
        parse.ice_candidates(body)


def test_a_channel_response_without_an_error_is_a_success():
    reply = parse.channel_reply(
        '{"type":"response","method":"ptzMove","params":{},"ApiVersion":"1.0"}'
    )
    assert reply == parse.ChannelReply("ptzMove", None)


@pytest.mark.parametrize(
    "message",
    [
        '{"type":"response","method":"ptzMove","error":"PTZ is locked by another user"}',
        '{"type":"response","method":"ptzMove",'
        '"error":{"message":"PTZ is locked by another user"}}',
        '{"type":"response","method":"ptzMove",'
        '"params":{"error":{"errorText":"PTZ is locked by another user"}}}',
    ],
)
def test_a_channel_response_with_an_error_keeps_the_servers_words(message):
    assert parse.channel_reply(message) == parse.ChannelReply(
        "ptzMove", "PTZ is locked by another user"
    )


def test_other_channel_messages_are_not_responses():
    assert parse.channel_reply('{"type":"event","method":"ptzMoved"}') is None
    with pytest.raises(MalformedResponseError):
        parse.channel_reply("not json")


def test_a_live_session_asks_for_the_camera_without_audio_or_ice_servers():
    assert session_body("cameraId", "c1", None, None) == {
        "cameraId": "c1",
        "includeAudio": False,
        "iceServers": [],
    }
    assert session_body("deviceId", "c1", "s2", None)["streamId"] == "s2"


def test_a_playback_session_asks_for_the_instant_to_the_millisecond_in_utc():
    at = datetime(2026, 3, 1, 9, 30, 15, 123_999, tzinfo=timezone(timedelta(hours=2)))
    body = session_body("deviceId", "c1", None, Playback(at, 4, skip_gaps=True))
    assert body["playbackTimeNode"] == {
        "playbackTime": "2026-03-01T07:30:15.123Z",
        "speed": 4,
        "skipGaps": True,
    }
    assert Playback(at).at == datetime(2026, 3, 1, 7, 30, 15, 123_000, tzinfo=UTC)


@pytest.mark.parametrize("speed", [0, -1, 32.5, float("nan"), float("inf")])
def test_a_speed_the_server_refuses_is_refused_here(speed):
    with pytest.raises(InvalidInputError) as raised:
        Playback(datetime.now(UTC), speed)
    assert raised.value.field == "speed"


def test_a_playback_instant_without_a_time_zone_is_refused():
    with pytest.raises(InvalidInputError):
        Playback(datetime(2026, 3, 1, 9, 30))


# -- fuzzing -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.one_of(
        st.text(max_size=200),
        json_values.map(json.dumps),
        st.fixed_dictionaries(
            {
                "sessionId": json_values,
                "offerSDP": json_values.map(json.dumps) | st.text(max_size=50),
            }
        ).map(json.dumps),
    )
)
def test_any_session_answer_is_read_or_refused_as_malformed(body):
    try:
        session = parse.webrtc_session(body)
    except MalformedResponseError:
        return
    assert session.id and session.offer_sdp


@given(
    st.one_of(
        st.text(max_size=200),
        json_values.map(json.dumps),
        st.lists(
            st.one_of(json_values, st.text(max_size=80), st.text(max_size=80).map(init)), max_size=5
        ).map(lambda items: json.dumps({"candidates": items})),
    )
)
def test_any_candidate_list_is_read_or_refused_as_malformed(body):
    try:
        lines = parse.ice_candidates(body)
    except MalformedResponseError:
        return
    assert len(set(lines)) == len(lines)
    assert all(line.startswith("candidate:") for line in lines)


candidate_lines = st.builds(
    "candidate:{} {} {} {} {} {} typ {}".format,
    st.integers(0, 2**32),
    st.integers(1, 2),
    st.sampled_from(["udp", "tcp"]),
    st.integers(0, 2**31),
    st.ip_addresses().map(str),
    st.integers(1, 65535),
    st.sampled_from(["host", "srflx", "prflx", "relay"]),
)


@given(st.lists(candidate_lines, max_size=6), st.data())
def test_candidates_repeated_in_any_order_come_out_once_in_first_seen_order(lines, data):
    sent = data.draw(st.lists(st.sampled_from(lines), max_size=20)) if lines else []
    mids = data.draw(st.lists(st.sampled_from(["0", "1"]), min_size=len(sent), max_size=len(sent)))
    body = json.dumps(
        {"candidates": [init(line, mid) for line, mid in zip(sent, mids, strict=True)]}
    )
    assert parse.ice_candidates(body) == tuple(dict.fromkeys(sent))


@given(st.one_of(st.text(max_size=100), json_values.map(json.dumps)))
def test_any_channel_message_is_read_or_refused_as_malformed(text):
    try:
        reply = parse.channel_reply(text)
    except MalformedResponseError:
        return
    assert reply is None or reply.error is None or reply.error
