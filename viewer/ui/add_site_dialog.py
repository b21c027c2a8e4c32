"""The form for adding a VMS site by its address (the shared parts: ui/server_form.py).

Most XProtect gateways sign their own certificate, so the fingerprint question is the
usual path here, not the exception.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from viewer.services.settings import SiteConfig
from viewer.services.sites import Sites
from viewer.ui.server_form import ServerForm

KINDS = {"milestone": "Milestone XProtect"}


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
        self.finish()

    async def save(self, trusted_fingerprint: str | None) -> None:
        self.added = await self._sites.add(
            self.kind.currentData(),
            self.name.text(),
            self.url.text(),
            self.user.text(),
            self.password.text(),
            trusted_fingerprint=trusted_fingerprint,
        )

    def field_for(self, name: str) -> QWidget:
        return self.kind if name == "kind" else self.url
