"""MiBee JSON: every sample of the wiki (seed 002) as written there, the server's own
forms where backends.md says they differ, and any malformed body a typed error."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.backends.mibee import parse
from viewer.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    VigilError,
)
from viewer.core.models import CameraStatus, HealthState, PtzPosition, Quality, SiteHealth

# -- seed 002's samples, verbatim ---------------------------------------------------------

HEALTH = b"""{
  "status": "ok",
  "checks": {
    "database": {
      "status": "ok",
      "message": ""
    },
    "storage": {
      "status": "ok",
      "message": ""
    }
  },
  "uptime": "2h34m15s"
}"""

READYZ = b"""{
  "status": "ok"
}"""

CAMERAS = b"""[
  {
    "id": "front-door",
    "name": "Front Door",
    "protocol": "rtsp",
    "encoding": "h264",
    "url": "rtsp://192.168.1.100:554/stream",
    "enabled": true,
    "status": "recording",
    "last_seen": "2024-01-01T10:15:00Z",
    "retention_days": 30,
    "username": "admin",
    "has_password": true,
    "sub_stream_url": "",
    "snapshot_url": "",
    "sample_interval": 1,
    "hls_max_fps": 30,
    "did": "",
    "vendor": ""
  }
]"""

CAMERA = b"""{
  "id": "front-door",
  "name": "Front Door",
  "protocol": "rtsp",
  "encoding": "h264",
  "url": "rtsp://192.168.1.100:554/stream",
  "enabled": true,
  "status": "recording",
  "last_seen": "2024-01-01T10:15:00Z"
}"""

UPDATED_CAMERA = b"""{
  "id": "front-door",
  "name": "Updated Front Door",
  "protocol": "rtsp",
  "encoding": "h264",
  "url": "rtsp://192.168.1.100:554/new_stream",
  "enabled": false
}"""

RECORDINGS = b"""{
  "recordings": [
    {
      "id": "1704123456789012345",
      "camera_id": "front-door",
      "file_path": "/data/recordings/h264/front-door_1704123456789012345.mp4",
      "format": "h264",
      "started_at": "2024-01-01T12:34:56.789Z",
      "ended_at": "2024-01-01T12:35:06.789Z",
      "duration": 10.0,
      "file_size": 1048576,
      "frame_count": 300,
      "merged": false
    }
  ],
  "total": 1
}"""

RECORDING = b"""{
  "id": "1704123456789012345",
  "camera_id": "front-door",
  "file_path": "/data/recordings/h264/front-door_1704123456789012345.mp4",
  "format": "h264",
  "started_at": "2024-01-01T12:34:56.789Z",
  "ended_at": "2024-01-01T12:35:06.789Z",
  "duration": 10.0,
  "file_size": 1048576,
  "frame_count": 300,
  "merged": false
}"""

PRESETS = b"""{
  "presets": [
    {
      "token": "preset_1",
      "name": "Home Position",
      "position": {
        "pan": 0.0,
        "tilt": 0.0,
        "zoom": 1.0
      }
    },
    {
      "token": "preset_2",
      "name": "Corner View",
      "position": {
        "pan": 0.5,
        "tilt": 0.3,
        "zoom": 1.5
      }
    }
  ]
}"""

NEW_PRESET = b"""{
  "token": "preset_123"
}"""

PTZ_STATUS = b"""{
  "pan": 0.5,
  "tilt": 0.3,
  "zoom": 1.0,
  "moving": false
}"""

WIKI_PTZ_STATUS = b"""{
  "x": 0.5,
  "y": 0.5,
  "zoom": 1.0
}"""

REPLIES = [
    (b'{\n  "status": "ok"\n}', "ok"),
    (b'{\n  "status": "moving"\n}', "moving"),
    (b'{\n  "status": "stopped"\n}', "stopped"),
    (b'{\n  "status": "deleted"\n}', "deleted"),
    (b'{\n  "status": "started"\n}', "started"),
    (b'{\n  "status": "updated"\n}', "updated"),
    (b'{\n  "status": "reset"\n}', "reset"),
]

ERRORS = [
    (
        401,
        b"""{
  "error": "authentication failed: invalid username or password",
  "code": "AUTH_FAILED"
}""",
        AuthenticationError,
        "authentication failed: invalid username or password",
    ),
    (
        404,
        b"""{
  "error": "camera not found: non-existent-camera",
  "code": "CAMERA_NOT_FOUND"
}""",
        NotFoundError,
        "camera not found: non-existent-camera",
    ),
    (
        400,
        b"""{
  "error": "invalid input: camera URL must be valid",
  "code": "INVALID_INPUT"
}""",
        MalformedResponseError,
        "invalid input: camera URL must be valid",
    ),
    (
        507,
        b"""{
  "error": "storage full: disk space critically low",
  "code": "STORAGE_FULL"
}""",
        VigilError,
        "storage full: disk space critically low",
    ),
]


def test_the_health_sample_is_ok_with_its_uptime():
    assert parse.health(HEALTH) == parse.Health("ok", (), "2h34m15s")
    assert parse.readiness(READYZ) == "ok"


def test_a_failing_check_is_named_in_its_words():
    body = json.dumps(
        {"status": "degraded", "checks": {"storage": {"status": "error", "message": "disk 97%"}}}
    ).encode()
    assert parse.health(body).problems == ("storage: disk 97%",)


def test_health_as_the_site_shows_it_the_servers_words_and_readiness():
    assert parse.site_health(parse.health(HEALTH), "ok") == SiteHealth(
        HealthState.OK, "ok", ("up 2h34m15s",)
    )
    degraded = parse.Health("degraded", ("storage: recording disk 93 % full",))
    assert parse.site_health(degraded, "ok") == SiteHealth(
        HealthState.DEGRADED, "degraded", ("storage: recording disk 93 % full",)
    )
    assert parse.site_health(parse.Health("ok"), "not ready") == SiteHealth(
        HealthState.DEGRADED, "ok", ("readiness: not ready",)
    )
    assert parse.site_health(parse.Health("error"), None).state is HealthState.DOWN
    assert parse.site_health(parse.Health("ok"), None, 503).state is HealthState.DOWN
    assert parse.site_health(parse.Health("rebuilding"), "ok").state is HealthState.DEGRADED


def test_the_camera_list_sample_is_one_recording_camera():
    (camera,) = parse.cameras(CAMERAS, "nvr")
    assert (camera.ref.camera_id, camera.name) == ("front-door", "Front Door")
    assert camera.status is CameraStatus.ONLINE
    assert camera.streams[0].quality is Quality.MAIN
    assert camera.streams[0].codec == "h264"
    assert camera.ptz is False


def test_single_camera_samples_read_as_a_list_of_one_and_disabled_ones_are_left_out():
    assert len(parse.cameras(b"[" + CAMERA + b"]", "nvr")) == 1
    assert parse.cameras(b"[" + UPDATED_CAMERA + b"]", "nvr") == ()


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("recording", CameraStatus.ONLINE),
        ("stopped", CameraStatus.ONLINE),
        ("error", CameraStatus.ERROR),
        ("reconnecting", CameraStatus.OFFLINE),
        ("offline", CameraStatus.OFFLINE),
        ("paused-by-a-newer-server", CameraStatus.UNKNOWN),
    ],
)
def test_status_words_map_onto_camera_status(word, status):
    body = json.dumps([{"id": "c", "status": word}]).encode()
    assert parse.cameras(body, "nvr")[0].status is status


def test_the_recording_samples_read_with_their_span():
    page = parse.recordings(RECORDINGS)
    assert page.total == 1 and page.next_cursor is None
    (recording,) = page.recordings
    assert recording == parse.recording(json.loads(RECORDING))
    assert recording.id == "1704123456789012345"
    assert recording.camera_id == "front-door"
    assert recording.span.start == datetime(2024, 1, 1, 12, 34, 56, 789000, UTC)
    assert recording.span.duration.total_seconds() == 10.0


def test_presets_and_a_new_presets_token():
    presets = parse.presets(PRESETS)
    assert [(p.id, p.name) for p in presets] == [
        ("preset_1", "Home Position"),
        ("preset_2", "Corner View"),
    ]
    assert parse.preset_token(NEW_PRESET) == "preset_123"


def test_ptz_status_in_the_servers_form_and_the_wikis():
    assert parse.ptz_state(PTZ_STATUS) == parse.PtzState(PtzPosition(0.5, 0.3, 1.0), False)
    assert parse.ptz_state(WIKI_PTZ_STATUS) == parse.PtzState(PtzPosition(0.5, 0.5, 1.0), False)


@pytest.mark.parametrize(("body", "word"), REPLIES)
def test_status_replies(body, word):
    assert parse.reply(body) == word


@pytest.mark.parametrize(("status", "body", "kind", "words"), ERRORS)
def test_error_samples_keep_the_servers_words(status, body, kind, words):
    error = parse.error(status, body)
    assert isinstance(error, kind)
    assert words in str(error)


def test_setup_required_is_explained_in_words():
    error = parse.error(503, b'{"error":"setup required","code":"SETUP_REQUIRED"}')
    assert isinstance(error, NotSupportedError)
    assert "no password set yet" in str(error) and "setup" in str(error)


def test_empty_401_and_429_are_typed():
    assert isinstance(parse.error(401, b""), AuthenticationError)
    limited = parse.error(429, b"", 30.0)
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 30.0


def test_login_protocols_timeline_and_gaps_in_the_servers_shapes():
    login = parse.token(b'{"status":"ok","token":"mbs_abc","expires_at":"2026-01-01T02:00:00Z"}')
    assert login == parse.Token("mbs_abc", datetime(2026, 1, 1, 2, tzinfo=UTC))
    found = parse.protocols(
        b'{"protocols":["hls","rtsp"],"sub_stream":{"available":true,"codec":"h264"},'
        b'"rtsp":{"available":true,"url":"rtsp://127.0.0.1:8554/cam"}}'
    )
    assert found == parse.Protocols("rtsp://127.0.0.1:8554/cam", True, "h264")
    assert parse.protocols(b'{"protocols":["hls"],"sub_stream":{"available":false}}') == (
        parse.Protocols(None, False, None)
    )
    page = parse.timeline(
        b'{"segments":[{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z"}],'
        b'"total":1,"truncated":false}'
    )
    assert page.segments[0].duration.total_seconds() == 3600
    (gap,) = parse.gaps(
        b'{"gaps":[{"start":"2026-01-01T02:40:00Z","end":"2026-01-01T03:00:00Z","duration":1200}]}'
    )
    assert gap.duration.total_seconds() == 1200


def test_events_in_either_spelling_carry_a_status_change():
    for data in (
        '{"Topic":"camera.status","Data":{"camera_id":"cam02","status":"offline"}}',
        '{"topic":"camera.status","data":{"camera_id":"cam02","status":"offline"}}',
    ):
        topic, payload = parse.event(data)
        assert topic == "camera.status"
        assert parse.status_change(payload) == parse.StatusChange("cam02", CameraStatus.OFFLINE)
    assert parse.status_change({"camera_id": "cam02", "motion": True}) is None


@pytest.mark.parametrize(
    ("reader", "body", "field"),
    [
        (lambda b: parse.cameras(b, "s"), b'[{"name":"no id"}]', "cameras[0].id"),
        (lambda b: parse.cameras(b, "s"), b'{"cameras":[]}', "cameras"),
        (parse.token, b'{"status":"ok"}', "token"),
        (
            parse.recordings,
            b'{"recordings":[{"id":"1","camera_id":"c"}]}',
            "recordings[0].started_at",
        ),
        (parse.ptz_state, b'{"pan":"left","tilt":0,"zoom":0}', "pan"),
        (parse.health, b'{"checks":{}}', "status"),
    ],
)
def test_a_missing_or_wrong_field_is_named(reader, body, field):
    with pytest.raises(MalformedResponseError) as refusal:
        reader(body)
    assert refusal.value.field == field


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "id",
        "name",
        "status",
        "token",
        "expires_at",
        "recordings",
        "total",
        "started_at",
        "ended_at",
        "camera_id",
        "pan",
        "tilt",
        "zoom",
        "x",
        "y",
        "moving",
        "presets",
        "checks",
        "segments",
        "gaps",
        "start",
        "end",
        "rtsp",
        "sub_stream",
        "available",
        "url",
        "enabled",
        "Topic",
        "Data",
        "encoding",
        "truncated",
        "next_cursor",
    ]
)
NEAR = st.recursive(
    JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=25,
)
READERS = [
    lambda b: parse.cameras(b, "s"),
    parse.token,
    parse.protocols,
    parse.health,
    parse.readiness,
    parse.recordings,
    parse.timeline,
    parse.gaps,
    parse.reply,
    parse.ptz_state,
    parse.presets,
    parse.preset_token,
    lambda b: parse.event(b.decode("utf-8", "replace")),
]


@given(st.sampled_from(READERS), NEAR | st.binary(max_size=40).map(lambda b: b))
def test_any_body_gives_a_result_or_a_typed_error_naming_the_field(reader, value):
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    try:
        reader(body)
    except MalformedResponseError as error:
        assert error.field
    assert True


@given(st.integers(100, 599), st.binary(max_size=60) | NEAR.map(lambda v: json.dumps(v).encode()))
def test_any_refusal_is_a_typed_error(status, body):
    assert isinstance(parse.error(status, body), VigilError)
