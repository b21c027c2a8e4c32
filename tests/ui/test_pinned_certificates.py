"""A camera reached over RTSPS with a certificate it signed itself, as most cameras do.

The operator sees its fingerprint when adding it and has to say they trust it; from
then on that certificate alone is trusted, and a camera presenting another one is
refused for good with a tile that says why.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from viewer.demo.footage import DEMO_CAMERAS
from viewer.demo.site import DemoSiteThread
from viewer.services.local_cameras import SITE as LOCAL_SITE
from viewer.ui.add_camera_dialog import AddCameraDialog
from viewer.ui.wording import state_text

from .conftest import until
from .pixels import assert_shows
from .test_operator_workflow import visible_cameras


def press_ok(qloop, dialog) -> None:
    """Click OK and wait until the dialog has its answer (it closes or asks again)."""
    QTest.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    qloop.run_until_complete(until(lambda: dialog.buttons.isEnabled() or not dialog.isVisible()))


def test_a_camera_with_its_own_certificate_is_added_only_once_its_fingerprint_is_trusted(
    qloop, make_window, demo_site, memory_keyring, tmp_path
):
    settings = tmp_path / "settings.json"
    window = make_window(settings_path=settings)
    rtsp = demo_site.site.rtsp
    camera = DEMO_CAMERAS[5]
    fingerprint = rtsp.certificate.fingerprint
    dialog = AddCameraDialog(window.console.local_cameras, keyring_available=True, parent=window)
    dialog.show()
    dialog.name.setText("Loading bay")
    dialog.main_url.setText(rtsp.url(camera.id, "main", tls=True))
    dialog.sub_url.setText(rtsp.url(camera.id, "sub", tls=True))
    dialog.user.setText("demo")
    dialog.password.setText("demo")

    press_ok(qloop, dialog)
    assert dialog.isVisible()
    assert dialog.trust.isVisible() and not dialog.trust.isChecked()
    assert fingerprint in dialog.certificate.text()
    assert dialog.added is None
    assert "Loading bay" not in visible_cameras(window.tree)
    assert not settings.exists() or "Loading bay" not in settings.read_text()

    press_ok(qloop, dialog)  # OK again without ticking: still only asked
    assert dialog.isVisible() and dialog.added is None

    QTest.mouseClick(dialog.trust, Qt.MouseButton.LeftButton)
    assert dialog.trust.isChecked()
    press_ok(qloop, dialog)
    assert not dialog.isVisible()
    ref = dialog.added
    assert ref is not None and ref.site_id == LOCAL_SITE.id
    assert "Loading bay" in visible_cameras(window.tree)
    window.grid.assign(0, ref)
    tile = window.grid.tiles[0]
    assert qloop.run_until_complete(until(lambda: tile.frame is not None))
    assert_shows(tile, camera)

    text = settings.read_text()
    [saved] = json.loads(text)["sites"][0]["cameras"]
    assert saved["certificate"]["sha256"] == fingerprint
    assert saved["certificate"]["pem"] == rtsp.certificate.pem.decode()
    assert "password" not in text
    assert memory_keyring.items == {("Vigil", f"cameras/{ref.camera_id}"): "demo"}

    # The pin is read back at the next start, and the camera plays again.
    window.close()
    qloop.run_until_complete(window.console.stop())
    again = make_window(settings_path=settings)
    again.grid.assign(0, ref)
    tile = again.grid.tiles[0]
    assert qloop.run_until_complete(until(lambda: tile.frame is not None))
    assert_shows(tile, camera)


def test_a_camera_presenting_another_certificate_is_refused_for_good_and_the_tile_says_so(
    qloop, make_window, footage_cache, memory_keyring
):
    # A site of its own: its RTSP server is restarted, which makes a new certificate.
    site = DemoSiteThread(footage_cache)
    site.start()
    try:
        window = make_window()
        rtsp = site.site.rtsp
        camera = DEMO_CAMERAS[6]
        trusted = rtsp.certificate.fingerprint
        ref = qloop.run_until_complete(
            window.console.local_cameras.add(
                "Yard",
                rtsp.url(camera.id, "sub", tls=True),
                user="demo",
                password="demo",
                trusted_fingerprint=trusted,
            )
        )
        window.grid.assign(0, ref)
        tile = window.grid.tiles[0]
        assert qloop.run_until_complete(until(lambda: tile.frame is not None))
        assert_shows(tile, camera)

        # The camera is reset: same address, a new certificate of its own.
        site.call(rtsp.stop())
        site.call(rtsp.start())
        presented = rtsp.certificate.fingerprint
        assert presented != trusted
        assert qloop.run_until_complete(
            until(lambda: state_text(tile.state) == "Certificate changed")
        )
        assert presented in tile.toolTip()
        assert "demo@" not in tile.toolTip()

        # Given up for good: the player has ended and nothing reopens the stream.
        [player] = window.console.hub.players()
        assert player.join(5)
        reconnects = player.stats.reconnects
        qloop.run_until_complete(until(lambda: False, within=3))
        assert window.console.hub.players() == [player]
        assert player.stats.reconnects == reconnects == 1
        assert state_text(tile.state) == "Certificate changed"
    finally:
        site.stop()
