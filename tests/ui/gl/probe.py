"""A child process for the GL renderer's tests: Qt's platform is fixed per process, and
the other UI tests run offscreen, where a QOpenGLWidget cannot live (docs/pitfalls.md).

``python -m tests.ui.gl.probe compare FOOTAGE_DIR`` (under an X server with GL) draws
real decoded pictures of the demo cameras in a raster grid and in a GL grid of the same
size and prints, per case, how far the two paint apart (JSON on the last line).
``choose PREFERENCE`` prints what the renderer choice made of this machine.
``window FOOTAGE_DIR`` reads the demo site's description on stdin, opens the demo
window with the renderer ``--renderer`` would pick and reports what its tiles painted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import qasync
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from viewer.core.models import CameraRef, Quality
from viewer.core.streams import fit_inside
from viewer.demo.footage import DEMO_CAMERAS, FootageLibrary
from viewer.media.convert import CpuConverter
from viewer.media.frames import VideoImage
from viewer.media.planes import PlanarConverter
from viewer.media.state import PlayerState, StateInfo
from viewer.services.console import Console
from viewer.ui import renderer
from viewer.ui.video_grid import VideoGrid
from viewer.ui.zoom_view import ZoomView

# Tiles of odd and even widths in 4x4 (249 and 248): the raster path converts to an
# even width and blits it 1:1, a pixel narrower than an odd tile's fitted picture, and
# the GL path must put its picture on the same pixels.
GRID_PIXELS = (1002, 702)
ZOOMED = "1x1 main stream zoomed 4x"
ZOOM = ZoomView(4.0, 0.5, 0.25)


class StillPicture:
    """What a tile asks of its CameraView, holding one decoded picture: the renderers
    are compared on the very same frame, which no live stream gives twice."""

    playback = None
    recording_missing = False
    quality = Quality.SUB
    frame_interval = None

    def __init__(self, ref: CameraRef, image: VideoImage) -> None:
        self.ref = ref
        self._image: VideoImage | None = image
        self.state = StateInfo(PlayerState.PLAYING)

    def take(self) -> VideoImage | None:
        image, self._image = self._image, None
        return image

    def statistics(self) -> None:
        return None

    async def set_box(self, width: int, height: int) -> None:
        return None

    async def set_crop(self, crop) -> None:
        return None

    async def resume(self) -> None:
        return None

    def suspend(self) -> None:
        return None

    def close(self) -> None:
        return None


def first_frame(path: Path) -> av.VideoFrame:
    with av.open(str(path)) as container:
        return next(container.decode(video=0))


def encoded(frame: av.VideoFrame, width: int, height: int, pix_fmt: str, **tags: str):
    """``frame`` encoded with libx264 at another size or format and decoded again: what
    a camera of that kind sends (padded rows, full range, a tagged matrix)."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, pix_fmt
    codec.time_base = Fraction(1, 25)
    codec.options = {"preset": "ultrafast", "crf": "12", **tags}
    source = frame.reformat(width, height, pix_fmt.replace("yuvj", "yuv"))
    source.pts = 0
    packets = [*codec.encode(source), *codec.encode(None)]
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for packet in packets for f in decoder.decode(packet)]
    frames += decoder.decode(None)
    return frames[0]


def raster_picture(frame: av.VideoFrame, tile, sequence: int, zoom=None) -> VideoImage:
    """As StreamPlayer makes it: converted to the tile's size, width rounded to even;
    for a zoomed tile, its part at that size."""
    width, height = fit_inside(frame.width, frame.height, *tile.device_size())
    crop = zoom.crop if zoom is not None else None
    return CpuConverter().convert(frame, max(2, width & ~1), height, sequence, crop)


def grab_array(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8)
    return (
        data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        .reshape(image.height(), image.width(), 3)
        .astype(np.int16)
    )


async def settle(grid) -> None:
    for _ in range(10):
        grid._tick()
        await asyncio.sleep(0.05)


