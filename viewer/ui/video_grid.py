"""The grid of tiles: which camera is where, which tile is selected or maximised.

Tiles are placed by hand rather than by a QGridLayout so that maximising one is just
a geometry change: the tile keeps its stream (and its last picture) while it grows,
and the others are hidden, which stops their decoding.

The grid's frame clock ticks at the screen's refresh rate and lets every visible
tile pick up its newest picture; all tiles with news repaint in one pass. Painting
faster than the screen refreshes would show nothing more.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from viewer.core.models import CameraRef
from viewer.media.state import StateInfo
from viewer.services.camera_view import CameraView
from viewer.services.console import Console
from viewer.services.settings import GRID_SIZES, Layout
from viewer.ui import renderer
from viewer.ui.gl_video import GlVideoSurface
from viewer.ui.video_tile import BACKGROUND, VideoTile

SPACING = 2
MAX_TILES = max(GRID_SIZES) ** 2
# Arrow keys as (rows, columns) steps of the selection.
STEPS = {
    Qt.Key.Key_Left.value: (0, -1),
    Qt.Key.Key_Right.value: (0, 1),
    Qt.Key.Key_Up.value: (-1, 0),
    Qt.Key.Key_Down.value: (1, 0),
}


class VideoGrid(QWidget):
    layout_changed = Signal()
    camera_state_changed = Signal(object, object)
    """(CameraRef, StateInfo) of a tile whose stream changed state."""
    maximised_changed = Signal()
    selection_changed = Signal(int, object)
    """(index, CameraRef or None) of the selected tile, whenever the selection moves or
    the selected tile's camera changes (drop, menu, layout, keys alike)."""
    tile_menu_requested = Signal(int, QPoint)
    """(tile index, global position) of a right-click on a tile."""

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._console = console
        self._size = 0
        self._tiles: list[VideoTile] = []
        # Cameras of tiles beyond the current grid are remembered for the session, so
        # going from 4x4 to 2x2 and back does not lose them.
        self._assignments: list[CameraRef | None] = [None] * MAX_TILES
        self._selected = 0
        self._told: tuple[int, CameraRef | None] | None = None
        self._maximised: int | None = None
        self._statistics_visible = False
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, BACKGROUND.darker(150))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        # A click on a tile focuses the grid, and then the arrow keys move the selection.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._clock = QTimer(self)
        self._clock.setTimerType(Qt.TimerType.PreciseTimer)
        self._clock.timeout.connect(self._tick)
        self._surface: GlVideoSurface | None = None
        if renderer.active().gl:
            self._start_gl()
        self.set_grid(2)
        console.directory.subscribe(self._directory_changed)

    # -- queries ----------------------------------------------------------------------

    @property
    def grid_size(self) -> int:
        return self._size

    @property
    def tiles(self) -> list[VideoTile]:
        return list(self._tiles)

    @property
    def selected(self) -> int:
        return self._selected

    @property
    def maximised(self) -> int | None:
        return self._maximised

    @property
    def statistics_visible(self) -> bool:
        return self._statistics_visible

    def layout_settings(self) -> Layout:
        count = self._size * self._size
        return Layout(grid=self._size, tiles=self._assignments[:count], selected=self._selected)

    # -- changes ------------------------------------------------------------------------

    def apply_layout(self, layout: Layout) -> None:
        self._assignments = [None] * MAX_TILES
        self._assignments[: len(layout.tiles)] = layout.tiles
        self.set_grid(layout.grid)
        for tile in self._tiles:
            self._load_tile(tile)
        self.select(layout.selected)

    def set_grid(self, size: int) -> None:
        if size not in GRID_SIZES:
            raise ValueError(f"grid size must be one of {GRID_SIZES}")
        if size == self._size:
            return
        self.restore()
        count = size * size
        while len(self._tiles) > count:
            tile = self._tiles.pop()
            tile.close()
            # Closed is only hidden: without this every change of grid size left its
            # surplus tiles behind, timers and all.
            tile.deleteLater()
        while len(self._tiles) < count:
            tile = VideoTile(len(self._tiles), self)
            tile.selected.connect(self.select)
            tile.maximise_requested.connect(self.toggle_maximise)
            tile.camera_dropped.connect(self._dropped)
            tile.state_changed.connect(self._tile_state_changed)
            tile.menu_requested.connect(self.tile_menu_requested)
            tile.set_statistics_visible(self._statistics_visible)
            tile.set_gl_drawn(self._surface is not None)
            self._tiles.append(tile)
            self._load_tile(tile)
        self._size = size
        self._selected = min(self._selected, count - 1)
        self._place_tiles()
        for tile in self._tiles:
            tile.set_selected(tile.index == self._selected)
            tile.show()
        self.layout_changed.emit()
        self._tell_selection()

    def set_statistics_visible(self, visible: bool) -> None:
        """Every tile shows its stream's figures (resolution, fps, bitrate, losses)."""
        self._statistics_visible = visible
        for tile in self._tiles:
            tile.set_statistics_visible(visible)

    def assign(self, index: int, ref: CameraRef | None) -> None:
        """Show camera ``ref`` in tile ``index`` (None empties the tile)."""
        if not 0 <= index < len(self._tiles):
            return
        self._assignments[index] = ref
        self._load_tile(self._tiles[index])
        self.layout_changed.emit()
        self._tell_selection()

    def reload_camera(self, ref: CameraRef) -> None:
        """Reopen ``ref`` wherever it shows, after its credentials or URLs changed."""
        for tile in self._tiles:
            if tile.camera == ref:
                tile.show_camera(self._new_view(tile, ref), self._camera_name(ref))

    def assign_to_selected(self, ref: CameraRef) -> None:
        """Put ``ref`` in the selected tile and move the selection on, to fill a grid fast."""
        index = self._selected
        self.assign(index, ref)
        if self._maximised is None:
            self.select((index + 1) % len(self._tiles))

    def select(self, index: int) -> None:
        if not 0 <= index < len(self._tiles):
            return
        self._selected = index
        for tile in self._tiles:
            tile.set_selected(tile.index == index)
        self._tell_selection()

    def _tell_selection(self) -> None:
        index = self._selected
        camera = self._tiles[index].camera if 0 <= index < len(self._tiles) else None
        if (index, camera) != self._told:
            self._told = (index, camera)
            self.selection_changed.emit(index, camera)

    def move_selection(self, rows: int, columns: int) -> None:
        """Select the tile ``rows`` down and ``columns`` right, stopping at the edges."""
        row, column = divmod(self._selected, self._size)
        row = min(max(row + rows, 0), self._size - 1)
        column = min(max(column + columns, 0), self._size - 1)
        index = row * self._size + column
        if self._maximised is not None and index != self._maximised:
            self.maximise(index)
        else:
            self.select(index)

    def toggle_maximise(self, index: int) -> None:
        if self._maximised is None:
            self.maximise(index)
        else:
            self.restore()

    def maximise(self, index: int) -> None:
        if not 0 <= index < len(self._tiles) or len(self._tiles) == 1:
            return
        self._maximised = index
        self.select(index)
        self._place_tiles()
        self.maximised_changed.emit()

    def restore(self) -> None:
        if self._maximised is None:
            return
        self._maximised = None
        self._place_tiles()
        self.maximised_changed.emit()

    # -- internals ----------------------------------------------------------------------

    def _load_tile(self, tile: VideoTile) -> None:
        ref = self._assignments[tile.index]
        if ref == tile.camera and tile.view is not None:
            return
        if ref is None:
            tile.show_camera(None)
            return
        tile.show_camera(self._new_view(tile, ref), self._camera_name(ref))

    def _new_view(self, tile: VideoTile, ref: CameraRef) -> CameraView:
        return CameraView(
            self._console.directory,
            self._console.hub,
            ref,
            tile.notice,
            hidden_grace=self._console.settings.hidden_grace,
        )

    def _tick(self) -> None:
        news = False
        for tile in self._tiles:
            if tile.isVisible():
                news = tile.refresh() or news
        if news and self._surface is not None:
            self._surface.update()

    @property
    def renderer_text(self) -> str:
        """Which renderer draws this grid, for the status bar: "GL (<GPU>)" or "raster"."""
        surface = self._surface
        if surface is None:
            return "raster"
        return f"GL ({surface.renderer_name})" if surface.renderer_name else "GL"

    def _start_gl(self) -> None:
        """The GL surface under the tiles (ui/gl_video.py); raster if it fails."""
        gap = self.palette().window().color()
        surface = GlVideoSurface(lambda: self._tiles, gap, BACKGROUND, self)
        surface.failed.connect(self._gl_failed)
        surface.setGeometry(self.rect())
        surface.lower()
        self._surface = surface

    def _gl_failed(self, reason: str) -> None:
        surface, self._surface = self._surface, None
        if surface is None:
            return
        renderer.fall_back(reason)
        for tile in self._tiles:
            tile.set_gl_drawn(False)
        surface.hide()
        surface.release()
        surface.deleteLater()

    def showEvent(self, event: QShowEvent) -> None:
        screen = self.screen()
        rate = screen.refreshRate() if screen is not None else 60.0
        self._clock.start(max(4, round(1000 / (rate if rate > 1 else 60.0))))
        if self._surface is not None:
            # Making the context can fail after the start-up probe worked.
            QTimer.singleShot(1000, self._check_gl)

    def _check_gl(self) -> None:
        if self._surface is not None and self.isVisible():
            self._surface.check_context()

    def hideEvent(self, event: QHideEvent) -> None:
        self._clock.stop()

    def _camera_name(self, ref: CameraRef) -> str:
        camera = self._console.directory.camera(ref)
        return camera.name if camera else str(ref)

    def _dropped(self, index: int, ref: CameraRef, from_tile: int | None) -> None:
        if from_tile is not None and 0 <= from_tile < len(self._tiles) and from_tile != index:
            # A tile dragged onto another swaps the two cameras.
            self._assignments[from_tile] = self._assignments[index]
            self._load_tile(self._tiles[from_tile])
        self.select(index)
        self.assign(index, ref)

    def _tile_state_changed(self, index: int) -> None:
        tile = self._tiles[index] if index < len(self._tiles) else None
        if self._surface is not None:
            self._surface.update()
        if tile is not None and tile.camera is not None:
            state: StateInfo = tile.state
            self.camera_state_changed.emit(tile.camera, state)

    def _directory_changed(self) -> None:
        """Sites came online or cameras changed: fix names, retry cameras not found."""
        for tile in self._tiles:
            ref = tile.camera
            if ref is None:
                continue
            if self._console.directory.camera(ref) is None:
                # Its site may be retrying: the tile's countdown follows the new attempt.
                tile.notice()
                continue
            tile.set_name(self._camera_name(ref))
            view = tile.view
            if view is not None and view.quality is None:
                tile.show_camera(self._new_view(tile, ref), self._camera_name(ref))

    def _place_tiles(self) -> None:
        area = self.rect()
        if self._surface is not None:
            self._surface.setGeometry(area)
            self._surface.update()
        if self._maximised is not None:
            for tile in self._tiles:
                if tile.index == self._maximised:
                    tile.setGeometry(area)
                    tile.show()
                    tile.raise_()
                else:
                    tile.hide()
            return
        size = self._size
        for tile in self._tiles:
            row, column = divmod(tile.index, size)
            tile.setGeometry(_cell(area, size, row, column))
            if not tile.isVisible() and self.isVisible():
                tile.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place_tiles()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = STEPS.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        self.move_selection(*step)


def _cell(area: QRect, size: int, row: int, column: int) -> QRect:
    """Cell geometry that shares rounding so cells tile the area without gaps."""
    x0 = area.x() + column * area.width() // size
    x1 = area.x() + (column + 1) * area.width() // size
    y0 = area.y() + row * area.height() // size
    y1 = area.y() + (row + 1) * area.height() // size
    return QRect(x0, y0, x1 - x0 - SPACING, y1 - y0 - SPACING)
