"""The grid tells when its selection moves, and the PTZ dock follows its camera.

``VideoGrid.selection_changed`` says which tile is selected and what it shows whenever
either changes (click, key, drop, layout); the dock also picks up a selected camera whose
site comes online after it was put in the tile.
"""

from __future__ import annotations

from tests.integration.backends.mibee.nvr import PASSWORD, SITE, USER
from tests.ui.conftest import until
from tests.ui.test_ptz_panel import FIXED_CAMERA, PTZ_CAMERA, nvr
from viewer.backends.mibee.backend import MibeeBackend
from viewer.core.models import CameraRef
from viewer.services.settings import Layout

__all__ = ["nvr"]

PTZ = CameraRef(SITE.id, PTZ_CAMERA)
FIXED = CameraRef(SITE.id, FIXED_CAMERA)


def test_the_grid_tells_a_new_selected_tile_or_camera_and_nothing_else(qloop, make_window, nvr):
    window = make_window(layout=Layout(grid=2))
    told = []
    window.grid.selection_changed.connect(lambda index, ref: told.append((index, ref)))

    async def scenario():
        await window.console.add_site(MibeeBackend(SITE, nvr.url, USER, PASSWORD))
        grid = window.grid
        grid.select(1)
        grid.assign(1, FIXED)
        grid.assign(2, PTZ)  # not the selected tile
        grid.select(1)  # already selected
        grid.select(2)
        grid.set_grid(1)  # the selection falls back to the only tile
        assert told == [(1, None), (1, FIXED), (2, PTZ), (0, None)]
        grid.set_grid(2)
        grid.select(2)
        grid.assign(2, None)  # emptied by the Delete key or the menu
        assert told[-2:] == [(2, PTZ), (2, None)]

    qloop.run_until_complete(scenario())


def test_a_selected_camera_whose_site_comes_online_later_gets_the_dock(qloop, make_window, nvr):
    window = make_window(layout=Layout(grid=2))

    async def scenario():
        window.grid.assign(0, PTZ)
        window.grid.select(0)
        panel = window.ptz_panel
        assert await until(lambda: panel.camera == PTZ)
        assert not panel.joystick.isEnabled()
        await window.console.add_site(MibeeBackend(SITE, nvr.url, USER, PASSWORD))
        assert await until(lambda: panel.controller is not None)
        assert panel.joystick.isEnabled()
        # The site's first health check ends inside the scenario (docs/pitfalls.md, qasync).
        session = window.console.directory.session(SITE.id)
        assert await until(lambda: session.health is not None)

    qloop.run_until_complete(scenario())
