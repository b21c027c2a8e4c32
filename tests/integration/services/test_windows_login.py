"""Windows (domain) users of an XProtect site: NTLM where an add-on for httpx is
installed, a plain "not supported" where it is not."""

from __future__ import annotations

import asyncio
import importlib.machinery
import json
import sys
import types
from typing import ClassVar

import httpx
import pytest

from tests.integration.backends.milestone.xprotect import SITE, pin, serving, simulator
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.errors import InvalidInputError, NotSupportedError
from viewer.services.console import Console
from viewer.services.sites import windows_login_available

DOMAIN_USER, PASSWORD = "CORP\\eve", "Heron-Basalt-Tulip-5523"


def test_this_installation_has_no_ntlm_add_on():
    # The tests below that expect "not supported" rely on it.
    assert not windows_login_available()


def test_without_the_add_on_the_backend_says_windows_login_is_not_supported():
    async def scenario():
        async with serving(simulator()) as server:
            backend = MilestoneBackend(
                SITE, server.url, DOMAIN_USER, PASSWORD, certificate=pin(server), windows_user=True
            )
            with pytest.raises(NotSupportedError) as refused:
                await backend.open()
            assert "Windows login is not supported by this installation" in str(refused.value)
            assert PASSWORD not in str(refused.value)
            # Nothing was sent with the password in it.
            assert server.counters.grants == {}

    asyncio.run(scenario())


def test_without_the_add_on_a_windows_user_site_is_refused_naming_the_login_field(
    memory_keyring, tmp_path
):
    async def add() -> None:
        console = Console(tmp_path / "settings.json")
        try:
            await console.sites.add(
                "milestone", "HQ", "https://vms.example", DOMAIN_USER, PASSWORD, login="windows"
            )
        finally:
            await console.stop()

    with pytest.raises(InvalidInputError) as refused:
        asyncio.run(add())
    assert refused.value.field == "login"
    assert "Windows login is not supported by this installation" in str(refused.value)


class StandInNtlm(httpx.Auth):
    """Stands in for httpx_ntlm's HttpNtlmAuth: marks the requests it authenticates."""

    seen: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def auth_flow(self, request):
        StandInNtlm.seen.append((self.user, request.url.path, request.content.decode()))
        request.headers["Authorization"] = "NTLM stand-in"
        yield request


@pytest.fixture
def ntlm_add_on(monkeypatch):
    module = types.ModuleType("httpx_ntlm")
    module.__spec__ = importlib.machinery.ModuleSpec("httpx_ntlm", None)
    module.HttpNtlmAuth = StandInNtlm
    monkeypatch.setitem(sys.modules, "httpx_ntlm", module)
    StandInNtlm.seen = []
    return StandInNtlm


def test_with_the_add_on_the_idp_is_asked_for_windows_credentials_through_ntlm(
    ntlm_add_on, memory_keyring, tmp_path
):
    assert windows_login_available()
    path = tmp_path / "settings.json"

    async def scenario():
        async with serving(simulator()) as server:
            console = Console(path)
            try:
                config = await console.sites.add(
                    "milestone",
                    "HQ",
                    server.url,
                    DOMAIN_USER,
                    PASSWORD,
                    trusted_fingerprint=server.certificate.fingerprint,
                    login="windows",
                )
            finally:
                await console.stop()
            return config, server.counters.grants

    config, grants = asyncio.run(scenario())
    assert config.login == "windows"
    # The grant the docs name, its credentials in the NTLM exchange and not in the form
    # (the simulator does not speak NTLM, so it refuses the grant: that is all it can check).
    assert grants == {"windows_credentials": 1}
    ((user, where, form),) = ntlm_add_on.seen
    assert (user, where) == (DOMAIN_USER, "/API/IDP/connect/token")
    assert "grant_type=windows_credentials" in form and PASSWORD not in form
    (saved,) = json.loads(path.read_text())["sites"][1:]
    assert saved["login"] == "windows" and PASSWORD not in path.read_text()
