"""The simulated gateway's WebSocket signalling (2025 R1 and later), played by a client
written on ``websockets`` and aiortc as Milestone's protocol sample speaks it: register,
connect, answer the server's invite, trickle candidates both ways, open the commands
channel after answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import av
import pytest
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.backends.milestone.xprotect import (
    PASSWORD,
    USER,
    run,
    serving,
    simulator,
    until,
)
from tests.integration.demo.milestone.test_webrtc_simulator import (
    corner,
    move,
    near,
    shown,
    stream_id,
    two_days_ago,
)
from tests.integration.demo.milestone.webrtc_client import gateway
from viewer.demo.footage import camera_by_id
from viewer.demo.http import Request
from viewer.demo.milestone.directory import CAMERAS, H265_DEMO_ID, MASKED_DEMO_ID, guid
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.demo.milestone.loopback import loopback_ice
from viewer.demo.milestone.webrtc_socket import Client

PATH = "/api/ws/webrtc/v1"
Message = dict[str, Any]


class Socket:
    """The client's end: every message the server sent, taken by what it is."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.received: list[Message] = []
        self._news = asyncio.Event()

    async def read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in self.ws:
                self.received.append(json.loads(text))
                self._news.set()

    async def send(self, **message: Any) -> None:
        await self.ws.send(json.dumps({"jsonrpc": "2.0", **message}))

    async def expect(self, matches: Callable[[Message], bool], limit: float = 30.0) -> Message:
        async with asyncio.timeout(limit):
            while True:
                for message in self.received:
                    if matches(message):
                        self.received.remove(message)
                        return message
                self._news.clear()
                await self._news.wait()

    async def call(self, method: str, params: Message, identifier: int) -> Message:
        await self.send(method=method, params=params, id=identifier)
        return await self.expect(lambda m: m.get("id") == identifier and "method" not in m)


@contextlib.asynccontextmanager
async def socket(server: MilestoneSimulator) -> AsyncIterator[Socket]:
    context = ssl.create_default_context(cadata=server.certificate.pem.decode("ascii"))
    context.check_hostname = False
    url = server.url.replace("https://", "wss://") + PATH
    async with websockets.connect(url, ssl=context) as ws:
        client = Socket(ws)
        reader = asyncio.create_task(client.read())
        try:
            yield client
        finally:
            await ws.close()
            await reader


async def token_of(server: MilestoneSimulator) -> str:
    async with gateway(server) as http:
        return str(http.headers["Authorization"]).removeprefix("Bearer ")


@dataclass
class Viewer:
    session: str
    invite: Message
    peer: RTCPeerConnection
    frames: asyncio.Queue[av.VideoFrame] = field(default_factory=asyncio.Queue)
    replies: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    server_candidates: list[str] = field(default_factory=list)

    async def frame(self, limit: float = 30.0) -> av.VideoFrame:
        async with asyncio.timeout(limit):
            return await self.frames.get()


