"""Passwords live in the keyring, or in memory only; never anywhere else.

Whoever stores a password learns whether the keyring took it, and every password the
session holds stays masked in logs as long as any camera still uses it.
"""

import asyncio
import logging

from viewer.core.redact import redact_text
from viewer.services.logs import RedactingFormatter
from viewer.services.secrets import SecretStore


def test_a_password_goes_to_the_keyring_and_comes_back_next_session(memory_keyring):
    first = SecretStore()
    assert first.persistent
    assert asyncio.run(first.set("cameras/c1", "pa55word"))
    assert memory_keyring.items == {("Vigil", "cameras/c1"): "pa55word"}
    assert not first.session_only("cameras/c1")

    second = SecretStore()
    assert second.cached("cameras/c1") is None
    asyncio.run(second.load(["cameras/c1", "cameras/unknown"]))
    assert second.cached("cameras/c1") == "pa55word"
    assert not second.session_only("cameras/c1")


def test_without_a_keyring_the_password_is_kept_for_the_session_only(no_keyring):
    store = SecretStore()
    assert not store.persistent
    assert not asyncio.run(store.set("cameras/c1", "only-in-memory"))
    assert store.cached("cameras/c1") == "only-in-memory"
    assert store.session_only("cameras/c1")
    assert SecretStore().cached("cameras/c1") is None


def test_a_refused_write_is_reported_and_the_password_kept_for_the_session(
    refusing_keyring, caplog
):
    store = SecretStore()
    assert store.persistent
    with caplog.at_level(logging.WARNING):
        assert not asyncio.run(store.set("cameras/c4", "Refused-Lynx-12"))
    assert store.cached("cameras/c4") == "Refused-Lynx-12"
    assert store.session_only("cameras/c4")
    assert "keyring write failed for cameras/c4: PasswordSetError" in caplog.text
    assert "Refused-Lynx-12" not in caplog.text


def test_a_held_password_is_redacted_from_any_text(memory_keyring):
    store = SecretStore()
    asyncio.run(store.set("cameras/c2", "Zebra-Horse-9"))
    assert "Zebra-Horse-9" not in redact_text("server said: bad password Zebra-Horse-9")


def log_line(message: str) -> str:
    record = logging.LogRecord("viewer.test", logging.WARNING, __file__, 1, message, None, None)
    return RedactingFormatter("%(message)s").format(record)


def test_a_password_two_cameras_share_stays_masked_when_one_is_removed(memory_keyring):
    store = SecretStore()
    asyncio.run(store.set("cameras/gate", "Shared-Falcon-30"))
    asyncio.run(store.set("cameras/yard", "Shared-Falcon-30"))
    asyncio.run(store.delete("cameras/gate"))
    assert log_line("yard refused Shared-Falcon-30") == "yard refused ***"
    asyncio.run(store.delete("cameras/yard"))
    assert log_line("Shared-Falcon-30 is nobody's now") == "Shared-Falcon-30 is nobody's now"


def test_a_new_password_replaces_the_old_one_in_the_redactor(memory_keyring):
    store = SecretStore()
    asyncio.run(store.set("cameras/c5", "Old-Badger-71"))
    asyncio.run(store.set("cameras/c5", "New-Badger-72"))
    asyncio.run(store.set("cameras/c5", "New-Badger-72"))
    assert log_line("Old-Badger-71 New-Badger-72") == "Old-Badger-71 ***"
    asyncio.run(store.delete("cameras/c5"))
    assert log_line("New-Badger-72") == "New-Badger-72"


def test_deleting_forgets_the_password_everywhere(memory_keyring):
    store = SecretStore()
    asyncio.run(store.set("cameras/c3", "to-be-removed"))
    asyncio.run(store.delete("cameras/c3"))
    assert store.cached("cameras/c3") is None
    assert memory_keyring.items == {}
    assert log_line("to-be-removed") == "to-be-removed"
