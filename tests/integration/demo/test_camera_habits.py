"""The demo site's cameras with real sites' habits behave like real cameras for any
client: a 1 fps camera, a smart-codec camera whose frame rate drops on a still scene,
a 10 s key-frame interval, and streams that start between key frames."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time

import av
import pytest

from viewer.demo.footage import ALL_CAMERAS, frame_index_from_pixels
from viewer.demo.serve import format_line

# Opened as the viewer's player opens a stream: no probing, so the first packet a client
# gets is the first one the server sent.
OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32"}
EVERYDAY = {"fps": 25, "variable_fps": False, "keyframe_interval": 2, "starts_on_keyframe": True}
HABITS = {
    "cam17": {
        "fps": 25,
        "variable_fps": False,
        "keyframe_interval": 10,
        "starts_on_keyframe": False,
    },
    "cam18": {"fps": 1, "variable_fps": False, "keyframe_interval": 10, "starts_on_keyframe": True},
    "cam19": {"fps": 5, "variable_fps": True, "keyframe_interval": 10, "starts_on_keyframe": True},
    "cam20": {
        "fps": 25,
        "variable_fps": False,
        "keyframe_interval": 2,
        "starts_on_keyframe": False,
    },
}


def url(demo_site, camera_id: str, quality: str = "sub") -> str:
    plain = demo_site.site.rtsp.url(camera_id, quality)
    return plain.replace("rtsp://", "rtsp://demo:demo@", 1)


def nal_types(packet: av.Packet) -> list[int]:
    """The NAL unit types in a packet from FFmpeg's RTSP demuxer (Annex B)."""
    return [chunk[0] & 0x1F for chunk in bytes(packet).split(b"\x00\x00\x01")[1:] if chunk]


def is_idr(packet: av.Packet) -> bool:
    return 5 in nal_types(packet)


def play(demo_site, camera_id: str, pictures: int):
    """(packet, [frame index of each picture it decoded to], arrival time) until
    ``pictures`` pictures have been decoded."""
    result = []
    decoded = 0
    with av.open(url(demo_site, camera_id), options=OPTIONS, timeout=(20, 15)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            frames = stream.codec_context.decode(packet)
            indices = [frame_index_from_pixels(f.to_ndarray(format="rgb24")) for f in frames]
            result.append((packet, indices, time.monotonic()))
            decoded += len(indices)
            if decoded >= pictures:
                return result
    raise AssertionError(f"{camera_id} ended after {decoded} pictures")


def wait_for_live_unit(demo_site, camera_id: str, wanted) -> None:
    """Until the camera's live clock shows a unit for which ``wanted(index)`` holds."""
    footage = demo_site.site.library.load(camera_id, "sub")
    deadline = time.monotonic() + 15
    while not wanted(demo_site.site.rtsp.live_unit(footage, time.monotonic())[0]):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_serve_demo_json_lists_every_camera_with_its_habits(demo_site, footage_cache):
    environment = {**os.environ, "VIGIL_CACHE_DIR": str(footage_cache.parent)}
    command = [sys.executable, "-m", "viewer", "serve-demo", "--json"]
    streams = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment) as server:
        try:
            assert server.stdout is not None
            while len(streams) < 2 * len(ALL_CAMERAS):
                line = server.stdout.readline()
                assert line, "serve-demo ended before listing every stream"
                entry = json.loads(line)
                if entry["kind"] == "stream":
                    streams.append(entry)
        finally:
            server.terminate()
    by_camera = {
        camera.id: [e for e in streams if e["camera"] == camera.id] for camera in ALL_CAMERAS
    }
    for camera_id, entries in by_camera.items():
        assert sorted(e["quality"] for e in entries) == ["main", "sub"]
        expected = HABITS.get(camera_id, EVERYDAY)
        for entry in entries:
            assert {key: entry[key] for key in expected} == expected, camera_id
    (cam19,) = [e for e in by_camera["cam19"] if e["quality"] == "sub"]
    assert cam19["min_fps"] == 1
    assert "1-5 fps (variable), key frame every 10 s" in format_line(cam19)
    (cam17,) = [e for e in by_camera["cam17"] if e["quality"] == "main"]
    assert (cam17["width"], cam17["height"]) == (1280, 720)
    assert "25 fps, key frame every 10 s, starts between key frames" in format_line(cam17)
    (cam01,) = [e for e in by_camera["cam01"] if e["quality"] == "main"]
    assert format_line(cam01).endswith("1920x1080 25 fps, key frame every 2 s  (Main entrance)")


