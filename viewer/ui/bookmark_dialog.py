"""Add bookmark: a title, a note, and the instant or span of a camera's recording.

The dialog says where the bookmark will live before the operator types anything: on
the VMS (where colleagues using the vendor's client see it too) or only in this
Vigil's settings, for a site that keeps none. A refusal (no rights, the site
unreachable, the settings file not writable) stays in the dialog, in words, with the
typed text kept, rather than closing as if it had worked.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from viewer.core.errors import VigilError
from viewer.core.models import Bookmark, CameraRef, TimeSpan
from viewer.services.bookmarks import Bookmarks
from viewer.ui.tasks import spawn
from viewer.ui.wording import problem

DISPLAY = "yyyy-MM-dd HH:mm:ss"


def _to_qt(instant: datetime) -> QDateTime:
    moment = QDateTime.fromMSecsSinceEpoch(round(instant.timestamp() * 1000), QTimeZone.utc())
    return moment.toLocalTime()


def _from_qt(moment: QDateTime) -> datetime:
    return datetime.fromtimestamp(moment.toMSecsSinceEpoch() / 1000, UTC)


class BookmarkDialog(QDialog):
    def __init__(
        self,
        bookmarks: Bookmarks,
        camera: CameraRef,
        camera_name: str,
        at: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Bookmark – {camera_name}")
        self.setObjectName("BookmarkDialog")
        self.made: Bookmark | None = None
        self._bookmarks = bookmarks
        self._camera = camera
        self.title = QLineEdit(self)
        self.title.setPlaceholderText("What happened")
        self.note = QPlainTextEdit(self)
        self.note.setPlaceholderText("Details for whoever reviews it")
        self.start = QDateTimeEdit(_to_qt(at), self)
        self.start.setDisplayFormat(DISPLAY)
        self.is_span = QCheckBox("Until", self)
        self.end = QDateTimeEdit(_to_qt(at), self)
        self.end.setDisplayFormat(DISPLAY)
        self.end.setEnabled(False)
        self.is_span.toggled.connect(self.end.setEnabled)
        where = (
            "Stored on the site: the vendor's client shows it too."
            if bookmarks.kept_by_site(camera)
            else "This site keeps no bookmarks: kept in this Vigil's settings only."
        )
        self.where = QLabel(where, self)
        self.where.setWordWrap(True)
        self.problem = QLabel(self)
        self.problem.setObjectName("BookmarkProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #dc2626")
        self.problem.hide()
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Description", self.note)
        form.addRow("At", self.start)
        form.addRow(self.is_span, self.end)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
            Qt.Orientation.Horizontal,
            self,
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.where)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.title.textChanged.connect(self._check)
        self.start.dateTimeChanged.connect(self._check)
        self.end.dateTimeChanged.connect(self._check)
        self.is_span.toggled.connect(self._check)
        self._check()

    def span(self) -> TimeSpan | None:
        start = _from_qt(self.start.dateTime())
        end = _from_qt(self.end.dateTime()) if self.is_span.isChecked() else start
        return TimeSpan(start, end) if end >= start else None

    def _check(self) -> None:
        ready = bool(self.title.text().strip()) and self.span() is not None
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ready)
        if self.span() is None:
            self._say("The end is before the start")
        else:
            self.problem.hide()

    def _say(self, words: str) -> None:
        self.problem.setText(words)
        self.problem.show()

    def _save(self) -> None:
        span = self.span()
        if span is None or not self.title.text().strip():
            return
        self.buttons.setEnabled(False)
        spawn(self._create(span))

    async def _create(self, span: TimeSpan) -> None:
        try:
            self.made = await self._bookmarks.create(
                self._camera, span, self.title.text().strip(), self.note.toPlainText().strip()
            )
        except VigilError as exc:
            self._say(f"Not saved: {problem(exc)} ({exc})")
            self.buttons.setEnabled(True)
            return
        except OSError as exc:
            self._say(f"Not saved: the settings file could not be written ({exc.strerror})")
            self.buttons.setEnabled(True)
            return
        self.accept()
