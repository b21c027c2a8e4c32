"""The look: a dark Fusion theme (control rooms are dim) and the application icon.

Colours are set through the palette rather than a style sheet, so every widget,
dialogs included, follows without per-widget rules.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication


def resources_dir() -> Path:
    """`viewer/resources` in an installed wheel, `resources/` beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    base, window, text = QColor(24, 26, 31), QColor(32, 34, 40), QColor(222, 224, 228)
    accent = QColor(64, 156, 255)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: QColor(44, 47, 54),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(130, 134, 142),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(44, 47, 54),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Highlight: accent,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: accent,
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(110, 114, 122))
    app.setPalette(palette)
    icon = resources_dir() / "icons" / "vigil.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
