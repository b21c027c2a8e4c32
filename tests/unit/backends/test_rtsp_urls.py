"""Operators' camera URLs: credentials come out for storage and go back in for playing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.backends.rtsp import split_credentials, with_credentials
from viewer.core.errors import InvalidInputError

secret_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)


def test_credentials_typed_into_the_url_are_taken_out():
    split = split_credentials(" rtsp://admin:p%40ss@192.0.2.5:554/Streaming/Channels/102 ")
    assert split.url == "rtsp://192.0.2.5:554/Streaming/Channels/102"
    assert (split.user, split.password) == ("admin", "p@ss")


def test_a_url_without_credentials_is_kept_as_is():
    split = split_credentials("rtsp://192.0.2.5/live")
    assert (split.url, split.user, split.password) == ("rtsp://192.0.2.5/live", None, None)


@pytest.mark.parametrize(
    "url", ["http://192.0.2.5/x", "192.0.2.5/live", "rtsp:///nohost", "rtsp://[::1/x", ""]
)
def test_unusable_urls_name_the_field(url):
    with pytest.raises(InvalidInputError) as caught:
        split_credentials(url, "main_url")
    assert caught.value.field == "main_url"


@given(user=secret_text, password=secret_text)
def test_credentials_survive_the_round_trip(user, password):
    url = with_credentials("rtsp://198.51.100.9:8554/cam", user, password)
    split = split_credentials(url)
    assert split.url == "rtsp://198.51.100.9:8554/cam"
    assert (split.user, split.password) == (user, password)


@given(st.text(max_size=80))
def test_any_text_is_either_a_url_or_a_field_error(text):
    try:
        split_credentials(text)
    except InvalidInputError as exc:
        assert exc.field == "url"
