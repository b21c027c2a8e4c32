"""The simulated gateway's WebRTC signalling over REST, with aiortc as the server's peer.

The server offers (backends.md, "Live: WebRTC"): ``POST …/WebRTC/Session`` creates a
session whose ``offerSDP`` is a JSON string of ``{"type":"offer","sdp":…}``, shaped as
the 2025 R1 capture is (every field present, quotes escaped as ``\\u0022``);
``PATCH …/Session/{id}`` takes the client's ``answerSDP`` or a renewed ``token``;
``…/IceCandidates/{id}`` lists the server's candidates (cumulative) and takes the
client's. There is no DELETE (405, as seen): a session the client never answers, or
whose peer has gone, is closed after a while. Live sessions pass the demo footage
through, a PTZ camera's show its dome's view; playback sessions encode the recorded
instant on demand (tracks.py). 2025 R1 and later offer the ``commands`` data channel,
where ``ptzMove`` is answered, recorded and steps the dome (ptz.py). The H.265-only
camera's offer is written by hand (aiortc has no H.265): no media flows, as a client
must refuse it. The ICE side is loopback only (loopback.py); a client's own address is
learnt from its checks (peer-reflexive), so a browser that offers only mDNS names
connects too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import platformdirs
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from viewer.demo.footage import FootageLibrary
from viewer.demo.http import Request, Response
from viewer.demo.milestone.directory import SimCamera, guid
from viewer.demo.milestone.loopback import loopback_ice, zero_rtp_origin
from viewer.demo.milestone.tracks import LiveTrack, PanoramaTrack, PlaybackTrack

if TYPE_CHECKING:
    from viewer.demo.milestone.ptz import PtzFeature

_log = logging.getLogger(__name__)

SESSIONS = "/api/rest/v1/webrtc/session"
CANDIDATES = "/api/rest/v1/webrtc/icecandidates"
MAX_SPEED = 32.0
DIRECTIONS = frozenset(
    ("up", "down", "left", "right", "upleft", "upright", "downleft", "downright", "home")
)
API_VERSION = "1.0"


class Site(Protocol):
    """What the feature needs of the simulator (gateway.py imports this module)."""

    features: list[Any]
    ptz: PtzFeature

    def at_least(self, release: str) -> bool: ...

    def camera(self, camera_id: str) -> SimCamera | None: ...


def default_library() -> FootageLibrary:
    """The footage cache the demo site and the tests use (``vigil --demo`` shares its own)."""
    return FootageLibrary(Path(platformdirs.user_cache_path("vigil")) / "demo")


@dataclass
class Session:
    id: str
    camera: SimCamera
    document: dict[str, Any]
    """The session as the server answers it."""
    peer: RTCPeerConnection | None
    playback: bool
    created: float = field(default_factory=time.monotonic)
    answered: bool = False
    tokens: list[str] = field(default_factory=list)
    """Every token a PATCH brought, in order (renewals)."""
    candidates: list[str] = field(default_factory=list)
    """The server's, as JSON strings of RTCIceCandidateInit."""
    client_candidates: list[str] = field(default_factory=list)


