"""Reading bookmarks, evidence locks, recorders and the SOAP answers (Login, SequencesGet):
the documented samples, a real 2025 R1's SOAP trace, and anything else."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.backends.milestone import parse, soap
from viewer.core.errors import AuthenticationError, MalformedResponseError, VigilError
from viewer.core.models import CameraRef, TimeSpan

# The Bookmarks REST docs' sample for GET /bookmarks/{id} (its id only in relations.self).
BOOKMARK_DOC = """{"data": {"header": "string", "description": "string",
 "timeBegin": "2019-08-24T14:15:22Z", "timeEnd": "2019-08-24T14:15:22Z",
 "timeTriggered": "2019-08-24T14:15:22Z", "reference": "string", "user": "string",
 "devicePath": {"type": "cameras", "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08"},
 "deviceName": "string",
 "relations": {"self": {"type": "bookmarks", "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08"}}}}"""
# The Evidence Locks REST docs' sample for GET /evidenceLocks/{id}.
LOCK_DOC = r"""{"data": {
 "description": "AutoEvidenceLock-16:24:31 set for a duration of 10 minutes",
 "id": "cc4bb285-e62e-4da4-b411-e25f6cc4e99a", "created": "2024-09-23T17:24:31Z",
 "lastModified": "2024-09-23T17:27:43.41Z", "startTime": "2024-09-23T16:24:31.384036Z",
 "tagTime": "2024-09-23T16:29:31.384036Z", "endTime": "2024-09-23T16:34:31.384036Z",
 "header": "AutoEvidenceLock-16:24:31", "reference": "MyEvidenceLock-16:24:31",
 "user": "MILESTONE\\abc", "retentionExpire": "9999-12-31T22:59:59.9999999Z",
 "retentionSize": 4566237677,
 "retentionOption": {"retentionUnits": -1, "retentionType": "Indefinite"},
 "devicePaths": [{"type": "cameras", "id": "124c3e51-b7c6-46f1-9a39-198e6a4ba845"}],
 "relations": {"self": {"type": "evidenceLocks", "id": "cc4bb285-e62e-4da4-b411-e25f6cc4e99a"}}}}"""
# A real 2025 R1's Login answer (ServerCommandService), token as it was shaped.
LOGIN_2025R1 = b"""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <LoginResponse xmlns="http://videoos.net/2/XProtectCSServerCommand">
      <LoginResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
        <RegistrationTime>2025-10-27T19:30:05.9Z</RegistrationTime>
        <TimeToLive>
          <MicroSeconds>14400000000</MicroSeconds>
        </TimeToLive>
        <TimeToLiveLimited>false</TimeToLiveLimited>
        <Token>TOKEN#b41f9558-4069-45fa-a6fd-99ef44ff63aa#desktop-8rpfauh//ServerConnector#</Token>
      </LoginResult>
    </LoginResponse>
  </s:Body>
