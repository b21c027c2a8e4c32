"""Decoded planes handed to a GPU painter as they are, with what it needs to convert them.

On the GL path the graphics card converts YUV to RGB and scales, so the decode thread
does no swscale work at all for the formats decoders give (yuv420p, yuvj420p, and NV12
from hardware decoders): the planes go over as zero-copy views with their line sizes,
colour matrix and range. Anything else (4:2:2, 4:4:4, 10 bits) is converted to yuv420p
here, at its own size, because three shaders for rare formats would be code no test
could keep honest.

Which of the two pictures decode threads make (planes or BGRA at tile size) is one
process-wide choice, :data:`DELIVERY`, set by the UI once it knows whether its GL
renderer works, and flipped back to BGRA if it fails later. Every player reads it per
frame, so the players made by the hub, the playback sessions and the benchmarks follow
it without each being told.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import av
from av.video.reformatter import ColorRange, VideoReformatter

from viewer.media.convert import CpuConverter
from viewer.media.frames import Crop, Planes, VideoImage

NATIVE = {"yuv420p": "yuv420p", "yuvj420p": "yuv420p", "nv12": "nv12"}
"""Formats handed over as they are, by the layout the painter draws them with."""

# Luma weights (Kr, Kb) of the matrices a shader applies.
BT601 = (0.299, 0.114)
BT709 = (0.2126, 0.0722)
BT2020 = (0.2627, 0.0593)
SMPTE240M = (0.212, 0.087)
# By FFmpeg's AVColorSpace (what ``VideoFrame.colorspace`` returns; PyAV's Colorspace
# enum is swscale's numbering, which differs).
_MATRICES = {
    1: BT709,
    4: (0.30, 0.11),  # FCC
    5: BT601,  # BT470BG
    6: BT601,  # SMPTE170M
    7: SMPTE240M,
    9: BT2020,  # non-constant luminance
    10: BT2020,  # constant luminance, drawn as the non-constant one
}


def colour_matrix(colorspace: int, height: int) -> tuple[float, float]:
    """The (Kr, Kb) a frame's YUV was made with.

    Unspecified (and unknown) is BT.601 at every height, because that is what swscale
    does (measured with PyAV 18.1 / FFmpeg 8.1 at 360 to 1080 lines, docs/pitfalls.md),
    and the GL path must draw what the raster path draws. Players such as mpv and SDL
    guess BT.709 above 576 lines instead; the demo footage, encoded untagged by
    swscale, is BT.601 at 1080p, and a guess would shift its colours by up to 33 levels.
    ``height`` stays in the signature so that the rule can change in one place.
    """
    del height
    return _MATRICES.get(colorspace, BT601)


def full_range(frame: av.VideoFrame) -> bool:
    """JPEG (full) range if the frame says so or its format is one of the yuvj ones."""
    return frame.color_range == int(ColorRange.JPEG) or frame.format.name.startswith("yuvj")


class PlanarConverter:
    """A FrameConverter that keeps the decoder's planes; the size asked for is ignored,
    since the painter scales on the GPU. One reused scaler for the odd formats."""

    def __init__(self) -> None:
        self._reformatter: VideoReformatter | None = None

    def convert(
        self,
        frame: av.VideoFrame,
        width: int,
        height: int,
        sequence: int,
        crop: Crop | None = None,
    ) -> VideoImage:
        # The painter's texture coordinates cut a zoomed tile's part: the whole goes over.
        del width, height, crop
        layout = NATIVE.get(frame.format.name)
        source = frame
        if layout is None:
            if self._reformatter is None:
                self._reformatter = VideoReformatter()
            # Same size and range, so only the chroma layout and depth change.
            rng = ColorRange.JPEG if full_range(frame) else ColorRange.MPEG
            frame = self._reformatter.reformat(
                frame, format="yuv420p", src_color_range=rng, dst_color_range=rng, threads=1
            )
            layout = "yuv420p"
        count = 2 if layout == "nv12" else 3
        planes = Planes(
            layout=layout,
            data=tuple(memoryview(frame.planes[i]) for i in range(count)),
            line_sizes=tuple(frame.planes[i].line_size for i in range(count)),
            matrix=colour_matrix(source.colorspace, source.height),
            full_range=full_range(source),
        )
        return VideoImage(
            pixels=memoryview(b""),
            width=frame.width,
            height=frame.height,
            stride=0,
            source_width=frame.width,
            source_height=frame.height,
            sequence=sequence,
            pts=float(source.time) if source.time is not None else None,
            decoded_at=time.monotonic(),
            planes=planes,
        )


@dataclass
class FrameDelivery:
    """What decode threads hand the painters: planes (GL path) or BGRA at tile size."""

    planes: bool = False


DELIVERY = FrameDelivery()


class DeliveredConverter:
    """The converter every player uses by default: follows :data:`DELIVERY` frame by
    frame, so a renderer that falls back gets BGRA from the next picture on."""

    def __init__(self, delivery: FrameDelivery = DELIVERY) -> None:
        self._delivery = delivery
        self._cpu = CpuConverter()
        self._planar = PlanarConverter()

    def convert(
        self,
        frame: av.VideoFrame,
        width: int,
        height: int,
        sequence: int,
        crop: Crop | None = None,
    ) -> VideoImage:
        converter = self._planar if self._delivery.planes else self._cpu
        return converter.convert(frame, width, height, sequence, crop)
