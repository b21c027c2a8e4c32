"""The form for adding an RTSP camera by URL (the shared parts: ui/server_form.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from viewer.core.models import CameraRef
from viewer.services.local_cameras import LocalCameras
from viewer.ui.server_form import ServerForm


class AddCameraDialog(ServerForm):
    def __init__(
        self, cameras: LocalCameras, keyring_available: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__("Add RTSP camera", "camera", keyring_available, parent)
        self.added: CameraRef | None = None
        self._cameras = cameras
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("Entrance")
        self.main_url = QLineEdit(self)
        self.main_url.setPlaceholderText("rtsp://camera.example/stream1")
        self.sub_url = QLineEdit(self)
        self.sub_url.setPlaceholderText("optional: the camera's low-resolution stream")
        self.onvif_url = QLineEdit(self)
        self.onvif_url.setPlaceholderText("optional, for PTZ: http://camera/onvif/device_service")
        self.form.addRow("Name", self.name)
        self.form.addRow("Main stream URL", self.main_url)
        self.form.addRow("Sub-stream URL", self.sub_url)
        self.form.addRow("ONVIF address", self.onvif_url)
        self.finish()

    async def save(self, trusted_fingerprint: str | None) -> None:
        self.added = await self._cameras.add(
            self.name.text(),
            self.main_url.text(),
            self.sub_url.text(),
            self.user.text(),
            self.password.text(),
            trusted_fingerprint=trusted_fingerprint,
            onvif_url=self.onvif_url.text(),
        )

    def field_for(self, name: str) -> QWidget:
        fields = {"sub_url": self.sub_url, "onvif_url": self.onvif_url}
        return fields.get(name, self.main_url)
