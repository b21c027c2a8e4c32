"""Export evidence: the cameras, the span, the folder, and a progress bar with Cancel.

The export itself (services/export.py) runs on the window's loop and its worker threads;
this dialog only gathers the choice and shows how far it got. Cameras of one site are
exported together (one manifest and one SHA256SUMS per folder); the tiles' cameras of
that site come ticked. The span is local time here and UTC in the manifest beside it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from viewer.core.errors import VigilError
from viewer.core.models import Camera, CameraGroup, CameraRef, TimeSpan
from viewer.services.directory import Directory
from viewer.services.export import ExportCancelled, ExportJob, incomplete_words
from viewer.ui.tasks import spawn

CAMERA_ROLE = Qt.ItemDataRole.UserRole + 1


class ExportDialog(QDialog):
    def __init__(
        self,
        directory: Directory,
        selected: list[CameraRef] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export evidence")
        self._directory = directory
        self._selected = set(selected or [])
        self.job: ExportJob | None = None
        self.task: asyncio.Task[object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

        self.site = QComboBox()
        for session in directory.sessions:
            if session.backend.capabilities.playback or session.backend.capabilities.export:
                self.site.addItem(session.site.name, session.site.id)
        self.cameras = QListWidget()
        self.start = QDateTimeEdit(calendarPopup=True)
        self.end = QDateTimeEdit(calendarPopup=True)
        for editor in (self.start, self.end):
            editor.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        now = datetime.now().astimezone().replace(microsecond=0)
        self.set_span(TimeSpan(now - timedelta(minutes=15), now - timedelta(minutes=5)))
        self.folder = QLineEdit(str(Path.home() / "Vigil exports"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.burn_in = QCheckBox("Burn in the camera name and time (re-encodes the video)")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.words = QLabel("")
        self.words.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)

        self._lay_out(browse)
        self.site.currentIndexChanged.connect(self._fill_cameras)
        self._pick_site()
        self._fill_cameras()

    def _lay_out(self, browse: QPushButton) -> None:
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Site", self.site)
        form.addRow("Cameras", self.cameras)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow("Folder", folder_row)
        form.addRow("", self.burn_in)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.words)
        layout.addLayout(buttons)

    def set_span(self, span: TimeSpan) -> None:
        """The span to export (the timeline's selection), shown in local time."""
        self.start.setDateTime(QDateTime.fromSecsSinceEpoch(int(span.start.timestamp())))
        self.end.setDateTime(QDateTime.fromSecsSinceEpoch(int(span.end.timestamp())))

    def span(self) -> TimeSpan:
        def moment(editor: QDateTimeEdit) -> datetime:
            return datetime.fromtimestamp(editor.dateTime().toSecsSinceEpoch()).astimezone()

        return TimeSpan(moment(self.start), moment(self.end))

    def chosen(self) -> list[Camera]:
        items = (self.cameras.item(row) for row in range(self.cameras.count()))
        return [
            item.data(CAMERA_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked
        ]

    def _pick_site(self) -> None:
        sites = {ref.site_id for ref in self._selected}
        for index in range(self.site.count()):
            if self.site.itemData(index) in sites:
                self.site.setCurrentIndex(index)
                return

    def _fill_cameras(self) -> None:
        self.cameras.clear()
        session = self._directory.session(self.site.currentData() or "")
        if session is None:
            return
        for camera in _cameras(session.tree):
            item = QListWidgetItem(camera.name)
            item.setData(CAMERA_ROLE, camera)
            ticked = camera.ref in self._selected
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            self.cameras.addItem(item)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def export(self) -> None:
        session = self._directory.session(self.site.currentData() or "")
        if session is None or self.task is not None:
            return
        try:
            self.job = ExportJob(
                session.backend,
                self.chosen(),
                self.span(),
                Path(self.folder.text()).expanduser(),
                burn_in=self.burn_in.isChecked(),
                listener=self._heard,
            )
        except (VigilError, ValueError) as exc:
            self.words.setText(str(exc))
            return
        self.export_button.setEnabled(False)
        self.progress.setValue(0)
        # Not get_running_loop: a Qt handler sees no running loop (docs/pitfalls.md).
        self._loop = asyncio.get_event_loop()
        self.task = spawn(self._run(self.job))

    async def _run(self, job: ExportJob) -> None:
        try:
            result = await job.run()
        except ExportCancelled:
            self.words.setText("Cancelled: nothing was left in the folder")
        except VigilError as exc:
            self.words.setText(f"Export failed: {exc}")
        else:
            self.progress.setValue(self.progress.maximum())
            lines = [f"Exported {len(result.clips)} clip(s) into {result.folder}"]
            self.words.setText("\n".join(lines + incomplete_words(result.clips)))
        finally:
            self.task = None
            self.export_button.setEnabled(True)

    def _heard(self, fraction: float, words: str) -> None:
        """From a worker thread too: shown on the window's loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._show, fraction, words)

    def _show(self, fraction: float, words: str) -> None:
        self.progress.setValue(round(fraction * self.progress.maximum()))
        self.words.setText(words)

    def cancel(self) -> None:
        """Stop a running export (removing what it wrote); otherwise close."""
        if self.job is not None and self.task is not None:
            self.job.cancel()
            return
        self.reject()


def _cameras(group: CameraGroup) -> list[Camera]:
    found = {camera.ref: camera for camera in group.cameras}
    for child in group.groups:
        for camera in _cameras(child):
            found.setdefault(camera.ref, camera)
    return list(found.values())


def open_export_dialog(window: QMainWindow, directory: Directory, refs: list[CameraRef]) -> None:
    dialog = ExportDialog(directory, refs, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
