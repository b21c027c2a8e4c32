"""The simulated recorder's SOAP side: ``Login`` on the management server's OAuth endpoint
and ``SequencesGet`` on ``RecorderCommandService.asmx``, plus ``/recordingServers`` that
tells a client where the recorder is.

The answers are shaped as a real 2025 R1 sent them (a trace: ``LoginResult`` with a
``TOKEN#…#host//ServerConnector#`` token living four hours, ``SequencesGetResult`` of
``SequenceEntry``). The recorded spans are the schedule the WebRTC playback plays
(recordings.py), so the timeline and the video agree. The fault for a bad token follows
the same trace's words ("Token invalid", sub-error 2); its error numbers are [guess].
"""

from __future__ import annotations

import json
import re
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from viewer.demo.http import Request, Response
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.recordings import RETENTION, recorded_spans

if TYPE_CHECKING:
    from viewer.demo.milestone.gateway import MilestoneSimulator

LOGIN_PATH = "/managementserver/servercommandserviceoauth.svc"
RECORDER_PATH = "/recordercommandservice/recordercommandservice.asmx"
SOAP_PATHS = (LOGIN_PATH, RECORDER_PATH)
RECORDING_SEQUENCE = "f9c62604-d0c5-4050-ae25-72de51639b14"
RECORDER_ID = "90865ed0-2b09-4602-8c0d-622e6377a6f8"
SERVER_COMMAND = "http://videoos.net/2/XProtectCSServerCommand"
RECORDER_COMMAND = "http://videoos.net/2/XProtectCSRecorderCommand"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML = "text/xml; charset=utf-8"
_MAX_COUNT = 10_000


def _soap(inner: str, prefix: str = "s") -> bytes:
    return (
        f'<{prefix}:Envelope xmlns:{prefix}="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<{prefix}:Body>{inner}</{prefix}:Body></{prefix}:Envelope>"
    ).encode()


def _fault(text: str, sub_error: int | None = None) -> Response:
    detail = "<ErrorNumber>40000</ErrorNumber>"
    if sub_error is not None:
        detail += f"<SubErrorNumber>{sub_error}</SubErrorNumber>"
    inner = (
        "<soap:Fault><faultcode>soap:Server</faultcode>"
        f"<faultstring>{escape(text)}</faultstring><detail>{detail}</detail></soap:Fault>"
    )
    return Response(500, _soap(inner, "soap"), _XML)


