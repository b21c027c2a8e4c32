"""Settings survive restarts, and a damaged file is kept, never overwritten."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.backends.rtsp import RtspCamera
from viewer.core.errors import SettingsError
from viewer.core.models import CameraRef
from viewer.services.settings import Layout, Settings, SettingsStore, settings_from_json


def sample_settings() -> Settings:
    return Settings(
        cameras=[RtspCamera("c1", "Gate", "rtsp://192.0.2.1/main", "rtsp://192.0.2.1/sub", "op")],
        layout=Layout(
            grid=3, tiles=[CameraRef("cameras", "c1"), None, CameraRef("demo", "cam02")], selected=2
        ),
        window_geometry="AdnQywADAAA=",
        window_state="AAAA/wAAAAD9",
    )


def test_what_is_saved_comes_back(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(sample_settings())
    assert store.load() == sample_settings()


def test_no_file_means_defaults(tmp_path):
    assert SettingsStore(tmp_path / "settings.json").load() == Settings()


def test_passwords_are_never_written(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(sample_settings())
    assert "password" not in store.path.read_text()


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
