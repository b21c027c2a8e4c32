"""Which renderer draws the video: the GL path or the raster one, chosen at start-up.

``auto`` takes GL where a context of OpenGL 3.0 (or OpenGL ES 3.0) can be made and
the renderer is a graphics card; a software rasteriser (Mesa's llvmpipe and softpipe,
Windows' "GDI Generic" and "Microsoft Basic Render Driver", SwiftShader) draws the
shader on the CPU, where swscale's SIMD conversion in the decode threads is cheaper,
so auto keeps raster there. ``gl`` forces the GL path where a context can be made at
all (tests under Xvfb, a machine whose GPU has an unusual name); ``raster`` forces
the fallback. Anything that goes wrong falls back to raster with a log line, never a
crash.

The choice is one per process, like Qt's default surface format: there is one
graphics card, and decode threads of every player (the hub's, playback sessions',
benchmarks') deliver what it needs (media/planes.py ``DELIVERY``). ``configure`` sets
it once, before the first grid is built; a grid whose GL widget fails calls
``fall_back``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext, QSurfaceFormat

from viewer.media.planes import DELIVERY

log = logging.getLogger(__name__)

GL_RENDERER = 0x1F01

SOFTWARE_RENDERERS = (
    "llvmpipe",
    "softpipe",
    "swrast",
    "gdi generic",
    "microsoft basic render driver",
    "swiftshader",
)
"""Substrings (lower case) of GL_RENDERER that mean the CPU draws the shader."""

NO_GL_WIDGETS = ("offscreen", "minimal", "vnc")
"""Qt platforms that cannot host a QOpenGLWidget: on offscreen it says "not supported
on this platform" and then crashes (docs/pitfalls.md)."""


class Preference(StrEnum):
    AUTO = "auto"
    GL = "gl"
    RASTER = "raster"


@dataclass(frozen=True)
class Choice:
    """The renderer in use and why, in words for the status bar and the log."""

    gl: bool
    reason: str
    renderer: str = ""

    def describe(self) -> str:
        return f"GL ({self.renderer})" if self.gl else "raster"


@dataclass(frozen=True)
class Probe:
    """What a throwaway context said: its version and GL_RENDERER, or the problem."""

    problem: str = ""
    renderer: str = ""
    version: tuple[int, int] = (0, 0)
    es: bool = False


def is_software(renderer: str) -> bool:
    lowered = renderer.lower()
    return any(name in lowered for name in SOFTWARE_RENDERERS)


def probe_context() -> Probe:
    """Make a context of OpenGL 3.0 (ES 3.0 where Qt runs on ES) on an offscreen
    surface, without a window, and ask who draws."""
    platform = QGuiApplication.platformName()
    if platform in NO_GL_WIDGETS:
        return Probe(problem=f"the {platform} platform cannot show OpenGL widgets")
    wanted = QSurfaceFormat.defaultFormat()
    wanted.setVersion(3, 0)
    context = QOpenGLContext()
    context.setFormat(wanted)
    if not context.create():
        return Probe(problem="no OpenGL context could be made")
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not context.makeCurrent(surface):
            return Probe(problem="the OpenGL context could not be made current")
        made = context.format()
        renderer = str(context.functions().glGetString(GL_RENDERER) or "")
        context.doneCurrent()
        return Probe(
            renderer=renderer,
            version=(made.majorVersion(), made.minorVersion()),
            es=context.isOpenGLES(),
        )
    finally:
        surface.destroy()


def choose(preference: str, probe: Probe | None = None) -> Choice:
    """The renderer for ``preference`` (a Preference value) on this machine."""
    if preference == Preference.RASTER:
        return Choice(gl=False, reason="raster chosen")
    found = probe if probe is not None else probe_context()
    if found.problem:
        return Choice(gl=False, reason=found.problem)
    if found.version < (3, 0):
        version = ".".join(map(str, found.version))
        es = " ES" if found.es else ""
        return Choice(gl=False, reason=f"OpenGL{es} {version} is older than 3.0")
    if preference != Preference.GL and is_software(found.renderer):
        return Choice(
            gl=False, reason=f"{found.renderer} draws in software", renderer=found.renderer
        )
    return Choice(gl=True, reason="OpenGL 3.0 or later", renderer=found.renderer)


_active = Choice(gl=False, reason="not configured")


def configure(choice: Choice) -> Choice:
    """Make ``choice`` the process's renderer; decode threads follow from the next
    picture on."""
    global _active  # noqa: PLW0603 (one per process, see the module's docstring)
    _active = choice
    DELIVERY.planes = choice.gl
    log.info("video renderer: %s (%s)", choice.describe(), choice.reason)
    return choice


def active() -> Choice:
    return _active


def fall_back(reason: str) -> Choice:
    """The GL path failed while running: raster from now on, said once in the log."""
    log.warning("the GL video renderer failed (%s): falling back to raster", reason)
    return configure(Choice(gl=False, reason=reason))
