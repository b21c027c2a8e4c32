"""A player fed by WebRTC: the same pictures, states and reconnects as a PyAV source.

The far end is an aiortc offerer in the test, standing for a VMS that offers (as XProtect
does), with a signalling object that hands the SDP across directly. ICE stays on loopback.
"""

from __future__ import annotations

import asyncio
import fractions
import threading
import time
from datetime import UTC, datetime

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import VideoStreamTrack

from viewer.core.errors import CodecNotSupportedError, StreamLostError
from viewer.core.streams import StreamDescription
from viewer.media.player import StreamPlayer, _RecordedClock
from viewer.media.state import PlayerState
from viewer.media.webrtc import RtpTimestamps, loopback_ice

from .test_player_sources import Collector

WIDTH, HEIGHT = 320, 192
BITS = 16


def numbered_frame(index: int) -> av.VideoFrame:
    """A grey picture whose bottom band spells ``index`` in 16 black and white blocks."""
    picture = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    for bit in range(BITS):
        on = (index >> (BITS - 1 - bit)) & 1
        picture[HEIGHT * 3 // 4 :, bit * WIDTH // BITS : (bit + 1) * WIDTH // BITS] = (
            235 if on else 16
        )
    return av.VideoFrame.from_ndarray(picture, format="rgb24")


def number_in(image) -> int:
    pixels = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    y = image.height * 7 // 8
    value = 0
    for bit in range(BITS):
        x = int((bit + 0.5) * image.width / BITS)
        value = (value << 1) | int(pixels[y, x, :3].mean() > 128)
    return value


class NumberedTrack(VideoStreamTrack):
    """25 numbered pictures a second, the count since the track started."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = numbered_frame(self.count)
        self.count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


class Offerer:
    """A VMS's side of one session: it offers H.264 only, or claims to have only H.265."""

    def __init__(self, codec: str = "H264") -> None:
        self.loop = asyncio.get_running_loop()
        self.codec = codec
        self.connection: RTCPeerConnection | None = None
        self.track = NumberedTrack()
        self.received: list[str] = []
        self.send_on_channel = None
        self.closed = False

    async def offer(self) -> str:
        connection = self.connection = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = connection.addTransceiver(self.track, direction="sendonly")
        h264 = [
            c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"
        ]
        transceiver.setCodecPreferences(h264)
        channel = connection.createDataChannel("commands", protocol="videoos-commands")
        channel.on("message", lambda text: channel.send(f"echo {text}"))
        with loopback_ice():
            await connection.setLocalDescription(await connection.createOffer())
        sdp = connection.localDescription.sdp
        if self.codec == "H265":
            # aiortc cannot send H.265: rename the codec as a camera that only has it would.
            sdp = sdp.replace("H264/90000", "H265/90000")
        return sdp

    async def answer(self, sdp: str) -> None:
        assert self.connection is not None
        await self.connection.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def remote_candidates(self) -> list[str]:
        return []

    async def close(self) -> None:
        self.closed = True
        if self.connection is not None:
            await self.connection.close()

    def channel_opened(self, send) -> None:
        self.send_on_channel = send

    def channel_message(self, text: str) -> None:
        self.received.append(text)


def description(offerer: Offerer, **fields) -> StreamDescription:
    return StreamDescription("webrtc://127.0.0.1/test-camera", signalling=offerer, **fields)


async def until(predicate, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return False


def run(scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 60))


async def stopped(player: StreamPlayer) -> None:
    player.stop()
    assert await asyncio.to_thread(player.join, 5)


def test_webrtc_frames_reach_the_viewer_newest_first_with_their_arrival_instant():
    async def scenario():
        offerer = Offerer()
        player = StreamPlayer(description(offerer))
        viewer = Collector(player, (WIDTH, HEIGHT))
        player.start()
        try:
            assert await until(lambda: (viewer.pump(), len(viewer.images) >= 10)[1])
            numbers = [number_in(image) for image in viewer.images]
            assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
            # The newest picture is the one the far end sent last, give or take transit.
            assert offerer.track.count - numbers[-1] < 15
            assert player.state.state is PlayerState.PLAYING
            assert player.statistics().codec == "h264"
            newest = viewer.images[-1]
            assert abs(newest.instant - time.time()) < 2.0
            assert (newest.source_width, newest.source_height) == (WIDTH, HEIGHT)
        finally:
            await stopped(player)
        assert await until(lambda: offerer.closed)

    run(scenario)


