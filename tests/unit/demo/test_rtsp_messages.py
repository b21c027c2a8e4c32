"""The demo server reads RTSP requests strictly and never falls over on junk."""

import asyncio
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.rtsp_auth import Authenticator, RtspAuth, parse_digest
from viewer.demo.rtsp_messages import (
    Interleaved,
    RtspProtocolError,
    format_response,
    parse_transport,
    read_message,
)


def read(data: bytes):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_message(reader)

    return asyncio.run(go())


def test_a_request_with_headers_and_body():
    request = read(
        b"SET_PARAMETER rtsp://127.0.0.1/demo/cam01/main RTSP/1.0\r\nCSeq: 7\r\n"
        b"Content-Type: text/parameters\r\nContent-Length: 5\r\n\r\nhello"
    )
    assert request.method == "SET_PARAMETER"
    assert request.cseq == "7"
    assert request.headers["content-type"] == "text/parameters"
    assert request.body == b"hello"


def test_an_interleaved_frame_from_the_client():
    assert read(b"$\x01\x00\x02hi") == Interleaved(1, b"hi")


def test_transport_choices_keep_the_clients_order():
    choices = parse_transport("RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=2-3")
    assert [c["protocol"] for c in choices] == ["RTP/AVP", "RTP/AVP/TCP"]
    assert choices[1]["interleaved"] == "2-3"


def test_responses_echo_cseq_and_count_the_body():
    text = format_response(200, "4", {"Public": "OPTIONS"}, b"v=0\r\n").decode()
    assert text.startswith("RTSP/1.0 200 OK\r\nCSeq: 4\r\n")
    assert "Content-Length: 5\r\n" in text
    assert text.endswith("\r\n\r\nv=0\r\n")


@given(st.binary(max_size=400))
def test_junk_is_a_protocol_error_or_a_short_read_never_a_crash(data):
    with contextlib.suppress(RtspProtocolError, asyncio.IncompleteReadError):
        read(data + b"\r\n\r\n")


@pytest.mark.parametrize(
    "header",
    [
        'Digest username="demo", realm="Vigil demo", nonce="abc", uri="rtsp://h/x", response="00"',
        "Digest username=demo,realm=x",
        "Digest ",
        'Digest username="unterminated',
    ],
)
def test_digest_fields_are_parsed_leniently(header):
    fields = parse_digest(header.partition(" ")[2])
    assert isinstance(fields, dict)


def test_digest_accepts_the_right_answer_and_nothing_else():
    import hashlib

    auth = Authenticator(RtspAuth("demo", "pw", "digest"))
    nonce = auth.challenge().split('nonce="')[1].split('"')[0]

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    uri = "rtsp://127.0.0.1:554/demo/cam01/main"
    good = md5(f"{md5('demo:Vigil demo:pw')}:{nonce}:{md5(f'DESCRIBE:{uri}')}")
    header = (
        f'Digest username="demo", realm="Vigil demo", nonce="{nonce}", '
        f'uri="{uri}", response="{good}"'
    )
    assert auth.check("DESCRIBE", header)
    assert not auth.check("SETUP", header)
    assert not auth.check("DESCRIBE", header.replace(nonce, "0" * 32))
    assert not auth.check("DESCRIBE", "Basic ZGVtbzpwdw==")
