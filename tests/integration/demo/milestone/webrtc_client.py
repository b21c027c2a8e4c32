"""A WebRTC client of the simulated gateway, written straight on httpx and aiortc (not on
Vigil's backend), so the simulator is checked against the protocol and not against
our own reading of it.

The client's ICE is kept on loopback the way the simulator's is: a wrapper of aioice's
address lookup, chained to whatever was there, that answers 127.0.0.1 inside a
context where this module's variable is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import av
import httpx
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription

from tests.integration.backends.milestone.xprotect import PASSWORD, USER
from viewer.demo.milestone.gateway import MilestoneSimulator

_LOOPBACK = contextvars.ContextVar("test_client_loopback_ice", default=False)
_previous = aioice.ice.get_host_addresses


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _LOOPBACK.get():
        return ["127.0.0.1"]
    return _previous(use_ipv4, use_ipv6)


aioice.ice.get_host_addresses = _host_addresses

SESSION = "/api/REST/v1/WebRTC/Session"
CANDIDATES = "/api/REST/v1/WebRTC/IceCandidates"


@contextlib.asynccontextmanager
async def gateway(server: MilestoneSimulator) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client trusting the simulator's certificate, logged in."""
    context = ssl.create_default_context(cadata=server.certificate.pem.decode("ascii"))
    context.check_hostname = False
    async with httpx.AsyncClient(base_url=server.url, verify=context, timeout=60) as http:
        form = {
            "grant_type": "password",
            "username": USER,
            "password": PASSWORD,
            "client_id": "GrantValidatorClient",
        }
        token = (await http.post("/API/IDP/connect/token", data=form)).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


@dataclass
class Viewer:
    """One session seen from the client's side."""

    session: dict[str, Any]
    peer: RTCPeerConnection
    frames: asyncio.Queue[av.VideoFrame] = field(default_factory=asyncio.Queue)
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    channel: RTCDataChannel | None = None

    @property
    def id(self) -> str:
        return str(self.session["sessionId"])

    async def frame(self, limit: float = 30.0) -> av.VideoFrame:
        async with asyncio.timeout(limit):
            return await self.frames.get()

    async def reply(self, limit: float = 30.0) -> dict[str, Any]:
        async with asyncio.timeout(limit):
            return await self.replies.get()


async def offer(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await http.post(SESSION, json=body)


@contextlib.asynccontextmanager
async def watching(http: httpx.AsyncClient, **body: Any) -> AsyncIterator[Viewer]:
    """Create a session, answer it, and collect its decoded frames until the end."""
    created = await offer(http, **body)
    assert created.status_code == 200, created.text
    session = created.json()
    peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    viewer = Viewer(session, peer)
    pump: list[asyncio.Task[None]] = []

    @peer.on("track")
    def track(received: Any) -> None:
        async def pull() -> None:
            with contextlib.suppress(Exception):
                while True:
                    viewer.frames.put_nowait(await received.recv())

        pump.append(asyncio.ensure_future(pull()))

    try:
        description = json.loads(session["offerSDP"])
        await peer.setRemoteDescription(RTCSessionDescription(**description))
        for receiver in peer.getReceivers():
            # aiortc counts a received frame's pts from the first frame's RTP timestamp;
            # the tests read the timestamp itself.
            receiver._RTCRtpReceiver__timestamp_mapper = _RawTimestamps()  # type: ignore[attr-defined]
        answer = await peer.createAnswer()
        with _loopback():
            await peer.setLocalDescription(answer)
        local = {"type": "answer", "sdp": peer.localDescription.sdp}
        patched = await http.patch(f"{SESSION}/{viewer.id}", json={"answerSDP": json.dumps(local)})
        assert patched.status_code == 200, patched.text
        yield viewer
    finally:
        await peer.close()
        for task in pump:
            task.cancel()
        await asyncio.gather(*pump, return_exceptions=True)


def open_commands(viewer: Viewer) -> RTCDataChannel:
    """The client's own ``commands`` channel, as Milestone's samples open it after the answer."""
    channel = viewer.peer.createDataChannel("commands", protocol="videoos-commands")
    channel.on("message", lambda text: viewer.replies.put_nowait(json.loads(text)))
    viewer.channel = channel
    return channel


class _RawTimestamps:
    def map(self, timestamp: int) -> int:
        return timestamp


@contextlib.contextmanager
def _loopback() -> Any:
    token = _LOOPBACK.set(True)
    try:
        yield
    finally:
        _LOOPBACK.reset(token)
