"""The form for adding a VMS site by its address (the shared parts: ui/server_form.py).

Most XProtect gateways sign their own certificate, so the fingerprint question is the
usual path here, not the exception. A Windows (domain) user needs an NTLM add-on that
not every installation has: choosing one where it is missing says so at once, beside
the choice, rather than after a round trip to the server.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from viewer.services.settings import SiteConfig
from viewer.services.sites import WINDOWS_UNSUPPORTED, Sites, windows_login_available
from viewer.ui.server_form import ServerForm

KINDS = {"milestone": "Milestone XProtect", "mibee": "MiBee NVR", "gateway": "REST gateway"}
LOGINS = {"basic": "Basic user", "windows": "Windows user"}


class AddSiteDialog(ServerForm):
    def __init__(
        self, sites: Sites, keyring_available: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__("Add site", "server", keyring_available, parent)
        self.added: SiteConfig | None = None
        self._sites = sites
        self.kind = QComboBox(self)
        for kind, label in KINDS.items():
            self.kind.addItem(label, kind)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Headquarters")
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://vms.example")
        self.form.addRow("Kind", self.kind)
        self.form.addRow("Name", self.name)
        self.form.addRow("Address", self.url)
        self.login = QComboBox(self)
        for login, label in LOGINS.items():
            self.login.addItem(label, login)
        self.login_note = QLabel(f"{WINDOWS_UNSUPPORTED}.", self)
        self.login_note.setStyleSheet("color: #ef4444")
        self.login_note.setWordWrap(True)
        self.login_note.hide()
        self.login.currentIndexChanged.connect(self._login_changed)
        self.form.addRow("Login", self.login)
        self.form.addRow(self.login_note)
        self.finish()

    async def save(self, trusted_fingerprint: str | None) -> None:
        self.added = await self._sites.add(
            self.kind.currentData(),
            self.name.text(),
            self.url.text(),
            self.user.text(),
            self.password.text(),
            trusted_fingerprint=trusted_fingerprint,
            login=self.login.currentData(),
        )

    def field_for(self, name: str) -> QWidget:
        return {"kind": self.kind, "login": self.login}.get(name, self.url)

    def _login_changed(self) -> None:
        windows = self.login.currentData() == "windows"
        self.login_note.setVisible(windows and not windows_login_available())
        self.user.setPlaceholderText("DOMAIN\\name" if windows else "")
