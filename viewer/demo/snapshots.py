"""JPEG snapshots of the demo cameras, as a recording server's ``JpegGetLive`` gives them.

A PTZ camera's snapshot is its dome's current view (:func:`view_jpeg`); the rest below
is about the footage cameras.

The picture is drawn by the footage's own renderer for the frame the loop is at now,
rather than decoded from the encoded footage: the simulator then answers before any
footage has been encoded (``serve-demo`` starts encoding in the background), and the
picture carries the same markers (the camera's colour bottom right, the frame number
bottom left) that tests read from live video. PyAV scales it and encodes the JPEG.
"""

from __future__ import annotations

import functools
import io
import time
from fractions import Fraction

import av
import numpy as np
from PIL import Image

from viewer.demo import panorama
from viewer.demo.dome import Dome
from viewer.demo.footage import DemoCamera, _background, render_frame

MAX_SIDE = 4096


@functools.cache
def _scene(camera: DemoCamera) -> np.ndarray:
    """The camera's still background, drawn once (a tenth of a second) and kept."""
    return _background(camera)


def current_index(camera: DemoCamera, now: float | None = None) -> int:
    """The picture of the loop the camera shows at ``now`` (monotonic seconds)."""
    habit = camera.habit
    tick = int((time.monotonic() if now is None else now) * habit.fps) % habit.loop_ticks
    return max(index for index, taken in enumerate(habit.ticks) if taken <= tick)


def jpeg(camera: DemoCamera, width: int, height: int) -> bytes:
    """The camera's current picture as a baseline JPEG of exactly ``width`` x ``height``.

    Blocks for a few tens of milliseconds: call it from a worker thread.
    """
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"a snapshot is 1 to {MAX_SIDE} pixels a side")
    picture = render_frame(camera, current_index(camera), _scene(camera))
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.pix_fmt = "yuvj420p"  # full-range 4:2:0, what cameras send (odd sizes too)
    encoder.width, encoder.height = width, height
    encoder.time_base = Fraction(1, 25)
    scaled = frame.reformat(width, height, encoder.pix_fmt)
    packets = [*encoder.encode(scaled), *encoder.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def view_jpeg(dome: Dome, width: int, height: int) -> bytes:
    """A PTZ camera's snapshot: its view where the head points now (what its live
    stream shows), drawn at exactly ``width`` x ``height`` rather than scaled.

    Blocks for a few tens of milliseconds: call it from a worker thread.
    """
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"a snapshot is 1 to {MAX_SIDE} pixels a side")
    picture = Image.fromarray(panorama.view(dome.pose(), width, height), "RGB")
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()