</s:Envelope>"""
# The same server's SequencesGet for an hour without recordings.
EMPTY_2025R1 = b"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <SequencesGetResponse xmlns="http://videoos.net/2/XProtectCSRecorderCommand">
      <SequencesGetResult />
    </SequencesGetResponse>
  </soap:Body>
</soap:Envelope>"""
# Entries as a 2023 recorder wrote them (seven decimals), from a published client's notes.
ENTRIES = b"""<?xml version="1.0" encoding="utf-8"?><soap:Envelope
 xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<SequencesGetResponse xmlns="http://videoos.net/2/XProtectCSRecorderCommand"><SequencesGetResult>
<SequenceEntry><TimeBegin>2023-07-20T18:52:49.0530000Z</TimeBegin>
<TimeTrigged>2023-07-20T18:52:49.0530000Z</TimeTrigged><TimeEnd>2023-07-20T18:53:01.0290000Z</TimeEnd>
</SequenceEntry><SequenceEntry><TimeBegin>2023-07-20T19:00:00Z</TimeBegin>
<TimeTrigged>2023-07-20T19:00:00Z</TimeTrigged><TimeEnd>2023-07-20T19:10:00Z</TimeEnd></SequenceEntry>
</SequencesGetResult></SequencesGetResponse></soap:Body></soap:Envelope>"""
# What a recorder answered to StartRecording on a real server.
FAULT = b"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Method 'StartRecording' not supported
</faultstring><detail><ErrorNumber>40000</ErrorNumber></detail></soap:Fault></soap:Body></soap:Envelope>"""
TOKEN_FAULT = FAULT.replace(b"Method 'StartRecording' not supported", b"Token invalid").replace(
    b"</ErrorNumber>", b"</ErrorNumber><SubErrorNumber>2</SubErrorNumber>"
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_documented_bookmark_is_read_with_its_id_from_relations():
    mark = parse.bookmark(BOOKMARK_DOC, "xp")
    assert mark.id == "497f6eca-6276-4993-bfeb-53cbbbba6f08"
    assert mark.camera == CameraRef("xp", "497f6eca-6276-4993-bfeb-53cbbbba6f08")
    assert mark.span == TimeSpan(at("2019-08-24T14:15:22"), at("2019-08-24T14:15:22"))
    assert (mark.header, mark.description) == ("string", "string")


def test_a_created_bookmark_in_a_result_envelope_and_a_search_list_are_read():
    item = json.loads(BOOKMARK_DOC)["data"]
    assert parse.bookmark(json.dumps({"result": item}), "xp") == parse.bookmark(BOOKMARK_DOC, "xp")
    found = parse.bookmarks(json.dumps({"array": [item, item]}), "xp")
    assert len(found) == 2 and found[0] == parse.bookmark(BOOKMARK_DOC, "xp")


def test_the_documented_evidence_lock_is_read_to_the_microsecond():
    lock = parse.evidence_lock(LOCK_DOC, "xp")
    assert lock.id == "cc4bb285-e62e-4da4-b411-e25f6cc4e99a"
    assert lock.cameras == (CameraRef("xp", "124c3e51-b7c6-46f1-9a39-198e6a4ba845"),)
    assert lock.span == TimeSpan(at("2024-09-23T16:24:31.384036"), at("2024-09-23T16:34:31.384036"))
    assert lock.header == "AutoEvidenceLock-16:24:31"


def test_times_with_seven_decimals_offsets_or_no_zone_are_utc():
    assert parse.instant("9999-12-31T22:59:59.9999999Z", "t") == datetime(
        9999, 12, 31, 22, 59, 59, 999999, tzinfo=UTC
    )
    assert parse.instant("2025-10-27T15:03:52.8070000", "t") == at("2025-10-27T15:03:52.807")
    assert parse.instant("2025-10-27T18:00:00+03:00", "t") == at("2025-10-27T15:00:00")
    assert parse.iso(at("2025-10-27T15:03:52.807")) == "2025-10-27T15:03:52.807000Z"
    for bad in ("2025-10-27", "yesterday", 1700000000, None, "2025-10-27T25:00:00Z"):
        with pytest.raises(MalformedResponseError):
            parse.instant(bad, "t")


def test_what_a_bookmark_cannot_be_is_named():
    item = json.loads(BOOKMARK_DOC)["data"]
    cases = {
        "devicePath": {**item, "devicePath": {"type": "hardware", "id": "x"}},
        "timeEnd": {**item, "timeEnd": "2019-08-24T14:15:21Z"},
        "relations": {key: value for key, value in item.items() if key != "relations"},
        "header": {**item, "header": 7},
    }
    for name, broken in cases.items():
        with pytest.raises(MalformedResponseError, match=name):
            parse.bookmark(json.dumps({"data": broken}), "xp")


def test_recording_servers_give_their_web_address():
    body = {"array": [{"id": "r1", "webServerUri": "http://desktop-8rpfauh:7563/"}]}
    (server,) = parse.recording_servers(json.dumps(body))
    assert server == parse.RecordingServer("r1", "http://desktop-8rpfauh:7563/")
    with pytest.raises(MalformedResponseError, match="webServerUri"):
        parse.recording_servers(json.dumps({"array": [{"id": "r", "webServerUri": "file:/x"}]}))


def test_the_real_login_answer_gives_a_four_hour_token():
    token = soap.login(LOGIN_2025R1)
    assert (
        token.token
        == "TOKEN#b41f9558-4069-45fa-a6fd-99ef44ff63aa#desktop-8rpfauh//ServerConnector#"
    )
    assert token.time_to_live == 4 * 3600
    assert token.registered == at("2025-10-27T19:30:05.9")
    assert "TOKEN#" not in repr(token)


def test_sequences_are_read_empty_or_with_entries():
    assert soap.sequences(EMPTY_2025R1) == ()
    assert soap.sequences(ENTRIES) == (
        TimeSpan(at("2023-07-20T18:52:49.053"), at("2023-07-20T18:53:01.029")),
        TimeSpan(at("2023-07-20T19:00:00"), at("2023-07-20T19:10:00")),
    )


def test_a_fault_is_the_servers_words_and_a_token_fault_asks_for_a_new_login():
    with pytest.raises(VigilError, match="Method 'StartRecording' not supported") as caught:
        soap.sequences(FAULT)
    assert not isinstance(caught.value, AuthenticationError)
    with pytest.raises(soap.TokenRefusedError, match="Token invalid"):
        soap.sequences(TOKEN_FAULT)
    assert isinstance(soap.error(500, TOKEN_FAULT), soap.TokenRefusedError)
    assert isinstance(soap.error(401, b""), AuthenticationError)


def test_requests_escape_what_they_carry():
    span = TimeSpan(at("2025-10-27T18:35:00"), at("2025-10-27T19:35:00"))
    body = soap.sequences_request("TOKEN#<a&b>#", "cam", span, 100).decode()
    assert "<token>TOKEN#&lt;a&amp;b&gt;#</token>" in body
    assert "<minTime>2025-10-27T18:35:00.000000Z</minTime>" in body
    assert f"<sequenceType>{soap.RECORDING_SEQUENCE}</sequenceType>" in body
    assert "<currentToken></currentToken>" in soap.login_request("i", None).decode()


def test_a_document_type_declaration_is_refused_before_parsing():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + LOGIN_2025R1.replace(b"TOKEN#", b"&lol2;TOKEN#")
    )
    with pytest.raises(MalformedResponseError, match="document type"):
        soap.login(laughs)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_any_bytes_give_an_answer_or_a_typed_error(body):
    for read in (soap.login, soap.sequences):
        with contextlib.suppress(VigilError):
            read(body)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
_FIELD = st.one_of(
    _TEXT,
    st.sampled_from(["2025-10-27T19:30:05.9Z", "14400000000", "0", "-5", "", "9" * 20]),
    st.datetimes().map(lambda d: d.isoformat()),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["LoginResponse", "SequencesGetResponse", "Fault", "Other"]),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["Token", "RegistrationTime", "TimeBegin", "TimeEnd", "faultstring", "X"]
            ),
            _FIELD,
        ),
        max_size=5,
    ),
    st.booleans(),
)
def test_envelopes_with_spoiled_fields_give_an_answer_or_a_typed_error(operation, fields, nest):
    """Real shapes with parts missing or wrong: the reader never fails untyped."""
    inner = "".join(f"<{name}>{value}</{name}>".replace("&", "&amp;") for name, value in fields)
    if nest:
        seconds = f"<TimeToLive><MicroSeconds>{inner}</MicroSeconds></TimeToLive>"
        inner = f"<SequenceEntry>{inner}</SequenceEntry>{seconds}"
    result = {"LoginResponse": "LoginResult", "SequencesGetResponse": "SequencesGetResult"}
    wrapped = f"<{result.get(operation, 'R')}>{inner}</{result.get(operation, 'R')}>"
    body = (
        f'<s:Envelope xmlns:s="{soap.ENVELOPE}"><s:Body><{operation}>{wrapped}</{operation}>'
        "</s:Body></s:Envelope>"
    ).encode()
    for read in (soap.login, soap.sequences):
        with contextlib.suppress(VigilError):
            read(body)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["data", "result", "array"]),
    st.dictionaries(
        st.sampled_from(
            [
                "header",
                "timeBegin",
                "timeEnd",
                "startTime",
                "endTime",
                "devicePath",
                "devicePaths",
                "relations",
                "id",
                "webServerUri",
            ]
        ),
        _JSON | st.sampled_from(["2025-10-27T19:30:05Z", "2025-10-27T19:30:05.1234567Z"]),
    ),
)
def test_bookmark_and_lock_bodies_give_an_answer_or_a_typed_error(envelope, item):
    document = {envelope: [item] if envelope == "array" else item}
    body = json.dumps(document)
    for read in (parse.bookmark, parse.bookmarks, parse.evidence_lock, parse.evidence_locks):
        with contextlib.suppress(MalformedResponseError):
            read(body, "xp")
    with contextlib.suppress(MalformedResponseError):
        parse.recording_servers(body)


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_time_written_for_the_server_reads_back_the_same(moment):
    assert parse.instant(parse.iso(moment), "t") == moment
