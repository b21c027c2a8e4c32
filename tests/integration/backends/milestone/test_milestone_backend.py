"""The XProtect backend against the simulated 2025 R1 gateway over loopback."""

from __future__ import annotations

import pytest

from tests.integration.backends.milestone.xprotect import (
    PASSWORD,
    SITE,
    USER,
    connected,
    run,
    serving,
    simulator,
    until,
)
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.certificates import PinnedCertificate
from viewer.core.errors import (
    AuthenticationError,
    CertificateChangedError,
    InvalidInputError,
    NotFoundError,
    UnknownCertificateError,
    UnreachableError,
)
from viewer.core.models import CameraGroup, Quality
from viewer.demo.certificate import self_signed
from viewer.demo.milestone.directory import CAMERAS


def names(group: CameraGroup) -> list[str]:
    return [camera.name for camera in group.cameras]


def child(group: CameraGroup, name: str) -> CameraGroup:
    (found,) = [inner for inner in group.groups if inner.name == name]
    return found


def test_login_reads_the_release():
    async def scenario():
        async with serving(simulator(release="2025 R1")) as server, connected(server) as backend:
            assert str(backend.version) == "25.1.1804.0"
            assert backend.version is not None and backend.version.release == "2025 R1"
            assert server.counters.grants == {"password": 1}

    run(scenario)


def test_a_wrong_password_is_refused_in_the_servers_words_without_the_password():
    async def scenario():
        async with serving(simulator()) as server:
            with pytest.raises(AuthenticationError) as caught:
                async with connected(server, password="wrong-Passw0rd"):
                    pass
            assert "invalid_username_or_password" in str(caught.value)
            assert "wrong-Passw0rd" not in str(caught.value)
            assert PASSWORD not in str(caught.value)

    run(scenario)


def test_a_short_token_is_renewed_by_password_when_there_is_no_refresh_token():
    async def scenario():
        async with serving(simulator(token_lifetime=2)) as server, connected(server) as backend:
            await until(lambda: server.counters.grants.get("password", 0) >= 3)
            await backend.camera_tree()
            assert "refresh_token" not in server.counters.grants
            assert [r for r in server.counters.requests if r.endswith(" 401")] == []

    run(scenario)


def test_a_vms_client_renews_with_its_refresh_token():
    async def scenario():
        server = simulator(token_lifetime=2)
        async with serving(server), connected(server, client_id="VmsClient") as backend:
            await until(lambda: server.counters.grants.get("refresh_token", 0) >= 2)
            assert server.counters.grants["password"] == 1
            assert [r for r in server.counters.requests if r.endswith(" 401")] == []
            tree = await backend.camera_tree()
            assert len(tree.all_cameras()) == 22

    run(scenario)


def test_tokens_voided_by_the_server_are_replaced_by_a_new_login():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.expire_tokens()
            tree = await backend.camera_tree()
            assert len(tree.all_cameras()) == 22
            assert server.counters.grants["password"] == 2

    run(scenario)


def test_the_tree_is_nested_as_the_site_arranges_it_and_fetched_in_pages():
    async def scenario():
        async with serving(simulator()) as server, connected(server, page_size=2) as backend:
            tree = await backend.camera_tree()
            streams = [await backend.camera_streams(c.ref.camera_id) for c in tree.all_cameras()]
        assert [group.name for group in tree.groups] == [
            "Entrances",
            "Outdoor",
            "Building",
            "Real sites' habits",
        ]
        entrances, outdoor = tree.groups[0], tree.groups[1]
        assert names(entrances) == ["Main entrance", "Staff entrance", "Main gate"]
        assert names(child(entrances, "Visitors")) == ["Reception lobby", "Visitor parking"]
        assert "Main entrance" in names(outdoor)
        perimeter = child(child(outdoor, "Car parks"), "Perimeter")
        assert names(perimeter) == ["Perimeter east", "Perimeter west"]
        assert len(tree.all_cameras()) == 22
        assert tree.cameras == ()
        for offered in streams:
            assert [s.quality for s in offered] == [Quality.MAIN, Quality.SUB]
        assert {c.name for c in tree.all_cameras() if c.ptz} == {"Main gate", "Harbour gate"}
        pages = [
            r for r in server.counters.requests if r.lower().startswith("get /api/rest/v1/cameras?")
        ]
        assert [r.split("?", 1)[1] for r in pages] == [f"page={n}&size=2 200" for n in range(12)]

    run(scenario)


def test_a_disabled_camera_is_hidden_even_when_the_server_lists_it():
    async def scenario():
        server = simulator()
        server.hide_disabled = False
        async with serving(server), connected(server, page_size=3) as backend:
            tree = await backend.camera_tree()
        perimeter = child(child(child(tree, "Outdoor"), "Car parks"), "Perimeter")
        assert names(perimeter) == ["Perimeter east", "Perimeter west"]
        assert "Old gatehouse" not in {camera.name for camera in tree.all_cameras()}

    run(scenario)


