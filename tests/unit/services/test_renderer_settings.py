"""The renderer and hardware decoding are settings an operator (or IT) can force."""

from __future__ import annotations

import json

import pytest

from viewer.core.errors import SettingsError
from viewer.services.settings import Settings, SettingsStore, settings_from_json


def test_a_forced_renderer_and_hardware_decoding_come_back(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(Settings(renderer="raster", hardware_decode="off"))
    loaded = store.load()
    assert (loaded.renderer, loaded.hardware_decode) == ("raster", "off")
    assert json.loads(store.path.read_text())["video"]["renderer"] == "raster"


def test_both_default_to_auto():
    loaded = settings_from_json({"version": 1})
    assert (loaded.renderer, loaded.hardware_decode) == ("auto", "auto")


def test_a_word_from_a_newer_version_is_auto_and_keeps_the_file(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "video": {"renderer": "vulkan"}}))
    assert SettingsStore(path).load().renderer == "auto"
    assert path.exists()


@pytest.mark.parametrize("value", [1, None, ["gl"], True])
def test_a_renderer_that_is_not_a_word_is_a_settings_error(tmp_path, value):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "video": {"renderer": value}}))
    with pytest.raises(SettingsError, match="renderer"):
        SettingsStore(path).load()
