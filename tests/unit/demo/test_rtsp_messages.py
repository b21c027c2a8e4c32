"""The demo server reads RTSP requests strictly and never falls over on junk."""

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.rtsp_messages import (
    MAX_BODY_BYTES,
    MAX_HEADER_LINES,
    IdleTimeout,
    Interleaved,
    ReadTimeout,
    Request,
    RtspProtocolError,
    format_response,
    parse_head,
    parse_interleaved,
    parse_transport,
    read_message,
)


def read(data: bytes, **timeouts):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_message(reader, **timeouts)

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


def test_blank_lines_before_a_request_are_skipped():
    request = read(b"\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n")
    assert (request.method, request.uri, request.cseq) == ("OPTIONS", "*", "2")


def test_an_interleaved_frame_from_the_client():
    assert read(b"$\x01\x00\x02hi") == Interleaved(1, b"hi")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not an RTSP request line"),
        (b"OPTIONS *  RTSP/1.0\r\nCSeq: 1\r\n\r\n", "malformed request line"),
        (b"OPTIONS * RTSP/1.0\r\n\r\n", "missing or malformed CSeq"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: one\r\n\r\n", "missing or malformed CSeq"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: -1\r\n\r\n", "missing or malformed CSeq"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: ²\r\n\r\n".encode(), "missing or malformed CSeq"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nno colon\r\n\r\n", "malformed header line 2"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n: empty name\r\n\r\n", "malformed header line 2"),
        # A lone LF in an echoed value would start a header of its own in the answer.
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\nX-Injected: 1\r\n\r\n", "control character"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: \x00\r\n\r\n", "control character"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: \xff\r\n\r\n", "not UTF-8"),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
        ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: ²\r\n\r\n".encode(), "Content-Length"),
        (
            b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n",
            "Content",
        ),
        (
            b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1),
            "bad Content-Length",
        ),
        (
            b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + b"X: 1\r\n" * MAX_HEADER_LINES + b"\r\n",
            f"more than {MAX_HEADER_LINES} header lines",
        ),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", "too long"),
    ],
)
def test_malformed_requests_are_protocol_errors_that_quote_nothing(data, problem):
    with pytest.raises(RtspProtocolError, match=problem) as caught:
        read(data)
    # The request line may carry credentials in its URI; error text never repeats it.
    assert "OPTIONS" not in str(caught.value)


def test_the_largest_content_length_allowed_is_read_whole():
    body = b"x" * MAX_BODY_BYTES
    request = read(
        b"SET_PARAMETER * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )
    assert request.body == body


def test_a_request_trickled_too_slowly_is_a_read_timeout():
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n")  # and then nothing
        await read_message(reader, idle_timeout=30, read_timeout=0.05)

    with pytest.raises(ReadTimeout):
        asyncio.run(go())


def test_a_peer_that_sends_nothing_is_an_idle_timeout():
    async def go():
        await read_message(asyncio.StreamReader(), idle_timeout=0.05, read_timeout=30)

    with pytest.raises(IdleTimeout):
        asyncio.run(go())


def test_transport_choices_keep_the_clients_order():
    choices = parse_transport("RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=2-3")
    assert [c["protocol"] for c in choices] == ["RTP/AVP", "RTP/AVP/TCP"]
    assert choices[1]["interleaved"] == "2-3"


@pytest.mark.parametrize(
    ("value", "channels"),
    [
        ("0-1", (0, 1)),
        ("4", (4, 5)),
        ("254-255", (254, 255)),
        ("7-2", (7, 2)),
        ("255", None),  # its RTCP channel would be 256
        ("256-257", None),
        ("300-301", None),
        ("3-3", None),
        ("1000", None),
        ("-1", None),
        ("a-b", None),
        ("²", None),
        ("", None),
        ("1-2-3", None),
    ],
)
def test_interleaved_channels_are_two_different_bytes(value, channels):
    assert parse_interleaved(value) == channels


@given(st.text(max_size=12))
def test_interleaved_channels_fit_in_a_byte_whatever_the_client_wrote(value):
    channels = parse_interleaved(value)
    if channels is not None:
        assert all(0 <= channel <= 255 for channel in channels)
        assert channels[0] != channels[1]


def test_responses_echo_cseq_and_count_the_body():
    text = format_response(200, "4", {"Public": "OPTIONS"}, b"v=0\r\n").decode()
    assert text.startswith("RTSP/1.0 200 OK\r\nCSeq: 4\r\n")
    assert "Content-Length: 5\r\n" in text
    assert text.endswith("\r\n\r\nv=0\r\n")


@given(st.binary(max_size=400))
def test_junk_is_a_message_a_protocol_error_or_a_short_read_never_a_crash(data):
    try:
        message = read(data + b"\r\n\r\n")
    except (RtspProtocolError, asyncio.IncompleteReadError):
        return
    assert isinstance(message, Request | Interleaved)


TOKEN = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)
HEADER_NAME = TOKEN.filter(lambda name: ":" not in name and name.lower() != "cseq")
# Header values: any text without control characters, trimmed as the parser trims them.
HEADER_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40).map(
    str.strip
)


@given(
    method=TOKEN,
    uri=TOKEN,
    cseq=st.integers(0, 999_999_999),
    headers=st.dictionaries(HEADER_NAME.map(str.lower), HEADER_VALUE, max_size=10),
)
def test_a_well_formed_head_reads_back_as_written(method, uri, cseq, headers):
    lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {cseq}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = parse_head("\r\n".join(lines).encode())
    assert (request.method, request.uri, request.version) == (method, uri, "RTSP/1.0")
    assert request.headers == {"cseq": str(cseq), **headers}


@given(st.binary(max_size=300))
def test_any_head_parses_or_is_a_protocol_error(head):
    try:
        request = parse_head(head)
    except RtspProtocolError:
        return
    assert request.cseq.isascii() and request.cseq.isdigit()
    assert not any("\r" in v or "\n" in v for v in (request.uri, *request.headers.values()))


TRANSPORT_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=",;="),
    min_size=1,
    max_size=12,
)


@given(
    st.lists(
        st.tuples(
            TRANSPORT_WORD.map(str.upper),
            st.dictionaries(TRANSPORT_WORD.map(str.lower), TRANSPORT_WORD, max_size=4),
        ),
        max_size=4,
    )
)
def test_transport_choices_read_back_as_written(choices):
    value = ",".join(
        ";".join([protocol, *(f"{key}={val}" for key, val in parameters.items())])
        for protocol, parameters in choices
    )
    parsed = parse_transport(value)
    assert [choice.pop("protocol") for choice in parsed] == [p for p, _ in choices]
    assert parsed == [{k: v for k, v in params.items() if k != "protocol"} for _, params in choices]


@given(st.text(max_size=200))
def test_any_transport_header_gives_a_list_of_choices(value):
    for choice in parse_transport(value):
        assert choice["protocol"] == choice["protocol"].upper()