def test_an_unknown_resource_is_not_found_in_the_servers_words():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            with pytest.raises(NotFoundError, match="Unknown resource: recordings"):
                await backend._get("/api/rest/v1/recordings")

    run(scenario)


def test_a_gateway_answering_503_html_is_unreachable_with_its_words():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            server.gateway_down = True
            with pytest.raises(UnreachableError, match=r"HTTP 503.*Service Unavailable"):
                await backend.camera_tree()

    run(scenario)


def test_a_self_signed_gateway_is_refused_unless_its_certificate_is_pinned():
    async def scenario():
        async with serving(simulator()) as server:
            with pytest.raises(UnknownCertificateError) as unknown:
                async with connected(server, certificate=None):
                    pass
            assert unknown.value.fingerprint == server.certificate.fingerprint
            assert server.counters.grants == {}
            other = PinnedCertificate.from_pem(self_signed().pem.decode("ascii"))
            with pytest.raises(CertificateChangedError) as changed:
                async with connected(server, certificate=other):
                    pass
            assert changed.value.presented == server.certificate.fingerprint
            async with connected(server) as backend:
                assert backend.version is not None

    run(scenario)


def test_a_refused_refresh_token_falls_back_to_the_password():
    async def scenario():
        server = simulator(token_lifetime=2)
        async with serving(server), connected(server, client_id="VmsClient") as backend:
            server.revoke_refresh_tokens()
            await until(lambda: server.counters.grants["password"] >= 2)
            assert server.counters.grants["refresh_token"] >= 1
            assert len((await backend.camera_tree()).all_cameras()) == 22

    run(scenario)


def test_renewal_rides_out_a_gateway_that_is_down_for_a_while():
    async def scenario():
        async with serving(simulator(token_lifetime=2)) as server, connected(server) as backend:
            server.gateway_down = True
            await until(lambda: backend.renewal_error is not None)
            assert isinstance(backend.renewal_error, UnreachableError)
            assert "Service Unavailable" in str(backend.renewal_error)
            server.gateway_down = False
            await until(lambda: backend.renewal_error is None)
            assert len((await backend.camera_tree()).all_cameras()) == 22

    run(scenario)


@pytest.mark.parametrize("url", ["", "gateway.example", "ftp://127.0.0.1", "https://"])
def test_an_address_that_is_no_server_is_the_operators_to_fix(url):
    async def scenario():
        backend = MilestoneBackend(SITE, url, USER, PASSWORD)
        with pytest.raises(InvalidInputError) as caught:
            await backend.open()
        assert caught.value.field == "url"

    run(scenario)


def test_a_server_that_is_not_there_is_unreachable_and_the_password_stays_out():
    async def scenario():
        server = simulator()
        await server.start()
        url = server.url.replace("https://", f"https://{USER}:{PASSWORD}@")
        await server.stop()
        backend = MilestoneBackend(SITE, url, USER, PASSWORD)
        with pytest.raises(UnreachableError) as caught:
            await backend.open()
        assert PASSWORD not in str(caught.value)
        assert "127.0.0.1" in str(caught.value)

    run(scenario)


def test_a_client_id_the_idp_does_not_know_is_refused_in_its_words():
    async def scenario():
        async with serving(simulator()) as server:
            with pytest.raises(AuthenticationError, match="invalid_client"):
                async with connected(server, client_id="WebClient"):
                    pass

    run(scenario)


def stream_requests(server) -> list[str]:
    return [r for r in server.counters.requests if r.split("?")[0].endswith("/streams")]


def test_a_large_site_loads_page_by_page_with_every_camera_once():
    async def scenario():
        server = simulator(extra_cameras=300)
        async with serving(server), connected(server, page_size=20) as backend:
            tree = await backend.camera_tree()
        large = child(tree, "Large site")
        # In groups of 50, as 10,000 cameras come in 200.
        assert [area.name for area in large.groups] == [f"Area {n:03d}" for n in range(1, 7)]
        shown = [c.name for area in large.groups for c in area.cameras]
        assert shown == [f"Camera {n:05d}" for n in range(1, 301)]
        assert len(tree.all_cameras()) == 300 + sum(c.enabled for c in CAMERAS.values())
        # A request per camera for its streams would be 320 more: they wait until asked.
        assert stream_requests(server) == []
        assert all(camera.streams == () for camera in tree.all_cameras())
        first = large.groups[0]
        group_pages = [r for r in server.counters.requests if f"{first.id}/cameras?" in r]
        assert len(group_pages) == 3  # 20, 20 and a short 10

    run(scenario)


def test_a_cameras_streams_are_asked_for_when_first_needed_and_kept():
    async def scenario():
        async with serving(simulator()) as server, connected(server) as backend:
            tree = await backend.camera_tree()
            assert stream_requests(server) == []
            camera = tree.groups[0].cameras[0]
            first = await backend.camera_streams(camera.ref.camera_id)
            again = await backend.camera_streams(camera.ref.camera_id)
            asked = stream_requests(server)
        assert [s.quality for s in first] == [Quality.MAIN, Quality.SUB] and again == first
        assert len(asked) == 1 and camera.ref.camera_id in asked[0]

    run(scenario)
