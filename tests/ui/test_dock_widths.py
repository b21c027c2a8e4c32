"""The side docks fit the columns the window gives them: nothing is cut off or scrolls sideways."""

from viewer.ui.main_window import SIDE_WIDTHS


def test_the_ptz_dock_fits_its_column_without_scrolling_sideways(make_window, qtbot):
    window = make_window(size=(1280, 800))
    panel = window.ptz_panel
    scroll = panel.widget()

    qtbot.waitUntil(panel.isVisible, timeout=5000)

    assert panel.body.minimumSizeHint().width() <= SIDE_WIDTHS[1], panel.body.minimumSizeHint()
    qtbot.waitUntil(lambda: panel.body.width() <= scroll.viewport().width(), timeout=5000)
    assert not scroll.horizontalScrollBar().isVisible()
