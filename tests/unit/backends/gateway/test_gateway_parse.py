"""Reading a REST gateway's answers: every JSON sample of seed 000, verbatim, and anything else."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewer.backends.gateway import parse
from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnreachableError,
    VigilError,
)
from viewer.core.models import (
    CameraRef,
    CameraStatus,
    HealthState,
    Quality,
    SiteHealth,
    StreamInfo,
    TimeSpan,
)

SEED = Path(__file__).resolve().parents[5] / "shared" / "seeds" / "000_1d1227c6b9f139dc.txt"
TEXT = SEED.read_text(encoding="utf-8")
JSON_BLOCKS = re.findall(r"```json\n(.*?)```", TEXT, re.S)
HTTP_BLOCKS = re.findall(r"```http\n(.*?)```", TEXT, re.S)
CAMERA = "8b3a2c1d-4e5f-6789-abcd-ef0123456789"


def http_response(marker: str) -> bytes:
    """The JSON text after ``Response:`` in the seed's http block that mentions ``marker``."""
    (block,) = [b for b in HTTP_BLOCKS if marker in b]
    start = block.index("{", block.index("Response:"))
    end = json.JSONDecoder().raw_decode(block, start)[1]
    return block[start:end].encode("utf-8")


def json_block(marker: str) -> bytes:
    """The seed's one JSON sample that contains ``marker``."""
    (block,) = [b for b in JSON_BLOCKS if marker in b]
    return block.encode("utf-8")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_login_answer_gives_a_token_for_an_hour():
    token = parse.token(http_response("POST /api/auth/login"))
    assert token.token.startswith("eyJhbGciOiJIUzI1NiIs")
    assert token.expires_in == 3600


def test_the_camera_list_gives_cameras_with_both_streams_and_ptz():
    cameras, total = parse.cameras(json_block('"totalCount": 500'), "gw")
    assert total == 500
    (camera,) = cameras
    assert camera.ref == CameraRef("gw", CAMERA)
    assert camera.name == "Main Entrance Camera"
    assert camera.streams == (
        StreamInfo(Quality.MAIN, 1920, 1080, "H264"),
        StreamInfo(Quality.SUB, 640, 480, "H264"),
    )
    assert camera.ptz
    assert camera.status is CameraStatus.UNKNOWN


def test_a_disabled_camera_is_left_out_but_counted_on_its_page():
    body = json.dumps({"cameras": [{"id": "a", "enabled": False}, {"id": "b"}]}).encode()
    cameras, total = parse.cameras(body, "gw")
    assert [c.ref.camera_id for c in cameras] == ["b"]
    assert total is None
    assert parse.camera_count(body) == 2


def test_groups_list_their_cameras_by_id():
    first, metro, bus = parse.groups(json_block('"groups"'))
    assert (first.id, first.name) == ("group-001", "Dubai Police")
    assert first.camera_ids == (CAMERA, "9c4b3d2e-5f6a-7890-bcde-f12345678901")
    assert (metro.name, bus.name) == ("Metro", "Bus")


def test_live_urls_are_keyed_by_quality():
    block = next(b for b in JSON_BLOCKS if '"quality": "high"' in b)
    urls = parse.live_urls(block.encode())
    assert urls == {
        Quality.MAIN: f"rtsp://192.168.1.9:554/live/{CAMERA}?stream=1",
        Quality.SUB: f"rtsp://192.168.1.9:554/live/{CAMERA}?stream=2",
    }


def test_a_live_answer_without_rtsp_is_malformed():
    body = b'{"streams":[{"streamId":1,"quality":"high","protocol":"hls","url":"http://x/a"}]}'
    with pytest.raises(MalformedResponseError, match="streams"):
        parse.live_urls(body)


def test_the_timeline_gives_its_sequences_cut_to_the_span():
    block = next(b for b in JSON_BLOCKS if '"sequences"' in b)
    span = TimeSpan(at("2025-10-24T03:00:00"), at("2025-10-25T00:00:00"))
    first, second = parse.recorded(block.encode(), span)
    assert (first.span.start, first.span.end) == (at("2025-10-24T03:00:00"), at("2025-10-24T06:00"))
    assert (second.span.start, second.span.end) == (at("2025-10-24T06:00"), at("2025-10-24T12:00"))