class BadRequest(Exception):
    """A request the gateway refuses; the text goes to the client in the error envelope."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.status = status


class WebRtc:
    """The gateway feature; it adds itself to ``site.features``.

    ``answer_timeout``: seconds an unanswered session lives. ``library`` is the demo
    footage (the site's own can be set after construction).
    """

    def __init__(
        self, site: Site, *, library: FootageLibrary | None = None, answer_timeout: float = 30.0
    ) -> None:
        self.site = site
        self.library = library or default_library()
        self.answer_timeout = answer_timeout
        self.sessions: dict[str, Session] = {}
        self.closed: list[str] = []
        """Ids of sessions closed by the server (timed out, peer gone), in order."""
        self.ptz_moves: dict[str, list[str]] = {}
        """Directions moved over the data channel, per camera id."""
        self._epoch = time.monotonic()
        self._reaper: asyncio.Task[None] | None = None
        site.features.append(self)

    async def answer(self, request: Request, path: str) -> Response | None:
        try:
            if path == SESSIONS:
                if request.method != "POST":
                    return Response(405, b"", headers={"Allow": "POST"})
                return _json(200, (await self.create(_body(request))).document)
            if path.startswith(SESSIONS + "/") and path.count("/") == SESSIONS.count("/") + 1:
                return await self._session(request, path.rsplit("/", 1)[1])
            if path.startswith(CANDIDATES + "/") and path.count("/") == CANDIDATES.count("/") + 1:
                return await self._candidates(request, path.rsplit("/", 1)[1])
        except BadRequest as refusal:
            return error_envelope(refusal.status, str(refusal))
        return None

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        for session_id in list(self.sessions):
            await self.close(session_id)

    # -- creating a session -------------------------------------------------------------

    async def create(self, body: dict[str, Any]) -> Session:
        """A session from a REST body; the WebSocket flow (webrtc_socket.py) turns its
        ``connect`` into one, so both flows share sessions, media and data channel."""
        camera = self._camera(body)
        if camera.privacy_masked:
            # Guess: the words and status of a real refusal were not captured.
            raise BadRequest("Forbidden: privacy masking is applied to this camera", 403)
        quality = _quality(camera, body.get("streamId"))
        playback = _playback(body.get("playbackTimeNode"))
        include_audio = body.get("includeAudio", True)
        if not isinstance(include_audio, bool):
            raise BadRequest("Bad request: includeAudio must be true or false")
        ice_servers = _ice_servers(body.get("iceServers", []))
        session_id = str(uuid.uuid4())
        channel: RTCDataChannel | None = None
        if camera.codec == "H265":
            peer, offer = None, _h265_offer()
        else:
            peer, offer, channel = await self._offer(camera, quality, playback)
        node = playback or {"playbackTime": None, "skipGaps": None, "speed": None}
        document = {
            "sessionId": session_id,
            "cameraId": None,
            "deviceId": None,
            "token": None,
            "resolution": None,
            "offerSDP": json.dumps({"type": "offer", "sdp": offer}, separators=(",", ":")),
            "answerSDP": "Uninitialised",
            "streamId": body.get("streamId"),
            "playbackTimeNode": {k: node[k] for k in ("playbackTime", "skipGaps", "speed")},
            "iceServers": ice_servers,
            "includeAudio": include_audio,
        }
        session = Session(session_id, camera, document, peer, playback is not None)
        session.candidates = list(_candidates_of(offer))
        self.sessions[session_id] = session
        if peer is not None:
            self._watch(session, peer)
            if channel is not None:
                self._listen(session, channel)
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap())
        return session

    def _camera(self, body: dict[str, Any]) -> SimCamera:
        key = "deviceId" if self.site.at_least("2025 R2") else "cameraId"
        camera_id = body.get(key) or body.get("cameraId")
        if not isinstance(camera_id, str) or not camera_id:
            raise BadRequest(f"Bad request: {key} is required")
        camera = self.site.camera(camera_id)
        if camera is None or not camera.enabled:
            raise BadRequest(f"Unknown resource: cameras/{camera_id}", 404)
        return camera

    async def _offer(
        self, camera: SimCamera, quality: str, playback: dict[str, Any] | None
    ) -> tuple[RTCPeerConnection, str, RTCDataChannel | None]:
        dome = self.site.ptz.domes.get(camera.demo_id)
        track: LiveTrack | PanoramaTrack | PlaybackTrack
        if playback is None and dome is not None:
            track = PanoramaTrack(camera.name, dome)  # a PTZ camera shows where it points
        elif playback is None:
            footage = await asyncio.to_thread(self.library.load, camera.demo_id, quality)
            track = LiveTrack(footage, self._epoch)
        else:
            track = PlaybackTrack(
                camera.name, playback["instant"], playback["speed"], playback["skipGaps"]
            )
        peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        channel = None
        try:
            transceiver = peer.addTransceiver(track, direction="sendonly")
            codecs = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in codecs if c.mimeType == "video/H264"])
            if self.site.at_least("2025 R1"):
                channel = peer.createDataChannel("commands", protocol="videoos-commands")
            offer = await peer.createOffer()
            with loopback_ice():
                await peer.setLocalDescription(offer)
        except BaseException:
            await peer.close()
            raise
        return peer, peer.localDescription.sdp, channel

    # -- an existing session --------------------------------------------------------------

    async def _session(self, request: Request, session_id: str) -> Response:
        if request.method == "DELETE":  # as the real gateway: sessions end by timing out
            return Response(405, b"", headers={"Allow": "GET, PATCH"})
        session = self._find(session_id)
        if request.method == "GET":
            return _json(200, session.document)
        if request.method != "PATCH":
            return Response(405, b"", headers={"Allow": "GET, PATCH"})
        body = _body(request)
        if "answerSDP" not in body and "token" not in body:
            raise BadRequest("Bad request: answerSDP or token is required")
        if "token" in body:
            if not isinstance(body["token"], str) or not body["token"]:
                raise BadRequest("Bad request: token must be a string")
            session.tokens.append(body["token"])
        if "answerSDP" in body:
            await self.take_answer(session, body["answerSDP"])
        return _json(200, session.document)

    async def take_answer(self, session: Session, answer: object) -> None:
        if session.answered:
            raise BadRequest("Bad request: the session has an answer already")  # guess
        sdp = _description(answer, "answer")
        if session.peer is not None:
            description = RTCSessionDescription(sdp=_without_mdns(sdp), type="answer")
            # The sender's task starts from the connection task this call creates.
            origin = zero_rtp_origin() if session.playback else contextlib.nullcontext()
            try:
                with origin:
                    await session.peer.setRemoteDescription(description)
            except (ValueError, KeyError, IndexError) as error:
                raise BadRequest(f"Bad request: answerSDP was refused ({error})") from None
        session.answered = True
        session.document["answerSDP"] = answer

    async def _candidates(self, request: Request, session_id: str) -> Response:
        session = self._find(session_id)
        if request.method == "GET":
            return _json(200, {"candidates": session.candidates})
        if request.method != "POST":
            return Response(405, b"", headers={"Allow": "GET, POST"})
        posted = _body(request).get("candidates")
        if not isinstance(posted, list) or not all(isinstance(c, str) for c in posted):
            raise BadRequest("Bad request: candidates must be a list of strings")
        for text in posted:
            session.client_candidates.append(text)
            await self.take_candidate(session, text)
        return _json(200, {"candidates": session.client_candidates})

    async def take_candidate(self, session: Session, text: str) -> None:
        try:
            init = json.loads(text)
            line = init["candidate"]
            mid = init.get("sdpMid")
            if not isinstance(line, str) or (mid is not None and not isinstance(mid, str)):
                raise TypeError("candidate and sdpMid must be strings")
        except (ValueError, TypeError, KeyError) as error:
            raise BadRequest(
                f"Bad request: a candidate is not RTCIceCandidateInit ({error})"
            ) from None
        # An mDNS name would be resolved by multicast: the address comes as
        # peer-reflexive from the client's checks instead. An empty line ends the list.
        if session.peer is None or not line or ".local " in line:
            return
        try:
            candidate = candidate_from_sdp(line.removeprefix("candidate:"))
        except (ValueError, IndexError) as error:
            raise BadRequest(f"Bad request: a candidate cannot be read ({error})") from None
        candidate.sdpMid = mid
        candidate.sdpMLineIndex = init.get("sdpMLineIndex")
        with contextlib.suppress(ValueError, KeyError):  # before the answer: it carries them
            await session.peer.addIceCandidate(candidate)

    def _find(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise BadRequest(f"Unknown resource: {session_id}", 404)
        return session

    # -- the data channel ---------------------------------------------------------------

    def _watch(self, session: Session, peer: RTCPeerConnection) -> None:
        peer.on("datachannel", lambda channel: self._listen(session, channel))

        @peer.on("connectionstatechange")
        def gone() -> None:
            if peer.connectionState in ("failed", "closed"):
                session.created = -float("inf")  # the reaper closes it on its next round

    def _listen(self, session: Session, channel: RTCDataChannel) -> None:
        @channel.on("message")
        def command(message: str | bytes) -> None:
            reply = self._command(session, message)
            if channel.readyState == "open":
                channel.send(json.dumps(reply))

    def _command(self, session: Session, message: str | bytes) -> dict[str, Any]:
        """A data-channel request's response. The request's shape is the clients'; the
        response's (``type: response``, ``result`` or ``error``) is a guess."""
        try:
            request = json.loads(message)
        except ValueError:
            request = None
        if not isinstance(request, dict) or request.get("type") != "request":
            return _channel_error(None, None, "InvalidRequest", "not a JSON request")
        method, identifier = request.get("method"), request.get("id")
        if method != "ptzMove":
            return _channel_error(method, identifier, "UnknownMethod", f"unknown method {method}")
        params = request.get("params")
        direction = params.get("direction") if isinstance(params, dict) else None
        if not isinstance(direction, str) or direction.lower() not in DIRECTIONS:
            return _channel_error(method, identifier, "InvalidParameter", "unknown direction")
        if not session.camera.ptz:
            return _channel_error(method, identifier, "NotSupported", "the camera has no PTZ")
        self.ptz_moves.setdefault(session.camera.id, []).append(direction)
        self.site.ptz.step(session.camera.demo_id, direction.lower())
        reply: dict[str, Any] = {
            "type": "response",
            "method": method,
            "ApiVersion": API_VERSION,
            "result": {},
        }
        if identifier is not None:
            reply["id"] = identifier
        return reply

    # -- ending sessions ------------------------------------------------------------------

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.answer_timeout / 4))
            deadline = time.monotonic() - self.answer_timeout
            for session in list(self.sessions.values()):
                if session.created == -float("inf") or (
                    not session.answered and session.created < deadline
                ):
                    self.closed.append(session.id)
                    await self.close(session.id)

    async def close(self, session_id: str) -> None:
        """Ends a session; one already ended is left alone (its socket and the reaper
        may both end it)."""
        session = self.sessions.pop(session_id, None)
        if session is not None and session.peer is not None:
            for sender in session.peer.getSenders():
                if sender.track is not None:
                    sender.track.stop()
            await session.peer.close()


