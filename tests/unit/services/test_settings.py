"""Settings survive restarts, and a damaged file is kept, never overwritten.

The disk is written off the caller's thread, in order, and never holds a password.
"""

import asyncio
import json
import logging
import os
import threading
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.backends.rtsp import RtspCamera
from viewer.core.errors import SettingsError
from viewer.core.models import CameraRef
from viewer.services.console import Console
from viewer.services.settings import (
    Layout,
    Settings,
    SettingsStore,
    SiteConfig,
    settings_from_json,
    without_password,
)


def sample_settings() -> Settings:
    return Settings(
        cameras=[RtspCamera("c1", "Gate", "rtsp://192.0.2.1/main", "rtsp://192.0.2.1/sub", "op")],
        layout=Layout(
            grid=3, tiles=[CameraRef("cameras", "c1"), None, CameraRef("demo", "cam02")], selected=2
        ),
        window_geometry="AdnQywADAAA=",
        window_state="AAAA/wAAAAD9",
        sites=[
            SiteConfig("hq", "milestone", "Headquarters", "https://vms.example:8443", "operator"),
            SiteConfig(
                "br", "milestone", "Branch", "https://br.example", "CORP\\eve", login="windows"
            ),
        ],
        hidden_grace=12.5,
    )


def test_what_is_saved_comes_back(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(sample_settings())
    assert store.load() == sample_settings()


def test_a_site_of_a_kind_this_version_does_not_know_is_kept_as_it_was(tmp_path):
    # Saved by a newer Vigil: an older one must not drop it when it saves.
    unknown = {"id": "cloud", "kind": "videoloft", "name": "Shops", "region": "eu", "n": [1]}
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "sites": [unknown]}))
    store = SettingsStore(path)
    loaded = store.load()
    assert loaded.sites == []
    store.save(loaded)
    assert unknown in json.loads(path.read_text())["sites"]


