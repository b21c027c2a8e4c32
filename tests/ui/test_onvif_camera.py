"""An operator adds an RTSP camera with its ONVIF address: the address is kept in the
settings (the password in the keyring only), the camera shows as one that moves, and
after a restart it still moves through the demo's ONVIF dome."""

from __future__ import annotations

import json

from tests.integration.demo.test_ptz_views import entry
from viewer.ui.add_camera_dialog import AddCameraDialog

from .conftest import until
from .test_operator_workflow import fill_and_submit, visible_cameras


def test_a_camera_added_with_its_onvif_address_moves_and_keeps_it_across_a_restart(
    qloop, make_window, demo_site, memory_keyring, tmp_path
):
    found = entry(demo_site, "onvif")
    settings = tmp_path / "settings.json"
    window = make_window(settings_path=settings)
    dialog = AddCameraDialog(window.console.local_cameras, keyring_available=True, parent=window)
    dialog.show()
    fill_and_submit(
        qloop,
        dialog,
        name="Yard dome",
        main_url=found["rtsp"],
        onvif_url=found["url"],
        user=found["user"],
        password=found["password"],
    )
    ref = dialog.added
    assert ref is not None, dialog.error.text()
    assert window.console.directory.camera(ref).ptz
    [saved] = json.loads(settings.read_text())["sites"][0]["cameras"]
    assert saved["onvif_url"] == found["url"]
    assert "password" not in saved
    assert memory_keyring.items == {("Vigil", f"cameras/{ref.camera_id}"): found["password"]}
    window.close()
    qloop.run_until_complete(window.console.stop())

    again = make_window(settings_path=settings)
    backend = again.console.local_cameras.backend

    async def scenario():
        assert await until(lambda: "Yard dome" in visible_cameras(again.tree))
        assert again.console.directory.camera(ref).ptz
        capabilities = await backend.ptz_capabilities(ref.camera_id)
        assert capabilities.continuous and capabilities.absolute

    qloop.run_until_complete(scenario())


def test_an_onvif_address_that_cannot_be_one_is_explained_and_nothing_is_saved(qloop, make_window):
    window = make_window()
    dialog = AddCameraDialog(window.console.local_cameras, keyring_available=True, parent=window)
    dialog.show()
    fill_and_submit(
        qloop,
        dialog,
        name="Typo",
        main_url="rtsp://192.0.2.1/stream",
        onvif_url="rtsp://192.0.2.1/onvif/device_service",
    )
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "http://" in dialog.error.text()
    assert dialog.added is None
    assert "Typo" not in visible_cameras(window.tree)
