"""A VMS site added by its address: trusted by its fingerprint, then its tree shows."""

from __future__ import annotations

import importlib.machinery
import sys
import types

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from viewer.app import DEMO_SITE_ID, demo_backend
from viewer.core.models import CameraRef
from viewer.demo.footage import ALL_CAMERAS, DEMO_CAMERAS
from viewer.services.directory import SiteStatus
from viewer.ui.add_site_dialog import AddSiteDialog

from .conftest import until
from .pixels import assert_shows
from .test_operator_workflow import plays, visible_cameras


def click_ok(qloop, dialog) -> None:
    QTest.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    qloop.run_until_complete(
        until(
            lambda: (
                dialog.buttons.isEnabled()
                and (not dialog.isVisible() or dialog.trust.isVisible() or dialog.error.isVisible())
            )
        )
    )


def open_dialog_for(window, gateway) -> AddSiteDialog:
    dialog = AddSiteDialog(window.console.sites, keyring_available=True, parent=window)
    dialog.show()
    dialog.name.setText("Headquarters")
    dialog.url.setText(gateway.url)
    dialog.user.setText(gateway.user)
    dialog.password.setText(gateway.password)
    return dialog


def test_a_milestone_site_is_added_once_its_certificate_is_trusted(
    qloop, make_window, demo_site, memory_keyring
):
    gateway = demo_site.site.milestone
    window = make_window()
    dialog = open_dialog_for(window, gateway)
    click_ok(qloop, dialog)
    # Nobody vouches for the gateway's own certificate: the operator is asked first.
    assert dialog.isVisible()
    assert gateway.certificate.fingerprint in dialog.certificate.text()
    label = dialog.certificate
    # All of the question fits the dialog, the fingerprint's line included.
    assert label.height() >= label.heightForWidth(label.width())
    assert label.geometry().bottom() < dialog.height()
    assert window.console.settings.sites == []
    QTest.mouseClick(dialog.trust, Qt.MouseButton.LeftButton)
    click_ok(qloop, dialog)
    assert not dialog.isVisible()
    site = dialog.added
    assert site is not None and site.certificate is not None
    session = window.console.directory.session(site.id)
    assert session is not None and session.status is SiteStatus.ONLINE
    names = visible_cameras(window.tree)
    # The demo gateway's cameras, one of them in two groups.
    assert names.count("Main entrance") == 2
    assert {camera.name for camera in ALL_CAMERAS[:3]} <= set(names)


def test_an_address_that_is_no_server_is_explained_beside_the_field(qloop, make_window):
    window = make_window()
    dialog = AddSiteDialog(window.console.sites, keyring_available=True, parent=window)
    dialog.show()
    dialog.url.setText("vms.example")
    click_ok(qloop, dialog)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "https://" in dialog.error.text()
    assert window.console.settings.sites == []


def test_a_windows_user_where_no_ntlm_add_on_is_installed_is_explained_beside_the_choice(
    qloop, make_window
):
    window = make_window()
    dialog = AddSiteDialog(window.console.sites, keyring_available=True, parent=window)
    dialog.show()
    assert dialog.login.currentText() == "Basic user" and not dialog.login_note.isVisible()
    dialog.login.setCurrentIndex(dialog.login.findData("windows"))
    assert dialog.login_note.isVisible()
    assert dialog.login_note.text() == "Windows login is not supported by this installation."
    # The note sits with the choice it explains: in the row right below it.
    form = dialog.form
    login_row = form.getWidgetPosition(dialog.login)[0]
    assert form.getWidgetPosition(dialog.login_note)[0] == login_row + 1
    dialog.url.setText("https://vms.example")
    dialog.user.setText("CORP\\eve")
    dialog.password.setText("pw")
    click_ok(qloop, dialog)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "not supported by this installation" in dialog.error.text()
    assert dialog.login.hasFocus() or dialog.focusWidget() is dialog.login
    assert window.console.settings.sites == []
    dialog.login.setCurrentIndex(dialog.login.findData("basic"))
    assert not dialog.login_note.isVisible()


