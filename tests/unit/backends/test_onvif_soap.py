"""ONVIF's SOAP as Vigil writes and reads it: tokens the demo camera's independent
check accepts, answers read into core models or typed errors whatever a camera sends,
faults told apart by their subcodes, and no document type declaration ever parsed."""

from __future__ import annotations

import contextlib
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.backends.rtsp import onvif_soap as soap
from viewer.backends.rtsp.onvif import device_address
from viewer.core.errors import (
    AuthenticationError,
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    UnreachableError,
    VigilError,
)
from viewer.demo import onvif as demo

texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=200)
@given(
    user=texts.filter(str.strip),
    password=texts,
    created=st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ),
    nonce=st.binary(min_size=1, max_size=32),
)
def test_the_demo_camera_accepts_every_token_vigil_writes(user, password, created, nonce):
    header = soap.username_token(user, password, created, nonce)
    document = soap.envelope(soap.PTZ, "GetStatus", header=header)
    call = demo.parse_call(document)
    # The camera's own check, written apart from ours, with its clock at that instant.
    demo.Credentials(user, password, lambda: created).check(call.token)


def test_a_token_for_another_password_or_hours_off_the_cameras_clock_is_refused():
    now = datetime.now(UTC)
    camera = demo.Credentials("admin", "right", lambda: now)
    for password, created in (("wrong", now), ("right", now.replace(year=now.year - 1))):
        call = demo.parse_call(
            soap.envelope(
                soap.PTZ, "Stop", header=soap.username_token("admin", password, created, b"n")
            )
        )
        with pytest.raises(demo.Fault):
            camera.check(call.token)


@pytest.mark.parametrize(
    ("subcode", "sender", "error"),
    [
        ("ter:NotAuthorized", True, AuthenticationError),
        ("ter:NoProfile", True, NotFoundError),
        ("ter:NoToken", True, NotFoundError),
        ("ter:ActionNotSupported", False, NotSupportedError),
        ("ter:PresetExist", True, NotSupportedError),
        ("ter:InvalidArgVal", True, NotSupportedError),
        ("ter:HardwareFailure", False, UnreachableError),
    ],
)
def test_each_fault_is_the_typed_error_its_subcode_calls_for_in_the_cameras_words(
    subcode, sender, error
):
    answer = demo._fault(demo.Fault(subcode, "The camera's own words", sender=sender))
    with pytest.raises(error, match="The camera's own words") as raised:
        soap.answer_of(answer.body, answer.status, "GotoPreset")
    assert type(raised.value) is error


def test_a_camera_asking_for_http_authentication_is_refused_in_the_same_types():
    for status, error in ((401, AuthenticationError), (403, PermissionDeniedError)):
        with pytest.raises(error):
            soap.answer_of(b"<html>Unauthorized</html>", status, "GetProfiles")


def test_a_document_type_declaration_is_refused_before_it_is_parsed():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        b"<GetStatusResponse>&b;</GetStatusResponse></s:Body></s:Envelope>"
    )
    with pytest.raises(MalformedResponseError, match="document type"):
        soap.answer_of(laughs, 200, "GetStatus")


@settings(max_examples=300)
@given(data=st.binary(max_size=400), status=st.sampled_from([200, 400, 401, 403, 500, 302]))
def test_any_bytes_are_an_answer_or_a_typed_error(data, status):
    with contextlib.suppress(VigilError):
        soap.answer_of(data, status, "GetStatus")


NAMES = [
    "Profiles", "PTZConfiguration", "NodeToken", "Preset", "Name", "PTZStatus", "Position",
    "PanTilt", "Zoom", "SystemDateAndTime", "UTCDateTime", "Date", "Time", "Year", "Month",
    "Day", "Hour", "Minute", "Second", "PTZNode", "SupportedPTZSpaces", "URI", "XRange",
    "YRange", "Min", "Max", "AbsolutePanTiltPositionSpace", "ContinuousPanTiltVelocitySpace",
    "Service", "Namespace", "XAddr", "Capabilities", "PTZ", "Media", "PresetToken",
]  # fmt: skip
values = st.one_of(
    st.sampled_from(
        ["1", "-1", "0.5", "1.005", "-1.004", "2024", "13", "nan", "inf", "1e999", "", " x ", "-0"]
    ),
    st.sampled_from([soap.PAN_TILT_POSITION, soap.PAN_TILT_VELOCITY, soap.PTZ, soap.MEDIA]),
    texts,
)


