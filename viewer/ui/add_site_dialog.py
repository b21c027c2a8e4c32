"""The form for adding a VMS site by its address, user and password.

Like the camera form it knows no protocol: it hands the fields to the services layer
and shows the error it gets back beside the field that caused it. A gateway whose
certificate nobody vouches for (most XProtect gateways sign their own) is added only
after the operator has seen its fingerprint and ticked that they trust it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from viewer.core.errors import InvalidInputError, UnknownCertificateError
from viewer.services.settings import SiteConfig
from viewer.services.sites import Sites
from viewer.ui.tasks import spawn
from viewer.ui.trust_box import TrustBox

KINDS = {"milestone": "Milestone XProtect"}


class AddSiteDialog(QDialog):
    def __init__(
        self, sites: Sites, keyring_available: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add site")
        self.added: SiteConfig | None = None
        self._sites = sites
        self.kind = QComboBox(self)
        for kind, label in KINDS.items():
            self.kind.addItem(label, kind)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Headquarters")
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://vms.example")
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #ef4444")
        self.error.setWordWrap(True)
        self.error.hide()
        self._trust = TrustBox(self)
        form = QFormLayout(self)
        form.addRow("Kind", self.kind)
        form.addRow("Name", self.name)
        form.addRow("Address", self.url)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        if not keyring_available:
            note = QLabel(
                "This computer has no password keyring: the password is kept "
                "for this session only and asked for again next time.",
                self,
            )
            note.setWordWrap(True)
            form.addRow(note)
        form.addRow(self.error)
        form.addRow(self._trust.label)
        form.addRow(self._trust.check)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    @property
    def trust(self) -> TrustBox:
        return self._trust

    def _submit(self) -> None:
        self.buttons.setEnabled(False)
        spawn(self._add())

    async def _add(self) -> None:
        try:
            self.added = await self._sites.add(
                self.kind.currentData(),
                self.name.text(),
                self.url.text(),
                self.user.text(),
                self.password.text(),
                trusted_fingerprint=self._trust.trusted,
            )
        except UnknownCertificateError as exc:
            self.error.hide()
            self._trust.ask(exc.fingerprint)
            return
        except InvalidInputError as exc:
            self._show_error(exc)
            return
        finally:
            self.buttons.setEnabled(True)
        self.accept()

    def _show_error(self, exc: InvalidInputError) -> None:
        field = self.kind if exc.field == "kind" else self.url
        self.error.setText(str(exc))
        self.error.show()
        field.setFocus()
