"""Cross-origin requests, answered as an API Gateway with CORS switched on answers them.

A browser page served from another origin (Milestone's own JavaScript samples, the
browser test) may call the gateway only if it says so: a real gateway ships with CORS
off and an administrator turns it on in its appsettings, naming the origins allowed.
The simulator does the same: off unless ``MilestoneSimulator.cors_origins`` names the
page's origin (or ``*``). Preflights are answered before any token is asked for (a
browser sends them without its Authorization header), and every answer to an allowed
origin carries ``Access-Control-Allow-Origin`` so the page may read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from viewer.demo.http import Request, Response

METHODS = "GET, POST, PUT, PATCH, DELETE"
MAX_AGE = "600"


def _allowed(request: Request, origins: Collection[str]) -> str | None:
    origin = request.headers.get("origin")
    if origin is None or not (origin in origins or "*" in origins):
        return None
    return origin


def preflight(request: Request, origins: Collection[str]) -> Response | None:
    """The answer to a browser's ``OPTIONS`` preflight from an allowed origin; None for
    anything else, which the gateway answers as usual (a refused preflight gets no
    ``Access-Control-Allow-*`` and the browser stops there)."""
    if request.method != "OPTIONS" or "access-control-request-method" not in request.headers:
        return None
    origin = _allowed(request, origins)
    if origin is None:
        return None
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": METHODS,
        "Access-Control-Max-Age": MAX_AGE,
        "Vary": "Origin",
    }
    asked = request.headers.get("access-control-request-headers")
    if asked:
        headers["Access-Control-Allow-Headers"] = asked
    return Response(204, b"", headers=headers)


def allow(request: Request, response: Response, origins: Collection[str]) -> Response:
    """``response`` readable by the page that asked, if its origin is allowed."""
    origin = _allowed(request, origins)
    if origin is None or response.status == 101:
        return response
    headers = {**response.headers, "Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return dataclasses.replace(response, headers=headers)