# -- request bodies and answers ---------------------------------------------------------


def error_envelope(status: int, text: str) -> Response:
    """The Config API's error body, spaced as a 2025 R1 server spaces it (gateway.py's)."""
    body = (
        f'{{  "error" : {{  "httpCode" : {status},  "details" :  '
        f"[ {{  {json.dumps('errorText')} : {json.dumps(text)} }} ] }} }}"
    )
    return Response(status, body.encode("utf-8"))


def _json(status: int, document: dict[str, Any]) -> Response:
    """Compact, with quotes inside strings written ``\\u0022`` as the gateway's
    serializer writes them (the capture)."""
    text = json.dumps(document, separators=(",", ":")).replace('\\"', "\\u0022")
    return Response(status, text.encode("utf-8"))


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body)
    except ValueError:
        raise BadRequest("Bad request: the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("Bad request: the body is not a JSON object")
    return body


def _quality(camera: SimCamera, stream_id: object) -> str:
    if stream_id is None:
        return "main"
    if isinstance(stream_id, str):
        for quality in ("main", "sub"):
            if stream_id.lower() == guid(f"stream/{camera.demo_id}/{quality}"):
                return quality
    raise BadRequest(f"Bad request: unknown streamId {stream_id}")  # guess


def _playback(node: object) -> dict[str, Any] | None:
    if node is None:
        return None
    if not isinstance(node, dict):
        raise BadRequest("Bad request: playbackTimeNode must be an object")
    text = node.get("playbackTime")
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        instant = None
    if instant is None:
        raise BadRequest("Bad request: playbackTime must be a date and time")
    speed = node.get("speed", 1.0)
    speed = 1.0 if speed is None else speed
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 < speed <= MAX_SPEED:
        raise BadRequest(f"Bad request: speed must be above 0 and at most {MAX_SPEED:g}")
    skip = node.get("skipGaps") or False
    if not isinstance(skip, bool):
        raise BadRequest("Bad request: skipGaps must be true or false")
    instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return {"playbackTime": text, "skipGaps": skip, "speed": float(speed), "instant": instant}


def _ice_servers(servers: object) -> list[dict[str, Any]]:
    """Echoed, never used: the simulator's ICE stays on loopback."""
    if servers is None:
        return []
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and isinstance(s.get("url"), str) for s in servers
    ):
        raise BadRequest("Bad request: iceServers must be a list of {url, username, credential}")
    return servers