def test_a_windows_user_where_an_ntlm_add_on_is_installed_needs_no_note(
    qloop, make_window, monkeypatch
):
    add_on = types.ModuleType("httpx_ntlm")
    add_on.__spec__ = importlib.machinery.ModuleSpec("httpx_ntlm", None)
    monkeypatch.setitem(sys.modules, "httpx_ntlm", add_on)
    window = make_window()
    dialog = AddSiteDialog(window.console.sites, keyring_available=True, parent=window)
    dialog.show()
    dialog.login.setCurrentIndex(dialog.login.findData("windows"))
    assert not dialog.login_note.isVisible()
    assert dialog.user.placeholderText() == "DOMAIN\\name"


def test_a_camera_of_an_added_milestone_site_plays_over_webrtc_beside_an_rtsp_camera(
    qloop, make_window, demo_site, memory_keyring
):
    gateway = demo_site.site.milestone
    window = make_window(demo_backend(demo_site.site.describe()))
    dialog = open_dialog_for(window, gateway)
    click_ok(qloop, dialog)
    QTest.mouseClick(dialog.trust, Qt.MouseButton.LeftButton)
    click_ok(qloop, dialog)
    site = dialog.added
    session = window.console.directory.session(site.id)
    (entrance,) = [c for c in session.tree.all_cameras() if c.name == DEMO_CAMERAS[0].name]
    window.grid.set_grid(2)
    window.grid.assign(0, CameraRef(DEMO_SITE_ID, "cam02"))
    window.grid.assign(1, entrance.ref)
    rtsp_tile, webrtc_tile = window.grid.tiles[:2]
    plays(qloop, rtsp_tile, DEMO_CAMERAS[1])
    plays(qloop, webrtc_tile, DEMO_CAMERAS[0])
    # The picture came through a WebRTC session the gateway opened for this camera,
    # of its sub-stream while the tile is small...
    sessions = [r for r in gateway.counters.requests if r.startswith("POST /api/REST/v1/WebRTC/")]
    assert sessions
    assert (webrtc_tile.frame.source_width, webrtc_tile.frame.source_height) == (640, 360)
    # ...and of its main stream once maximised.
    window.grid.maximise(1)
    assert qloop.run_until_complete(
        until(lambda: webrtc_tile.frame is not None and webrtc_tile.frame.source_width == 1920)
    )
    assert_shows(webrtc_tile, DEMO_CAMERAS[0])


def add_plain_site(qloop, window, kind: str, name: str, server) -> object:
    """Add a site served over plain http, as a small NVR or a gateway on a LAN is."""
    dialog = AddSiteDialog(window.console.sites, keyring_available=True, parent=window)
    dialog.show()
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    dialog.name.setText(name)
    dialog.url.setText(server.url)
    dialog.user.setText(server.user)
    dialog.password.setText(server.password)
    click_ok(qloop, dialog)
    assert not dialog.isVisible(), dialog.error.text()
    return dialog.added


def test_a_mibee_nvr_and_a_rest_gateway_added_through_the_dialog_each_play_a_camera(
    qloop, make_window, demo_site, memory_keyring
):
    window = make_window()
    nvr = add_plain_site(qloop, window, "mibee", "Warehouse NVR", demo_site.site.mibee)
    gateway = add_plain_site(qloop, window, "gateway", "Campus gateway", demo_site.site.gateway)
    names = visible_cameras(window.tree)
    # The NVR's eight cameras and the gateway's, one of them in two of its groups.
    assert {camera.name for camera in DEMO_CAMERAS[:8]} <= set(names)
    assert names.count(DEMO_CAMERAS[6].name) == 3
    nvr_cameras = window.console.directory.session(nvr.id).tree.all_cameras()
    gateway_cameras = window.console.directory.session(gateway.id).tree.all_cameras()
    # cam07 is one the NVR offers over HLS only; the gateway hands out RTSP URLs.
    (hls_camera,) = [c for c in nvr_cameras if c.name == DEMO_CAMERAS[6].name]
    (rtsp_camera,) = [c for c in gateway_cameras if c.name == DEMO_CAMERAS[2].name]
    window.grid.set_grid(2)
    window.grid.assign(0, hls_camera.ref)
    window.grid.assign(1, rtsp_camera.ref)
    first, second = window.grid.tiles[:2]
    plays(qloop, first, DEMO_CAMERAS[6])
    plays(qloop, second, DEMO_CAMERAS[2])
    assert [site.kind for site in window.console.settings.sites] == ["mibee", "gateway"]