@contextlib.asynccontextmanager
async def watching(client: Socket, token: str, **params: Any) -> AsyncIterator[Viewer]:
    """Register, connect, answer the invite with a candidate-less answer and trickle our
    candidates after it; the server's come only as notifications."""
    assert (await client.call("register", {"authorization": token}, 1))["result"] == {}
    connected = await client.call("connect", {"authorization": token, **params}, 2)
    session = connected["result"]["session"]
    invite = await client.expect(lambda m: m.get("method") == "invite")
    peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    viewer = Viewer(session, invite, peer)
    tasks: list[asyncio.Task[None]] = []

    @peer.on("track")
    def track(received: Any) -> None:
        async def pull() -> None:
            with contextlib.suppress(Exception):
                while True:
                    viewer.frames.put_nowait(await received.recv())

        tasks.append(asyncio.ensure_future(pull()))

    async def trickled() -> None:
        while True:
            note = await client.expect(lambda m: m.get("method") == "trickle", limit=3600)
            assert note["params"]["session"] == session
            viewer.server_candidates.append(note["params"]["candidate"])
            init = json.loads(note["params"]["candidate"])
            candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
            candidate.sdpMid, candidate.sdpMLineIndex = init["sdpMid"], init["sdpMLineIndex"]
            await peer.addIceCandidate(candidate)

    try:
        await peer.setRemoteDescription(
            RTCSessionDescription(**json.loads(invite["params"]["offer"]))
        )
        for receiver in peer.getReceivers():
            # aiortc counts a frame's pts from the first RTP timestamp; the tests read it.
            receiver._RTCRtpReceiver__timestamp_mapper = _RawTimestamps()  # type: ignore[attr-defined]
        tasks.append(asyncio.create_task(trickled()))
        with loopback_ice():
            await peer.setLocalDescription(await peer.createAnswer())
        sdp = peer.localDescription.sdp
        answer = {"type": "answer", "sdp": _without_candidates(sdp)}
        await client.send(result={"answer": json.dumps(answer)}, id=invite["id"])
        for line in sdp.splitlines():
            if line.startswith("a=candidate:"):
                init = {"candidate": line[2:], "sdpMid": "0", "sdpMLineIndex": 0}
                params = {"session": session, "candidate": json.dumps(init)}
                await client.send(method="trickle", params=params)
        yield viewer
    finally:
        await peer.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _RawTimestamps:
    def map(self, timestamp: int) -> int:
        return timestamp


def _without_candidates(sdp: str) -> str:
    return "".join(
        line
        for line in sdp.splitlines(keepends=True)
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    )


def test_live_video_comes_through_the_socket_with_every_candidate_trickled():
    async def scenario():
        async with serving(simulator()) as server, socket(server) as client:
            token = await token_of(server)
            camera = CAMERAS["cam03"]
            params = {"peer": camera.id, "streamID": stream_id("cam03", "sub")}
            async with watching(client, token, **params) as viewer:
                frame = await viewer.frame()
                assert (frame.width, frame.height) == (640, 360)
                assert near(corner(frame), camera_by_id("cam03").colour)
                assert viewer.invite["id"] not in (1, 2)
                offer = json.loads(viewer.invite["params"]["offer"])
                assert offer["type"] == "offer" and "a=candidate" not in offer["sdp"]
                hosts = {json.loads(c)["candidate"].split()[4] for c in viewer.server_candidates}
                assert hosts == {"127.0.0.1"}
                taken = server.webrtc.sessions[viewer.session].client_candidates
                assert taken and all(" 127.0.0.1 " in json.loads(c)["candidate"] for c in taken)

    run(scenario)


def test_playback_through_the_socket_shows_the_instant_asked_for():
    async def scenario():
        at = two_days_ago(10, 0, 0.123)
        text = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        async with serving(simulator()) as server, socket(server) as client:
            token = await token_of(server)
            params = {"peer": CAMERAS["cam05"].id, "PlaybackTime": text, "skipGaps": False}
            async with watching(client, token, **params, PlaybackSpeed=1) as viewer:
                first = await viewer.frame()
                assert abs((shown(first) - at).total_seconds()) < 1
                assert first.pts == 0
                for _ in range(6):
                    later = await viewer.frame()
                assert later.pts > 0
                assert shown(later) == at + timedelta(milliseconds=later.pts)

    run(scenario)


def test_the_channel_the_client_opens_gets_ptz_moves_answered_and_recorded():
    async def scenario():
        async with serving(simulator(release="2025 R1")) as server, socket(server) as client:
            token = await token_of(server)
            camera = CAMERAS["cam12"]
            async with watching(client, token, peer=camera.id) as viewer:
                await viewer.frame()
                channel = viewer.peer.createDataChannel("commands", protocol="videoos-commands")
                channel.on("message", lambda text: viewer.replies.put_nowait(json.loads(text)))
                await until(lambda: channel.readyState == "open")
                channel.send(json.dumps(move("upLeft")))
                async with asyncio.timeout(30):
                    reply = await viewer.replies.get()
                assert reply == {
                    "type": "response",
                    "method": "ptzMove",
                    "ApiVersion": "1.0",
                    "result": {},
                }
            assert server.webrtc.ptz_moves == {camera.id: ["upLeft"]}

    run(scenario)


