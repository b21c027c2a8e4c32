"""Logging to a rotating file, with every credential masked on the way out.

Redaction runs on the fully formatted record, traceback included, because secrets
reach logs through exception text and third-party messages as often as through our
own calls.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from viewer.core.redact import redact_text

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def setup_logging(log_dir: Path, level: int = logging.INFO, console: bool = True) -> Path:
    """Send the application's logs to ``log_dir/vigil.log`` (5 x 2 MB) and stderr."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "vigil.log"
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "vigil", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handlers: list[logging.Handler] = [file_handler]
    if console:
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.WARNING)
        handlers.append(stderr)
    for handler in handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT))
        handler.vigil = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    return path
