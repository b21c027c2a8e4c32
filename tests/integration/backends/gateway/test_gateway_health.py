"""The gateway's ``/system/health`` as the site node shows it, probed at open like its
other optional endpoints."""

from __future__ import annotations

import pytest

from tests.integration.backends.gateway.rest import connected, requests, run, serving, simulator
from viewer.core.errors import NotSupportedError
from viewer.core.models import HealthState, SiteHealth


def test_a_healthy_gateway_is_ok_with_its_disk_use():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            health = await backend.health()
            assert health == SiteHealth(
                HealthState.OK, "healthy", ("Recording Server 1: storage 76 % used",)
            )

    run(scenario)


def test_a_degraded_gateway_says_how_full_its_disk_is():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.health, server.storage_used = "degraded", 93.0
            health = await backend.health()
            assert health == SiteHealth(
                HealthState.DEGRADED, "degraded", ("Recording Server 1: storage 93 % used",)
            )

    run(scenario)


def test_an_unhealthy_gateway_is_down_naming_what_stopped():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.health = "unhealthy"
            health = await backend.health()
            assert health.state is HealthState.DOWN
            assert health.details[:2] == ("recordingServer: stopped", "Recording Server 1: stopped")

    run(scenario)


def test_a_gateway_without_the_endpoint_reports_no_health_and_is_not_asked_again():
    async def scenario():
        server = simulator()
        server.switched_off.add("health")
        async with serving(server), connected(server) as backend:
            with pytest.raises(NotSupportedError):
                await backend.health()
            assert len(requests(server, "/system/health")) == 1

    run(scenario)