async def compare(footage: Path) -> dict[str, Any]:
    library = FootageLibrary(footage)
    cams = list(DEMO_CAMERAS)
    library.prepare([camera.id for camera in cams])
    sub = [first_frame(library.path(camera.id, "sub")) for camera in cams]
    main = first_frame(library.path(cams[0].id, "main"))
    cases: dict[str, tuple[int, list[av.VideoFrame], av.VideoFrame | None]] = {
        "4x4 sub-streams": (4, sub, None),
        "1x1 main stream": (1, [main], None),
        "1x1 sub-stream enlarged": (1, [sub[1]], None),
        "padded rows 630x354": (2, [encoded(f, 630, 354, "yuv420p") for f in sub[:4]], None),
        "full range": (2, [encoded(f, 640, 360, "yuvj420p") for f in sub[4:8]], None),
        "BT.709 tagged": (
            2,
            [
                encoded(f, 640, 360, "yuv420p", **{"x264-params": "colormatrix=bt709"})
                for f in sub[8:12]
            ],
            None,
        ),
        "yuv444p converted": (2, [encoded(f, 640, 360, "yuv444p") for f in sub[12:16]], None),
        "NV12 converted in software": (2, sub[:4], None),
    }
    with tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        renderer.configure(renderer.Choice(gl=False, reason="the reference"))
        raster = VideoGrid(console)
        renderer.configure(renderer.choose("gl"))
        choice = renderer.configure(renderer.choose("gl"))
        if not choice.gl:
            await console.stop()
            return {"no_gl": choice.reason}
        gl = VideoGrid(console)
        results: dict[str, Any] = {}
        for grid in (raster, gl):
            grid.resize(*GRID_PIXELS)
            grid.show()
        await asyncio.sleep(0.3)
        for name, (size, frames, _) in cases.items():
            results[name] = await compare_case(raster, gl, size, frames, nv12="NV12" in name)
        # Digital zoom: the raster part cut in the decode thread, GL's by texture coordinates.
        results[ZOOMED] = await compare_case(raster, gl, 1, [main], nv12=False, zoom=ZOOM)
        results["formats"] = {
            name: [
                frames[0].format.name,
                frames[0].color_range,
                frames[0].colorspace,
                frames[0].planes[0].line_size,
            ]
            for name, (_, frames, _) in cases.items()
        }
        results["renderer"] = gl.renderer_text
        results["uploads"] = gl._surface.uploads if gl._surface is not None else 0
        results["broken"] = gl._surface.broken if gl._surface is not None else "no surface"
        results["reuse"] = await reuse(gl, sub, encoded(sub[0], 630, 354, "yuv420p"))
        for grid in (raster, gl):
            grid.close()
            grid.deleteLater()
        await asyncio.sleep(0.1)
        await console.stop()
    return results


async def reuse(gl, frames, other_size) -> list[tuple[int, int]]:
    """(textures made, pictures uploaded) after each round of new pictures in a 2x2 grid:
    the same size and layout again, NV12, another size."""
    gl.set_grid(2)
    surface = gl._surface
    steps = []
    rounds = [
        frames[:4],
        frames[4:8],
        [f.reformat(format="nv12") for f in frames[8:12]],
        [other_size] * 4,
    ]
    for round_frames in rounds:
        allocations, uploads = surface.allocations, surface.uploads
        for index, (tile, frame) in enumerate(zip(gl.tiles, round_frames, strict=True)):
            image = PlanarConverter().convert(frame, 0, 0, index + 1)
            tile.show_camera(StillPicture(CameraRef("probe", f"r{index}"), image), "")
        await settle(gl)
        steps.append((surface.allocations - allocations, surface.uploads - uploads))
    return steps


async def compare_case(raster, gl, size: int, frames, *, nv12: bool, zoom=None) -> dict[str, Any]:
    for grid in (raster, gl):
        grid.set_grid(size)
    await asyncio.sleep(0.1)
    for index, (r_tile, g_tile) in enumerate(zip(raster.tiles, gl.tiles, strict=True)):
        frame = frames[index % len(frames)]
        ref = CameraRef("probe", f"cam{index}")
        r_tile.show_camera(StillPicture(ref, raster_picture(frame, r_tile, index + 1, zoom)), "")
        planar = frame.reformat(format="nv12") if nv12 else frame
        image = PlanarConverter().convert(planar, 0, 0, index + 1)
        g_tile.show_camera(StillPicture(ref, image), "")
        for tile in (r_tile, g_tile):
            tile.zoom.set_view(zoom or ZoomView())
    await settle(raster)
    await settle(gl)
    left, right = grab_array(raster), grab_array(gl)
    ratio = raster.devicePixelRatioF()
    tiles = []
    for r_tile, g_tile in zip(raster.tiles, gl.tiles, strict=True):
        x, y, w, h = (round(v * ratio) for v in r_tile.geometry().getRect())
        a, b = left[y : y + h, x : x + w], right[y : y + h, x : x + w]
        vx, vy, vw, vh = (round(v * ratio) for v in r_tile.video_rect().getRect())
        bars = np.ones((h, w), bool)
        bars[max(0, vy - 1) : vy + vh + 1, max(0, vx - 1) : vx + vw + 1] = False
        # The corner patch, at the place the painted-pixel checks of other tests use.
        px, py = vx + vw * 15 // 16, vy + vh * 15 // 16
        tiles.append(
            {
                "mad": float(np.abs(a - b).mean()),
                "picture_mad": float(np.abs(a - b)[vy : vy + vh, vx : vx + vw].mean()),
                "bars_mad": float(np.abs(a - b)[bars].mean()) if bars.any() else 0.0,
                "bars": int(bars.sum()),
                "patch_raster": a[py, px].tolist(),
                "patch_gl": b[py, px].tolist(),
                "gl_video_rect": list(g_tile.video_rect().getRect()),
                "raster_video_rect": [vx, vy, vw, vh],
                "gl_painted": g_tile.painted_frames,
            }
        )
    return {"tiles": tiles, "grid_mad": float(np.abs(left - right).mean())}


