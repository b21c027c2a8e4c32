"""What the forms that add something on the network share: a user and password, the
error beside the field that caused it, and the question about an unvouched certificate.

The forms know no protocol: they hand their fields to the services layer and show the
typed error that comes back. Something whose certificate nobody vouches for is added
only after the operator has seen its fingerprint and ticked that they trust it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from viewer.core.errors import InvalidInputError, UnknownCertificateError
from viewer.ui.tasks import spawn
from viewer.ui.trust_box import TrustBox


class ServerForm(QDialog):
    """Subclasses add their own rows, then call :meth:`finish`, and implement
    :meth:`save` and :meth:`field_for`."""

    def __init__(
        self, title: str, device: str, keyring_available: bool, parent: QWidget | None
    ) -> None:
        """``device`` is what presents a certificate, for the trust question ("camera")."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self._keyring_available = keyring_available
        self.form = QFormLayout(self)
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #ef4444")
        self.error.setWordWrap(True)
        self.error.hide()
        self._trust = TrustBox(self, device)
        self.certificate, self.trust = self._trust.label, self._trust.check
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        """The shared rows, below the subclass's own."""
        self.form.addRow("User", self.user)
        self.form.addRow("Password", self.password)
        if not self._keyring_available:
            note = QLabel(
                "This computer has no password keyring: the password is kept "
                "for this session only and asked for again next time.",
                self,
            )
            note.setWordWrap(True)
            self.form.addRow(note)
        self.form.addRow(self.error)
        self.form.addRow(self.certificate)
        self.form.addRow(self.trust)
        self.form.addRow(self.buttons)

    async def save(self, trusted_fingerprint: str | None) -> None:
        """Hand the fields to the services layer; raises what it raises."""
        raise NotImplementedError

    def field_for(self, name: str) -> QWidget:
        """The widget of the form field an InvalidInputError names."""
        raise NotImplementedError

    def _submit(self) -> None:
        self.buttons.setEnabled(False)
        spawn(self._save())

    async def _save(self) -> None:
        try:
            await self.save(self._trust.trusted)
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
        field = self.field_for(exc.field)
        self.error.setText(str(exc))
        self.error.show()
        field.setFocus()
        if isinstance(field, QLineEdit):
            field.selectAll()
