"""The simulated gateway's WebRTC, played by a plain aiortc client over loopback.

Live sessions show the camera asked for, playback sessions the instant asked for at
the speed asked for, with RTP timestamps in milliseconds from playbackTime.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from tests.integration.backends.milestone.xprotect import run, serving, simulator, until
from tests.integration.demo.milestone.webrtc_client import (
    CANDIDATES,
    SESSION,
    gateway,
    offer,
    open_commands,
    watching,
)
from viewer.demo.clockface import read_instant
from viewer.demo.footage import camera_by_id
from viewer.demo.milestone.directory import CAMERAS, H265_DEMO_ID, MASKED_DEMO_ID, guid

CAPTURE_KEYS = [
    "sessionId",
    "cameraId",
    "deviceId",
    "token",
    "resolution",
    "offerSDP",
    "answerSDP",
    "streamId",
    "playbackTimeNode",
    "iceServers",
    "includeAudio",
]


def stream_id(demo_id: str, quality: str) -> str:
    return guid(f"stream/{demo_id}/{quality}")


def two_days_ago(hour: int, minute: int, second: float) -> datetime:
    day = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(hours=hour, minutes=minute, seconds=second)


def node(at: datetime, speed: float = 1.0, skip_gaps: bool = False) -> dict[str, object]:
    text = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"playbackTime": text, "speed": speed, "skipGaps": skip_gaps}


def shown(frame) -> datetime | None:
    return read_instant(frame.to_ndarray(format="rgb24"))


def corner(frame) -> tuple[int, ...]:
    """The camera's colour marker, bottom right (demo/footage.py)."""
    picture = frame.to_ndarray(format="rgb24")
    height, width = picture.shape[:2]
    return tuple(int(v) for v in picture[height * 15 // 16, width * 15 // 16])


def near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


def test_live_video_shows_the_camera_asked_for_in_the_stream_asked_for():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            for demo_id, quality, size in (
                ("cam03", "sub", (640, 360)),
                ("cam06", "main", (1920, 1080)),
            ):
                camera = CAMERAS[demo_id]
                body = {"deviceId": camera.id, "streamId": stream_id(demo_id, quality)}
                async with watching(http, **body) as viewer:
                    frame = await viewer.frame()
                    assert (frame.width, frame.height) == size
                    assert near(corner(frame), camera_by_id(demo_id).colour)
                    assert shown(frame) is None  # live footage carries no recorded instant

    run(scenario)


def test_the_session_answers_in_the_captured_shape():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            answer = await offer(http, deviceId=CAMERAS["cam01"].id, includeAudio=False)
            assert answer.status_code == 200
            assert "\\u0022type\\u0022:\\u0022offer\\u0022" in answer.text
            session = answer.json()
            assert list(session) == CAPTURE_KEYS
            assert session["playbackTimeNode"] == {
                "playbackTime": None,
                "skipGaps": None,
                "speed": None,
            }
            assert session["answerSDP"] == "Uninitialised"
            sdp = json.loads(session["offerSDP"])["sdp"]
            video = sdp.split("m=video")[1].split("m=application")[0]
            codecs = {
                line.split()[1].split("/")[0] for line in video.splitlines() if "rtpmap" in line
            }
            assert codecs == {"H264"}
            assert "a=sendonly" in video
            assert "m=application" in sdp  # the commands channel (2025 R1 and later)
            hosts = [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate")]
            assert hosts and set(hosts) == {"127.0.0.1"}

    run(scenario)


def test_releases_before_2025_r2_know_camera_id_and_no_data_channel():
    async def scenario():
        async with serving(simulator(release="2024 R2")) as server, gateway(server) as http:
            refused = await offer(http, deviceId=CAMERAS["cam01"].id)
            assert refused.status_code == 400
            assert "cameraId is required" in refused.text
            session = (await offer(http, cameraId=CAMERAS["cam01"].id)).json()
            assert "m=application" not in json.loads(session["offerSDP"])["sdp"]

    run(scenario)


def test_2025_r2_takes_device_id_and_still_camera_id():
    async def scenario():
        async with serving(simulator(release="2025 R2")) as server, gateway(server) as http:
            assert (await offer(http, deviceId=CAMERAS["cam01"].id)).status_code == 200
            assert (await offer(http, cameraId=CAMERAS["cam01"].id)).status_code == 200

    run(scenario)


def test_playback_shows_the_instant_asked_for_with_rtp_milliseconds_from_it():
    async def scenario():
        at = two_days_ago(10, 0, 0.123)
        async with serving(simulator()) as server, gateway(server) as http:
            body = {"deviceId": CAMERAS["cam05"].id, "playbackTimeNode": node(at)}
            async with watching(http, **body) as viewer:
                assert viewer.session["playbackTimeNode"]["speed"] == 1.0
                first = await viewer.frame()
                assert abs((shown(first) - at).total_seconds()) < 1
                assert first.pts == 0
                for _ in range(6):
                    later = await viewer.frame()
                assert later.pts > 0
                assert shown(later) == at + timedelta(milliseconds=later.pts)

    run(scenario)


def test_playback_at_speed_4_runs_recorded_time_four_times_the_wall_clock():
    async def scenario():
        at = two_days_ago(8, 0, 0)
        async with serving(simulator()) as server, gateway(server) as http:
            body = {"deviceId": CAMERAS["cam05"].id, "playbackTimeNode": node(at, speed=4)}
            async with watching(http, **body) as viewer:
                first = await viewer.frame()
                started = time.monotonic()
                for _ in range(30):
                    last = await viewer.frame()
                wall = time.monotonic() - started
                recorded = (shown(last) - shown(first)).total_seconds()
                assert recorded == (last.pts - first.pts) / 1000
                # Pictures are never early; a busy machine may make them late.
                assert 2.0 < recorded / wall < 4.4

    run(scenario)


def test_skip_gaps_jumps_to_the_next_recording():
    async def scenario():
        at = two_days_ago(2, 39, 59)  # the recorder's gap runs 02:40 to 03:00
        async with serving(simulator()) as server, gateway(server) as http:
            body = {"deviceId": CAMERAS["cam05"].id, "playbackTimeNode": node(at, skip_gaps=True)}
            async with watching(http, **body) as viewer:
                instants = [shown(await viewer.frame()) for _ in range(7)]
                resumed = two_days_ago(3, 0, 0)
                assert instants[4] < two_days_ago(2, 40, 0) and instants[5] == resumed
                assert all(i < two_days_ago(2, 40, 0) or i >= resumed for i in instants)

    run(scenario)


def test_without_skip_gaps_pictures_start_when_the_recording_resumes():
    async def scenario():
        at = two_days_ago(2, 59, 58.5)
        async with serving(simulator()) as server, gateway(server) as http:
            body = {"deviceId": CAMERAS["cam05"].id, "playbackTimeNode": node(at, skip_gaps=False)}
            async with watching(http, **body) as viewer:
                first = await viewer.frame()
                assert shown(first) == two_days_ago(3, 0, 0)
                assert first.pts == 1500

    run(scenario)


def test_refusals_come_in_the_error_envelope():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            camera = CAMERAS["cam01"].id
            cases = {
                403: {"deviceId": CAMERAS[MASKED_DEMO_ID].id},
                404: {"deviceId": guid("camera/nowhere")},
                400: {"deviceId": camera, "streamId": guid("stream/cam02/sub")},
            }
            for status, body in cases.items():
                answer = await offer(http, **body)
                assert answer.status_code == status
                assert answer.json()["error"]["httpCode"] == status
            for speed in (0, 33, -1, "fast"):
                refused = await offer(
                    http, deviceId=camera, playbackTimeNode=node(two_days_ago(1, 0, 0), speed)
                )
                assert refused.status_code == 400
                assert "speed" in refused.json()["error"]["details"][0]["errorText"]
            assert not server.webrtc.sessions

    run(scenario)


def test_the_h265_camera_offers_h265_only():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            session = (await offer(http, deviceId=CAMERAS[H265_DEMO_ID].id)).json()
            sdp = json.loads(session["offerSDP"])["sdp"]
            rtpmaps = [line for line in sdp.splitlines() if line.startswith("a=rtpmap")]
            assert rtpmaps == ["a=rtpmap:104 H265/90000"]

    run(scenario)


def test_sessions_cannot_be_deleted_and_take_renewed_tokens():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            session = (await offer(http, deviceId=CAMERAS["cam01"].id)).json()
            path = f"{SESSION}/{session['sessionId']}"
            assert (await http.delete(path)).status_code == 405
            assert (await http.patch(path, json={"token": "renewed-1"})).status_code == 200
            assert (await http.patch(path, json={"token": "renewed-2"})).status_code == 200
            assert server.webrtc.sessions[session["sessionId"]].tokens == ["renewed-1", "renewed-2"]
            assert (await http.patch(path, json={"answerSDP": "{}"})).status_code == 400

    run(scenario)


def test_ice_candidates_are_cumulative_and_the_clients_are_taken():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            session_id = (await offer(http, deviceId=CAMERAS["cam01"].id)).json()["sessionId"]
            first = (await http.get(f"{CANDIDATES}/{session_id}")).json()["candidates"]
            init = json.loads(first[0])
            assert init["candidate"].startswith("candidate:") and " 127.0.0.1 " in init["candidate"]
            assert init["sdpMid"] == "0"
            mdns = {
                "candidate": "candidate:1 1 udp 2122260223 f3c1.local 50000 typ host",
                "sdpMid": "0",
            }
            posted = await http.post(
                f"{CANDIDATES}/{session_id}", json={"candidates": [json.dumps(mdns)]}
            )
            assert posted.status_code == 200
            again = (await http.get(f"{CANDIDATES}/{session_id}")).json()["candidates"]
            assert again[: len(first)] == first
            bad = await http.post(f"{CANDIDATES}/{session_id}", json={"candidates": ["nonsense"]})
            assert bad.status_code == 400
            assert (await http.get(f"{CANDIDATES}/unknown")).status_code == 404

    run(scenario)


def test_ptz_moves_over_the_data_channel_are_answered_and_recorded():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            ptz, fixed = CAMERAS["cam12"], CAMERAS["cam03"]
            async with watching(http, deviceId=ptz.id) as viewer:
                await viewer.frame()
                channel = open_commands(viewer)
                await until(lambda: channel.readyState == "open")
                for direction in ("up", "downLeft"):
                    channel.send(json.dumps(move(direction)))
                    assert await viewer.reply() == {
                        "type": "response",
                        "method": "ptzMove",
                        "ApiVersion": "1.0",
                        "result": {},
                    }
                channel.send(json.dumps({**move("up"), "method": "zoomTo"}))
                assert (await viewer.reply())["error"]["code"] == "UnknownMethod"
            async with watching(http, deviceId=fixed.id) as viewer:
                await viewer.frame()
                channel = open_commands(viewer)
                await until(lambda: channel.readyState == "open")
                channel.send(json.dumps(move("up")))
                assert "error" in await viewer.reply()
            assert server.webrtc.ptz_moves == {ptz.id: ["up", "downLeft"]}

    run(scenario)


def move(direction: str) -> dict[str, object]:
    return {
        "type": "request",
        "method": "ptzMove",
        "params": {"direction": direction},
        "ApiVersion": "1.0",
    }


def test_unanswered_sessions_and_sessions_whose_peer_left_are_closed():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            server.webrtc.answer_timeout = 0.5
            unanswered = (await offer(http, deviceId=CAMERAS["cam01"].id)).json()["sessionId"]
            async with watching(http, deviceId=CAMERAS["cam02"].id) as viewer:
                await viewer.frame()
                await until(lambda: unanswered in server.webrtc.closed)
                assert viewer.id in server.webrtc.sessions
            await until(lambda: viewer.id in server.webrtc.closed)
            gone = await http.get(f"{SESSION}/{unanswered}")
            assert gone.status_code == 404

    run(scenario)


def test_many_live_sessions_share_the_footage_and_all_play():
    async def scenario():
        async with serving(simulator()) as server, gateway(server) as http:
            body = {"deviceId": CAMERAS["cam07"].id, "streamId": stream_id("cam07", "sub")}
            async with watching(http, **body) as one, watching(http, **body) as two:
                frames = await asyncio.gather(one.frame(), two.frame())
                assert all(near(corner(f), camera_by_id("cam07").colour) for f in frames)

    run(scenario)
