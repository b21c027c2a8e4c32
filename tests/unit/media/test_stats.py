"""Statistics follow the stream over a sliding window."""

from viewer.media.stats import StreamStats


def test_fps_and_bitrate_over_the_window():
    stats = StreamStats(window=2.0)
    for i in range(50):
        t = 100 + i * 0.04
        stats.packet(5000, now=t)
        stats.frame(640, 360, now=t)
    snapshot = stats.snapshot(now=102.0)
    assert snapshot.fps == 25.0
    assert snapshot.bitrate == 50 * 5000 * 8 / 2.0
    assert (snapshot.width, snapshot.height) == (640, 360)
    assert snapshot.frames_decoded == 50


def test_old_samples_fall_out_of_the_window():
    stats = StreamStats(window=2.0)
    stats.frame(640, 360, now=10.0)
    stats.packet(100, now=10.0)
    snapshot = stats.snapshot(now=13.0)
    assert snapshot.fps == 0
    assert snapshot.bitrate == 0
    assert snapshot.frames_decoded == 1
