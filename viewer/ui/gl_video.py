"""The GL path: one QOpenGLWidget under a grid's tiles draws every tile's picture.

One widget for the whole grid, because each QOpenGLWidget has a context and a
framebuffer of its own (16 tiles made 16 of each, docs/pitfalls.md). It sits under the
tiles, which stay ordinary widgets on top: they keep their mouse handling, drag and
drop, and their overlays (name, live badge, clock, state words, statistics, selection
frame), painted by the same QPainter code as on the raster path, over a transparent
background. Qt composes widgets stacked over a QOpenGLWidget (checked here under Xvfb:
a translucent title bar over the GL picture is blended on screen and in ``grab()``), so
the overlays look the same on both paths without a second renderer for text.

Pictures arrive as planes (media/planes.py): three R8 textures for yuv420p, R8 + RG8
for NV12, reallocated only when a tile's picture changes size or layout, and uploaded
only for tiles with a new picture; rows padded by the decoder are skipped with
``GL_UNPACK_ROW_LENGTH``. The fragment shader converts with the frame's matrix and
range and scales: bilinear, averaging up to 4x4 bilinear taps per screen pixel when
shrinking, as swscale's AREA does on the raster path (a plain bilinear shrink of a
1080p picture into a small tile flickers on fine detail). A BGRA picture (a player made
before the renderer was chosen) is drawn from one RGBA texture with the same shader.

Any exception inside ``initializeGL``, ``resizeGL`` or ``paintGL`` would take the
process down (docs/pitfalls.md): each is caught, logged, and the grid is told to fall
back to the raster path.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QOpenGLContext,
    QOpenGLFunctions,
    QSurfaceFormat,
    QVector3D,
    QVector4D,
)
from PySide6.QtOpenGL import (
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
    QOpenGLVertexArrayObject,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from viewer.core.streams import fit_inside
from viewer.media.frames import Crop, VideoImage
from viewer.ui.zoom_view import relative_crop

if TYPE_CHECKING:
    from viewer.ui.video_tile import VideoTile

log = logging.getLogger(__name__)

GL_TEXTURE_2D = 0x0DE1
GL_TEXTURE0 = 0x84C0
GL_UNPACK_ROW_LENGTH = 0x0CF2
GL_UNPACK_ALIGNMENT = 0x0CF5
GL_UNSIGNED_BYTE = 0x1401
GL_RED = 0x1903
GL_RG = 0x8227
GL_RGBA = 0x1908
GL_SCISSOR_TEST = 0x0C11
GL_COLOR_BUFFER_BIT = 0x4000
GL_TRIANGLE_STRIP = 0x0005
GL_BLEND = 0x0BE2
GL_DEPTH_TEST = 0x0B71
GL_RENDERER = 0x1F01
GL_VERSION = 0x1F02

MAX_TAPS = 4
"""Bilinear taps per axis averaged for a screen pixel when shrinking: enough for a 4K
picture in a quarter-HD tile; beyond it the picture aliases a little, as it would with
mipmaps, which would cost a pass per upload."""

LAYOUT_YUV420P, LAYOUT_NV12, LAYOUT_BGRA = 0, 1, 2

VERTEX = """
out vec2 uv;
uniform vec4 crop;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    uv = crop.xy + vec2(corner.x, 1.0 - corner.y) * crop.zw;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

FRAGMENT = """
in vec2 uv;
out vec4 colour;
uniform sampler2D plane0;
uniform sampler2D plane1;
uniform sampler2D plane2;
uniform int kind;
uniform vec3 offset;
uniform vec3 to_red;
uniform vec3 to_green;
uniform vec3 to_blue;
uniform vec2 tap_step;
uniform int taps;
uniform vec2 chroma_shift;

vec3 fetch(vec2 at) {
    if (kind == 2) {
        return texture(plane0, at).bgr;
    }
    float y = texture(plane0, at).r;
    vec2 chroma_at = at + chroma_shift;
    vec2 c = kind == 1 ? texture(plane1, chroma_at).rg
                       : vec2(texture(plane1, chroma_at).r, texture(plane2, chroma_at).r);
    return vec3(y, c);
}

void main() {
    vec3 sum = vec3(0.0);
    float centre = (float(taps) - 1.0) / 2.0;
    for (int j = 0; j < taps; j++) {
        for (int i = 0; i < taps; i++) {
            sum += fetch(uv + (vec2(float(i), float(j)) - centre) * tap_step);
        }
    }
    vec3 value = sum / float(taps * taps);
    if (kind == 2) {
        colour = vec4(value, 1.0);
        return;
    }
    vec3 yuv = value - offset;
    colour = vec4(clamp(vec3(dot(to_red, yuv), dot(to_green, yuv), dot(to_blue, yuv)),
                        0.0, 1.0), 1.0);
}
"""


