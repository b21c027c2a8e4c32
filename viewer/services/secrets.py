"""Passwords and tokens: in the OS keyring, or in memory only where there is none.

A headless Linux box has no keyring backend; the operator is told, and a password
typed in lives in this process's memory for the session only, never in a file.
Every secret held is registered with the redactor so that it cannot reach a log.
Keyring calls may block (a D-Bus round trip, an unlock prompt), so they run in a
worker thread. A keyring can also refuse a write (locked, full, a policy): the secret
is then kept for the session like any other, and the caller is told, so the operator
never reads "saved" for a password that will be gone at the next start.
"""

from __future__ import annotations

import asyncio
import logging

import keyring
import keyring.errors
from keyring.backends.fail import Keyring as FailKeyring

from viewer.core.redact import known_secrets

log = logging.getLogger(__name__)

SERVICE = "Vigil"


class SecretStore:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._memory: dict[str, str] = {}
        self._session_only: set[str] = set()
        self.persistent = _keyring_usable()
        if not self.persistent:
            log.warning("no system keyring: passwords are kept in memory for this session only")

    def cached(self, key: str) -> str | None:
        """The secret if this session has it already; never touches the keyring."""
        return self._memory.get(key)

    def session_only(self, key: str) -> bool:
        """Whether ``key``'s secret will be lost when Vigil quits (held, but in no keyring)."""
        return key in self._session_only

    async def load(self, keys: list[str]) -> None:
        """Fetch ``keys`` from the keyring into memory, so lookups never block later."""
        if not self.persistent:
            return
        for key in keys:
            secret = await asyncio.to_thread(self._keyring_get, key)
            if secret is not None:
                self._remember(key, secret)

    async def set(self, key: str, secret: str) -> bool:
        """Hold ``secret`` for ``key``; True when the system keyring has it too.

        False means it lives in memory for this session only: there is no keyring, or
        the keyring refused it (logged without the secret).
        """
        self._remember(key, secret)
        saved = self.persistent and await asyncio.to_thread(self._keyring_set, key, secret)
        if saved:
            self._session_only.discard(key)
        else:
            self._session_only.add(key)
        return saved

    async def delete(self, key: str) -> None:
        old = self._memory.pop(key, None)
        self._session_only.discard(key)
        if old is not None:
            known_secrets.discard(old)
        if self.persistent:
            await asyncio.to_thread(self._keyring_delete, key)

    def _remember(self, key: str, secret: str) -> None:
        old = self._memory.get(key)
        if old == secret:
            return
        # Registered before the old one goes, so no log line in between shows either.
        known_secrets.add(secret)
        if old is not None:
            known_secrets.discard(old)
        self._memory[key] = secret

    def _keyring_get(self, key: str) -> str | None:
        try:
            return keyring.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed for %s: %s", key, type(exc).__name__)
            return None

    def _keyring_set(self, key: str, secret: str) -> bool:
        try:
            keyring.set_password(self.service, key, secret)
        except keyring.errors.KeyringError as exc:
            log.warning(
                "keyring write failed for %s: %s; kept for this session only",
                key,
                type(exc).__name__,
            )
            return False
        return True

    def _keyring_delete(self, key: str) -> None:
        try:
            keyring.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            log.warning("keyring delete failed for %s: %s", key, type(exc).__name__)


def _keyring_usable() -> bool:
    backend = keyring.get_keyring()
    if isinstance(backend, FailKeyring):
        return False
    try:
        return bool(backend.priority > 0)
    except Exception:
        # The chainer and some backends compute priority lazily and may raise.
        return True
