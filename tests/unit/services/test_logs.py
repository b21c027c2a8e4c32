"""The log file never holds a password, a token or credentials inside a URL, even in
an error nothing caught."""

import logging
import subprocess
import sys


def test_credentials_are_masked_in_the_log_file(vigil_log):
    log = logging.getLogger("viewer.test")
    log.warning("opening rtsp://admin:Sup3rSecret@192.0.2.4/live failed")
    log.info("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")
    try:
        raise RuntimeError("GET /live?token=tok-12345 -> 401")
    except RuntimeError:
        log.exception("request failed for rtsp://u:AlsoSecret@198.51.100.1/x")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = vigil_log.read_text()
    assert "rtsp://admin:***@192.0.2.4/live" in text
    for secret in ("Sup3rSecret", "eyJhbGciOiJIUzI1NiJ9", "tok-12345", "AlsoSecret"):
        assert secret not in text
    assert "RuntimeError" in text


CRASHING_PROGRAM = """
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from viewer.core.redact import known_secrets
from viewer.services.logs import log_unhandled_errors, setup_logging

setup_logging(Path(sys.argv[1]))
log_unhandled_errors()
known_secrets.add("Quiet-Otter-41")


def in_a_thread():
    raise RuntimeError("thread lost rtsp://op:Thread-Secret-9@127.0.0.1/x, Quiet-Otter-41")


def in_a_slot():
    app.quit()
    raise LookupError("slot lost rtsp://op:Slot-Secret-5@127.0.0.1/z, Quiet-Otter-41")


worker = threading.Thread(target=in_a_thread, name="worker-7")
worker.start()
worker.join()
app = QCoreApplication([])
QTimer.singleShot(0, in_a_slot)
app.exec()
raise ValueError("main lost rtsp://op:Main-Secret-3@127.0.0.1/y, Quiet-Otter-41")
"""


def test_unhandled_errors_reach_the_log_file_and_stderr_redacted(tmp_path):
    # A process of its own: pytest installs hooks of its own in this one.
    run = subprocess.run(
        [sys.executable, "-c", CRASHING_PROGRAM, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    logged = (tmp_path / "vigil.log").read_text()
    for text in (logged, run.stderr):
        for secret in ("Thread-Secret-9", "Slot-Secret-5", "Main-Secret-3", "Quiet-Otter-41"):
            assert secret not in text
        assert "unhandled error in thread worker-7" in text
        assert "RuntimeError: thread lost rtsp://op:***@127.0.0.1/x, ***" in text
        assert "LookupError: slot lost rtsp://op:***@127.0.0.1/z, ***" in text
        assert "ValueError: main lost rtsp://op:***@127.0.0.1/y, ***" in text
        assert text.count("Traceback (most recent call last)") == 3