def test_releases_before_2025_r1_have_no_socket():
    async def scenario():
        async with serving(simulator(release="2024 R2")) as server:
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with socket(server):
                    pass
            assert refused.value.response.status_code == 404

    run(scenario)


def test_a_bad_token_is_refused_at_register_and_the_socket_stays_open():
    async def scenario():
        async with serving(simulator()) as server, socket(server) as client:
            refused = await client.call("register", {"authorization": "not-a-token"}, 1)
            assert refused["error"]["data"] == {"httpCode": 401}
            early = await client.call("connect", {"peer": CAMERAS["cam01"].id}, 2)
            assert early["error"]["data"] == {"httpCode": 401}
            token = await token_of(server)
            assert (await client.call("register", {"authorization": token}, 3))["result"] == {}
            server.expire_tokens()
            late = await client.call("connect", {"peer": CAMERAS["cam01"].id}, 4)
            assert late["error"]["data"] == {"httpCode": 401}
            assert not server.webrtc.sessions

    run(scenario)


def test_the_h265_camera_is_invited_with_h265_only_and_the_masked_one_is_refused():
    async def scenario():
        async with serving(simulator()) as server, socket(server) as client:
            token = await token_of(server)
            await client.call("register", {"authorization": token}, 1)
            masked = await client.call("connect", {"peer": CAMERAS[MASKED_DEMO_ID].id}, 2)
            assert masked["error"]["data"] == {"httpCode": 403}
            assert "privacy masking" in masked["error"]["message"]
            unknown = await client.call("connect", {"peer": guid("camera/nowhere")}, 3)
            assert unknown["error"]["data"] == {"httpCode": 404}
            h265 = await client.call("connect", {"peer": CAMERAS[H265_DEMO_ID].id}, 4)
            invite = await client.expect(lambda m: m.get("method") == "invite")
            assert invite["params"]["session"] == h265["result"]["session"]
            sdp = json.loads(invite["params"]["offer"])["sdp"]
            assert [line for line in sdp.splitlines() if "rtpmap" in line] == [
                "a=rtpmap:104 H265/90000"
            ]
            # A client that cannot play it refuses the invite; the session ends.
            await client.send(error={"code": -32000, "message": "H265"}, id=invite["id"])
            await until(lambda: not server.webrtc.sessions)

    run(scenario)


def test_closing_the_socket_closes_its_sessions():
    async def scenario():
        async with serving(simulator()) as server:
            token = await token_of(server)
            async with socket(server) as other, watching(other, token, peer=CAMERAS["cam02"].id):
                async with (
                    socket(server) as client,
                    watching(client, token, peer=CAMERAS["cam01"].id) as viewer,
                ):
                    await viewer.frame()
                    session = server.webrtc.sessions[viewer.session]
                    await client.ws.close()  # the peer connection stays up on our side
                    await until(lambda: viewer.session not in server.webrtc.sessions)
                    assert session.peer.connectionState == "closed"
                    assert viewer.session not in server.webrtc.closed  # not by the reaper
                assert len(server.webrtc.sessions) == 1  # the other socket's

    run(scenario)


# -- any message --------------------------------------------------------------------------

