"""VMS sites are added once, trusted by their fingerprint, and come back at every start."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from viewer.core.errors import InvalidInputError, UnknownCertificateError
from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.services.console import Console
from viewer.services.directory import SiteStatus
from viewer.services.settings import SITE_KINDS
from viewer.services.sites import FACTORIES, secret_key


def camera_names(console: Console, site_id: str) -> list[str]:
    session = console.directory.session(site_id)
    assert session is not None
    return sorted(camera.name for camera in session.tree.all_cameras())


def test_every_kind_the_settings_keep_has_a_backend():
    assert set(FACTORIES) == set(SITE_KINDS)


USER, PASSWORD = "operator", "Lantern-Quarry-Velvet-2718"


def test_a_milestone_site_is_trusted_saved_and_connected_again_at_start(memory_keyring, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The same gateway (address and certificate) in both sessions.
    gateway = MilestoneSimulator(user=USER, password=PASSWORD, port=port)
    path = tmp_path / "settings.json"

    async def with_gateway(scenario):
        """Run ``scenario(console)`` with the gateway up and a console started."""
        await gateway.start()
        console = Console(path)
        try:
            await console.start()
            return await scenario(console)
        finally:
            await console.stop()
            await gateway.stop()

    async def first_session(console: Console) -> tuple[str, list[str]]:
        add = console.sites.add
        with pytest.raises(UnknownCertificateError) as asked:
            await add("milestone", "HQ", gateway.url, USER, PASSWORD)
        # The operator is shown the gateway's own certificate, and nothing is saved yet.
        assert asked.value.fingerprint == gateway.certificate.fingerprint
        assert console.settings.sites == []
        config = await add(
            "milestone",
            "HQ",
            gateway.url,
            USER,
            PASSWORD,
            trusted_fingerprint=asked.value.fingerprint,
        )
        session = console.directory.session(config.id)
        assert session is not None and session.status is SiteStatus.ONLINE
        names = camera_names(console, config.id)
        assert names
        return config.id, names

    site_id, names = asyncio.run(with_gateway(first_session))
    saved = json.loads(path.read_text())
    (site,) = [s for s in saved["sites"] if s["kind"] == "milestone"]
    assert site["certificate"]["sha256"] == gateway.certificate.fingerprint
    assert PASSWORD not in path.read_text()
    assert memory_keyring.items[("Vigil", secret_key(site_id))] == PASSWORD

    async def next_session(console: Console) -> None:
        session = console.directory.session(site_id)
        assert session is not None and session.status is SiteStatus.ONLINE
        assert camera_names(console, site_id) == names
        await console.sites.remove(site_id)
        assert console.directory.session(site_id) is None

    asyncio.run(with_gateway(next_session))
    assert "milestone" not in path.read_text()
    assert ("Vigil", secret_key(site_id)) not in memory_keyring.items


@pytest.mark.parametrize(
    ("url", "field"),
    [("ftp://vms.example", "url"), ("vms.example", "url"), ("https://u:pw@vms.example", "url")],
)
def test_an_unusable_address_is_refused_naming_the_field(memory_keyring, tmp_path, url, field):
    async def add() -> None:
        console = Console(tmp_path / "settings.json")
        try:
            await console.sites.add("milestone", "HQ", url, "operator", "pw")
        finally:
            await console.stop()

    with pytest.raises(InvalidInputError) as refused:
        asyncio.run(add())
    assert refused.value.field == field
