"""A VMS site's menu in the tree: a password typed again after a refusal, and removal."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QInputDialog

from viewer.demo.milestone.gateway import MilestoneSimulator
from viewer.services.directory import SiteStatus
from viewer.services.sites import secret_key
from viewer.ui.camera_tree import SITE_ROLE

from .conftest import until
from .test_operator_workflow import menu_entries, visible_cameras

USER, PASSWORD = "operator", "Orchard-Lamp-Quiver-4471"


@pytest.fixture
def gateway(qloop):
    server = MilestoneSimulator(user=USER, password=PASSWORD)
    qloop.run_until_complete(server.start())
    yield server
    qloop.run_until_complete(server.stop())


def site_menu_of(window, site_id):
    """Right-click the site's node, as the operator does; returns the menu that pops up."""
    tree = window.tree
    model = tree.proxy
    (index,) = [
        model.index(row, 0)
        for row in range(model.rowCount())
        if model.index(row, 0).data(SITE_ROLE) == site_id
    ]
    tree.view.customContextMenuRequested.emit(tree.view.visualRect(index).center())
    return QApplication.activePopupWidget()


def add_site(qloop, window, gateway, password):
    sites = window.console.sites
    return qloop.run_until_complete(
        sites.add(
            "milestone",
            "Head office",
            gateway.url,
            USER,
            password,
            trusted_fingerprint=gateway.certificate.fingerprint,
        )
    )


def test_a_refused_password_is_typed_again_from_the_sites_menu_and_its_cameras_appear(
    qloop, make_window, gateway, memory_keyring
):
    window = make_window()
    site = add_site(qloop, window, gateway, "wrong-password")
    session = window.console.directory.session(site.id)
    assert session.status is SiteStatus.FAILED
    assert window.tree.site_text(site.id) == "Head office – Authentication failed"
    assert visible_cameras(window.tree) == []

    menu = site_menu_of(window, site.id)
    entries = menu_entries(menu)
    assert set(entries) == {"Enter password…", "Remove site"}
    entries["Enter password…"].trigger()
    menu.close()
    dialog = window.findChild(QInputDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(PASSWORD)
    dialog.accept()

    assert qloop.run_until_complete(until(lambda: "Main entrance" in visible_cameras(window.tree)))
    assert window.console.directory.session(site.id).status is SiteStatus.ONLINE
    assert window.tree.site_text(site.id) == "Head office"
    assert memory_keyring.items[("Vigil", secret_key(site.id))] == PASSWORD
    assert window.statusBar().currentMessage() == "Password for Head office saved"
    # Connected as it should be, its menu has nothing to ask any more.
    menu = site_menu_of(window, site.id)
    assert set(menu_entries(menu)) == {"Remove site"}
    menu.close()


def test_a_site_is_removed_from_its_menu_with_its_password(
    qloop, make_window, gateway, memory_keyring
):
    window = make_window()
    site = add_site(qloop, window, gateway, PASSWORD)
    assert "Main entrance" in visible_cameras(window.tree)
    menu = site_menu_of(window, site.id)
    menu_entries(menu)["Remove site"].trigger()
    menu.close()
    assert qloop.run_until_complete(
        until(lambda: window.console.directory.session(site.id) is None)
    )
    assert visible_cameras(window.tree) == []
    assert window.console.settings.sites == []
    assert ("Vigil", secret_key(site.id)) not in memory_keyring.items


def test_a_password_the_keyring_refused_can_be_typed_again(
    qloop, make_window, gateway, refusing_keyring
):
    window = make_window()
    site = add_site(qloop, window, gateway, PASSWORD)
    assert window.console.directory.session(site.id).status is SiteStatus.ONLINE
    menu = site_menu_of(window, site.id)
    assert "Enter password…" in menu_entries(menu)
    menu.close()