def _description(text: object, kind: str) -> str:
    try:
        description = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        description = None
    if (
        not isinstance(description, dict)
        or description.get("type") != kind
        or not isinstance(description.get("sdp"), str)
    ):
        raise BadRequest(
            f'Bad request: {kind}SDP must be a JSON string of {{"type":"{kind}","sdp"}}'
        )
    return str(description["sdp"])


def _without_mdns(sdp: str) -> str:
    return "".join(
        line
        for line in sdp.splitlines(keepends=True)
        if not (line.startswith("a=candidate:") and ".local " in line)
    )


def _candidates_of(sdp: str) -> Iterator[str]:
    """The first media section's candidates (the others are bundled on it)."""
    mid, index, ufrag = None, -1, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            index += 1
            if index > 0:
                return
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
        elif line.startswith("a=ice-ufrag:"):
            ufrag = line[len("a=ice-ufrag:") :]
        elif line.startswith("a=candidate:"):
            init = {"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": 0}
            yield json.dumps({**init, "usernameFragment": ufrag}, separators=(",", ":"))


def _channel_error(method: object, identifier: object, code: str, message: str) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "type": "response",
        "method": method,
        "ApiVersion": API_VERSION,
        "error": {"code": code, "message": message},
    }
    if identifier is not None:
        reply["id"] = identifier
    return reply


