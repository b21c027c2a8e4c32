"""Modules the first connection would import, imported at start-up instead.

httpx brings in httpcore, and httpcore its anyio backend, only when the first request
goes out. Importing is slow, and slower under PySide, whose import hook reads each new
module's source: on the GUI loop the first site's load stalled for 200-470 ms while
these came in (benchmarks/site_load.py).
"""

from __future__ import annotations

import importlib

FIRST_CONNECTION = (
    "httpcore",
    "httpcore._async.connection_pool",
    "httpcore._async.http11",
    "httpcore._backends.anyio",
    "anyio._backends._asyncio",
    "anyio.streams.tls",
)


def preload() -> None:
    for name in FIRST_CONNECTION:
        importlib.import_module(name)
