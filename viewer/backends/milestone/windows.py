"""Windows users of an XProtect site: the IDP grants their token for
``grant_type=windows_credentials`` on a request that NTLM authenticates [doc:
backends.md "Auth"]; the user is ``DOMAIN\\name`` and the password goes into the NTLM
exchange, never into the form.

httpx has no NTLM of its own. The ``httpx_ntlm`` add-on is used where it is installed;
it is not a dependency of Vigil (one small package, last released in 2023, with a fork
published because of unfixed bugs), so an installation without it says so plainly
instead of failing at the server.
"""

from __future__ import annotations

import importlib
import importlib.util

import httpx

from viewer.core.errors import NotSupportedError

ADD_ON = "httpx_ntlm"
GRANT = {"grant_type": "windows_credentials"}
UNSUPPORTED = "Windows login is not supported by this installation"


def available() -> bool:
    """Whether an NTLM add-on for httpx can be imported here."""
    return importlib.util.find_spec(ADD_ON) is not None


def ntlm(user: str, password: str) -> httpx.Auth:
    """The NTLM authentication of one IDP request; NotSupportedError without the add-on."""
    try:
        add_on = importlib.import_module(ADD_ON)
    except ImportError:
        raise NotSupportedError(f"{UNSUPPORTED} (no NTLM add-on for httpx)") from None
    auth: httpx.Auth = add_on.HttpNtlmAuth(user, password)
    return auth
