"""Live and recorded video of an XProtect site over WebRTC, negotiated by the backend.

The media side here is aiortc used directly, kept on loopback as the simulator's is,
so that these tests check the backend's signalling against the simulated gateway and
the pictures that come through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from tests.integration.backends.milestone.xprotect import connected, run, serving, simulator, until
from tests.integration.media.test_player_sources import Collector
from viewer.backends.milestone.webrtc import MilestoneSignalling
from viewer.core.errors import CodecNotSupportedError, NotSupportedError, PermissionDeniedError
from viewer.core.models import PtzDirection, Quality
from viewer.core.streams import StreamDescription
from viewer.demo.footage import camera_by_id
from viewer.demo.milestone.directory import CAMERAS, H265_DEMO_ID, MASKED_DEMO_ID, guid
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.demo.milestone.loopback import loopback_ice
from viewer.demo.milestone.webrtc import SESSIONS
from viewer.media.player import StreamPlayer
from viewer.media.state import PlayerState

FRONT = CAMERAS["cam01"]
PTZ = CAMERAS["cam12"]


class Spy:
    """Reads every session request on its way to the simulator's own WebRTC feature."""

    def __init__(self, server: MilestoneSimulator) -> None:
        self.created: list[dict[str, Any]] = []
        server.features.insert(0, self)

    async def answer(self, request: Any, path: str) -> None:
        if request.method == "POST" and path == SESSIONS:
            self.created.append(json.loads(request.body))

    async def stop(self) -> None:
        pass


@dataclass
class Peer:
    signalling: MilestoneSignalling
    connection: RTCPeerConnection
    frames: asyncio.Queue[av.VideoFrame] = field(default_factory=asyncio.Queue)

    async def frame(self) -> av.VideoFrame:
        async with asyncio.timeout(30):
            return await self.frames.get()

    async def fresh_frame(self) -> av.VideoFrame:
        while not self.frames.empty():
            self.frames.get_nowait()
        return await self.frame()


@contextlib.asynccontextmanager
async def playing(description: StreamDescription) -> AsyncIterator[Peer]:
    """What the media layer does with a description: negotiate through its signalling,
    hand over the data channel, collect the decoded pictures."""
    signalling = description.signalling
    assert isinstance(signalling, MilestoneSignalling)
    peer = Peer(signalling, RTCPeerConnection(RTCConfiguration(iceServers=[])))
    pumps: list[asyncio.Task[None]] = []

    @peer.connection.on("track")
    def track(received: Any) -> None:
        async def pull() -> None:
            with contextlib.suppress(Exception):
                while True:
                    peer.frames.put_nowait(await received.recv())

        pumps.append(asyncio.ensure_future(pull()))

    @peer.connection.on("datachannel")
    def channel(opened: RTCDataChannel) -> None:
        opened.on("message", signalling.channel_message)
        signalling.channel_opened(opened.send)

    try:
        sdp = await signalling.offer()
        await peer.connection.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        answer = await peer.connection.createAnswer()
        with loopback_ice():
            await peer.connection.setLocalDescription(answer)
        await signalling.answer(peer.connection.localDescription.sdp)
        for line in await signalling.remote_candidates():
            candidate = candidate_from_sdp(line.removeprefix("candidate:"))
            candidate.sdpMLineIndex = 0
            await peer.connection.addIceCandidate(candidate)
        yield peer
    finally:
        await signalling.close()
        await peer.connection.close()
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


