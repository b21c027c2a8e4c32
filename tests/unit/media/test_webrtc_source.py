"""What the media layer reads from a WebRTC session: can it decode the offer's video, does
the server sit on this machine (then ICE stays on loopback), which frames are key frames,
and what happens to the frames when the player falls behind or the sender stops."""

from __future__ import annotations

import contextlib
import json
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.jitterbuffer import JitterFrame
from hypothesis import given
from hypothesis import strategies as st

from viewer.core.errors import CodecNotSupportedError, NotSupportedError, StreamLostError
from viewer.media.webrtc import (
    BACKLOG_FRAMES,
    _EncodedFrames,
    candidate_text,
    check_decodable,
    is_key_frame,
    is_loopback_host,
    video_codecs,
)

CAPTURE = Path(__file__).parents[3].parent / "shared/captures/xprotect-2025r1"


def captured_offer() -> str:
    """The offer a real XProtect 2025 R1 made for an H.265 camera."""
    path = CAPTURE / "webrtc-session-create-200.json"
    if not path.exists():
        pytest.skip("the shared captures are not on this machine")
    session = json.loads(path.read_text("utf-8"))
    return json.loads(session["offerSDP"])["sdp"]


def test_a_real_h265_offer_is_refused_naming_the_codec():
    offer = captured_offer()
    assert video_codecs(offer) == ["H265"]
    with pytest.raises(CodecNotSupportedError, match=r"codec not supported by this viewer: H265$"):
        check_decodable(offer, "webrtc://vms/camera")


def test_the_same_offer_in_h264_is_accepted():
    check_decodable(captured_offer().replace("H265/90000", "H264/90000"), "webrtc://vms/camera")


def test_audio_codecs_and_repair_streams_are_not_blamed():
    sdp = (
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP9/90000\r\na=rtpmap:97 rtx/90000\r\n"
    )
    assert video_codecs(sdp) == ["VP9"]
    with pytest.raises(CodecNotSupportedError, match=r"viewer: VP9$"):
        check_decodable(sdp, "here")


def test_an_offer_without_video_says_so():
    with pytest.raises(NotSupportedError, match="no video"):
        check_decodable("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "here")


codecs = st.sampled_from(["H264", "H265", "VP8", "VP9", "AV1", "rtx", "red", "opus", "PCMU"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["video", "audio"]), st.lists(codecs, max_size=4)), max_size=4
    )
)
def test_an_offer_is_played_exactly_when_a_video_section_offers_h264_or_vp8(sections):
    sdp = "v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    for kind, names in sections:
        sdp += f"m={kind} 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
        sdp += "".join(f"a=rtpmap:{96 + i} {name}/90000\r\n" for i, name in enumerate(names))
    in_video = [n.upper() for kind, names in sections if kind == "video" for n in names]
    named = [n for n in dict.fromkeys(in_video) if n not in {"RTX", "RED"}]
    assert video_codecs(sdp) == named
    if {"H264", "VP8"} & set(named):
        check_decodable(sdp, "here")
    else:
        with pytest.raises(NotSupportedError):
            check_decodable(sdp, "here")


@given(st.text(max_size=300))
def test_any_offer_text_is_played_or_refused_with_a_typed_error(sdp):
    with contextlib.suppress(NotSupportedError):
        check_decodable(sdp, "here")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.2", True),
        ("[::1]", True),
        ("localhost", True),
        ("192.0.2.11", False),
        ("vms.example", False),
        ("", False),
        (None, False),
    ],
)
def test_a_server_on_this_machine_is_told_by_its_address(host, loopback):
    assert is_loopback_host(host) is loopback


@given(
    st.text(max_size=200)
    .map(str.strip)
    .filter(lambda text: not text.startswith(("a=", "candidate:")))
)
def test_a_candidate_line_with_or_without_its_sdp_prefix_reads_the_same(bare):
    assert candidate_text(f"a=candidate:{bare}") == candidate_text(f"candidate:{bare}") == bare


def encoded(codec: str, count: int) -> list[bytes]:
    """``count`` frames encoded as a WebRTC sender would send them (H.264 in Annex B)."""
    context = av.CodecContext.create(codec, "w")
    context.width, context.height, context.pix_fmt = 64, 64, "yuv420p"
    context.time_base = Fraction(1, 25)
    context.gop_size = 10
    if codec == "libx264":
        context.options = {"bframes": "0", "annexb": "1"}
    out = []
    for index in range(count):
        frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), index * 20, np.uint8), "rgb24")
        frame.pts = index
        out += [bytes(packet) for packet in context.encode(frame.reformat(format="yuv420p"))]
    out += [bytes(packet) for packet in context.encode(None)]
    return out


@pytest.mark.parametrize(("encoder", "codec"), [("libx264", "h264"), ("libvpx", "vp8")])
def test_a_key_frame_is_told_from_its_bytes(encoder, codec):
    frames = encoded(encoder, 12)
    assert [is_key_frame(codec, data) for data in frames] == [i % 10 == 0 for i in range(12)]


def test_a_player_that_falls_far_behind_loses_the_backlog_and_asks_for_a_key_frame():
    asked = threading.Event()
    frames = _EncodedFrames(asked)
    for stamp in range(BACKLOG_FRAMES + 10):
        frames.put((None, JitterFrame(b"\x00\x00\x01\x41", stamp)))
    assert asked.is_set() and frames.dropped
    assert frames.take(0, threading.Event()) == (b"\x00\x00\x01\x41", BACKLOG_FRAMES)


def test_a_receiver_that_stops_ends_the_frames_after_the_last_one():
    frames = _EncodedFrames()
    frames.put((None, JitterFrame(b"last", 7)))
    frames.put(None)
    frames.get()  # aiortc's idle decoder thread returns now
    assert frames.take(0, threading.Event()) == (b"last", 7)
    with pytest.raises(StreamLostError):
        frames.take(0, threading.Event())