def test_a_site_address_never_keeps_a_password(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    site = SiteConfig("hq", "milestone", "HQ", "https://operator:Quarry-77@vms.example/")
    store.save(Settings(sites=[site]))
    assert "Quarry-77" not in store.path.read_text()
    assert store.load().sites[0].url == "https://operator@vms.example/"


def test_no_file_means_defaults(tmp_path):
    assert SettingsStore(tmp_path / "settings.json").load() == Settings()


def test_a_password_handed_in_a_url_is_never_written(tmp_path):
    settings = sample_settings()
    settings.cameras.append(
        RtspCamera(
            "c2",
            "Dock",
            "rtsp://op:Wolf-Tango-77@192.0.2.2:554/main?channel=1",
            "rtsp://op:Wolf-Tango-77@192.0.2.2/sub",
            "op",
        )
    )
    store = SettingsStore(tmp_path / "settings.json")
    store.save(settings)
    assert "Wolf-Tango-77" not in store.path.read_text()
    dock = store.load().cameras[1]
    assert dock.main_url == "rtsp://op@192.0.2.2:554/main?channel=1"
    assert dock.sub_url == "rtsp://op@192.0.2.2/sub"
    assert dock.user == "op"


@given(
    user=st.from_regex(r"[a-z0-9._~-]{0,12}", fullmatch=True),
    password=st.text(max_size=30),
    rest=st.from_regex(r"(/[a-zA-Z0-9@:._-]*)?(\?[a-z0-9=&@:]*)?", fullmatch=True),
)
def test_a_url_loses_its_password_and_nothing_else(user, password, rest):
    written = without_password(f"rtsp://{user}:{quote(password, safe='')}@192.0.2.9:554{rest}")
    assert written == f"rtsp://{user}@192.0.2.9:554{rest}"
    assert without_password(f"rtsp://192.0.2.9:554{rest}") == f"rtsp://192.0.2.9:554{rest}"
    assert without_password(f"rtsp://{user}@192.0.2.9{rest}") == f"rtsp://{user}@192.0.2.9{rest}"


class Disk:
    """Records the thread of every fsync; the first one waits until ``first`` is set."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.first = threading.Event()
        self.first.set()
        self._fsync = os.fsync

    def fsync(self, fd: int) -> None:
        self.threads.append(threading.current_thread())
        if len(self.threads) == 1:
            self.first.wait(10)
        self._fsync(fd)


@pytest.fixture
def disk(monkeypatch):
    recorder = Disk()
    monkeypatch.setattr(os, "fsync", recorder.fsync)
    return recorder


def test_the_disk_is_written_off_the_callers_thread(tmp_path, disk):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(sample_settings())
    assert disk.threads
    assert threading.current_thread() not in disk.threads


def test_the_last_settings_handed_in_are_the_ones_on_disk(tmp_path, disk):
    store = SettingsStore(tmp_path / "settings.json")
    disk.first.clear()
    settings = sample_settings()
    for grid in (1, 2, 3, 4, 5, 6, 8):
        settings.layout = Layout(grid=grid)
        store.save_soon(settings)
    # Changed after it was handed in: the write must not see it.
    settings.layout = Layout(grid=3)
    disk.first.set()
    store.flush()
    assert store.load().layout == Layout(grid=8)


def test_the_console_saves_the_layout_in_the_background_and_waits_for_it_at_stop(
    tmp_path, disk, memory_keyring
):
    console = Console(tmp_path / "settings.json")
    disk.first.clear()
    console.save_layout(Layout(grid=5))
    assert not console.store.path.exists()

    async def stop_while_the_disk_is_slow():
        stopping = asyncio.ensure_future(console.stop())
        await asyncio.sleep(0.2)
        assert not stopping.done()
        disk.first.set()
        await stopping

    asyncio.run(stop_while_the_disk_is_slow())
    assert console.store.load().layout == Layout(grid=5)


def test_a_failed_write_is_logged_without_stopping_the_console(tmp_path, memory_keyring, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    console = Console(blocker / "settings.json")
    with caplog.at_level(logging.ERROR):
        console.save_layout(Layout(grid=4))
        asyncio.run(console.stop())
    assert f"settings could not be saved to {blocker / 'settings.json'}" in caplog.text


def test_a_damaged_file_is_moved_aside_not_lost(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"version": 1, "sites": [ oops')
    with pytest.raises(SettingsError) as caught:
        SettingsStore(path).load()
    kept = list(tmp_path.glob("settings.json.unreadable-*"))
    assert len(kept) == 1
    assert kept[0].read_text() == '{"version": 1, "sites": [ oops'
    assert str(kept[0]) in str(caught.value)
    assert not path.exists()


def test_a_file_from_a_newer_vigil_is_not_overwritten(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(SettingsError):
        SettingsStore(path).load()
    assert list(tmp_path.glob("settings.json.unreadable-*"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
shaped = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, "1", None])},
    optional={
        "sites": st.lists(
            st.fixed_dictionaries({"kind": st.just("rtsp")}, optional={"cameras": json_values})
            | st.fixed_dictionaries(
                {"kind": st.sampled_from(["milestone", "videoloft"])},
                optional={
                    key: json_values | st.text(max_size=8)
                    for key in ("id", "name", "url", "user", "certificate", "login")
                },
            )
            | json_values,
            max_size=3,
        ),
        "layout": json_values
        | st.fixed_dictionaries(
            {"grid": st.sampled_from([1, 2, 7])},
            optional={"tiles": json_values, "selected": json_values},
        ),
        "window": json_values,
    },
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, shaped))
def test_any_json_gives_settings_or_a_clear_error(data):
    try:
        result = settings_from_json(data)
    except ValueError:
        return
    assert isinstance(result, Settings)


def test_a_site_saved_before_login_kinds_existed_logs_in_as_a_basic_user():
    site = {"id": "hq", "kind": "milestone", "name": "HQ", "url": "https://vms.example"}
    (loaded,) = settings_from_json({"version": 1, "sites": [site]}).sites
    assert loaded.login == "basic"
    with pytest.raises(ValueError, match="login kind"):
        settings_from_json({"version": 1, "sites": [{**site, "login": "kerberos"}]})