def corner_colour(frame: av.VideoFrame) -> tuple[int, ...]:
    """The demo footage's camera patch (bottom-right eighth), averaged."""
    picture = frame.to_ndarray(format="rgb24")
    height, width = picture.shape[:2]
    patch = picture[height * 15 // 16 :, width * 15 // 16 :]
    return tuple(int(v) for v in patch.reshape(-1, 3).mean(axis=0))


def shows(frame: av.VideoFrame, demo_id: str) -> bool:
    expected = camera_by_id(demo_id).colour
    return all(abs(a - e) <= 40 for a, e in zip(corner_colour(frame), expected, strict=True))


def image_shows(image: Any, demo_id: str) -> bool:
    """The same for a picture the player handed over (BGRA, scaled to its box)."""
    rows = np.frombuffer(image.pixels, np.uint8).reshape(image.height, image.stride // 4, 4)
    patch = rows[image.height * 15 // 16 :, image.width * 15 // 16 : image.width, :3]
    blue, green, red = (int(v) for v in patch.reshape(-1, 3).mean(axis=0))
    expected = camera_by_id(demo_id).colour
    return all(abs(a - e) <= 40 for a, e in zip((red, green, blue), expected, strict=True))


@contextlib.asynccontextmanager
async def player_of(description: StreamDescription) -> AsyncIterator[Collector]:
    """A StreamPlayer as a tile has it: WebRTC on the media layer's own thread, the
    signalling called back on this loop."""
    player = StreamPlayer(description)
    viewer = Collector(player, (320, 180))
    player.start()
    try:
        yield viewer
    finally:
        player.stop()
        assert await asyncio.to_thread(player.join, 10)


async def pictures(viewer: Collector, count: int) -> None:
    goal = len(viewer.images) + count

    def enough() -> bool:
        viewer.pump()
        return len(viewer.images) >= goal

    await until(enough)


# -- what the backend asks for ---------------------------------------------------------


@pytest.mark.parametrize(("release", "key"), [("2025 R1", "cameraId"), ("2025 R2", "deviceId")])
def test_a_live_session_names_the_camera_as_the_release_spells_it(release, key):
    async def scenario():
        server = simulator(release=release)
        spy = Spy(server)
        async with serving(server), connected(server) as backend:
            assert backend.capabilities.live and backend.capabilities.playback
            assert backend.capabilities.sub_streams
            description = await backend.live(FRONT.id, Quality.MAIN)
            assert description.live and description.quality is Quality.MAIN
            assert description.url == f"webrtc://{server.url.removeprefix('https://')}/{FRONT.id}"
            async with playing(description):
                pass
        assert spy.created == [{key: FRONT.id, "includeAudio": False, "iceServers": []}]

    run(scenario)


def test_the_sub_stream_is_asked_for_by_its_stream_reference():
    async def scenario():
        server = simulator()
        spy = Spy(server)
        async with serving(server), connected(server) as backend:
            description = await backend.live(FRONT.id, Quality.SUB)
            assert description.quality is Quality.SUB
            assert description.url.endswith(f"/{FRONT.id}/sub")
            async with playing(description) as peer:
                frame = await peer.frame()
                assert (frame.width, frame.height) == (640, 360)
                assert shows(frame, "cam01")
        assert spy.created[0]["streamId"] == guid("stream/cam01/sub")

    run(scenario)


def test_a_recording_is_asked_for_at_its_instant_to_the_millisecond_with_speed_and_gaps():
    async def scenario():
        server = simulator()
        spy = Spy(server)
        at = datetime.now(UTC).replace(microsecond=456_789) - timedelta(hours=30)
        async with serving(server), connected(server) as backend:
            description = await backend.playback(FRONT.id, at, 2.0, skip_gaps=True)
            assert not description.live
            assert description.rtp_ms_epoch == at.replace(microsecond=456_000)
            async with playing(description) as peer:
                await peer.frame()
        node = spy.created[0]["playbackTimeNode"]
        assert node == {
            "playbackTime": at.strftime("%Y-%m-%dT%H:%M:%S.456Z"),
            "speed": 2.0,
            "skipGaps": True,
        }

    run(scenario)


def test_a_privacy_masked_camera_says_so_in_the_servers_words():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            description = await backend.live(guid(f"camera/{MASKED_DEMO_ID}"), Quality.MAIN)
            assert description.signalling is not None
            with pytest.raises(PermissionDeniedError, match="privacy masking"):
                await description.signalling.offer()

    run(scenario)


# -- pictures and tokens --------------------------------------------------------------


def test_a_player_keeps_showing_the_camera_across_token_renewals_each_handed_to_the_session():
    async def scenario():
        async with serving(simulator(token_lifetime=3)) as server, connected(server) as backend:
            description = await backend.live(FRONT.id, Quality.SUB)
            async with player_of(description) as viewer:
                await pictures(viewer, 5)
                assert image_shows(viewer.images[-1], "cam01")
                (session,) = server.webrtc.sessions.values()
                await until(lambda: len(session.tokens) >= 2)
                await pictures(viewer, 5)
                assert image_shows(viewer.images[-1], "cam01")
                assert len(set(session.tokens)) == len(session.tokens)
                assert backend._token is not None
                assert session.tokens[-1] == backend._token.access_token

    run(scenario)


def test_a_player_shows_an_h265_camera_as_not_supported_naming_the_codec():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            description = await backend.live(guid(f"camera/{H265_DEMO_ID}"), Quality.MAIN)
            async with player_of(description) as viewer:
                await until(lambda: viewer.subscription.state.state is PlayerState.FAILED)
                error = viewer.subscription.state.error
                assert isinstance(error, CodecNotSupportedError)
                assert "codec not supported by this viewer: H265" in str(error)
                assert viewer.images == []

    run(scenario)


def test_a_session_the_server_dropped_misses_its_token_with_a_warning_only(caplog):
    async def scenario():
        async with serving(simulator(token_lifetime=2)) as server, connected(server) as backend:
            server.webrtc.answer_timeout = 0.2
            description = await backend.live(FRONT.id, Quality.SUB)
            assert description.signalling is not None
            await description.signalling.offer()  # never answered: the server drops it
            with caplog.at_level(logging.WARNING):
                await until(lambda: "kept its old token" in caplog.text)
                patches = patched(server)
                await until(lambda: server.counters.grants["password"] >= 4)
            assert patched(server) == patches == 1
            assert await backend.camera_streams(FRONT.id)
            await description.signalling.close()

    run(scenario)


def patched(server: MilestoneSimulator) -> int:
    return sum(1 for line in server.counters.requests if line.startswith("PATCH"))


# -- PTZ steps over the data channel --------------------------------------------------


def test_a_ptz_step_goes_over_the_data_channel_of_the_players_session():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            description = await backend.live(PTZ.id, Quality.SUB)
            signalling = description.signalling
            assert isinstance(signalling, MilestoneSignalling)
            async with player_of(description) as viewer:
                await pictures(viewer, 1)
                await until(lambda: signalling.channel_open)
                await backend.ptz_step(PTZ.id, PtzDirection.UP)
                await backend.ptz_step(PTZ.id, PtzDirection.DOWN_LEFT)
            assert server.webrtc.ptz_moves[PTZ.id] == ["up", "downLeft"]

    run(scenario)


def test_a_step_the_server_refuses_is_an_error_in_its_words():
    async def scenario():
        async with (
            serving(simulator()) as server,
            connected(server) as backend,
            playing(await backend.live(FRONT.id, Quality.SUB)) as peer,
        ):
            await until(lambda: peer.signalling.channel_open)
            with pytest.raises(NotSupportedError, match="the camera has no PTZ"):
                await backend.ptz_step(FRONT.id, PtzDirection.LEFT)

    run(scenario)


def test_a_step_needs_a_live_session_of_that_camera():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            async with playing(await backend.live(FRONT.id, Quality.SUB)) as peer:
                await until(lambda: peer.signalling.channel_open)
                with pytest.raises(NotSupportedError, match="show the camera live first"):
                    await backend.ptz_step(PTZ.id, PtzDirection.UP)
            with pytest.raises(NotSupportedError, match="show the camera live first"):
                await backend.ptz_step(FRONT.id, PtzDirection.UP)
            assert PTZ.id not in server.webrtc.ptz_moves

    run(scenario)


def test_a_release_without_the_data_channel_cannot_step():
    async def scenario():
        async with serving(simulator(release="2024 R2")) as server, connected(server) as backend:
            with pytest.raises(NotSupportedError, match="from 2025 R1; this site runs 2024 R2"):
                await backend.ptz_step(PTZ.id, PtzDirection.UP)

    run(scenario)


def test_frames_are_pictures_of_the_camera_asked_for():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            other = CAMERAS["cam02"]
            async with playing(await backend.live(other.id, Quality.SUB)) as peer:
                frame = await peer.frame()
                assert shows(frame, "cam02") and not shows(frame, "cam01")
                assert np.asarray(frame.to_ndarray(format="rgb24")).std() > 10

    run(scenario)
