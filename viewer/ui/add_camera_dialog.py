"""The form for adding an RTSP camera by URL.

The dialog knows nothing about URLs: it hands the fields to the services layer and
shows the error it gets back next to the field that caused it. A camera whose
certificate nobody vouches for is added only after the operator has seen its
fingerprint and ticked that they trust it.
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
from viewer.core.models import CameraRef
from viewer.services.local_cameras import LocalCameras
from viewer.ui.tasks import spawn
from viewer.ui.trust_box import TrustBox


class AddCameraDialog(QDialog):
    def __init__(
        self, cameras: LocalCameras, keyring_available: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add RTSP camera")
        self.added: CameraRef | None = None
        self._cameras = cameras
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Entrance")
        self.main_url = QLineEdit(self)
        self.main_url.setPlaceholderText("rtsp://camera.example/stream1")
        self.sub_url = QLineEdit(self)
        self.sub_url.setPlaceholderText("optional: the camera's low-resolution stream")
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #ef4444")
        self.error.setWordWrap(True)
        self.error.hide()
        self._trust = TrustBox(self)
        self.certificate, self.trust = self._trust.label, self._trust.check
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Main stream URL", self.main_url)
        form.addRow("Sub-stream URL", self.sub_url)
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
        form.addRow(self.certificate)
        form.addRow(self.trust)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _submit(self) -> None:
        self.buttons.setEnabled(False)
        spawn(self._add())

    async def _add(self) -> None:
        trusted = self._trust.trusted
        try:
            self.added = await self._cameras.add(
                self.name.text(),
                self.main_url.text(),
                self.sub_url.text(),
                self.user.text(),
                self.password.text(),
                trusted_fingerprint=trusted,
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
        field = self.sub_url if exc.field == "sub_url" else self.main_url
        self.error.setText(str(exc))
        self.error.show()
        field.setFocus()
        field.selectAll()
