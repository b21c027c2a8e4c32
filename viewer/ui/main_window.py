"""The operator's window: camera tree on the left, video grid in the middle.

Keys: 1-6 and 8 pick the grid size, Enter maximises the selected tile and Escape
restores it, Delete empties the selected tile, Ctrl+F jumps to the camera filter,
Ctrl+N adds a camera and Ctrl+Shift+N a site, Ctrl+I shows every tile's stream
statistics, F11 turns the window into a full-screen video wall. With the grid focused
(click a tile), the arrow keys move the selection, and in a maximised tile they step
through the cameras of the grid.
Help › Copy diagnostics puts every library's version and the log file's path on the
clipboard, for a support request.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import PySide6
from PySide6.QtCore import QByteArray, QPoint, Qt, QTimer, qVersion
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from viewer import __version__
from viewer.core.models import CameraRef
from viewer.media.state import StateInfo
from viewer.services import diagnostics
from viewer.services.bookmarks import Bookmarks, is_local
from viewer.services.console import Console
from viewer.services.local_cameras import SITE as LOCAL_SITE
from viewer.services.settings import GRID_SIZES, Layout, SiteConfig
from viewer.services.timeline_feed import TimelineFeed
from viewer.ui.add_camera_dialog import AddCameraDialog
from viewer.ui.add_site_dialog import AddSiteDialog
from viewer.ui.bookmark_dialog import BookmarkDialog
from viewer.ui.camera_tree import CAMERA_ROLE, SITE_ROLE, CameraTree
from viewer.ui.events_panel import EventsDock, EventsPanel
from viewer.ui.export_dialog import open_export_dialog
from viewer.ui.playback_bar import PlaybackBar
from viewer.ui.playback_controller import EventsScope, PlaybackController
from viewer.ui.ptz_panel import PtzPanel
from viewer.ui.site_menu import site_menu
from viewer.ui.tasks import spawn
from viewer.ui.tile_ptz import TileSteering
from viewer.ui.timeline import TimelinePanel
from viewer.ui.video_grid import VideoGrid
from viewer.ui.wording import NOT_IN_KEYRING

CLOSING_TIMEOUT = 3.0
"""How long quitting waits for what closing the window started (the PTZ camera's last stop)."""
SIDE_WIDTHS = (220, 220)
"""First widths of the left (cameras, events) and right (PTZ) dock columns."""


def versions() -> dict[str, str]:
    """Every version a support request needs, Qt's included (`vigil --version`, About)."""
    return {**diagnostics.versions(), "Qt": qVersion(), "PySide6": PySide6.__version__}


class MainWindow(QMainWindow):
    def __init__(
        self, console: Console, parent: QWidget | None = None, *, log_file: Path | None = None
    ) -> None:
        super().__init__(parent)
        self._closing: list[asyncio.Task[object]] = []
        self.console = console
        self.log_file = log_file
        self.setWindowTitle("Vigil")
        self.setObjectName("MainWindow")
        self.grid = VideoGrid(console, self)
        self.setCentralWidget(self.grid)
        self.tree = CameraTree(console.directory, self)
        dock = QDockWidget("Cameras", self)
        self.camera_dock = dock
        dock.setObjectName("CameraDock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(self.tree)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self._build_timeline()
        self.ptz_panel = PtzPanel(console.directory, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.ptz_panel)
        self.tile_steering = TileSteering(lambda: self.ptz_panel.controller, self)
        # Polled: a tile's camera changes by drop, menu, layout and keys alike.
        self._selection_timer = QTimer(self, interval=200)
        self._selection_timer.timeout.connect(self._follow_selection)
        self._selection_timer.start()
        self._build_toolbar()
        self._build_help_menu()
        self._build_status_bar()
        self.tree.camera_activated.connect(self.grid.assign_to_selected)
        self.tree.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.view.customContextMenuRequested.connect(self._tree_menu)
        self.grid.camera_state_changed.connect(self._camera_state_changed)
        self.grid.layout_changed.connect(self._layout_changed)
        self.grid.maximised_changed.connect(self._sync_grid_actions)
        self.grid.tile_menu_requested.connect(self._tile_menu)
        self._layout_ready = False
        self._build_playback()

    # -- building -----------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Layout", self)
        self.toolbar = toolbar
        toolbar.setObjectName("LayoutToolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.grid_actions = QActionGroup(self)
        self.grid_actions.setExclusive(True)
        for size in GRID_SIZES:
            action = QAction(f"{size}×{size}", self, checkable=True)
            action.setShortcut(QKeySequence(str(size)))
            action.setToolTip(f"Show {size * size} tiles ({size})")
            action.setData(size)
            action.triggered.connect(lambda _checked=False, s=size: self.set_grid(s))
            self.grid_actions.addAction(action)
            toolbar.addAction(action)
        toolbar.addSeparator()
        self.add_camera_action = QAction("Add camera…", self)
        self.add_camera_action.setShortcut(QKeySequence("Ctrl+N"))
        self.add_camera_action.triggered.connect(self.add_camera)
        toolbar.addAction(self.add_camera_action)
        self.add_site_action = QAction("Add site…", self)
        self.add_site_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.add_site_action.setToolTip("Add a video-management system by its address")
        self.add_site_action.triggered.connect(self.add_site)
        toolbar.addAction(self.add_site_action)
        self.statistics_action = QAction("Statistics", self, checkable=True)
        self.statistics_action.setShortcut(QKeySequence("Ctrl+I"))
        self.statistics_action.setToolTip(
            "Show each tile's stream: resolution, frame rate, bitrate, losses (Ctrl+I)"
        )
        self.statistics_action.toggled.connect(self.grid.set_statistics_visible)
        toolbar.addAction(self.statistics_action)
        self.full_screen_action = QAction("Full screen", self, checkable=True)
        self.full_screen_action.setShortcut(QKeySequence(QKeySequence.StandardKey.FullScreen))
        self.full_screen_action.setToolTip("Only the video, on the whole screen (F11)")
        self.full_screen_action.toggled.connect(self._set_full_screen)
        toolbar.addAction(self.full_screen_action)
        # The toolbar is hidden in full screen; its shortcuts must still work there.
        self.addActions(toolbar.actions())
        for key, slot in (
            ("Return", self._maximise_selected),
            ("Escape", self._escape),
            ("Delete", self._clear_selected),
            ("Ctrl+F", self._focus_filter),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(slot)
            self.addAction(action)
        self._sync_grid_actions()

    def _build_timeline(self) -> None:
        """The playback bar and the timeline, docked under the grid only (the side docks
        keep the full height); the dock's place is saved with the window state.

        A playback session joins them in a few lines: ``self.playback_bar.
        connect_controls(session)``, ``self.timeline.seek_requested`` to its seek,
        ``self.timeline.set_clock(session.clock)`` while playing back (None for live)."""
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.timeline_feed = TimelineFeed(self.console.directory)
        self.playback_bar = PlaybackBar(self)
        self.timeline = TimelinePanel(self.timeline_feed, self)
        self.timeline.set_camera_source(self._timeline_cameras)
        self.playback_bar.sync_changed.connect(self.timeline.set_sync)
        self.timeline.cursor_moved.connect(self.playback_bar.set_time_text)
        self.playback_bar.set_time_text(self.timeline.cursor_text)
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.playback_bar)
        column.addWidget(self.timeline, 1)
        dock = QDockWidget("Timeline", self)
        self.timeline_dock = dock
        dock.setObjectName("TimelineDock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(box)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)

    def _build_playback(self) -> None:
        """One playback session for the grid, driven by the playback bar, the timeline
        and the events panel (a dock under the camera tree); bookmarks from the tile's
        menu."""
        grid = self.grid
        self.playback = self.console.playback_session(
            lambda: [tile.view for tile in grid.tiles if tile.view is not None],
            lambda: (
                grid.tiles[grid.selected].view if 0 <= grid.selected < len(grid.tiles) else None
            ),
        )
        self.playback_controller = PlaybackController(
            self.playback, self.playback_bar, self.timeline, self
        )
        self.events_panel = EventsPanel(self.console.directory, self)
        self.events_dock = EventsDock(self.events_panel, self)
        # Under the camera tree: the right-hand side is the PTZ panel's, which leaves
        # no height to share in a small window.
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.events_dock)
        self.events_panel.event_activated.connect(self.playback_controller.show_event)
        self.events_scope = EventsScope(
            self.events_panel,
            lambda: self.timeline.shown_cameras,
            lambda: self.timeline.canvas.view.visible,
            self,
        )
        self.bookmarks = Bookmarks(
            self.console.settings, self.console.store, self.console.directory
        )
        # Bookmarks kept here show on the timeline at once; a site's own are fetched.
        self.timeline_feed.set_local_bookmarks(self.bookmarks.local)
        self.bookmarks.subscribe(self.timeline_feed.bookmarks_changed)

    def add_bookmark(self, index: int) -> None:
        """At the tile's picture's instant (the recorded one in playback), else now."""
        tile = self.grid.tiles[index]
        if tile.camera is None:
            return
        frame = tile.frame
        at = (
            datetime.fromtimestamp(frame.instant, UTC)
            if frame is not None and frame.instant is not None
            else datetime.now(UTC)
        )
        camera = self.console.directory.camera(tile.camera)
        dialog = BookmarkDialog(
            self.bookmarks, tile.camera, camera.name if camera else str(tile.camera), at, self
        )
        dialog.accepted.connect(lambda: self._bookmarked(dialog))
        dialog.open()

    def _bookmarked(self, dialog: BookmarkDialog) -> None:
        self.statusBar().showMessage(f"Bookmark {dialog.title.text().strip()!r} saved", 4000)
        made = dialog.made
        if made is not None and not is_local(made):
            self.timeline_feed.refresh(made.camera)

    def _timeline_cameras(self, sync: bool) -> list[CameraRef]:
        """The selected tile's camera; in sync mode every tile's, in grid order."""
        tiles = self.grid.tiles
        if sync:
            return [tile.camera for tile in tiles if tile.camera is not None]
        selected = self.grid.selected
        camera = tiles[selected].camera if 0 <= selected < len(tiles) else None
        return [camera] if camera is not None else []

    def _build_help_menu(self) -> None:
        recordings = self.menuBar().addMenu("&Recordings")
        self.export_action = recordings.addAction(
            "Export evidence…",
            lambda: open_export_dialog(
                self, self.console.directory, [t.camera for t in self.grid.tiles if t.camera]
            ),
        )
        menu = self.menuBar().addMenu("&Help")
        self.about_action = menu.addAction("About Vigil", self.show_about)
        self.copy_diagnostics_action = menu.addAction("Copy diagnostics", self.copy_diagnostics)
        self.about_box: QMessageBox | None = None

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.stream_summary = QLabel(self)
        bar.addPermanentWidget(self.stream_summary)
        version = QLabel(f"Vigil {__version__}", self)
        bar.addPermanentWidget(version)
        if not self.console.secrets.persistent:
            bar.addPermanentWidget(
                QLabel("No system keyring: passwords are kept for this session only", self)
            )
        if self.console.settings_problem is not None:
            bar.showMessage(str(self.console.settings_problem))
        self._summary_timer = QTimer(self, interval=2000)
        self._summary_timer.timeout.connect(self._update_summary)
        self._summary_timer.start()

    # -- layout and settings ---------------------------------------------------------------

    def restore_session(self, default_layout: Layout) -> None:
        """Bring back geometry, dock and grid as the operator left them."""
        settings = self.console.settings
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
        else:
            self.resize(1280, 800)
        if settings.window_state:
            self.restoreState(QByteArray.fromBase64(settings.window_state.encode()))
        else:
            # The side columns start narrow: the grid keeps most of the window.
            self.resizeDocks(
                [self.camera_dock, self.ptz_panel], list(SIDE_WIDTHS), Qt.Orientation.Horizontal
            )
        self.grid.apply_layout(settings.layout or default_layout)
        self._layout_ready = True
        self._layout_changed()
        missing = self.console.local_cameras.missing_passwords()
        if missing:
            names = ", ".join(c.name for c in missing)
            self.statusBar().showMessage(
                f"Passwords needed for {names}: right-click the camera › Enter password"
            )

    def set_grid(self, size: int) -> None:
        self.grid.set_grid(size)
        self._sync_grid_actions()

    def _sync_grid_actions(self) -> None:
        for action in self.grid_actions.actions():
            action.setChecked(action.data() == self.grid.grid_size)

    def _layout_changed(self) -> None:
        if self._layout_ready:
            self.console.save_layout(self.grid.layout_settings())

    def _set_full_screen(self, on: bool) -> None:
        """Only the grid, on the whole screen; the tree and bars come back on leaving."""
        for part in (
            self.menuBar(),
            self.toolbar,
            self.statusBar(),
            self.camera_dock,
            self.timeline_dock,
            self.events_dock,
        ):
            part.setVisible(not on)
        state = self.windowState()
        if on:
            self.setWindowState(state | Qt.WindowState.WindowFullScreen)
        else:
            self.setWindowState(state & ~Qt.WindowState.WindowFullScreen)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Saved as a plain window, so the next start shows the tree and bars again.
        self.full_screen_action.setChecked(False)
        self.console.save_session(
            self.grid.layout_settings(),
            bytes(self.saveGeometry().toBase64().data()).decode(),
            bytes(self.saveState().toBase64().data()).decode(),
        )
        for tile in self.grid.tiles:
            tile.show_camera(None)
        self._closing = [spawn(self.timeline_feed.close())]
        self.events_scope.stop()
        # The console stops and joins the playback players at quit (the tiles let go now).
        self.playback_controller.stop()
        self._selection_timer.stop()
        self.tile_steering.attach(None)
        self._closing.append(spawn(self.ptz_panel.close_controller()))
        super().closeEvent(event)

    async def closed(self) -> None:
        """Waits, a few seconds at most, for what closing the window started: a camera
        still turning gets its stop before the console closes the site that would carry
        it (a MiBee continuous move runs on for up to 10 s otherwise)."""
        if self._closing:
            await asyncio.wait(self._closing, timeout=CLOSING_TIMEOUT)

    def _follow_selection(self) -> None:
        """The PTZ dock shows the selected tile's camera; with its tile mode on, a drag on
        that tile steers and its wheel zooms."""
        tiles = self.grid.tiles
        tile = tiles[self.grid.selected] if 0 <= self.grid.selected < len(tiles) else None
        self.ptz_panel.follow(tile.camera if tile is not None else None)
        steering = self.ptz_panel.tile_mode.isChecked() and self.ptz_panel.controller
        self.tile_steering.attach(tile if steering else None)

    # -- actions ----------------------------------------------------------------------------

    def add_site(self) -> None:
        dialog = AddSiteDialog(self.console.sites, self.console.secrets.persistent, parent=self)
        dialog.accepted.connect(lambda: self._site_added(dialog.added))
        dialog.open()

    def _site_added(self, site: SiteConfig | None) -> None:
        if site is not None:
            self.statusBar().showMessage(f"Site {site.name} added", 4000)

    def add_camera(self) -> None:
        dialog = AddCameraDialog(
            self.console.local_cameras, self.console.secrets.persistent, parent=self
        )
        dialog.accepted.connect(lambda: self._camera_added(dialog.added))
        dialog.open()

    def _camera_added(self, ref: CameraRef | None) -> None:
        if ref is None:
            return
        if self.console.local_cameras.password_session_only(ref.camera_id):
            self.statusBar().showMessage(f"Camera added; its password {NOT_IN_KEYRING}")
        else:
            self.statusBar().showMessage("Camera added", 4000)

    def show_about(self) -> None:
        if self.about_box is None:
            self.about_box = QMessageBox(
                QMessageBox.Icon.Information, "About Vigil", "", parent=self
            )
            self.about_box.setTextFormat(Qt.TextFormat.PlainText)
            self.about_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about_box.setText(
            "Vigil: one operator console for the cameras of several VMSs.\n\n"
            + diagnostics.report(versions(), self.log_file)
        )
        self.about_box.open()

    def copy_diagnostics(self) -> None:
        """Versions and the log's path, for a support request; no secret is in either."""
        QGuiApplication.clipboard().setText(diagnostics.report(versions(), self.log_file))
        self.statusBar().showMessage("Diagnostics copied to the clipboard", 4000)

    def _maximise_selected(self) -> None:
        self.grid.toggle_maximise(self.grid.selected)

    def _escape(self) -> None:
        """Back one step: from a maximised tile to the grid, from full screen to a window."""
        if self.grid.maximised is not None:
            self.grid.restore()
        else:
            self.full_screen_action.setChecked(False)

    def _clear_selected(self) -> None:
        self.grid.assign(self.grid.selected, None)

    def _focus_filter(self) -> None:
        self.tree.filter.setFocus()
        self.tree.filter.selectAll()

    def _camera_state_changed(self, ref: CameraRef, info: StateInfo) -> None:
        self.tree.set_camera_state(ref, info)

    def _update_summary(self) -> None:
        players = self.console.hub.players()
        fps = sum(p.statistics().fps for p in players)
        self.stream_summary.setText(
            f"{len(players)} streams, {fps:.0f} frames/s decoded, {self.grid.renderer_text}"
        )

    def _tree_menu(self, position: QPoint) -> None:
        index = self.tree.view.indexAt(position)
        ref = index.data(CAMERA_ROLE)
        session = self.console.directory.session(index.data(SITE_ROLE) or "")
        if session is not None:
            menu = site_menu(self, self.console.sites, session, self.statusBar().showMessage)
            if menu is not None:
                menu.popup(self.tree.view.viewport().mapToGlobal(position))
            return
        if not isinstance(ref, CameraRef):
            return
        menu = QMenu(self)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.addAction("Show in selected tile", lambda: self.grid.assign_to_selected(ref))
        if ref.site_id == LOCAL_SITE.id:
            menu.addAction("Enter password…", lambda: self._ask_password(ref))
            menu.addAction("Remove camera", lambda: spawn(self._remove_camera(ref)))
        menu.popup(self.tree.view.viewport().mapToGlobal(position))

    def _tile_menu(self, index: int, position: QPoint) -> None:
        tile = self.grid.tiles[index]
        menu = QMenu(self)
        menu.aboutToHide.connect(menu.deleteLater)
        if self.grid.maximised is None:
            menu.addAction("Maximise", lambda: self.grid.maximise(index))
        else:
            menu.addAction("Restore grid", self.grid.restore)
        menu.addAction(self.statistics_action)
        bookmark = menu.addAction("Add bookmark…", lambda: self.add_bookmark(index))
        bookmark.setEnabled(tile.camera is not None)
        menu.addSeparator()
        empty = menu.addAction("Empty tile", lambda: self.grid.assign(index, None))
        empty.setEnabled(tile.camera is not None)
        menu.popup(position)

    def _ask_password(self, ref: CameraRef) -> None:
        camera = self.console.directory.camera(ref)
        name = camera.name if camera else str(ref)
        password, ok = QInputDialog.getText(
            self, "Camera password", f"Password for {name}", QLineEdit.EchoMode.Password
        )
        if ok and password:
            spawn(self._set_password(ref, password))

    async def _set_password(self, ref: CameraRef, password: str) -> None:
        saved = await self.console.local_cameras.set_password(ref.camera_id, password)
        camera = self.console.directory.camera(ref)
        name = camera.name if camera else str(ref)
        if saved:
            self.statusBar().showMessage(f"Password for {name} saved", 4000)
        else:
            self.statusBar().showMessage(f"The password for {name} {NOT_IN_KEYRING}")
        self.grid.reload_camera(ref)

    async def _remove_camera(self, ref: CameraRef) -> None:
        for tile in self.grid.tiles:
            if tile.camera == ref:
                self.grid.assign(tile.index, None)
        await self.console.local_cameras.remove(ref.camera_id)