def conversion(matrix: tuple[float, float], full_range: bool) -> tuple[QVector3D, ...]:
    """Offset and the three rows taking (Y, Cb, Cr) texels (0-1) to R, G and B.

    Limited range stretches luma 16-235 and chroma 16-240 to the full scale, as swscale
    does for unflagged video; full range only centres the chroma.
    """
    kr, kb = matrix
    kg = 1.0 - kr - kb
    if full_range:
        y_scale = c_scale = 1.0
        y_offset = 0.0
    else:
        y_scale, c_scale, y_offset = 255.0 / 219.0, 255.0 / 224.0, 16.0 / 255.0
    cr_red = 2.0 * (1.0 - kr) * c_scale
    cb_blue = 2.0 * (1.0 - kb) * c_scale
    cb_green = -2.0 * kb * (1.0 - kb) / kg * c_scale
    cr_green = -2.0 * kr * (1.0 - kr) / kg * c_scale
    return (
        QVector3D(y_offset, 128.0 / 255.0, 128.0 / 255.0),
        QVector3D(y_scale, 0.0, cr_red),
        QVector3D(y_scale, cb_green, cr_green),
        QVector3D(y_scale, cb_blue, 0.0),
    )


@dataclass
class _TileTextures:
    """One tile's textures and what is in them."""

    key: tuple[object, ...] = ()
    textures: list[QOpenGLTexture] = field(default_factory=list)
    frame: VideoImage | None = None

    def destroy(self) -> None:
        for texture in self.textures:
            texture.destroy()
        self.textures = []
        self.key = ()
        self.frame = None