def _asmx_time(moment: datetime) -> str:
    """Seven decimals and ``Z``, as .NET writes a UTC DateTime."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}0Z"


def _fields(body: bytes, operation: str) -> dict[str, str]:
    """The operation's parameters by local name; ValueError if the body is not it."""
    if _DECLARATION.search(body):
        raise ValueError("a document type declaration")
    root = ET.fromstring(body)  # noqa: S314 - no DTD got here; ElementTree fetches nothing
    found = [e for e in root.iter() if e.tag.rpartition("}")[2] == operation]
    if not found:
        raise ValueError(f"no {operation}")
    return {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in found[0]}


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class RecorderFeature:
    def __init__(self, simulator: MilestoneSimulator) -> None:
        self._simulator = simulator
        self.token_lifetime = 4 * 3600.0
        """Seconds a SOAP token lives (four hours on a real server)."""
        self.logins: list[str | None] = []
        """The ``currentToken`` of each Login, None for a first one: what renewals sent."""
        self.calls: list[str] = []
        """The token of every SequencesGet."""
        self._tokens: dict[str, float] = {}

    async def stop(self) -> None:
        pass

    def expire_tokens(self) -> None:
        """Every SOAP token stops working, as after the management server restarts."""
        self._tokens.clear()

    async def answer(self, request: Request, path: str) -> Response | None:
        if path != "/api/rest/v1/recordingservers" or request.method != "GET":
            return None
        server = {
            "displayName": "Recording Server 1",
            "id": RECORDER_ID,
            "name": "VIGIL-DEMO",
            "hostName": "vigil-demo",
            "portNumber": 7563,
            "webServerUri": f"{self._simulator.url}/",
            "relations": {"self": {"type": "recordingServers", "id": RECORDER_ID}},
        }
        return Response(200, json.dumps({"array": [server]}, indent=4).encode("utf-8"))

    async def soap(self, request: Request) -> Response:
        """A SOAP request outside ``/api`` (``path`` one of SOAP_PATHS)."""
        path = request.path.lower().rstrip("/")
        if request.method != "POST":
            return Response(405, b"", headers={"Allow": "POST"})
        if path == LOGIN_PATH:
            if not self._simulator._authorised(request):
                return Response(401, b"", headers={"WWW-Authenticate": "Bearer"})
            return self._login(request.body)
        return self._sequences(request.body)

    def _login(self, body: bytes) -> Response:
        try:
            fields = _fields(body, "Login")
        except (ValueError, ET.ParseError):
            return _fault("The message could not be read as a Login request")
        current = fields.get("currentToken") or None
        self.logins.append(current)
        token = current if current in self._live() else None
        token = token or f"TOKEN#{uuid.uuid4()}#vigil-demo//ServerConnector#"
        self._tokens[token] = time.monotonic() + self.token_lifetime
        micro = int(self.token_lifetime * 1_000_000)
        inner = (
            f'<LoginResponse xmlns="{SERVER_COMMAND}">'
            '<LoginResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
            f"<RegistrationTime>{_asmx_time(datetime.now(UTC))}</RegistrationTime>"
            f"<TimeToLive><MicroSeconds>{micro}</MicroSeconds></TimeToLive>"
            "<TimeToLiveLimited>false</TimeToLiveLimited>"
            f"<Token>{escape(token)}</Token></LoginResult></LoginResponse>"
        )
        return Response(200, _soap(inner), _XML)

    def _live(self) -> set[str]:
        now = time.monotonic()
        return {token for token, deadline in self._tokens.items() if now < deadline}

    def _sequences(self, body: bytes) -> Response:
        try:
            fields = _fields(body, "SequencesGet")
            token = fields.get("token", "")
            start, end = _time(fields["minTime"]), _time(fields["maxTime"])
            count = int(fields["maxCount"]) if fields["maxCount"].isdigit() else -1
        except (ValueError, OverflowError, KeyError, ET.ParseError):
            return _fault("Server was unable to read request")
        self.calls.append(token)
        if not token:
            return _fault("No token supplied", 1)
        if token not in self._live():
            return _fault("Token invalid", 2)
        camera_id = fields.get("deviceId", "").lower()
        if camera_id not in {camera.id.lower() for camera in CAMERAS.values()}:
            return _fault("Device not found")
        if not 0 < count <= _MAX_COUNT:
            return _fault("maxCount out of range")
        entries = "".join(
            f"<SequenceEntry><TimeBegin>{_asmx_time(a)}</TimeBegin>"
            f"<TimeTrigged>{_asmx_time(a)}</TimeTrigged>"
            f"<TimeEnd>{_asmx_time(b)}</TimeEnd></SequenceEntry>"
            for a, b in self.sequences(start, end, fields.get("sequenceType", ""))[:count]
        )
        inner = (
            f'<SequencesGetResponse xmlns="{RECORDER_COMMAND}">'
            f"<SequencesGetResult>{entries}</SequencesGetResult></SequencesGetResponse>"
        )
        return Response(200, _soap(inner, "soap"), _XML)

    @staticmethod
    def sequences(
        start: datetime, end: datetime, kind: str = RECORDING_SEQUENCE
    ) -> list[tuple[datetime, datetime]]:
        """Whole recorded spans that meet ``[start, end]``, as a recorder lists them (not
        cut to the question)."""
        if kind.lower() != RECORDING_SEQUENCE or end < start:
            return []
        # A day either side, so that spans crossing the question's edges come whole; the
        # recording is one week long, so the ends of time need not be reached.
        now = datetime.now(UTC)
        low, high = max(start, now - 2 * RETENTION), min(end, now + RETENTION)
        if high < low:
            return []
        day = timedelta(days=1)
        return [(a, b) for a, b in recorded_spans(low - day, high + day) if a <= end and start <= b]
