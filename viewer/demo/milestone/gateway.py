"""A simulated XProtect API gateway (2023 R3 to 2025 R2): the IDP and the Configuration REST API.

It answers as the real server does where that was seen (seed 001, the captures): the
token response, the ``{"array":[...]}`` lists, the error envelope with the server's own
spacing, IIS's HTML 404 outside ``/api``, case-insensitive paths. Where only the docs
speak (refresh tokens, paging, group children, streams) it follows them. Switches let
tests make it misbehave as real ones do: short token lifetimes, a gateway answering 503
HTML, disabled cameras listed by an older server.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from viewer.demo.certificate import SelfSignedCertificate, self_signed
from viewer.demo.footage import FootageLibrary
from viewer.demo.http import HttpServer, Request, Response
from viewer.demo.milestone import cors, ptz
from viewer.demo.milestone.bookmarks import BookmarksFeature
from viewer.demo.milestone.directory import CAMERAS, GROUPS, SimCamera, bulk
from viewer.demo.milestone.events import SOCKET_PATH as EVENTS_SOCKET
from viewer.demo.milestone.events import MilestoneEvents
from viewer.demo.milestone.recorder import SOAP_PATHS, RecorderFeature
from viewer.demo.milestone.webrtc import WebRtc
from viewer.demo.milestone.webrtc_socket import SOCKET_PATH as WEBRTC_SOCKET
from viewer.demo.milestone.webrtc_socket import WebRtcSocket

RELEASES = {
    "2023 R3": "23.3.1.0",
    "2024 R2": "24.2.1.0",
    "2025 R1": "25.1.1804.0",
    "2025 R2": "25.2.1.0",
}
"""The releases the simulator can play, and the version string ``/sites`` reports for each.
2025 R1's is the real server's (seed 001); the others follow its pattern."""
NEWEST = "2025 R2"
SITE_ID = "3772df00-6ea9-4893-b4b3-6aa944f38861"
CLIENTS = ("GrantValidatorClient", "VmsClient")
CONFIG = "/api/rest/v1/"
TOKEN_PATHS = ("/api/idp/connect/token", "/idp/connect/token")

IIS_404 = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head>\r\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>\r\n'
    "<title>404 - File or directory not found.</title>\r\n</head>\r\n<body>\r\n"
    '<div id="header"><h1>Server Error</h1></div>\r\n'
    "<h2>404 - File or directory not found.</h2>\r\n</body>\r\n</html>\r\n"
).encode("ascii")
HTTP_SYS_503 = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    "<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n"
    '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    "<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>"
    "\r\n</BODY></HTML>\r\n"
).encode("ascii")


def error_envelope(status: int, text: str) -> Response:
    """The Config API's error body, spaced exactly as a 2025 R1 server spaces it."""
    body = (
        f'{{  "error" : {{  "httpCode" : {status},  "details" :  '
        f"[ {{  {json.dumps('errorText')} : {json.dumps(text)} }} ] }} }}"
    )
    return Response(status, body.encode("utf-8"))


def _json(status: int, document: dict[str, Any]) -> Response:
    return Response(status, json.dumps(document, indent=4).encode("utf-8"))


def _oauth_error(status: int, error: str, description: str | None = None) -> Response:
    document = {"error": error}
    if description:
        document["error_description"] = description
    return Response(
        status, json.dumps(document).encode("utf-8"), headers={"Cache-Control": "no-store"}
    )


