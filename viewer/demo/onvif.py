"""An ONVIF PTZ camera on loopback: device, media and PTZ services over SOAP 1.2.

A plain RTSP camera's PTZ is steered through ONVIF, so the demo site has one such
camera: its stream (``GetStreamUri``) is the view of a dome (demo/dome.py,
demo/ptz_view.py) that these services move. It answers as a real camera does
(ONVIF Core, Media and PTZ specifications, WSDL ver10/ver20):

- device service (``/onvif/device_service``): GetSystemDateAndTime, GetCapabilities,
  GetServices, GetDeviceInformation;
- media (``/onvif/media_service``): GetProfiles, GetProfile, GetStreamUri;
- PTZ (``/onvif/ptz_service``): GetNodes, GetNode, GetConfigurations, GetConfiguration,
  GetConfigurationOptions, ContinuousMove (with Timeout, else the configuration's
  default), Stop, AbsoluteMove, RelativeMove, GetStatus, GetPresets, SetPreset,
  GotoPreset, RemovePreset, in the generic spaces (pan and tilt -1 to 1 over the head's
  whole range, zoom 0 to 1; velocities and translations -1 to 1).

Moves are answered at once, as ONVIF's are; GetStatus says MOVING until the head is
there. Authentication is WS-UsernameToken in the SOAP header (PasswordDigest:
Base64(SHA-1(nonce + created + password)), or PasswordText): a nonce is taken once and a
Created more than ``CLOCK_SKEW`` from the camera's clock is refused, so a client syncs
with GetSystemDateAndTime first. That call, GetCapabilities and GetServices are open
to anyone (ONVIF's PRE_AUTH class). Faults are SOAP 1.2 faults with ONVIF subcodes
(``ter:NotAuthorized``, ``ter:NoProfile``, ``ter:NoToken``, ``ter:ActionNotSupported``…),
HTTP 400 for the sender's and 500 for the camera's. A body with a DOCTYPE is refused
before it is parsed (no entities, no external references).
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import logging
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from viewer.demo.dome import Dome, DomeSpec, Space
from viewer.demo.http import HttpServer, Request, Response
from viewer.demo.panorama import FPS, HEIGHT, WIDTH

log = logging.getLogger(__name__)

ENV = "http://www.w3.org/2003/05/soap-envelope"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
TT = "http://www.onvif.org/ver10/schema"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
SPACES = "http://www.onvif.org/ver10/tptz"
PROFILE = "profile_1"
NODE = "ptz_node_1"
CONFIGURATION = "ptz_configuration_1"
DEFAULT_TIMEOUT = 10.0
"""Seconds a ContinuousMove without a Timeout lasts (the configuration's DefaultPTZTimeout)."""
MAX_PRESETS = 100
CLOCK_SKEW = 300.0
"""Seconds a UsernameToken's Created may be from the camera's clock."""
OPEN = {(TDS, "GetSystemDateAndTime"), (TDS, "GetCapabilities"), (TDS, "GetServices")}
SPEC = DomeSpec()
PATHS = {"/onvif/device_service": TDS, "/onvif/media_service": TRT, "/onvif/ptz_service": TPTZ}
_DURATION = re.compile(
    r"^P(?:(?P<d>\d{1,6})D)?(?:T(?:(?P<h>\d{1,6})H)?(?:(?P<m>\d{1,6})M)?"
    r"(?:(?P<s>\d{1,6}(?:\.\d{1,9})?)S)?)?$"
)


class Fault(Exception):
    """A SOAP fault: the sender's (400) or the camera's (500), with ONVIF's subcode."""

    def __init__(self, subcode: str, reason: str, *, sender: bool = True) -> None:
        super().__init__(reason)
        self.subcode, self.reason, self.sender = subcode, reason, sender


@dataclass(frozen=True)
class Call:
    """One SOAP request: the operation's namespace and name, its element, the token."""

    namespace: str
    operation: str
    body: ET.Element
    token: ET.Element | None


def parse_call(data: bytes) -> Call:
    """The operation a SOAP 1.2 envelope asks for; raises Fault for anything else."""
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise Fault("ter:InvalidArgVal", "document type declarations are not accepted")
    try:
        # No DOCTYPE got here (no entities to expand, nothing external to fetch).
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError:
        raise Fault("ter:WellFormed", "the request is not well-formed XML") from None
    if root.tag != f"{{{ENV}}}Envelope":
        raise Fault("ter:WellFormed", "not a SOAP 1.2 envelope")
    body = root.find(f"{{{ENV}}}Body")
    if body is None or len(body) == 0:
        raise Fault("ter:WellFormed", "the envelope has no body")
    operation = body[0]
    match = re.fullmatch(r"\{([^}]*)\}(.+)", operation.tag)
    if match is None:
        raise Fault("ter:WellFormed", "the operation has no namespace")
    token = root.find(f"{{{ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    return Call(match[1], match[2], operation, token)


def parse_duration(text: str) -> float | None:
    """Seconds of an xs:duration of days, hours, minutes and seconds, or None."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return (
        parts.get("d", 0.0) * 86400
        + parts.get("h", 0.0) * 3600
        + parts.get("m", 0.0) * 60
        + parts.get("s", 0.0)
    )


def _created(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant.astimezone(UTC) if instant.tzinfo is not None else None


class Credentials:
    """Checks WS-UsernameToken; remembers recent nonces so that none is used twice."""

    def __init__(self, user: str, password: str, clock: Callable[[], datetime]) -> None:
        self._user, self._password, self._clock = user, password, clock
        self._nonces: collections.OrderedDict[bytes, datetime] = collections.OrderedDict()

    def check(self, token: ET.Element | None) -> None:
        if token is None:
            raise Fault("ter:NotAuthorized", "Sender not Authorized")
        user = token.findtext(f"{{{WSSE}}}Username") or ""
        password = token.find(f"{{{WSSE}}}Password")
        if password is None or not hmac.compare_digest(user.encode(), self._user.encode()):
            raise Fault("ter:NotAuthorized", "Sender not Authorized")
        given = (password.text or "").strip()
        if password.get("Type", "").endswith("#PasswordText"):
            if not hmac.compare_digest(given.encode(), self._password.encode()):
                raise Fault("ter:NotAuthorized", "Sender not Authorized")
            return
        nonce_text = token.findtext(f"{{{WSSE}}}Nonce") or ""
        created_text = token.findtext(f"{{{WSU}}}Created") or ""
        try:
            nonce = base64.b64decode(nonce_text, validate=True)
        except (binascii.Error, ValueError):
            raise Fault("ter:NotAuthorized", "Sender not Authorized") from None
        created = _created(created_text)
        now = self._clock()
        if created is None or abs((now - created).total_seconds()) > CLOCK_SKEW:
            raise Fault("ter:NotAuthorized", "the token's Created is too far from now")
        expected = base64.b64encode(
            # WS-Security's UsernameToken digest is SHA-1 by definition.
            hashlib.sha1(nonce + created_text.encode() + self._password.encode()).digest()  # noqa: S324
        ).decode()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Fault("ter:NotAuthorized", "Sender not Authorized")
        if not nonce or nonce in self._nonces:
            raise Fault("ter:NotAuthorized", "the nonce was used before")
        self._nonces[nonce] = now
        while self._nonces and (now - next(iter(self._nonces.values()))).total_seconds() > (
            2 * CLOCK_SKEW
        ):
            self._nonces.popitem(last=False)


def _number(element: ET.Element | None, attribute: str, low: float, high: float) -> float | None:
    """An attribute's number within [low, high]; None when the element is absent."""
    if element is None:
        return None
    try:
        value = float(element.get(attribute, ""))
    except ValueError:
        raise Fault("ter:InvalidArgVal", f"{attribute} is not a number") from None
    if not low <= value <= high:
        raise Fault("ter:InvalidArgVal", f"{attribute} is out of the space's range")
    return value


class OnvifCamera:
    """The device; ``stream_url()`` is what GetStreamUri hands out (the dome's view)."""

    def __init__(
        self,
        *,
        user: str,
        password: str,
        stream_url: Callable[[], str],
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "Demo PTZ dome",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.user, self.password = user, password
        self.name = name
        self.host = host
        self.dome = Dome(SPEC)
        self.space = Space(SPEC)
        self.presets: dict[str, str] = {}
        """Preset names by token; the dome keeps where each one points."""
        self.calls: list[str] = []
        """Every operation asked for, by name (for tests)."""
        self._stream_url = stream_url
        self._clock = clock
        self._credentials = Credentials(user, password, clock)
        self._server = HttpServer(self._handle, host=host, port=port, server_name="gSOAP/2.8")
        self._operations: dict[tuple[str, str], Callable[[ET.Element], str]] = {
            (TDS, "GetSystemDateAndTime"): self._date_and_time,
            (TDS, "GetCapabilities"): self._capabilities,
            (TDS, "GetServices"): self._services,
            (TDS, "GetDeviceInformation"): self._device_information,
            (TRT, "GetProfiles"): lambda _: f"<trt:Profiles{self._profile_body()}</trt:Profiles>",
            (TRT, "GetProfile"): self._profile,
            (TRT, "GetStreamUri"): self._stream_uri,
            (TPTZ, "GetNodes"): lambda _: (
                f"<tptz:PTZNode token={quoteattr(NODE)}>{self._node()}</tptz:PTZNode>"
            ),
            (TPTZ, "GetNode"): self._get_node,
            (TPTZ, "GetConfigurations"): lambda _: self._configuration("tptz:PTZConfiguration"),
            (TPTZ, "GetConfiguration"): self._get_configuration,
            (TPTZ, "GetConfigurationOptions"): self._configuration_options,
            (TPTZ, "ContinuousMove"): self._continuous,
            (TPTZ, "Stop"): self._stop,
            (TPTZ, "AbsoluteMove"): self._absolute,
            (TPTZ, "RelativeMove"): self._relative,
            (TPTZ, "GetStatus"): self._status,
            (TPTZ, "GetPresets"): self._presets,
            (TPTZ, "SetPreset"): self._set_preset,
            (TPTZ, "GotoPreset"): self._goto_preset,
            (TPTZ, "RemovePreset"): self._remove_preset,
        }

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        """The device service's address, which a client is given."""
        return f"http://{self.host}:{self.port}/onvif/device_service"

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    # -- SOAP -------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        service = PATHS.get(request.path)
        if service is None:
            return Response(404, b"Not Found", "text/plain")
        if request.method != "POST":
            return Response(405, b"", "text/plain", {"Allow": "POST"})
        try:
            call = parse_call(request.body)
            self.calls.append(call.operation)
            operation = self._operations.get((call.namespace, call.operation))
            if operation is None or call.namespace != service:
                raise Fault(
                    "ter:ActionNotSupported",
                    f"{call.operation} is not an operation of this service",
                    sender=False,
                )
            if (call.namespace, call.operation) not in OPEN:
                self._credentials.check(call.token)
            answer = operation(call.body)
        except Fault as fault:
            log.info("demo ONVIF: %s refused: %s", request.path, fault.reason)
            return _fault(fault)
        prefix = _PREFIXES[call.namespace]
        return _envelope(
            f"<{prefix}:{call.operation}Response>{answer}</{prefix}:{call.operation}Response>"
        )

    # -- device -----------------------------------------------------------------------

    def _date_and_time(self, _: ET.Element) -> str:
        now = self._clock()
        return (
            "<tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
            "<tt:DaylightSavings>false</tt:DaylightSavings>"
            "<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{_date_time(now)}</tt:UTCDateTime>"
            "</tds:SystemDateAndTime>"
        )

    def _address(self, service: str) -> str:
        path = next(p for p, ns in PATHS.items() if ns == service)
        return f"http://{self.host}:{self.port}{path}"

    def _capabilities(self, _: ET.Element) -> str:
        return (
            "<tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{self._address(TDS)}</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>{self._address(TRT)}</tt:XAddr>"
            "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
            "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
            "</tt:StreamingCapabilities></tt:Media>"
            f"<tt:PTZ><tt:XAddr>{self._address(TPTZ)}</tt:XAddr></tt:PTZ>"
            "</tds:Capabilities>"
        )

    def _services(self, _: ET.Element) -> str:
        versions = {TDS: (2, 60), TRT: (2, 60), TPTZ: (2, 60)}
        return "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace>"
            f"<tds:XAddr>{self._address(ns)}</tds:XAddr><tds:Version>"
            f"<tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version>"
            "</tds:Service>"
            for ns, (major, minor) in versions.items()
        )

    def _device_information(self, _: ET.Element) -> str:
        return (
            "<tds:Manufacturer>Vigil</tds:Manufacturer><tds:Model>Demo PTZ dome</tds:Model>"
            "<tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
            "<tds:SerialNumber>VIGIL-DEMO-0001</tds:SerialNumber>"
            "<tds:HardwareId>demo</tds:HardwareId>"
        )

    # -- media ------------------------------------------------------------------------

    def _profile_body(self) -> str:
        return (
            f' token={quoteattr(PROFILE)} fixed="true"><tt:Name>MainStream</tt:Name>'
            '<tt:VideoSourceConfiguration token="video_source_config_1">'
            "<tt:Name>VideoSource</tt:Name><tt:UseCount>1</tt:UseCount>"
            "<tt:SourceToken>video_source_1</tt:SourceToken>"
            f'<tt:Bounds x="0" y="0" width="{WIDTH}" height="{HEIGHT}"/>'
            "</tt:VideoSourceConfiguration>"
            '<tt:VideoEncoderConfiguration token="video_encoder_config_1">'
            "<tt:Name>H264</tt:Name><tt:UseCount>1</tt:UseCount>"
            "<tt:Encoding>H264</tt:Encoding>"
            f"<tt:Resolution><tt:Width>{WIDTH}</tt:Width><tt:Height>{HEIGHT}</tt:Height>"
            "</tt:Resolution><tt:Quality>5</tt:Quality>"
            f"<tt:RateControl><tt:FrameRateLimit>{FPS}</tt:FrameRateLimit>"
            "<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>1024</tt:BitrateLimit>"
            f"</tt:RateControl><tt:H264><tt:GovLength>{2 * FPS}</tt:GovLength>"
            "<tt:H264Profile>Baseline</tt:H264Profile></tt:H264>"
            "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
            f"{self._configuration('tt:PTZConfiguration')}"
        )

    def _profile_of(self, element: ET.Element) -> None:
        token = element.findtext(f"{{{TRT}}}ProfileToken") or element.findtext(
            f"{{{TPTZ}}}ProfileToken"
        )
        if (token or "").strip() != PROFILE:
            raise Fault("ter:NoProfile", "The requested profile token does not exist")

    def _profile(self, element: ET.Element) -> str:
        self._profile_of(element)
        return f"<trt:Profile{self._profile_body()}</trt:Profile>"

    def _stream_uri(self, element: ET.Element) -> str:
        self._profile_of(element)
        return (
            f"<trt:MediaUri><tt:Uri>{escape(self._stream_url())}</tt:Uri>"
            "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
            "<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
        )

    # -- PTZ configuration ------------------------------------------------------------

    def _node(self) -> str:
        def space(kind: str, uri: str, x: tuple[float, float], y: bool = True) -> str:
            y_range = "<tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange>" if y else ""
            return (
                f"<tt:{kind}><tt:URI>{SPACES}/{uri}</tt:URI><tt:XRange><tt:Min>{x[0]:g}"
                f"</tt:Min><tt:Max>{x[1]:g}</tt:Max></tt:XRange>{y_range}</tt:{kind}>"
            )

        return (
            "<tt:Name>Dome</tt:Name><tt:SupportedPTZSpaces>"
            + space("AbsolutePanTiltPositionSpace", "PanTiltSpaces/PositionGenericSpace", (-1, 1))
            + space("AbsoluteZoomPositionSpace", "ZoomSpaces/PositionGenericSpace", (0, 1), False)
            + space(
                "RelativePanTiltTranslationSpace", "PanTiltSpaces/TranslationGenericSpace", (-1, 1)
            )
            + space(
                "RelativeZoomTranslationSpace", "ZoomSpaces/TranslationGenericSpace", (-1, 1), False
            )
            + space("ContinuousPanTiltVelocitySpace", "PanTiltSpaces/VelocityGenericSpace", (-1, 1))
            + space(
                "ContinuousZoomVelocitySpace", "ZoomSpaces/VelocityGenericSpace", (-1, 1), False
            )
            + space("PanTiltSpeedSpace", "PanTiltSpaces/GenericSpeedSpace", (0, 1), False)
            + space("ZoomSpeedSpace", "ZoomSpaces/ZoomGenericSpeedSpace", (0, 1), False)
            + "</tt:SupportedPTZSpaces>"
            f"<tt:MaximumNumberOfPresets>{MAX_PRESETS}</tt:MaximumNumberOfPresets>"
            "<tt:HomeSupported>false</tt:HomeSupported>"
        )

    def _get_node(self, element: ET.Element) -> str:
        if (element.findtext(f"{{{TPTZ}}}NodeToken") or "").strip() != NODE:
            raise Fault("ter:NoEntity", "No such PTZ node")
        return f"<tptz:PTZNode token={quoteattr(NODE)}>{self._node()}</tptz:PTZNode>"

    def _configuration(self, tag: str) -> str:
        return (
            f"<{tag} token={quoteattr(CONFIGURATION)}><tt:Name>PTZ</tt:Name>"
            f"<tt:UseCount>1</tt:UseCount><tt:NodeToken>{NODE}</tt:NodeToken>"
            f"<tt:DefaultAbsolutePantTiltPositionSpace>{SPACES}/PanTiltSpaces/"
            "PositionGenericSpace</tt:DefaultAbsolutePantTiltPositionSpace>"
            f"<tt:DefaultContinuousPanTiltVelocitySpace>{SPACES}/PanTiltSpaces/"
            "VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace>"
            f"<tt:DefaultPTZTimeout>PT{DEFAULT_TIMEOUT:g}S</tt:DefaultPTZTimeout></{tag}>"
        )

    def _get_configuration(self, element: ET.Element) -> str:
        token = (element.findtext(f"{{{TPTZ}}}PTZConfigurationToken") or "").strip()
        if token != CONFIGURATION:
            raise Fault("ter:NoConfig", "No such PTZ configuration")
        return self._configuration("tptz:PTZConfiguration")

    def _configuration_options(self, element: ET.Element) -> str:
        token = (element.findtext(f"{{{TPTZ}}}ConfigurationToken") or "").strip()
        if token != CONFIGURATION:
            raise Fault("ter:NoConfig", "No such PTZ configuration")
        spaces = self._node().split("<tt:SupportedPTZSpaces>")[1].split("</tt:SupportedPTZSpaces>")
        return (
            f"<tptz:PTZConfigurationOptions><tt:Spaces>{spaces[0]}</tt:Spaces>"
            "<tt:PTZTimeout><tt:Min>PT1S</tt:Min><tt:Max>PT60S</tt:Max></tt:PTZTimeout>"
            "</tptz:PTZConfigurationOptions>"
        )

    # -- moves ------------------------------------------------------------------------

    def _vector(
        self, element: ET.Element, name: str, low: float = -1.0
    ) -> tuple[float | None, float | None, float | None]:
        """x and y of the element's PanTilt and x of its Zoom (None where absent)."""
        holder = element.find(f"{{{TPTZ}}}{name}")
        if holder is None:
            return None, None, None
        pan_tilt = holder.find(f"{{{TT}}}PanTilt")
        zoom = holder.find(f"{{{TT}}}Zoom")
        return (
            _number(pan_tilt, "x", -1.0, 1.0),
            _number(pan_tilt, "y", -1.0, 1.0),
            _number(zoom, "x", low, 1.0),
        )

    def _speed(self, element: ET.Element) -> float:
        pan, _, zoom = self._vector(element, "Speed", 0.0)
        speeds = [abs(s) for s in (pan, zoom) if s is not None]
        return max(speeds) if speeds else 1.0

    def _continuous(self, element: ET.Element) -> str:
        self._profile_of(element)
        pan, tilt, zoom = self._vector(element, "Velocity")
        timeout_text = element.findtext(f"{{{TPTZ}}}Timeout")
        timeout = DEFAULT_TIMEOUT if timeout_text is None else parse_duration(timeout_text)
        if timeout is None:
            raise Fault("ter:InvalidArgVal", "Timeout is not an xs:duration")
        self.dome.continuous(pan or 0.0, tilt or 0.0, zoom or 0.0, timeout)
        return ""

    def _stop(self, element: ET.Element) -> str:
        self._profile_of(element)
        flags = [
            (element.findtext(f"{{{TPTZ}}}{axis}") or "true").strip().lower()
            for axis in ("PanTilt", "Zoom")
        ]
        if "true" in flags or "1" in flags:
            self.dome.stop()
        return ""

    def _absolute(self, element: ET.Element) -> str:
        self._profile_of(element)
        pan, tilt, zoom = self._vector(element, "Position", 0.0)
        here = self.space.position(self.dome.pose())
        goal = (
            here[0] if pan is None else pan,
            here[1] if tilt is None else tilt,
            here[2] if zoom is None else zoom,
        )
        self.dome.move_to(self.space.pose(*goal), self._speed(element))
        return ""

    def _relative(self, element: ET.Element) -> str:
        self._profile_of(element)
        pan, tilt, zoom = self._vector(element, "Translation")
        half_tilt = (SPEC.tilt_max - SPEC.tilt_min) / 2
        self.dome.move_by(
            (pan or 0.0) * 180.0,
            (tilt or 0.0) * half_tilt,
            (zoom or 0.0) * (SPEC.zoom_max - 1.0),
            self._speed(element),
        )
        return ""

    def _status(self, element: ET.Element) -> str:
        self._profile_of(element)
        pan, tilt, zoom = self.space.position(self.dome.pose())
        moving = "MOVING" if self.dome.moving else "IDLE"
        return (
            f"<tptz:PTZStatus><tt:Position>{_position(pan, tilt, zoom)}</tt:Position>"
            f"<tt:MoveStatus><tt:PanTilt>{moving}</tt:PanTilt><tt:Zoom>{moving}</tt:Zoom>"
            f"</tt:MoveStatus><tt:UtcTime>{self._clock():%Y-%m-%dT%H:%M:%SZ}</tt:UtcTime>"
            "</tptz:PTZStatus>"
        )

    # -- presets ----------------------------------------------------------------------

    def _presets(self, element: ET.Element) -> str:
        self._profile_of(element)
        return "".join(
            f"<tptz:Preset token={quoteattr(token)}><tt:Name>{escape(name)}</tt:Name>"
            f"<tt:PTZPosition>{_position(*self.space.position(self.dome.presets[token]))}"
            "</tt:PTZPosition></tptz:Preset>"
            for token, name in self.presets.items()
        )

    def _set_preset(self, element: ET.Element) -> str:
        self._profile_of(element)
        name = (element.findtext(f"{{{TPTZ}}}PresetName") or "").strip()
        token = (element.findtext(f"{{{TPTZ}}}PresetToken") or "").strip()
        if token and token not in self.presets:
            raise Fault("ter:NoToken", "No such preset token")
        if not token and len(self.presets) >= MAX_PRESETS:
            raise Fault("ter:TooManyPresets", "The maximum number of presets is reached")
        if any(n == name for t, n in self.presets.items() if t != token and name):
            raise Fault("ter:PresetExist", "A preset with this name exists")
        if len(name) > 64:
            raise Fault("ter:InvalidPresetName", "The preset name is too long")
        token = token or f"preset_{secrets.token_hex(4)}"
        self.presets[token] = name or token
        self.dome.save(token)
        return f"<tptz:PresetToken>{escape(token)}</tptz:PresetToken>"

    def _goto_preset(self, element: ET.Element) -> str:
        self._profile_of(element)
        token = (element.findtext(f"{{{TPTZ}}}PresetToken") or "").strip()
        if token not in self.presets:
            raise Fault("ter:NoToken", "No such preset token")
        self.dome.recall(token, self._speed(element))
        return ""

    def _remove_preset(self, element: ET.Element) -> str:
        self._profile_of(element)
        token = (element.findtext(f"{{{TPTZ}}}PresetToken") or "").strip()
        if self.presets.pop(token, None) is None:
            raise Fault("ter:NoToken", "No such preset token")
        self.dome.forget(token)
        return ""


# -- answers ----------------------------------------------------------------------------

_NAMESPACES = (
    f'xmlns:env="{ENV}" xmlns:tds="{TDS}" xmlns:trt="{TRT}" xmlns:tptz="{TPTZ}" '
    f'xmlns:tt="{TT}" xmlns:ter="http://www.onvif.org/ver10/error"'
)


def _envelope(content: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope {_NAMESPACES}><env:Body>'
    return Response(200, (body + content + "</env:Body></env:Envelope>").encode(), _SOAP)


def _fault(fault: Fault) -> Response:
    code = "env:Sender" if fault.sender else "env:Receiver"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope {_NAMESPACES}><env:Body>'
        f"<env:Fault><env:Code><env:Value>{code}</env:Value><env:Subcode>"
        f"<env:Value>{fault.subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(fault.reason)}</env:Text></env:Reason>'
        "</env:Fault></env:Body></env:Envelope>"
    )
    return Response(400 if fault.sender else 500, body.encode(), _SOAP)


_SOAP = "application/soap+xml; charset=utf-8"
_PREFIXES = {TDS: "tds", TRT: "trt", TPTZ: "tptz"}


def _position(pan: float, tilt: float, zoom: float) -> str:
    return (
        f'<tt:PanTilt x="{pan:.6f}" y="{tilt:.6f}" space="{SPACES}/PanTiltSpaces/'
        f'PositionGenericSpace"/><tt:Zoom x="{zoom:.6f}" space="{SPACES}/ZoomSpaces/'
        'PositionGenericSpace"/>'
    )


def _date_time(now: datetime) -> str:
    return (
        f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
        f"<tt:Second>{now.second}</tt:Second></tt:Time><tt:Date><tt:Year>{now.year}</tt:Year>"
        f"<tt:Month>{now.month}</tt:Month><tt:Day>{now.day}</tt:Day></tt:Date>"
    )


def username_token(user: str, password: str, created: datetime | None = None) -> str:
    """A WS-Security header with a PasswordDigest UsernameToken, as clients send it
    (for tests and for anyone scripting the demo camera)."""
    nonce = secrets.token_bytes(16)
    stamp = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    token = nonce + stamp.encode() + password.encode()
    digest = base64.b64encode(hashlib.sha1(token).digest())  # noqa: S324 - the profile's hash
    return (
        f'<env:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">'
        f"<wsse:UsernameToken><wsse:Username>{escape(user)}</wsse:Username>"
        f'<wsse:Password Type="{DIGEST}">{digest.decode()}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{stamp}</wsu:Created></wsse:UsernameToken></wsse:Security>"
        "</env:Header>"
    )


def request(operation: str, namespace: str, content: str = "", header: str = "") -> bytes:
    """A SOAP 1.2 request for ``operation`` (for tests and scripts)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{ENV}" '
        f'xmlns:tt="{TT}">{header}<env:Body><op:{operation} xmlns:op="{namespace}">'
        f"{content}</op:{operation}></env:Body></env:Envelope>"
    ).encode()
