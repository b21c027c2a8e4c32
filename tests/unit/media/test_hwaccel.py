"""Hardware decoding is tried per stream and falls back to software on a machine that
cannot make the device (this one has no GPU driver: PermissionError, EPERM)."""

from __future__ import annotations

import errno
import logging

import av
import pytest

from viewer.media import hwaccel
from viewer.media.hwaccel import HardwareDecode, configure, device_failure


@pytest.fixture
def clip(tmp_path):
    """A few H.264 pictures in a file, as a camera's stream would carry them."""
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for index in range(5):
            frame = av.VideoFrame(320, 180, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index * 40]) * plane.buffer_size)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return str(path)


def decoded(container) -> list[av.VideoFrame]:
    with container:
        return list(container.decode(video=0))


@pytest.fixture
def no_such_device(monkeypatch):
    """A device type FFmpeg cannot make here: CUDA without the driver, as on this
    machine, or any machine's answer to a type it lacks."""
    available = av.codec.hwaccel.hwdevices_available()
    return "cuda" if "cuda" in available else "vulkan"


def test_a_stream_opened_for_a_device_that_cannot_be_made_plays_in_software(
    clip, no_such_device, caplog
):
    decode = HardwareDecode(no_such_device)
    with pytest.raises(PermissionError):  # what av.open does without the fall back
        av.open(
            clip, hwaccel=av.codec.hwaccel.HWAccel(no_such_device, allow_software_fallback=True)
        )
    with caplog.at_level(logging.WARNING, logger="viewer.media.hwaccel"):
        frames = decoded(decode.open(clip))
        again = decoded(decode.open(clip))
    assert len(frames) == len(again) == 5
    assert frames[0].format.name == "yuv420p"
    assert decode.refused == "PermissionError" and not decode.active
    # Said once, not for every stream; and the second stream did not ask again.
    warnings = [r for r in caplog.records if "not available" in r.getMessage()]
    assert len(warnings) == 1


def test_a_missing_file_is_the_stream_s_fault_not_the_device_s(tmp_path, no_such_device):
    decode = HardwareDecode(no_such_device)
    with pytest.raises(FileNotFoundError):
        decode.open(str(tmp_path / "absent.mp4"))
    assert decode.refused is None


def test_only_ffmpeg_s_answer_for_a_device_counts_as_a_device_failure():
    assert device_failure(PermissionError(errno.EPERM, "Operation not permitted"))
    assert not device_failure(PermissionError(errno.EACCES, "Permission denied"))
    assert device_failure(NotImplementedError())
    assert not device_failure(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert not device_failure(av.error.HTTPUnauthorizedError(-1, "401"))


@pytest.mark.parametrize(
    ("setting", "gl", "platform", "device"),
    [
        ("auto", True, "linux", "cuda"),
        ("auto", True, "win32", "d3d11va"),
        ("auto", False, "linux", None),
        ("off", True, "linux", None),
        ("on", False, "linux", "cuda"),
        ("on", True, "darwin", None),
    ],
)
def test_auto_decodes_on_the_gpu_only_where_the_gl_renderer_draws(setting, gl, platform, device):
    try:
        assert configure(setting, gl_renderer=gl, platform=platform).device == device
    finally:
        configure("off", gl_renderer=False)
    assert hwaccel.HARDWARE.device is None