class GlVideoSurface(QOpenGLWidget):
    """Draws the pictures of ``tiles()`` at their places; ``failed`` says GL broke."""

    failed = Signal(str)
    """Why the GL path gave up; emitted once, from the event loop, never inside GL."""

    def __init__(
        self,
        tiles: Callable[[], Sequence[VideoTile]],
        gap: QColor,
        background: QColor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # What the start-up probe asked for and the shaders are written against; some
        # drivers answer the default request (2.0) with a 2.1 context.
        wanted = QSurfaceFormat.defaultFormat()
        wanted.setVersion(3, 0)
        self.setFormat(wanted)
        self._tiles = tiles
        self._gap = gap
        self._background = background
        self._program: QOpenGLShaderProgram | None = None
        self._vao: QOpenGLVertexArrayObject | None = None
        self._locations: dict[str, int] = {}
        self._textures: dict[int, _TileTextures] = {}
        self._broken = ""
        self.renderer_name = ""
        """GL_RENDERER of the context, once it is made: what the status bar names."""
        self.uploads = 0
        """Pictures uploaded so far (tests and benchmarks count them)."""
        self.allocations = 0
        """Sets of textures made so far: one per tile and change of size or layout."""

    # -- what the grid calls ----------------------------------------------------------

    @property
    def broken(self) -> str:
        return self._broken

    def check_context(self) -> None:
        """Give up if the widget has no working context once shown (creating one can
        fail after the start-up probe succeeded: a driver reset, a remote session)."""
        handle = self.window().windowHandle()
        if handle is None or not handle.isExposed() or not self.isVisible():
            return  # Qt has not tried yet: nothing to conclude
        context = self.context()
        if not self._broken and (context is None or not context.isValid()):
            self._give_up("no OpenGL context could be made for the video grid")

    def release(self) -> None:
        """Free the textures while the context exists (GL objects are deleted with their
        context current); pictures are uploaded again on the next paint."""
        if self.context() is None or not self._textures:
            return
        self.makeCurrent()
        try:
            for state in self._textures.values():
                state.destroy()
            self._textures.clear()
        finally:
            self.doneCurrent()

    def _context_ending(self) -> None:
        """Reparenting or a change of screen replaces the context: everything goes."""
        self.release()
        self._program = None
        if self._vao is not None:
            self.makeCurrent()
            self._vao.destroy()
            self.doneCurrent()
            self._vao = None

    # -- QOpenGLWidget ----------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        # A closed window's widgets die after Python may have collected the textures,
        # and a texture freed without its context leaks and warns: free them now. The
        # tiles keep their pictures, uploaded again on show.
        self.release()

    def initializeGL(self) -> None:
        try:
            self._initialise()
        except Exception as exc:
            log.exception("the GL video renderer could not start")
            self._give_up(f"OpenGL set-up failed ({type(exc).__name__})")

    def resizeGL(self, width: int, height: int) -> None:
        try:
            self._textures_unused()
        except Exception as exc:
            log.exception("the GL video renderer failed while resizing")
            self._give_up(f"OpenGL failed ({type(exc).__name__})")

    def paintGL(self) -> None:
        if self._broken or self._program is None:
            return
        try:
            self._paint()
        except Exception as exc:
            log.exception("the GL video renderer failed while drawing")
            self._give_up(f"OpenGL drawing failed ({type(exc).__name__})")

    # -- internals ----------------------------------------------------------------------

    def _give_up(self, reason: str) -> None:
        if self._broken:
            return
        self._broken = reason
        # The grid removes this widget: never from inside a GL callback.
        QTimer.singleShot(0, lambda: self.failed.emit(reason))

    def _initialise(self) -> None:
        context = QOpenGLContext.currentContext()
        functions = context.functions()
        self.renderer_name = str(functions.glGetString(GL_RENDERER) or "")
        header = (
            "#version 300 es\nprecision highp float;\n"
            if context.isOpenGLES()
            else ("#version 130\n")
        )
        program = QOpenGLShaderProgram(self)
        if not program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, header + VERTEX):
            raise RuntimeError(f"vertex shader: {program.log()}")
        if not program.addShaderFromSourceCode(
            QOpenGLShader.ShaderTypeBit.Fragment, header + FRAGMENT
        ):
            raise RuntimeError(f"fragment shader: {program.log()}")
        if not program.link():
            raise RuntimeError(f"shader link: {program.log()}")
        self._program = program
        names = (
            "plane0 plane1 plane2 kind offset to_red to_green to_blue tap_step taps chroma_shift"
            " crop"
        )
        self._locations = {name: program.uniformLocation(name) for name in names.split()}
        # A core profile draws nothing without a vertex array object, even with no
        # attributes; a compatibility one does not mind one.
        self._vao = QOpenGLVertexArrayObject(self)
        self._vao.create()
        # Reparenting the widget or a change of screen makes a new context.
        context.aboutToBeDestroyed.connect(self._context_ending)
        log.info(
            "video drawn with OpenGL: %s, %s", self.renderer_name, functions.glGetString(GL_VERSION)
        )

    def _textures_unused(self) -> None:
        """Forget the textures of tiles that no longer exist (a smaller grid)."""
        alive = {tile.index for tile in self._tiles()}
        for index in [i for i in self._textures if i not in alive]:
            self._textures.pop(index).destroy()

    def _paint(self) -> None:
        functions = QOpenGLContext.currentContext().functions()
        ratio = self.devicePixelRatioF()
        height = round(self.height() * ratio)
        functions.glDisable(GL_DEPTH_TEST)
        functions.glDisable(GL_BLEND)
        _clear(functions, self._gap)
        program = self._program
        assert program is not None
        program.bind()
        if self._vao is not None:
            self._vao.bind()
        try:
            for tile in self._tiles():
                if tile.isVisible():
                    self._paint_tile(functions, program, tile, ratio, height)
        finally:
            if self._vao is not None:
                self._vao.release()
            program.release()
            functions.glDisable(GL_SCISSOR_TEST)

    def _paint_tile(
        self,
        functions: QOpenGLFunctions,
        program: QOpenGLShaderProgram,
        tile: VideoTile,
        ratio: float,
        height: int,
    ) -> None:
        place = tile.geometry()
        box = _device_rect(place, ratio, height)
        functions.glEnable(GL_SCISSOR_TEST)
        functions.glScissor(*box)
        _clear(functions, self._background)
        frame = tile.frame
        state = self._textures.setdefault(tile.index, _TileTextures())
        if frame is None:
            return
        if frame is not state.frame:
            self._upload(functions, state, frame)
        viewport = _picture_viewport(tile, place, ratio, height)
        functions.glViewport(*viewport)
        # Digital zoom (ui/digital_zoom.py): the part the tile shows, in the texture's terms.
        crop = relative_crop(frame.crop, tile.zoom.crop)
        self._set_uniforms(program, frame, viewport[2], viewport[3], crop)
        for unit, texture in enumerate(state.textures):
            functions.glActiveTexture(GL_TEXTURE0 + unit)
            functions.glBindTexture(GL_TEXTURE_2D, texture.textureId())
        functions.glDrawArrays(GL_TRIANGLE_STRIP, 0, 4)
        functions.glActiveTexture(GL_TEXTURE0)
        functions.glViewport(0, 0, round(self.width() * ratio), height)
        tile.picture_drawn(frame)

    def _upload(self, functions: QOpenGLFunctions, state: _TileTextures, frame: VideoImage) -> None:
        shapes = _plane_shapes(frame)
        key = tuple((width, height, kind) for width, height, kind, _ in shapes)
        if key != state.key:
            state.destroy()
            state.textures = [_texture(width, height, kind) for width, height, kind, _ in shapes]
            state.key = key
            self.allocations += 1
        functions.glPixelStorei(GL_UNPACK_ALIGNMENT, 1)
        for texture, (width, height, kind, data) in zip(state.textures, shapes, strict=True):
            data_view, row_bytes = data
            functions.glBindTexture(GL_TEXTURE_2D, texture.textureId())
            functions.glPixelStorei(GL_UNPACK_ROW_LENGTH, row_bytes // _TEXEL_BYTES[kind])
            functions.glTexSubImage2D(
                GL_TEXTURE_2D,
                0,
                0,
                0,
                width,
                height,
                _FORMATS[kind],
                GL_UNSIGNED_BYTE,
                # The stub says int; the binding takes a buffer, and not an address.
                data_view,  # type: ignore[arg-type]
            )
        functions.glPixelStorei(GL_UNPACK_ROW_LENGTH, 0)
        functions.glBindTexture(GL_TEXTURE_2D, 0)
        state.frame = frame
        self.uploads += 1

    def _set_uniforms(
        self,
        program: QOpenGLShaderProgram,
        frame: VideoImage,
        width: int,
        height: int,
        crop: Crop,
    ) -> None:
        at = self._locations
        planes = frame.planes
        if planes is None:
            layout = LAYOUT_BGRA
            rows = conversion((0.299, 0.114), True)
        else:
            layout = LAYOUT_NV12 if planes.layout == "nv12" else LAYOUT_YUV420P
            rows = conversion(planes.matrix, planes.full_range)
        program.setUniformValue1i(at["plane0"], 0)
        program.setUniformValue1i(at["plane1"], 1)
        program.setUniformValue1i(at["plane2"], 2)
        program.setUniformValue1i(at["kind"], layout)
        for name, row in zip(("offset", "to_red", "to_green", "to_blue"), rows, strict=True):
            program.setUniformValue(at[name], row)
        # Shrinking: average enough bilinear taps to cover each screen pixel's footprint.
        # Rounded, not ceiled: a bilinear tap spans two texels, so one suffices below
        # 1.5x, and a 1080p picture in a tile a pixel smaller must not cost four.
        program.setUniformValue(at["crop"], QVector4D(*crop))
        source_w, source_h = frame.width, frame.height
        shown_w, shown_h = source_w * crop[2], source_h * crop[3]
        taps = max(1, min(MAX_TAPS, round(max(shown_w / width, shown_h / height))))
        program.setUniformValue1i(at["taps"], taps)
        program.setUniformValue(at["tap_step"], crop[2] / (width * taps), crop[3] / (height * taps))
        # H.264's and MPEG-2's default chroma sits left, with the even luma columns, not
        # between two (GL's assumption): a quarter of a chroma texel, as swscale places it
        # (measured: the shift brings the two paths closer, the opposite one apart).
        shift = 0.0 if layout == LAYOUT_BGRA else 0.25 / ((source_w + 1) // 2)
        program.setUniformValue(at["chroma_shift"], shift, 0.0)


KIND_R8, KIND_RG8, KIND_RGBA8 = "r8", "rg8", "rgba8"
_TEXEL_BYTES = {KIND_R8: 1, KIND_RG8: 2, KIND_RGBA8: 4}
_FORMATS = {KIND_R8: GL_RED, KIND_RG8: GL_RG, KIND_RGBA8: GL_RGBA}
_TEXTURE_FORMATS = {
    KIND_R8: QOpenGLTexture.TextureFormat.R8_UNorm,
    KIND_RG8: QOpenGLTexture.TextureFormat.RG8_UNorm,
    KIND_RGBA8: QOpenGLTexture.TextureFormat.RGBA8_UNorm,
}


def _plane_shapes(
    frame: VideoImage,
) -> list[tuple[int, int, str, tuple[memoryview, int]]]:
    """(width, height, texel kind, (bytes, row bytes)) of each texture a picture needs."""
    planes = frame.planes
    width, height = frame.width, frame.height
    if planes is None:
        return [(width, height, KIND_RGBA8, (frame.pixels, frame.stride))]
    chroma_w, chroma_h = (width + 1) // 2, (height + 1) // 2
    luma = (width, height, KIND_R8, (planes.data[0], planes.line_sizes[0]))
    if planes.layout == "nv12":
        return [luma, (chroma_w, chroma_h, KIND_RG8, (planes.data[1], planes.line_sizes[1]))]
    return [
        luma,
        (chroma_w, chroma_h, KIND_R8, (planes.data[1], planes.line_sizes[1])),
        (chroma_w, chroma_h, KIND_R8, (planes.data[2], planes.line_sizes[2])),
    ]


def _texture(width: int, height: int, kind: str) -> QOpenGLTexture:
    """A texture of a fixed size and format; filled by glTexSubImage2D per picture."""
    texture = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
    texture.setFormat(_TEXTURE_FORMATS[kind])
    texture.setSize(width, height)
    texture.setMipLevels(1)
    texture.setMinMagFilters(QOpenGLTexture.Filter.Linear, QOpenGLTexture.Filter.Linear)
    texture.setWrapMode(QOpenGLTexture.WrapMode.ClampToEdge)
    texture.allocateStorage(QOpenGLTexture.PixelFormat.Red, QOpenGLTexture.PixelType.UInt8)
    if not texture.isStorageAllocated():
        raise RuntimeError(f"a {width}x{height} {kind} texture could not be allocated")
    return texture


def _picture_viewport(
    tile: VideoTile, place: QRect, ratio: float, height: int
) -> tuple[int, int, int, int]:
    """Where the picture goes, in GL's device coordinates: exactly where the raster path
    blits the picture it converts for this tile (the fitted size in device pixels, its
    width rounded down to even, centred as the tile centres a 1:1 picture), so the two
    paths put the picture and its letterbox bars on the same pixels."""
    frame = tile.frame
    assert frame is not None
    device_w, device_h = tile.device_size()
    width, height_px = fit_inside(frame.source_width, frame.source_height, device_w, device_h)
    width = max(2, width & ~1)
    logical_w, logical_h = math.floor(width / ratio), math.floor(height_px / ratio)
    left = place.x() + (place.width() - logical_w) // 2
    top = place.y() + (place.height() - logical_h) // 2
    x, y = round(left * ratio), round(top * ratio)
    return x, height - (y + height_px), width, height_px


def _device_rect(rect: QRect, ratio: float, height: int) -> tuple[int, int, int, int]:
    """``rect`` (logical, top-left origin) as GL's (x, y, width, height): device pixels,
    bottom-left origin."""
    left, top = round(rect.x() * ratio), round(rect.y() * ratio)
    right = round((rect.x() + rect.width()) * ratio)
    bottom = round((rect.y() + rect.height()) * ratio)
    return left, height - bottom, max(0, right - left), max(0, bottom - top)


def _clear(functions: QOpenGLFunctions, colour: QColor) -> None:
    functions.glClearColor(colour.redF(), colour.greenF(), colour.blueF(), 1.0)
    functions.glClear(GL_COLOR_BUFFER_BIT)