def _h265_offer() -> str:
    """An offer as the H.265 camera's real one (the capture): H265/90000 only, inline
    candidates, a data channel. Nothing listens on its port: a client must refuse it."""
    ufrag, password = secrets.token_hex(2).upper(), secrets.token_hex(12).upper()
    fingerprint = ":".join(f"{b:02X}" for b in secrets.token_bytes(32))
    port = 49152 + secrets.randbelow(16384)
    common = (
        f"c=IN IP4 0.0.0.0\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{password}\r\n"
        f"a=fingerprint:sha-256 {fingerprint}\r\na=setup:actpass\r\n"
    )
    return (
        f"v=0\r\no=- {secrets.randbelow(100000)} 0 IN IP4 127.0.0.1\r\ns=sipsorcery\r\nt=0 0\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "m=video 9 UDP/TLS/RTP/SAVP 104\r\n"
        f"{common}"
        f"a=candidate:2108781580 1 udp 2113937663 127.0.0.1 {port} typ host generation 0\r\n"
        "a=ice-options:ice2,trickle\r\na=mid:0\r\na=rtpmap:104 H265/90000\r\n"
        "a=rtcp-fb:104 transport-cc\r\n"
        "a=fmtp:104 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST\r\n"
        "a=rtcp-mux\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=end-of-candidates\r\na=sendonly\r\n"
        f"a=ssrc:{secrets.randbelow(1 << 31)} cname:{uuid.uuid4()}\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        f"{common}"
        "a=ice-options:ice2,trickle\r\na=mid:1\r\na=sctp-port:5000\r\n"
        "a=max-message-size:262144\r\n"
    )
