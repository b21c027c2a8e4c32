"""Logging to a rotating file, with every credential masked on the way out.

Redaction runs on the fully formatted record, traceback included, because secrets
reach logs through exception text and third-party messages as often as through our
own calls. Unhandled errors take the same road (``log_unhandled_errors``): Python's
default hooks print them to stderr unredacted and the log file never sees them.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from types import TracebackType

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


def log_unhandled_errors() -> None:
    """Send errors nothing caught, in any thread or a Qt slot, through the redacting log.

    PySide6 hands an exception raised in a slot to ``sys.excepthook`` too.
    """
    sys.excepthook = _log_unhandled
    threading.excepthook = _log_unhandled_in_thread


_crash_log = logging.getLogger("viewer.unhandled")


def _log_unhandled(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    _crash_log.critical("unhandled error", exc_info=(kind, error, trace))


def _log_unhandled_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "an unknown thread"
    _crash_log.critical(
        "unhandled error in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