def test_an_offer_without_a_decodable_codec_fails_once_with_the_codec_named():
    async def scenario():
        offerer = Offerer(codec="H265")
        player = StreamPlayer(description(offerer))
        viewer = Collector(player, (WIDTH, HEIGHT))
        player.start()
        try:
            assert await until(lambda: player.state.state is PlayerState.FAILED)
            error = player.state.error
            assert isinstance(error, CodecNotSupportedError)
            assert "codec not supported by this viewer: H265" in str(error)
            assert viewer.images == []
        finally:
            await stopped(player)

    run(scenario)


def test_a_session_the_far_end_closes_is_replaced_by_a_fresh_one_from_the_backend():
    async def scenario():
        offerers = [Offerer()]

        def resolve() -> StreamDescription:
            # Called on the player's thread before each new attempt.
            made = asyncio.run_coroutine_threadsafe(make_offerer(), loop).result(5)
            offerers.append(made)
            return description(made)

        async def make_offerer() -> Offerer:
            return Offerer()

        loop = asyncio.get_running_loop()
        player = StreamPlayer(description(offerers[0]), resolve=resolve, stall_timeout=1.0)
        viewer = Collector(player, (WIDTH, HEIGHT))
        player.start()
        try:
            assert await until(lambda: (viewer.pump(), len(viewer.images) >= 5)[1])
            await offerers[0].connection.close()
            assert await until(lambda: player.state.state is PlayerState.RECONNECTING)
            assert isinstance(player.state.error, StreamLostError)
            before = len(viewer.images)
            assert await until(lambda: (viewer.pump(), len(viewer.images) > before + 5)[1])
            assert len(offerers) == 2 and player.state.state is PlayerState.PLAYING
        finally:
            await stopped(player)

    run(scenario)


def test_the_data_channel_carries_commands_both_ways():
    async def scenario():
        offerer = Offerer()
        player = StreamPlayer(description(offerer))
        viewer = Collector(player, (WIDTH, HEIGHT))
        player.start()
        try:
            assert await until(lambda: offerer.send_on_channel is not None)
            # ``send`` is safe from any thread: here, a thread of the test's own.
            sender = threading.Thread(target=offerer.send_on_channel, args=('{"ptz":"up"}',))
            sender.start()
            sender.join()
            assert await until(lambda: offerer.received == ['echo {"ptz":"up"}'])
            assert await until(lambda: (viewer.pump(), len(viewer.images) >= 1)[1])
        finally:
            await stopped(player)

    run(scenario)


def test_a_hidden_webrtc_viewer_gets_the_current_picture_the_moment_it_shows():
    async def scenario():
        offerer = Offerer()
        player = StreamPlayer(description(offerer))
        viewer = Collector(player, (WIDTH, HEIGHT))
        player.start()
        try:
            assert await until(lambda: (viewer.pump(), len(viewer.images) >= 3)[1])
            viewer.subscription.set_visible(False)
            await asyncio.sleep(1.0)
            viewer.images.clear()
            viewer.subscription.set_visible(True)
            assert await until(lambda: (viewer.pump(), len(viewer.images) >= 1)[1], 0.5)
            # Not the picture from before the hiding: one from the last moments.
            assert offerer.track.count - number_in(viewer.images[0]) < 15
        finally:
            await stopped(player)

    run(scenario)


@pytest.mark.parametrize(
    ("stamps", "counted"),
    [
        ([1500, 1540, 1580], [1500, 1540, 1580]),
        ([2**32 - 40, 0, 40], [2**32 - 40, 2**32, 2**32 + 40]),
    ],
)
def test_rtp_timestamps_are_kept_as_sent_and_unwrapped(stamps, counted):
    # A recording that begins after a gap starts at 1500 ms, not at 0.
    mapper = RtpTimestamps()
    assert [mapper.map(stamp) for stamp in stamps] == counted


def test_a_recorded_frame_is_stamped_with_the_epoch_plus_its_milliseconds():
    epoch = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    clock = _RecordedClock(StreamDescription("webrtc://x/y", live=False, rtp_ms_epoch=epoch))
    frame = numbered_frame(0)
    frame.pts, frame.time_base = 2**32 + 40, fractions.Fraction(1, 90000)
    assert clock.instant(frame) == epoch.timestamp() + (2**32 + 40) / 1000