def run(coroutine) -> Any:
    app = QApplication(["gl-probe"])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(coroutine)


async def choose(preference: str) -> dict[str, Any]:
    choice = renderer.configure(renderer.choose(preference))
    with tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        grid = VideoGrid(console)
        grid.resize(400, 300)
        grid.show()
        # Time for the first paint (initializeGL) and the grid's check of its context.
        await asyncio.sleep(2.5)
        result = {
            "gl": choice.gl,
            "reason": choice.reason,
            "renderer": choice.renderer,
            "grid": grid.renderer_text,
            "active": renderer.active().describe(),
        }
        grid.close()
        await console.stop()
    return result


async def window(description: list[dict[str, Any]], preference: str) -> dict[str, Any]:
    """The demo window as `vigil --renderer PREFERENCE` opens it, on the demo's RTSP
    cameras: what each tile painted, read from the grid's grab (a tile's own grab has
    no picture on the GL path: the picture is the GL surface's, under the tile)."""
    from viewer.app import DEMO_SITE_ID, choose_video_path, demo_backend
    from viewer.services.settings import Layout
    from viewer.ui.main_window import MainWindow

    choose_video_path(preference, "auto")
    with tempfile.TemporaryDirectory() as home:
        console = Console(Path(home) / "settings.json")
        await console.add_site(demo_backend(description))
        await console.start()
        main_window = MainWindow(console)
        cameras = DEMO_CAMERAS[:4]
        main_window.restore_session(
            Layout(grid=2, tiles=[CameraRef(DEMO_SITE_ID, c.id) for c in cameras])
        )
        main_window.resize(1000, 700)
        main_window.show()
        grid = main_window.grid
        try:
            deadline = time.monotonic() + 90
            while not all(tile.painted_frames >= 10 for tile in grid.tiles):
                if time.monotonic() > deadline:
                    raise TimeoutError([tile.painted_frames for tile in grid.tiles])
                await asyncio.sleep(0.1)
            picture = grab_array(grid)
            tiles = []
            for tile, camera in zip(grid.tiles, cameras, strict=True):
                x, y, _, _ = tile.geometry().getRect()
                vx, vy, vw, vh = tile.video_rect().getRect()
                patch = picture[y + vy + vh * 15 // 16, x + vx + vw * 15 // 16].tolist()
                tiles.append(
                    {
                        "camera": camera.id,
                        "expected": list(camera.colour),
                        "patch": patch,
                        "planes": tile.frame is not None and tile.frame.planes is not None,
                        "painted": tile.painted_frames,
                    }
                )
            return {"renderer": grid.renderer_text, "tiles": tiles}
        finally:
            main_window.close()
            await console.stop()


async def broken_start() -> dict[str, Any]:
    """GL forced, and the GL surface's set-up raising inside initializeGL (a driver
    without the shader features we need): the grid must carry on in raster."""
    from viewer.ui import gl_video

    def fail(self) -> None:
        raise RuntimeError("the driver refused the shader")

    gl_video.GlVideoSurface._initialise = fail
    return await choose("gl")


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    command = sys.argv[1]
    if command == "compare":
        result = run(compare(Path(sys.argv[2])))
    elif command == "choose":
        result = run(choose(sys.argv[2]))
    elif command == "window":
        result = run(window(json.load(sys.stdin), sys.argv[2]))
    elif command == "broken-start":
        result = run(broken_start())
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
