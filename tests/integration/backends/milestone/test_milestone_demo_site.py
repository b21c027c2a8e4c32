"""The demo site offers its simulated XProtect gateway like its other servers."""

from __future__ import annotations

import pytest

from tests.integration.backends.milestone.xprotect import SITE, run
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import UnknownCertificateError
from viewer.demo.footage import ALL_CAMERAS
from viewer.demo.milestone.directory import CAMERAS
from viewer.demo.serve import format_line


def test_serve_demo_lists_the_gateway_with_its_login_and_fingerprint(demo_site):
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "milestone"]
    assert entry["url"] == demo_site.site.milestone.url
    assert entry["url"].startswith("https://127.0.0.1:")
    line = format_line(entry)
    assert entry["url"] in line
    assert f"user {entry['user']}  password {entry['password']}" in line
    assert f"SHA-256 {entry['sha256']}" in line

    async def scenario():
        stranger = MilestoneBackend(SITE, entry["url"], entry["user"], entry["password"])
        with pytest.raises(UnknownCertificateError) as caught:
            await stranger.open()
        assert caught.value.fingerprint == entry["sha256"]
        pem = demo_site.site.milestone.certificate.pem.decode("ascii")
        trusted = MilestoneBackend(
            SITE,
            entry["url"],
            entry["user"],
            entry["password"],
            certificate=PinnedCertificate.from_pem(pem),
        )
        await trusted.open()
        try:
            tree = await trusted.camera_tree()
        finally:
            await trusted.close()
        # Every enabled camera the simulated site holds: the demo's own and the two with
        # a problem (an H.265-only and a privacy-masked one).
        held = sorted(c.name for c in CAMERAS.values() if c.enabled)
        assert sorted(c.name for c in tree.all_cameras()) == held
        assert {c.name for c in ALL_CAMERAS} < set(held)

    run(scenario)
