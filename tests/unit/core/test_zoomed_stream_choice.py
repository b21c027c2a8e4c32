"""A digitally zoomed tile needs the pixels of a tile as many times larger: a 480x270
tile zoomed 3x plays the main stream, which the same tile unzoomed does not need."""

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.models import Quality, StreamInfo
from viewer.core.streams import choose_stream

STREAMS = [
    StreamInfo(quality=Quality.MAIN, width=1920, height=1080),
    StreamInfo(quality=Quality.SUB, width=640, height=360),
]


def test_a_small_tile_zoomed_in_plays_the_main_stream():
    assert choose_stream(STREAMS, 480, 270).quality is Quality.SUB
    assert choose_stream(STREAMS, 480, 270, zoom=3.0).quality is Quality.MAIN


def test_a_slight_zoom_keeps_the_sub_stream_while_it_still_has_the_pixels():
    assert choose_stream(STREAMS, 480, 270, zoom=1.3).quality is Quality.SUB


@given(st.integers(1, 4000), st.integers(1, 4000), st.floats(1.0, 8.0))
def test_zoom_is_the_tile_that_many_times_larger(width, height, zoom):
    larger = choose_stream(STREAMS, round(width * zoom), round(height * zoom))
    assert choose_stream(STREAMS, width, height, zoom=zoom) == larger
