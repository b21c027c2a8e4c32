"""Small test clips made on the spot: solid colours, so decoded pixels can be checked."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def write_clip(
    path: Path,
    colour: tuple[int, int, int],
    *,
    size: tuple[int, int] = (320, 180),
    frames: int = 50,
    fps: int = 25,
    container_format: str | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """An H.264 clip of one RGB colour with a white square moving across it."""
    width, height = size
    with av.open(str(path), "w", format=container_format, options=options or {}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(fps)}
        for index in range(frames):
            picture = np.empty((height, width, 3), np.uint8)
            picture[:] = colour
            x = (index * 4) % (width - 16)
            picture[8:24, x : x + 16] = 255
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_hls(folder: Path, colour: tuple[int, int, int], frames: int) -> Path:
    """A VOD HLS playlist (index.m3u8) of one-second segments of a write_clip picture."""
    return write_clip(
        folder / "index.m3u8",
        colour,
        frames=frames,
        container_format="hls",
        options={"hls_time": "1", "hls_playlist_type": "vod"},
    )


def pixel_rgb(image, x: int, y: int) -> tuple[int, int, int]:
    """RGB of one pixel of a VideoImage (BGRA rows ``stride`` bytes apart)."""
    offset = y * image.stride + x * 4
    blue, green, red = image.pixels[offset : offset + 3]
    return red, green, blue
