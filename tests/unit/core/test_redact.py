"""Credentials never survive redaction, wherever they appear in text."""

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.redact import MASK, known_secrets, mask_url, redact_text

passwords = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
)


def test_mask_url_hides_the_password_and_keeps_the_rest():
    url = "rtsp://admin:s3cret@192.0.2.10:554/Streaming/Channels/101?transport=tcp"
    assert (
        mask_url(url) == f"rtsp://admin:{MASK}@192.0.2.10:554/Streaming/Channels/101?transport=tcp"
    )


def test_mask_url_hides_a_token_in_the_query_and_keeps_the_other_parameters():
    url = "http://192.0.2.10:8080/api/cameras/cam07/stream/index.m3u8?token=mbs_f009ee&sub=1"
    assert mask_url(url) == (
        f"http://192.0.2.10:8080/api/cameras/cam07/stream/index.m3u8?token={MASK}&sub=1"
    )
    assert "mbs_f009ee" not in mask_url("rtsp://u:p@192.0.2.10/x?access_token=mbs_f009ee")


def test_mask_url_leaves_urls_without_credentials_alone():
    assert mask_url("rtsp://192.0.2.10/stream") == "rtsp://192.0.2.10/stream"


def test_token_parameters_and_headers_are_masked():
    text = (
        "GET /live?uid=1.2&token=abcDEF123 Authorization: Bearer eyJhbGciOi "
        'password="hunter22" access_token=zzz'
    )
    redacted = redact_text(text)
    for secret in ("abcDEF123", "eyJhbGciOi", "hunter22", "zzz"):
        assert secret not in redacted
    assert "uid=1.2" in redacted


def test_a_known_secret_is_masked_where_no_pattern_expects_it():
    known_secrets.add("correct-horse")
    try:
        assert "correct-horse" not in redact_text("login failed for correct-horse in body")
    finally:
        known_secrets.discard("correct-horse")


@given(user=st.from_regex(r"[a-z]{1,12}", fullmatch=True), password=passwords)
def test_no_password_survives_in_a_url(user, password):
    encoded = quote(password, safe="")
    url = f"rtsp://{user}:{encoded}@198.51.100.7/stream"
    assert f":{encoded}@" not in mask_url(url)
    assert f":{encoded}@" not in redact_text(f"opening {url} failed")


def test_a_secret_stays_masked_while_anyone_still_holds_it():
    known_secrets.add("shared-horse")
    known_secrets.add("shared-horse")
    known_secrets.discard("shared-horse")
    try:
        assert "shared-horse" not in redact_text("one holder left: shared-horse")
    finally:
        known_secrets.discard("shared-horse")
    assert "shared-horse" in redact_text("nobody holds shared-horse any more")
