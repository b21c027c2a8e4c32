"""Basic and Digest as cameras do them: the right answer passes, anything else is a
refusal, never an exception, whatever bytes the client put in the header."""

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.rtsp_auth import REALM, Authenticator, RtspAuth, parse_digest

URI = "rtsp://127.0.0.1:554/demo/cam01/main"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest_header(auth: Authenticator, user: str, password: str, method="DESCRIBE", uri=URI):
    nonce = auth.challenge().split('nonce="')[1].split('"')[0]
    answer = md5(f"{md5(f'{user}:{REALM}:{password}')}:{nonce}:{md5(f'{method}:{uri}')}")
    return (
        f'Digest username="{user}", realm="{REALM}", nonce="{nonce}", '
        f'uri="{uri}", response="{answer}"'
    )


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        (
            'username="demo", realm="Vigil demo", nonce="abc", uri="rtsp://h/x", response="00"',
            {
                "username": "demo",
                "realm": "Vigil demo",
                "nonce": "abc",
                "uri": "rtsp://h/x",
                "response": "00",
            },
        ),
        ("username=demo,realm=x", {"username": "demo", "realm": "x"}),
        ('USERNAME="a, b" , Nonce = "n"', {"username": "a, b", "nonce": "n"}),
        # FFmpeg does not escape: the backslash is part of the user name.
        ('username="DOMAIN\\op", nonce="n"', {"username": "DOMAIN\\op", "nonce": "n"}),
        ('username="opé", uri="rtsp://h/é"', {"username": "opé", "uri": "rtsp://h/é"}),
        ("", {}),
        ("   ", {}),
        ('username="unterminated', {}),
        ('nonce="n", username="unterminated', {"nonce": "n"}),
        ("no equals sign", {}),
        ('realm="x", stray', {"realm": "x"}),
    ],
)
def test_digest_fields_are_parsed_leniently(value, fields):
    assert parse_digest(value) == fields


FIELD_NAME = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters='=,"'),
    min_size=1,
    max_size=10,
)
QUOTED_VALUE = st.text(alphabet=st.characters(blacklist_characters='"'), max_size=20)


@given(st.dictionaries(FIELD_NAME.map(str.lower), QUOTED_VALUE, max_size=6))
def test_quoted_digest_fields_read_back_as_written(fields):
    header = ", ".join(f'{name}="{value}"' for name, value in fields.items())
    assert parse_digest(header) == fields


@given(st.text(max_size=200))
def test_any_digest_header_gives_fields_and_no_exception(value):
    fields = parse_digest(value)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


def test_digest_accepts_the_right_answer_and_nothing_else():
    auth = Authenticator(RtspAuth("demo", "pw", "digest"))
    header = digest_header(auth, "demo", "pw")
    nonce = parse_digest(header.partition(" ")[2])["nonce"]
    assert auth.check("DESCRIBE", header)
    assert not auth.check("SETUP", header)
    assert not auth.check("DESCRIBE", header.replace(nonce, "0" * 32))
    assert not auth.check("DESCRIBE", digest_header(auth, "demo", "wrong"))
    assert not auth.check("DESCRIBE", "Basic ZGVtbzpwdw==")


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_non_ascii_credentials_are_accepted_when_right_and_refused_when_wrong(scheme):
    auth = Authenticator(RtspAuth("opé", "pässwörd", scheme))
    make = basic_header if scheme == "basic" else lambda u, p: digest_header(auth, u, p)
    assert auth.check("DESCRIBE", make("opé", "pässwörd"))
    assert not auth.check("DESCRIBE", make("opé", "passwörd"))
    assert not auth.check("DESCRIBE", make("ope", "pässwörd"))


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic ZGVtbzpwdw",  # padding missing
        "Basic é",  # not even ASCII
        "Basic " + base64.b64encode(b"op\xff:pw").decode(),  # not UTF-8 inside
        "Basic " + base64.b64encode("op:pw\u00e9".encode()).decode(),
        "Basic " + base64.b64encode(b"no colon").decode(),
        "Digest",
        'Digest response="é"',
        "Bearer xyz",
    ],
)
def test_broken_basic_credentials_are_refused(header):
    auth = Authenticator(RtspAuth("op", "pw", "basic"))
    assert auth.check("DESCRIBE", header) is False


@pytest.mark.parametrize(
    "fields",
    [
        'username="demo", nonce="{nonce}", response="é"',  # non-ASCII answer
        'username="demo", nonce="{nonce}"',  # no answer at all
        'username="démo", nonce="{nonce}", response="00"',
        'username="demo", nonce="{nonce}", uri="\udcff", response="00"',
        'username="demo", response="00"',  # no nonce
        'username="demo", nonce="{nonce}", response="00", response="11"',
    ],
)
def test_odd_digest_fields_are_refused(fields):
    auth = Authenticator(RtspAuth("demo", "pw", "digest"))
    nonce = auth.challenge().split('nonce="')[1].split('"')[0]
    assert auth.check("DESCRIBE", "Digest " + fields.format(nonce=nonce)) is False


@given(scheme=st.sampled_from(["basic", "digest"]), header=st.text(max_size=200))
def test_any_made_up_authorization_header_is_refused_without_an_exception(scheme, header):
    auth = Authenticator(RtspAuth("opé", "pässwörd", scheme))
    nonce = auth.challenge().split('nonce="')[1].split('"')[0] if scheme == "digest" else ""
    for candidate in (header, f"{scheme.title()} {header}", f'Digest nonce="{nonce}", {header}'):
        assert auth.check("DESCRIBE", candidate) is False
