"""Passwords live in the keyring, or in memory only; never anywhere else."""

import asyncio

from viewer.core.redact import redact_text
from viewer.services.secrets import SecretStore


def test_a_password_goes_to_the_keyring_and_comes_back_next_session(memory_keyring):
    first = SecretStore()
    assert first.persistent
    asyncio.run(first.set("cameras/c1", "pa55word"))
    assert memory_keyring.items == {("Vigil", "cameras/c1"): "pa55word"}

    second = SecretStore()
    assert second.cached("cameras/c1") is None
    asyncio.run(second.load(["cameras/c1", "cameras/unknown"]))
    assert second.cached("cameras/c1") == "pa55word"


def test_without_a_keyring_the_password_is_kept_for_the_session_only(no_keyring):
    store = SecretStore()
    assert not store.persistent
    asyncio.run(store.set("cameras/c1", "only-in-memory"))
    assert store.cached("cameras/c1") == "only-in-memory"
    assert SecretStore().cached("cameras/c1") is None


def test_a_held_password_is_redacted_from_any_text(memory_keyring):
    store = SecretStore()
    asyncio.run(store.set("cameras/c2", "Zebra-Horse-9"))
    assert "Zebra-Horse-9" not in redact_text("server said: bad password Zebra-Horse-9")


def test_deleting_forgets_the_password_everywhere(memory_keyring):
    store = SecretStore()
    asyncio.run(store.set("cameras/c3", "to-be-removed"))
    asyncio.run(store.delete("cameras/c3"))
    assert store.cached("cameras/c3") is None
    assert memory_keyring.items == {}
