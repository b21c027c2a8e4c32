"""The log file never holds a password, a token or credentials inside a URL."""

import logging

from viewer.services.logs import setup_logging


def test_credentials_are_masked_in_the_log_file(tmp_path):
    path = setup_logging(tmp_path, console=False)
    log = logging.getLogger("viewer.test")
    log.warning("opening rtsp://admin:Sup3rSecret@192.0.2.4/live failed")
    log.info("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")
    try:
        raise RuntimeError("GET /live?token=tok-12345 -> 401")
    except RuntimeError:
        log.exception("request failed for rtsp://u:AlsoSecret@198.51.100.1/x")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "rtsp://admin:***@192.0.2.4/live" in text
    for secret in ("Sup3rSecret", "eyJhbGciOiJIUzI1NiJ9", "tok-12345", "AlsoSecret"):
        assert secret not in text
    assert "RuntimeError" in text