def element(name, attributes, text, children):
    made = ET.Element(f"{{{soap.SCHEMA}}}{name}", attributes)
    made.text = text
    made.extend(children)
    return made


def elements_of(children):
    return st.builds(
        element,
        st.sampled_from(NAMES),
        st.dictionaries(st.sampled_from(["token", "x", "y", "space"]), values, max_size=3),
        st.none() | values,
        children,
    )


# A budget of leaves, not a depth: a tree four wide and five deep was hundreds of
# elements drawn per example, and answers are a few dozen.
elements = st.recursive(
    elements_of(st.just([])), lambda inner: elements_of(st.lists(inner, max_size=4)), max_leaves=40
)


PARSERS = [
    soap.date_time, soap.service_addresses, soap.capability_addresses, soap.profiles,
    soap.node, soap.status, soap.presets, soap.preset_token,
]  # fmt: skip


@settings(max_examples=400)
@given(answer=elements, parser=st.sampled_from(PARSERS))
def test_every_parser_gives_its_model_or_a_typed_error_for_any_answer(answer, parser):
    try:
        result = parser(answer)
    except (MalformedResponseError, NotSupportedError):
        return
    if parser is soap.status:
        assert -1 <= result.pan <= 1 and -1 <= result.tilt <= 1 and 0 <= result.zoom <= 1
    if parser is soap.node and result.absolute is not None:
        assert all(-1 <= r.low <= r.high <= 1 for r in result.absolute)
    if parser is soap.presets:
        assert all(p.id and p.name and len(p.id) <= 64 for p in result)


@given(pan=st.floats(-1, 1), tilt=st.floats(-1, 1), zoom=st.floats(0, 1))
def test_a_position_written_is_the_position_read_to_a_millionth(pan, tilt, zoom):
    written = soap.vector("Position", (pan, tilt), zoom)
    document = f'<r xmlns:op="o" xmlns:tt="{soap.SCHEMA}">{written}</r>'
    holder = ET.fromstring(document)[0]
    answer = ET.fromstring(
        f'<a xmlns:tt="{soap.SCHEMA}"><tt:PTZStatus><tt:Position>'
        f"{ET.tostring(holder[0], encoding='unicode')}{ET.tostring(holder[1], encoding='unicode')}"
        "</tt:Position></tt:PTZStatus></a>"
    )
    read = soap.status(answer)
    assert math.isclose(read.pan, pan, abs_tol=1e-6) and math.isclose(read.tilt, tilt, abs_tol=1e-6)
    assert math.isclose(read.zoom, zoom, abs_tol=1e-6)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("192.0.2.7", "http://192.0.2.7/onvif/device_service"),
        ("HTTP://Cam.example:8080", "http://cam.example:8080/onvif/device_service"),
        (
            "https://[2001:db8::1]/onvif/device_service",
            "https://[2001:db8::1]/onvif/device_service",
        ),
    ],
)
def test_an_operators_onvif_address_is_completed_as_onvif_says(typed, kept):
    assert device_address(typed) == kept


@given(st.text(max_size=60))
def test_any_text_is_an_onvif_address_or_an_error_naming_the_field(text):
    try:
        address = device_address(text)
    except InvalidInputError as error:
        assert error.field == "onvif_url"
    else:
        assert address.startswith(("http://", "https://")) and "@" not in address.split("/")[2]


@given(
    pan=st.floats(allow_nan=True) | st.sampled_from([1.005, -1.004]),
    tilt=st.floats(-1.02, 1.02),
    zoom=st.floats(-0.02, 1.02) | texts,
)
def test_a_status_is_a_position_in_the_generic_space_or_a_typed_error(pan, tilt, zoom):
    tt = f"{{{soap.SCHEMA}}}"
    answer = ET.Element("answer")
    position = ET.SubElement(ET.SubElement(answer, f"{tt}PTZStatus"), f"{tt}Position")
    ET.SubElement(position, f"{tt}PanTilt", x=str(pan), y=str(tilt))
    ET.SubElement(position, f"{tt}Zoom", x=str(zoom))
    try:
        read = soap.status(answer)
    except MalformedResponseError:
        return
    assert -1 <= read.pan <= 1 and -1 <= read.tilt <= 1 and 0 <= read.zoom <= 1
