"""The status bar's stream summary tells support which renderer draws the video."""


def test_the_stream_summary_names_the_renderer(make_window, qtbot):
    window = make_window()

    qtbot.waitUntil(lambda: "frames/s decoded" in window.stream_summary.text(), timeout=5000)

    # Offscreen there is no GL: the raster path draws, and the summary says so.
    assert window.stream_summary.text().endswith(", raster")
