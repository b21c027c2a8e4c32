"""The stand-ins installer/stubs.py puts in a Linux bundle for libraries Vigil never
calls, tried on this environment's PyAV, copied and given the stand-ins: it must still
list its codecs, decode and encode H.264 (the demo and exports do) and refuse the
left-out encoders with an error instead of crashing."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("cc", "nm", "readelf")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not all(shutil.which(tool) for tool in TOOLS),
    reason="stand-ins are built on Linux with cc, nm and readelf",
)

PROBE = """
import json, sys
from fractions import Fraction
import av
import numpy as np

def encode(name):
    context = av.CodecContext.create(name, "w")
    context.width, context.height, context.pix_fmt = 320, 240, "yuv420p"
    context.time_base = Fraction(1, 25)
    try:
        context.open()
    except av.FFmpegError as error:
        return f"refused: {type(error).__name__}"
    picture = np.full((240, 320, 3), 200, np.uint8)
    packets = []
    for index in range(30):
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = index
        packets += context.encode(frame)
    packets += context.encode(None)
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for p in packets for f in decoder.decode(p)] + list(decoder.decode(None))
    return f"{len(frames)} frames, {frames[0].to_ndarray(format='rgb24')[120, 160].tolist()}"

print(json.dumps({
    "from": av.__file__,
    "codecs": len(av.codecs_available),
    "libx265": encode("libx265"),
    "libsvtav1": encode("libsvtav1"),
    "libx264": encode("libx264"),
}))
"""


def test_pyav_with_the_stand_ins_lists_its_codecs_encodes_h264_and_refuses_hevc_and_av1(
    tmp_path, monkeypatch
):
    monkeypatch.syspath_prepend(str(ROOT / "installer"))  # where build.py finds it
    import stubs

    site = Path(importlib.util.find_spec("av").origin).parent.parent
    for folder in ("av", "av.libs"):
        shutil.copytree(site / folder, tmp_path / folder, symlinks=True)
    real = {path.name: path.stat().st_size for path in (tmp_path / "av.libs").iterdir()}

    report = stubs.replace_unused_libraries(tmp_path)

    replaced = [
        name for prefix in ("libx265", "libSvtAv1Enc") for name in real if name.startswith(prefix)
    ]
    assert [line.split()[2] for line in report] == replaced, report
    assert all(line.startswith("stand-in for ") for line in report), report
    for name in replaced:
        assert (tmp_path / "av.libs" / name).stat().st_size < 100_000 < real[name]
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["from"]).is_relative_to(tmp_path)
    assert found["codecs"] > 100
    assert found["libx265"].startswith("refused: ")
    assert found["libsvtav1"].startswith("refused: ")
    frames, colour = found["libx264"].split(" frames, ")
    assert int(frames) == 30
    assert all(abs(channel - 200) <= 4 for channel in json.loads(colour))
