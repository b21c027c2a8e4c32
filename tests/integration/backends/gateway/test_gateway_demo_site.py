"""The demo site includes a REST gateway: listed as kind ``gateway`` with what an operator
types, its cameras playing from the demo RTSP server; and Sites connects one by kind."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.integration.app.test_command_line import free_port, vigil
from tests.integration.backends.gateway.rest import SITE, run
from tests.integration.backends.gateway.test_gateway_video import corner, first_picture
from viewer.backends.gateway.backend import GatewayBackend
from viewer.core.models import Quality
from viewer.demo.footage import DEMO_CAMERAS
from viewer.services.settings import SiteConfig
from viewer.services.sites import backend_for


def test_the_demo_gateway_is_listed_and_its_cameras_play(demo_site):
    (entry,) = [e for e in demo_site.site.describe() if e["kind"] == "gateway"]
    assert entry["url"].startswith("http://127.0.0.1:")
    staff = DEMO_CAMERAS[6]

    async def scenario():
        backend = GatewayBackend(SITE, entry["url"], entry["user"], entry["password"])
        await backend.open()
        try:
            tree = await backend.camera_tree()
            assert len(tree.all_cameras()) == 8
            camera = next(c for c in tree.all_cameras() if c.name == staff.name)
            stream = await backend.live(camera.ref.camera_id, Quality.SUB)
        finally:
            await backend.close()
        picture = await asyncio.to_thread(first_picture, stream.url)
        assert all(abs(a - e) <= 40 for a, e in zip(corner(picture), staff.colour, strict=True))

    run(scenario)


def test_a_site_of_kind_gateway_gets_the_gateway_backend():
    config = SiteConfig("g1", "gateway", "Depot", "http://127.0.0.1:1", "operator")
    assert isinstance(backend_for(config, "pw"), GatewayBackend)


def test_serve_demo_json_lists_the_gateway_with_what_an_operator_types():
    port = free_port()
    with vigil("serve-demo", "--json", "--port-base", str(port)) as process:
        try:
            entries = [json.loads(process.stdout.readline())]
            while entries[-1]["kind"] != "gateway":
                entries.append(json.loads(process.stdout.readline()))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(20)
    (gateway,) = [e for e in entries if e["kind"] == "gateway"]
    assert gateway["url"] == f"http://127.0.0.1:{port + 3}"
    assert (gateway["user"], gateway["password"]) == ("demo", "demo")