def test_gaps_in_the_sequences_own_time_keys_are_cut_out():
    body = json.dumps(
        {
            "sequences": [
                {
                    "sequenceId": "s",
                    "startTime": "2025-10-24T00:00:00Z",
                    "endTime": "2025-10-24T06:00:00Z",
                    "gaps": [
                        {"startTime": "2025-10-24T01:00:00Z", "endTime": "2025-10-24T02:00:00Z"},
                        "unknown shape",
                    ],
                }
            ]
        }
    ).encode()
    span = TimeSpan(at("2025-10-23T00:00:00"), at("2025-10-25T00:00:00"))
    spans = [(s.span.start.hour, s.span.end.hour) for s in parse.recorded(body, span)]
    assert spans == [(0, 1), (2, 6)]


def test_the_playback_answer_gives_its_rtsp_url():
    url = parse.playback_url(_playback_block())
    assert url.startswith(f"rtsp://192.168.1.9:554/playback/{CAMERA}?start=2025-10-24T10:00:00Z")


def _playback_block() -> bytes:
    return next(b for b in JSON_BLOCKS if '"playbackUrl"' in b).encode()


def test_export_jobs_from_queued_to_completed():
    queued = parse.export_job(next(b for b in JSON_BLOCKS if '"queued"' in b).encode())
    assert (queued.id, queued.status, queued.finished) == ("exp-12345-abcde", "queued", False)
    done = parse.export_job(http_response("/recordings/export/{exportId}"))
    assert done.finished and done.progress == 100
    assert done.download_url == (
        "http://192.168.1.9/api/rest/v1/recordings/export/exp-12345-abcde/download"
    )


def test_stored_events_belong_to_the_camera_asked_about():
    motion, tampering = parse.events(_events_block(), "gw", "c")
    assert (motion.id, motion.type, motion.time) == ("evt-001", "motion", at("2025-10-24T10:15:30"))
    assert motion.description == "Motion detected in zone 1"
    assert tampering.camera == CameraRef("gw", "c")


def _events_block() -> bytes:
    return next(b for b in JSON_BLOCKS if '"eventId"' in b).encode()


def test_each_pushed_message_of_the_seed_is_an_event_and_offline_is_a_status():
    block = next(b for b in JSON_BLOCKS if '"camera.motion"' in b)
    messages = [m for m in block.split("\n\n") if m.strip()]
    motion, offline, recording = (parse.pushed(m, "gw", i) for i, m in enumerate(messages))
    assert motion is not None and motion.type == "camera.motion"
    assert offline is not None and parse.status_change(offline) == (CAMERA, CameraStatus.OFFLINE)
    assert recording is not None and parse.status_change(recording) is None
    assert parse.status_change(motion) is None


def test_a_reply_on_the_socket_is_no_event():
    assert parse.pushed('{"status":"subscribed"}', "gw", 1) is None


def test_presets_and_a_move_answer():
    presets = parse.presets(http_response("/ptz/presets"))
    assert [(p.id, p.name) for p in presets] == [
        ("1", "Main Entrance View"),
        ("2", "Parking Area"),
    ]
    assert parse.position(json_block('"position"')) == parse.GatewayPosition(180.0, 45.0, 2.5)


def test_capabilities_say_whether_ptz_is_there():
    features = parse.features(json_block('"maxCameras"'))
    assert features == parse.Features(ptz=True, motion=True)


def test_the_health_sample_is_healthy_with_its_disk_use():
    health = parse.health(json_block('"recordingServers"'))
    assert health == SiteHealth(
        HealthState.OK, "healthy", ("Recording Server 1: storage 76 % used",)
    )


