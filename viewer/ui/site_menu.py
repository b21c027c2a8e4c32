"""A VMS site's menu in the camera tree: a new password, and removing the site.

A password is asked again only where it can help: the site refused the login, or the
keyring could not keep the password, so the next start will have none. Sites of this
session only (the demo's) are nobody's to change and get no menu.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QWidget

from viewer.core.errors import AuthenticationError
from viewer.services.directory import SiteSession
from viewer.services.sites import Sites
from viewer.ui.tasks import spawn
from viewer.ui.wording import NOT_IN_KEYRING

Report = Callable[[str], None]


def site_menu(parent: QWidget, sites: Sites, session: SiteSession, report: Report) -> QMenu | None:
    """The menu for ``session``'s node, or None for a site that is not saved."""
    config = sites.saved(session.site.id)
    if config is None:
        return None
    menu = QMenu(parent)
    menu.aboutToHide.connect(menu.deleteLater)
    if isinstance(session.error, AuthenticationError) or sites.password_session_only(config.id):
        menu.addAction("Enter password…", lambda: ask_password(parent, sites, session, report))
    menu.addAction("Remove site", lambda: spawn(_remove(sites, session, report)))
    return menu


def ask_password(parent: QWidget, sites: Sites, session: SiteSession, report: Report) -> None:
    """A window-modal question (not exec(): the event loop, and so the site, keep going)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Site password")
    dialog.setLabelText(f"Password for {session.site.name}")
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    dialog.textValueSelected.connect(
        lambda text: spawn(_set_password(sites, session, text, report)) if text else None
    )
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()


async def _set_password(sites: Sites, session: SiteSession, password: str, report: Report) -> None:
    name = session.site.name
    if await sites.set_password(session.site.id, password):
        report(f"Password for {name} saved")
    else:
        report(f"The password for {name} {NOT_IN_KEYRING}")


async def _remove(sites: Sites, session: SiteSession, report: Report) -> None:
    await sites.remove(session.site.id)
    report(f"Site {session.site.name} removed")