CAMERA_IDS = st.sampled_from(
    [CAMERAS[H265_DEMO_ID].id, CAMERAS[MASKED_DEMO_ID].id, guid("camera/none"), ""]
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
CANDIDATE = json.dumps({"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"})
ANSWER = json.dumps({"type": "answer", "sdp": "v=0\r\n"})
CONNECT_OPTIONS = {
    "peer": CAMERA_IDS,
    "streamID": st.just(guid(f"stream/{H265_DEMO_ID}/sub")),
    "PlaybackTime": st.just("2026-11-29T10:00:00Z"),
    "PlaybackSpeed": st.floats(-1, 40),
    "skipGaps": st.booleans(),
    "includeAudio": st.booleans(),
    "iceServers": st.just([{"urls": "stun:127.0.0.1"}]),
}


@st.composite
def messages(draw, token: str) -> str:
    """Each kind of message the socket takes, valid, then with up to three parts
    spoiled, left out or added; now and then not JSON-RPC at all. ``"INVITE"`` and
    ``"SESSION"`` stand for the newest invite's id and session."""
    if not draw(st.integers(0, 9)):
        return draw(st.text(max_size=12) | JSONISH.map(json.dumps))
    message = draw(
        st.sampled_from(
            [
                {"method": "register", "params": {"authorization": token}, "id": 1},
                {"method": "connect", "params": {"authorization": token}, "id": 2},
                {"method": "trickle", "params": {"session": "SESSION", "candidate": CANDIDATE}},
                {"result": {"answer": ANSWER}, "id": "INVITE"},
                {"error": {"code": -32000, "message": "no"}, "id": "INVITE"},
                {"method": "bye", "params": {}, "id": 3},
            ]
        )
    )
    message = {"jsonrpc": "2.0", **json.loads(json.dumps(message))}
    if message.get("method") == "connect":
        for key, values in CONNECT_OPTIONS.items():
            if draw(st.booleans()):
                message["params"][key] = draw(values)
    for _ in range(draw(st.integers(0, 3))):
        inner = message.get("params", message.get("result"))
        holder = draw(st.sampled_from([message, inner] if isinstance(inner, dict) else [message]))
        key = draw(st.sampled_from([*holder, "extra"]))
        if draw(st.booleans()):
            holder.pop(key, None)
        else:
            holder[key] = draw(JSONISH)
    return json.dumps(message)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_message_gets_a_json_rpc_answer_or_none(data):
    async def scenario():
        server = simulator()
        sent: list[Message] = []
        client = Client(sent.append)
        try:
            token = await token_of_offline(server)
            if data.draw(st.booleans()):  # a session whose invite the messages may answer
                params = {"authorization": token, "peer": CAMERAS[H265_DEMO_ID].id}
                connect = {"jsonrpc": "2.0", "method": "connect", "params": params, "id": 2}
                await server.webrtc_socket.receive(client, json.dumps(connect))
            for _ in range(data.draw(st.integers(1, 4))):
                text = data.draw(messages(token))
                invites = [m["id"] for m in sent if m.get("method") == "invite"]
                sessions = [m["params"]["session"] for m in sent if m.get("method") == "invite"]
                if invites:
                    text = text.replace('"INVITE"', json.dumps(invites[-1]))
                    text = text.replace('"SESSION"', json.dumps(sessions[-1]))
                before = len(sent)
                await server.webrtc_socket.receive(client, text)
                for reply in sent[before:]:
                    assert reply["jsonrpc"] == "2.0"
                    json.dumps(reply)
                    if "method" in reply:
                        assert reply["method"] in {"invite", "trickle", "error"}
                    else:
                        assert ("result" in reply) != ("error" in reply)
                        if "error" in reply:
                            assert isinstance(reply["error"]["message"], str)
        finally:
            await server.stop()

    run(scenario)


async def token_of_offline(server: MilestoneSimulator) -> str:
    """A token from the simulator's handler, without a listening socket."""
    form = f"grant_type=password&username={USER}&password={PASSWORD}&client_id=VmsClient"
    login = Request("POST", "/IDP/connect/token", {}, {}, form.encode())
    return str(json.loads((await server.handle(login)).body)["access_token"])