def test_a_stopped_recorder_degrades_a_gateway_that_calls_itself_healthy():
    body = json.dumps(
        {
            "status": "healthy",
            "services": {"managementServer": "running", "recordingServer": "stopped"},
            "recordingServers": [{"name": "RS 2", "status": "offline", "storageUsed": 93}],
        }
    ).encode()
    assert parse.health(body) == SiteHealth(
        HealthState.DEGRADED,
        "healthy",
        ("recordingServer: stopped", "RS 2: offline", "RS 2: storage 93 % used"),
    )


def test_health_words_decide_and_a_503_is_down():
    assert parse.health(b'{"status":"degraded"}').state is HealthState.DEGRADED
    assert parse.health(b'{"status":"Unhealthy"}').state is HealthState.DOWN
    assert parse.health(b'{"status":"maintenance"}') == SiteHealth(
        HealthState.DEGRADED, "maintenance"
    )
    assert parse.health(b'{"status":"healthy"}', 503).state is HealthState.DOWN


def test_the_error_envelope_keeps_the_servers_code_and_words():
    error = parse.http_error(404, json_block("CAMERA_NOT_FOUND"))
    assert isinstance(error, NotFoundError)
    assert f"CAMERA_NOT_FOUND Camera with ID {CAMERA} not found" in str(error)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (409, UnreachableError),
        (503, UnreachableError),
    ],
)
def test_statuses_become_typed_errors(status, kind):
    assert isinstance(parse.http_error(status, b"<html>busy</html>"), kind)


def test_rate_limiting_carries_retry_after():
    body = (
        b'{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Too many requests","statusCode":429}}'
    )
    error = parse.http_error(429, body, 7.0)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0
    assert "RATE_LIMIT_EXCEEDED" in str(error)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"cameras":[{"name":"x"}]}', "cameras[0].id"),
        (b'{"cameras":"no"}', "cameras"),
        (b'{"groups":[{"id":"g","cameras":[1]}]}', "groups[0].cameras"),
        (b'{"token":"t","expires_in":-1}', "expires_in"),
        (b'{"exportId":"e"}', "status"),
    ],
)
def test_a_missing_or_mistyped_field_is_named(body, field):
    reader = {
        b"c": lambda b: parse.cameras(b, "gw"),
        b"g": parse.groups,
        b"t": parse.token,
        b"e": parse.export_job,
    }[body[2:3]]
    with pytest.raises(MalformedResponseError) as caught:
        reader(body)
    assert caught.value.field == field


READERS = [
    parse.token,
    parse.features,
    lambda b: parse.cameras(b, "gw"),
    parse.groups,
    parse.live_urls,
    parse.playback_url,
    lambda b: parse.recorded(b, TimeSpan(datetime.min.replace(tzinfo=UTC), datetime.now(UTC))),
    lambda b: parse.events(b, "gw", "c"),
    lambda b: parse.pushed(b, "gw", 0),
    parse.presets,
    parse.position,
    parse.export_job,
    parse.health,
    lambda b: parse.http_error(400, b),
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "token",
                    "expires_in",
                    "cameras",
                    "id",
                    "name",
                    "streams",
                    "resolution",
                    "groups",
                    "url",
                    "quality",
                    "protocol",
                    "playbackUrl",
                    "sequences",
                    "startTime",
                    "endTime",
                    "gaps",
                    "events",
                    "eventId",
                    "type",
                    "timestamp",
                    "cameraId",
                    "presets",
                    "presetId",
                    "position",
                    "pan",
                    "tilt",
                    "zoom",
                    "exportId",
                    "status",
                    "progress",
                    "downloadUrl",
                    "features",
                    "error",
                    "ptzControl",
                    "totalCount",
                    "enabled",
                    "ptzCapabilities",
                    "supportsPan",
                    "services",
                    "recordingServers",
                    "storageUsed",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=JSON_VALUES, reader=st.sampled_from(READERS))
def test_any_json_gives_an_answer_or_a_typed_error(document, reader):
    with contextlib.suppress(VigilError):
        reader(json.dumps(document).encode())


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), reader=st.sampled_from(READERS))
def test_any_bytes_give_an_answer_or_a_typed_error(body, reader):
    with contextlib.suppress(VigilError):
        reader(body)