def test_a_one_fps_camera_sends_a_picture_a_second(demo_site):
    received = play(demo_site, "cam18", pictures=5)
    pictures = [(p, i[0], at) for p, i, at in received if i]
    indices = [index for _, index, _ in pictures]
    assert all((b - a) % 10 == 1 for a, b in itertools.pairwise(indices))
    stamps = [p.pts for p, _, _ in pictures if p.pts is not None]
    assert len(stamps) >= 4
    assert all(b - a == 90_000 for a, b in itertools.pairwise(stamps))
    # Paced, not sent in a burst: five pictures take four seconds to come.
    assert pictures[-1][2] - pictures[0][2] > 3.5


def test_a_smart_codec_camera_drops_from_5_to_1_fps_when_its_scene_is_still(demo_site):
    # A session starts on the loop's only key frame: 4 s of motion at 5 fps (pictures
    # 0-19), then the still scene at 1 fps.
    received = play(demo_site, "cam19", pictures=22)
    pictures = [(p, i[0]) for p, i, _ in received if i]
    assert [index for _, index in pictures] == list(range(22))
    intervals = {
        index: (b.pts - a.pts) / 90_000
        for (a, index), (b, _) in itertools.pairwise(pictures)
        if a.pts is not None
    }
    assert set(range(1, 21)) <= intervals.keys()
    assert intervals == {index: 0.2 if index < 20 else 1.0 for index in intervals}


def test_a_camera_with_a_10_s_key_frame_interval_starts_between_them(demo_site):
    """The longest test here (12-20 s): it waits for the first key frame, then one more."""
    wait_for_live_unit(demo_site, "cam17", lambda index: 2 <= index <= 200)
    packets = []
    pictures = []
    with av.open(url(demo_site, "cam17"), options=OPTIONS, timeout=(20, 15)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            packets.append(packet)
            frames = stream.codec_context.decode(packet)
            pictures += [frame_index_from_pixels(f.to_ndarray(format="rgb24")) for f in frames]
            if sum(map(is_idr, packets)) == 2:
                break
    first, second = [n for n, packet in enumerate(packets) if is_idr(packet)]
    assert first > 0, "the session started on a key frame"
    # Nothing to show until the key frame: the client waits, as with a real camera.
    assert pictures[0] == 0
    assert second - first == 250
    assert packets[second].pts - packets[first].pts == 10 * 90_000
    assert all(b.pts - a.pts == 3600 for a, b in itertools.pairwise(packets[1:]))


@pytest.mark.parametrize("phase", [(5, 15), (25, 32)])
def test_new_sessions_start_between_key_frames_where_the_camera_does(demo_site, phase):
    """cam20 has cam01's 2 s key-frame interval but starts a session with the picture
    due now; cam01 still starts on a key frame. Opened at two moments of the GOP."""
    low, high = phase
    wait_for_live_unit(demo_site, "cam20", lambda index: low <= index % 50 <= high)
    with (
        av.open(url(demo_site, "cam20"), options=OPTIONS, timeout=(20, 15)) as cam20,
        av.open(url(demo_site, "cam01"), options=OPTIONS, timeout=(20, 15)) as cam01,
    ):
        first_of_cam01 = next(cam01.demux(video=0))
        assert is_idr(first_of_cam01)
        assert nal_types(first_of_cam01)[:2] == [7, 8]  # parameter sets in-band too
        stream = cam20.streams.video[0]
        waited = 0
        for packet in cam20.demux(stream):
            frames = stream.codec_context.decode(packet)
            if frames:
                break
            assert not is_idr(packet)
            waited += 1
        assert is_idr(packet)
        assert frame_index_from_pixels(frames[0].to_ndarray(format="rgb24")) % 50 == 0
        assert 0 < waited <= 50 - low
