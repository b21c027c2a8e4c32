"""PTZ of a plain RTSP camera through its ONVIF services.

An operator who adds a camera by its RTSP URL may give its ONVIF device service address
too (``http://camera/onvif/device_service``); the camera's user and password serve
both. On the first PTZ call the client:

- reads the camera's clock (GetSystemDateAndTime, open to anyone): a WS-UsernameToken's
  Created must be within a few minutes of it, and many cameras keep no NTP time, so
  every token is stamped with our clock plus the offset measured then;
- finds the media and PTZ services (GetServices, else ONVIF 1.0's GetCapabilities); a
  camera without a PTZ service cannot move, whatever the operator typed;
- picks the first media profile with a PTZ configuration (GetProfiles) and asks its
  node which generic spaces it moves in (GetNode): continuous, absolute, relative, zoom.

Addresses the camera hands out are used with the scheme, host and port the operator
typed, their paths kept: cameras behind a NAT or a port forward name their own private
address, and credentials go nowhere but where the operator sent them.

A continuous move carries a Timeout (``MOVE_TIMEOUT``), a dead man's switch: the PTZ
controller renews a held move every 4 s, so a viewer that dies, or a network that goes,
leaves the camera stopped within seconds instead of turning until someone notices.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx

from viewer.backends.rtsp import onvif_soap as soap
from viewer.core.errors import (
    AuthenticationError,
    InvalidInputError,
    MalformedResponseError,
    NotSupportedError,
    PermissionDeniedError,
    UnreachableError,
)
from viewer.core.models import Preset, PtzCapabilities, PtzPosition

MOVE_TIMEOUT = 6.0
"""Seconds a continuous move lasts unless renewed: more than the controller's 4 s renewal
and a slow answer, little enough that a forgotten move ends soon."""
REQUEST_TIMEOUT = 10.0
MAX_ANSWER = 1_000_000
"""Bytes: the largest PTZ answer (a hundred presets) is tens of kilobytes."""

Password = Callable[[], str | None]


def device_address(url: str, field: str = "onvif_url") -> str:
    """An operator's ONVIF address, checked: http(s) with a host; a bare host or
    host:port gets ONVIF's default path. Raises InvalidInputError naming ``field``."""
    text = url.strip()
    if text and "://" not in text:
        text = f"http://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInputError("This is not a valid ONVIF address.", field) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInputError("The ONVIF address must start with http:// or https://.", field)
    if not parts.hostname:
        raise InvalidInputError("The ONVIF address names no camera.", field)
    if parts.username or parts.password:
        raise InvalidInputError(
            "Leave the user name and password out of the ONVIF address: the camera's own are used.",
            field,
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path if parts.path not in ("", "/") else "/onvif/device_service"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


@dataclass(frozen=True)
class _Setup:
    media: str
    ptz: str
    profile: str
    node: soap.Node


class OnvifPtz:
    """One camera's ONVIF PTZ; :meth:`close` ends its connection."""

    def __init__(
        self,
        device_url: str,
        user: str | None,
        password: Password,
        *,
        timeout: float = REQUEST_TIMEOUT,
        verify: bool = True,
    ) -> None:
        self.device_url = device_address(device_url)
        self._user = user or ""
        self._password = password
        self._http = httpx.AsyncClient(
            timeout=timeout, verify=verify, trust_env=False, follow_redirects=False
        )
        self._setup: _Setup | None = None
        self._setting_up = asyncio.Lock()
        self._offset = timedelta(0)
        """The camera's clock minus ours, which every token's Created carries."""

    async def close(self) -> None:
        await self._http.aclose()

    # -- what the camera can do -------------------------------------------------------

    async def capabilities(self) -> PtzCapabilities:
        setup = await self._ready()
        node = setup.node
        return PtzCapabilities(
            continuous=node.continuous,
            absolute=node.absolute is not None,
            relative=node.relative,
            zoom=node.continuous_zoom or node.relative_zoom or node.absolute_zoom is not None,
            presets=await self.presets(),
        )

    # -- moves --------------------------------------------------------------------------

    async def move(self, pan: float, tilt: float, zoom: float) -> None:
        """ContinuousMove at these velocities (-1 to 1), for ``MOVE_TIMEOUT`` s."""
        setup = await self._ready()
        node = setup.node
        if not node.continuous:
            raise NotSupportedError("the camera has no continuous moves")
        velocity = soap.vector(
            "Velocity",
            (_unit(pan), _unit(tilt)),
            _unit(zoom) if node.continuous_zoom else None,
            (soap.PAN_TILT_VELOCITY, soap.ZOOM_VELOCITY),
        )
        await self._ptz(
            "ContinuousMove", velocity + soap.element("Timeout", soap.duration(MOVE_TIMEOUT))
        )

    async def stop(self) -> None:
        await self._ptz("Stop", soap.element("PanTilt", "true") + soap.element("Zoom", "true"))

    async def move_to(self, position: PtzPosition, speed: float = 1.0) -> None:
        """AbsoluteMove within the node's ranges; ``speed`` (0-1) below 1 is sent, 1 is
        the camera's default."""
        setup = await self._ready()
        node = setup.node
        if node.absolute is None:
            raise NotSupportedError("the camera cannot move to a position")
        pan_range, tilt_range = node.absolute
        zoom = node.absolute_zoom.clamp(position.zoom) if node.absolute_zoom else None
        content = soap.vector(
            "Position",
            (pan_range.clamp(position.pan), tilt_range.clamp(position.tilt)),
            zoom,
            (soap.PAN_TILT_POSITION, soap.ZOOM_POSITION),
        )
        await self._ptz("AbsoluteMove", content + _speed(speed, zoom is not None))

    async def move_by(self, pan: float, tilt: float, zoom: float) -> None:
        """RelativeMove: pan and tilt in the generic translation space (2 is the whole
        range), zoom -1 to 1."""
        setup = await self._ready()
        node = setup.node
        if not node.relative:
            raise NotSupportedError("the camera cannot move by an amount")
        content = soap.vector(
            "Translation",
            (max(-2.0, min(2.0, pan)), max(-2.0, min(2.0, tilt))),
            _unit(zoom) if node.relative_zoom and zoom else None,
            (soap.PAN_TILT_TRANSLATION, soap.ZOOM_TRANSLATION),
        )
        await self._ptz("RelativeMove", content)

    async def position(self) -> PtzPosition:
        return soap.status(await self._ptz("GetStatus"))

    # -- presets ------------------------------------------------------------------------

    async def presets(self) -> tuple[Preset, ...]:
        return soap.presets(await self._ptz("GetPresets"))

    async def goto_preset(self, token: str) -> None:
        await self._ptz("GotoPreset", soap.element("PresetToken", token))

    async def save_preset(self, name: str) -> Preset:
        """A new preset where the camera points now."""
        clean = " ".join(name.split())
        answer = await self._ptz("SetPreset", soap.element("PresetName", clean) if clean else "")
        token = soap.preset_token(answer)
        return Preset(id=token, name=clean or token)

    async def remove_preset(self, token: str) -> None:
        await self._ptz("RemovePreset", soap.element("PresetToken", token))

    # -- SOAP ----------------------------------------------------------------------------

    async def _ptz(self, operation: str, content: str = "") -> ET.Element:
        setup = await self._ready()
        body = soap.element("ProfileToken", setup.profile) + content
        try:
            return await self._call(setup.ptz, soap.PTZ, operation, body)
        except AuthenticationError:
            if not self._user:
                raise
        # ONVIF says only "not authorized": the camera's clock may have drifted from the
        # offset measured, or this user may lack the right (an operator-level user
        # saving a preset), or the password changed. A fresh offset settles the first;
        # a call every user level may make tells the other two apart.
        self._offset = await self._clock_offset()
        try:
            return await self._call(setup.ptz, soap.PTZ, operation, body)
        except AuthenticationError:
            await self._call(setup.media, soap.MEDIA, "GetProfiles")
            raise PermissionDeniedError(
                f"the camera does not let this user do {operation}"
            ) from None

    async def _ready(self) -> _Setup:
        async with self._setting_up:
            if self._setup is None:
                self._setup = await self._discover()
            return self._setup

    async def _discover(self) -> _Setup:
        self._offset = await self._clock_offset()
        try:
            addresses = soap.service_addresses(
                await self._call(
                    self.device_url,
                    soap.DEVICE,
                    "GetServices",
                    soap.element("IncludeCapability", "false"),
                )
            )
        except (NotSupportedError, MalformedResponseError):
            addresses = {}
        if soap.PTZ not in addresses or soap.MEDIA not in addresses:
            addresses = soap.capability_addresses(
                await self._call(
                    self.device_url, soap.DEVICE, "GetCapabilities", soap.element("Category", "All")
                )
            )
        if soap.PTZ not in addresses:
            raise NotSupportedError("the camera has no ONVIF PTZ service")
        if soap.MEDIA not in addresses:
            raise NotSupportedError("the camera has no ONVIF media service")
        media, ptz = self._here(addresses[soap.MEDIA]), self._here(addresses[soap.PTZ])
        profiles = soap.profiles(await self._call(media, soap.MEDIA, "GetProfiles"))
        chosen = next((p for p in profiles if p.node is not None), None)
        if chosen is None or chosen.node is None:
            raise NotSupportedError("no media profile of the camera has PTZ")
        answer = await self._call(ptz, soap.PTZ, "GetNode", soap.element("NodeToken", chosen.node))
        return _Setup(media=media, ptz=ptz, profile=chosen.token, node=soap.node(answer))

    async def _clock_offset(self) -> timedelta:
        """The camera's clock minus ours, to a second (its time has no fraction)."""
        before = time.monotonic()
        answer = await self._call(
            self.device_url, soap.DEVICE, "GetSystemDateAndTime", signed=False
        )
        elapsed = time.monotonic() - before
        camera = soap.date_time(answer)
        ours = datetime.now(UTC) - timedelta(seconds=elapsed / 2)
        return camera - ours

    def _here(self, address: str) -> str:
        """``address``'s path and query at the host the operator gave."""
        try:
            parts = urlsplit(address.strip())
        except ValueError:
            raise MalformedResponseError("not a URL", "XAddr") from None
        if not parts.path.startswith("/"):
            raise MalformedResponseError("not an absolute URL", "XAddr")
        device = urlsplit(self.device_url)
        return urlunsplit((device.scheme, device.netloc, parts.path, parts.query, ""))

    async def _call(
        self,
        address: str,
        namespace: str,
        operation: str,
        content: str = "",
        *,
        signed: bool = True,
    ) -> ET.Element:
        """One operation; not ``signed``, it goes without a token (ONVIF's PRE_AUTH calls)."""
        header = ""
        if signed and self._user:
            header = soap.username_token(
                self._user,
                self._password() or "",
                datetime.now(UTC) + self._offset,
                secrets.token_bytes(16),
            )
        action = f"{namespace}/{operation}"
        try:
            answer = await self._http.post(
                address,
                content=soap.envelope(namespace, operation, content, header),
                headers={"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'},
            )
        except httpx.TimeoutException:
            raise UnreachableError(f"the camera did not answer {operation} in time") from None
        except httpx.HTTPError as error:
            raise UnreachableError(
                f"the camera's ONVIF service cannot be reached ({type(error).__name__})"
            ) from None
        if len(answer.content) > MAX_ANSWER:
            raise MalformedResponseError(f"the camera's answer to {operation} is too large")
        return soap.answer_of(answer.content, answer.status_code, operation)


def _unit(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _speed(speed: float, zoom: bool) -> str:
    if speed >= 1.0 or speed <= 0.0:
        return ""
    return soap.vector("Speed", (speed, speed), speed if zoom else None)
