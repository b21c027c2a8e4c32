"""The question a form asks about a certificate nobody vouches for.

Shared by the forms that add a camera or a site: the fingerprint the server presents is
shown, and only a tick given for that very fingerprint trusts it. A different one
presented on the next try (a certificate swapped in between) has to be ticked again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from viewer.ui.wording import trust_question


class TrustBox:
    """A label with the fingerprint and a tick box, hidden until a server asks."""

    def __init__(self, parent: QWidget, device: str) -> None:
        """``device`` names what presents the certificate in the question ("camera")."""
        self._device = device
        self.label = QLabel(parent)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.hide()
        self.check = QCheckBox("I have compared the fingerprint and trust this certificate", parent)
        self.check.hide()
        self._fingerprint: str | None = None

    @property
    def trusted(self) -> str | None:
        """The fingerprint the operator ticked, if any."""
        return self._fingerprint if self.check.isChecked() else None

    def ask(self, fingerprint: str) -> None:
        if fingerprint != self._fingerprint:
            self.check.setChecked(False)
        self._fingerprint = fingerprint
        self.label.setText(trust_question(fingerprint, self._device))
        self.label.show()
        self.check.show()
        self.check.setFocus()
        # The form was laid out without these rows: without this the fingerprint's line
        # fell outside the dialog.
        self.label.window().adjustSize()
