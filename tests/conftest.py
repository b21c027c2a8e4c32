"""Shared set-up: headless Qt, and no test touches the operator's real files or keyring."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backend
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that forgets everything when the test ends."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path_factory, monkeypatch):
    """Settings and logs of every test go to a temporary folder; footage stays cached."""
    home = tmp_path_factory.mktemp("vigil-home")
    monkeypatch.setenv("VIGIL_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("VIGIL_LOG_DIR", str(home / "logs"))


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class RefusingKeyring(MemoryKeyring):
    """A keyring that is there but will not take a password (locked, full, a policy)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("the collection is locked")


@pytest.fixture
def refusing_keyring():
    previous = keyring.get_keyring()
    backend = RefusingKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def vigil_log(tmp_path):
    """The application's log file, at DEBUG, in this test's folder, as `vigil` sets it up."""
    import logging

    from viewer.services.logs import setup_logging

    root = logging.getLogger()
    level = root.level
    path = setup_logging(tmp_path / "logs", logging.DEBUG, console=False)
    yield path
    for handler in [h for h in root.handlers if getattr(h, "vigil", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture(scope="session")
def footage_cache():
    """The demo footage is encoded once per machine, like the app does."""
    import platformdirs

    return platformdirs.user_cache_path("vigil") / "demo"


@pytest.fixture(scope="session")
def demo_site(footage_cache):
    """The demo servers on 127.0.0.1, in their own thread, shared by the session's tests."""
    from viewer.demo.footage import ALL_CAMERAS
    from viewer.demo.site import DemoSiteThread

    site = DemoSiteThread(footage_cache)
    site.start()
    # On a fresh machine the footage is encoded now, once, rather than under a test's
    # timeout.
    site.site.library.prepare([camera.id for camera in ALL_CAMERAS])
    yield site
    site.stop()