def _jwt(user: str, client_id: str, expires: float) -> str:
    """Shaped like the IDP's RS256 JWT; nobody verifies the signature but the server."""

    def part(document: dict[str, Any]) -> str:
        raw = json.dumps(document, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    header = part({"alg": "RS256", "kid": "SIMULATOR", "typ": "JWT"})
    claims = part(
        {
            "iss": "https://127.0.0.1/IDP",
            "exp": int(expires),
            "aud": ["managementserver"],
            "client_id": client_id,
            "name": user,
            "jti": secrets.token_hex(8),
        }
    )
    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return f"{header}.{claims}.{signature}"


class Feature(Protocol):
    """A part of the gateway beyond the directory (WebRTC, events, bookmarks, PTZ…).

    Each is asked in turn about every authorised ``/api/`` request and answers None for
    what is not its own, so a feature lives in a module of its own and the gateway only
    lists it.
    """

    async def answer(self, request: Request, path: str) -> Response | None:
        """``path`` is the request's path, lower-cased, without a trailing slash."""

    async def stop(self) -> None:
        """Close whatever the feature keeps open (peer connections, sockets)."""


@dataclass
class Counters:
    """What clients did, for tests that check renewal and paging happened as intended."""

    grants: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    """``METHOD path?query status`` of every request, in order."""


class MilestoneSimulator:
    def __init__(
        self,
        *,
        user: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: float = 3600.0,
        certificate: SelfSignedCertificate | None = None,
        extra_cameras: int = 0,
        release: str = NEWEST,
        footage: FootageLibrary | None = None,
    ) -> None:
        """``extra_cameras`` adds a group of that many more, to play a large site;
        ``release`` is one of RELEASES, the newest by default; ``footage`` is the demo
        site's library, so live sessions share its cache and its encoded streams."""
        if release not in RELEASES:
            raise ValueError(f"unknown release {release!r}; known: {', '.join(RELEASES)}")
        self.release = release
        self.user = user
        self.password = password
        self.token_lifetime = token_lifetime
        self.certificate = certificate or self_signed("Vigil demo XProtect")
        self.gateway_down = False
        """While true every request gets http.sys's 503 page, as when the IIS pool stops."""
        self.hide_disabled = True
        """False acts as a server that lists disabled cameras (older releases, ``?disabled``)."""
        self.cors_origins: tuple[str, ...] = ()
        """Origins whose browser pages may call the gateway (cors.py); none, as shipped."""
        self.counters = Counters()
        self._groups, cameras = GROUPS, list(CAMERAS.values())
        if extra_cameras:
            group, more = bulk(extra_cameras)
            self._groups, cameras = (*GROUPS, group), cameras + more
        self._cameras = {camera.id.lower(): camera for camera in cameras}
        self._all_groups = {g.id.lower(): g for top in self._groups for g in top.walk()}
        self._tokens: dict[str, float] = {}
        self._refresh_tokens: dict[str, str] = {}
        self._http = HttpServer(
            self.handle, host=host, port=port, tls=self.certificate.server_context()
        )
        self._host = host
        self.features: list[Feature] = []
        """Asked in order about every authorised ``/api/`` request the directory does not
        answer."""
        self.events = MilestoneEvents(self)
        self.features.append(self.events)
        self.ptz = ptz.PtzFeature(self)
        self.features.append(self.ptz)
        self.bookmarks, self.recorder = BookmarksFeature(self), RecorderFeature(self)
        self.features += [self.bookmarks, self.recorder]
        self.webrtc = WebRtc(self, library=footage)
        self.webrtc_socket = WebRtcSocket(self, self.webrtc)

    def camera(self, camera_id: str) -> SimCamera | None:
        """The camera with this id (any case), disabled ones included."""
        return self._cameras.get(camera_id.lower())

    @property
    def version(self) -> str:
        return RELEASES[self.release]

    def at_least(self, release: str) -> bool:
        """Whether the simulated release is ``release`` or newer ("2024 R2")."""
        return _release_key(self.release) >= _release_key(release)

    @property
    def url(self) -> str:
        return f"https://{self._host}:{self._http.port}"

    async def start(self) -> None:
        await self._http.start()

    async def stop(self) -> None:
        for feature in self.features:
            await feature.stop()
        await self._http.stop()

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working now, as after an IDP restart."""
        self._tokens.clear()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is refused, as after an administrator revokes
        the user's grants."""
        self._refresh_tokens.clear()

    async def handle(self, request: Request) -> Response:
        """One request's answer, as the HTTP server hands it over."""
        response = cors.preflight(request, self.cors_origins) or await self._answer(request)
        response = cors.allow(request, response, self.cors_origins)
        self.counters.requests.append(
            f"{request.method} {request.path}?{_query(request)} {response.status}"
        )
        return response

    async def _answer(self, request: Request) -> Response:
        path = request.path.lower().rstrip("/")
        if self.gateway_down:
            return Response(503, HTTP_SYS_503, "text/html")
        if path in TOKEN_PATHS:
            if request.method != "POST":
                return Response(405, b"", headers={"Allow": "POST"})
            return self._token(request.form())
        if path in SOAP_PATHS:  # the SOAP services check their own tokens
            return await self.recorder.soap(request)
        if not path.startswith("/api/"):
            return Response(404, IIS_404, "text/html")
        # An events socket may bring its token in its first message instead (2024 R1+),
        # a WebRTC socket always does (in ``register``).
        later = path in (EVENTS_SOCKET, WEBRTC_SOCKET) and "authorization" not in request.headers
        if not later and not self._authorised(request):
            return Response(401, b"", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        for feature in self.features:
            answer = await feature.answer(request, path)
            if answer is not None:
                return answer
        if not path.startswith(CONFIG):
            return error_envelope(404, f"Unknown resource: {path.rsplit('/', 1)[-1]}")
        if request.method != "GET":
            return error_envelope(400, "Bad request: Unknown request")
        return self._config(path[len(CONFIG) :].split("/"), request.query)

    # -- the IDP ----------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> Response:
        client_id = form.get("client_id", "")
        if client_id not in CLIENTS:
            return _oauth_error(401, "invalid_client")  # RFC 6749 5.2: 401 for the client
        grant = form.get("grant_type", "")
        self.counters.grants[grant] = self.counters.grants.get(grant, 0) + 1
        if grant == "password":
            if form.get("username") != self.user or form.get("password") != self.password:
                return _oauth_error(400, "invalid_grant", "invalid_username_or_password")
        elif grant == "refresh_token" and client_id == "VmsClient":
            # One use each, as the IDP rotates them.
            if self._refresh_tokens.pop(form.get("refresh_token", ""), None) is None:
                return _oauth_error(400, "invalid_grant")
        else:
            return _oauth_error(400, "unsupported_grant_type")
        expires = time.time() + self.token_lifetime
        access = _jwt(self.user, client_id, expires)
        self._tokens[access] = time.monotonic() + self.token_lifetime
        document: dict[str, Any] = {
            "access_token": access,
            "expires_in": int(self.token_lifetime) if self.token_lifetime >= 1 else 1,
            "token_type": "Bearer",
            "scope": "managementserver",
        }
        if client_id == "VmsClient":
            refresh = secrets.token_hex(32).upper()
            self._refresh_tokens[refresh] = self.user
            document["refresh_token"] = refresh
            document["scope"] = "managementserver offline_access"
        return Response(
            200,
            json.dumps(document, indent=4).encode("utf-8"),
            headers={"Cache-Control": "no-store"},
        )

    def _authorised(self, request: Request) -> bool:
        scheme, _, access = request.headers.get("authorization", "").partition(" ")
        deadline = self._tokens.get(access.strip())
        return scheme.lower() == "bearer" and deadline is not None and time.monotonic() < deadline

    # -- the Configuration API --------------------------------------------------------

    def _config(self, parts: list[str], query: dict[str, str]) -> Response:
        groups, cameras = self._all_groups, self._cameras
        match parts:
            case ["sites"]:
                return self._list([_site(self.version)], query)
            case ["cameragroups"]:
                return self._list([group.config() for group in self._groups], query)
            case ["cameragroups", group_id] if group_id in groups:
                return _json(200, {"data": groups[group_id].config()})
            case ["cameragroups", group_id, "cameragroups"] if group_id in groups:
                return self._list([g.config() for g in groups[group_id].groups], query)
            case ["cameragroups", group_id, "cameras"] if group_id in groups:
                members = [cameras[c.lower()] for c in groups[group_id].camera_ids]
                return self._listed(members, query)
            case ["cameras"]:
                return self._listed(list(cameras.values()), query)
            case ["cameras", camera_id] if camera_id in cameras:
                return _json(200, {"data": cameras[camera_id].config()})
            case ["cameras", camera_id, "streams"] if camera_id in cameras:
                return self._list([cameras[camera_id].streams()], query)
            case ["cameragroups" | "cameras", unknown, *_]:
                return error_envelope(404, f"Unknown resource: {parts[0]}/{unknown}")
        return error_envelope(404, f"Unknown resource: {parts[-1]}")

    def _listed(self, members: list[SimCamera], query: dict[str, str]) -> Response:
        shown = [
            camera
            for camera in members
            if camera.enabled or not self.hide_disabled or "disabled" in query
        ]
        return self._list(shown, query, SimCamera.config)

    def _list(
        self,
        items: list[Any],
        query: dict[str, str],
        render: Callable[[Any], dict[str, Any]] | None = None,
    ) -> Response:
        """``page`` from 0 and ``size``; no total, a short page is the last. ``render``
        turns an item into its JSON after the page is cut: a 10,000-camera site built
        every camera's fields for each page of 100 (10 s of the simulator's time)."""
        if "page" in query or "size" in query:
            try:
                page, size = int(query.get("page", "0")), int(query.get("size", "100"))
            except ValueError:
                return error_envelope(400, "Bad request: page and size must be numbers")
            if page < 0 or size < 1:
                return error_envelope(400, "Bad request: page and size out of range")
            items = items[page * size : (page + 1) * size]
        return _json(200, {"array": [render(item) for item in items] if render else items})


def _query(request: Request) -> str:
    return "&".join(f"{k}={v}" for k, v in request.query.items())


def _release_key(release: str) -> tuple[int, int]:
    year, _, number = release.partition(" R")
    return int(year), int(number)


def _site(version: str) -> dict[str, Any]:
    return {
        "displayName": "VIGIL-DEMO",
        "id": SITE_ID,
        "name": "VIGIL-DEMO",
        "description": "",
        "lastModified": "2025-10-27T14:55:27.0000000Z",
        "timeZone": "UTC",
        "computerName": "VIGIL-DEMO",
        "domainName": "WORKGROUP",
        "platform": "Vigil simulator",
        "masterSiteAddress": "",
        "version": version,
        "relations": {"self": {"type": "sites", "id": SITE_ID}},
    }
