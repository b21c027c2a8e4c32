"""A tile plays the smallest stream that covers it."""

from hypothesis import assume, given
from hypothesis import strategies as st

from viewer.core.models import Quality, StreamInfo
from viewer.core.streams import StreamDescription, choose_stream, fit_inside

MAIN = StreamInfo(Quality.MAIN, 1920, 1080)
SUB = StreamInfo(Quality.SUB, 640, 360)


def test_a_small_tile_plays_the_sub_stream():
    assert choose_stream([MAIN, SUB], 480, 270) is SUB


def test_a_tile_bigger_than_the_sub_stream_plays_the_main_stream():
    assert choose_stream([MAIN, SUB], 960, 540) is MAIN


def test_letterbox_bars_need_no_pixels_from_the_camera():
    # A 600x400 tile shows a 16:9 picture at 600x338: the sub-stream fills it unenlarged.
    assert choose_stream([MAIN, SUB], 600, 400) is SUB
    assert choose_stream([MAIN, SUB], 700, 300) is SUB
    assert choose_stream([MAIN, SUB], 700, 380) is MAIN


def test_a_tile_bigger_than_every_stream_plays_the_largest():
    assert choose_stream([SUB, MAIN], 3840, 2160) is MAIN


def test_unknown_sizes_are_assumed_typical_until_seen():
    assert (
        choose_stream([StreamInfo(Quality.MAIN), StreamInfo(Quality.SUB)], 400, 225).quality
        is Quality.SUB
    )


def test_a_camera_with_one_stream_always_plays_it():
    assert choose_stream([MAIN], 100, 100) is MAIN


sizes = st.tuples(st.integers(16, 8000), st.integers(16, 8000))


@given(st.lists(sizes, min_size=1, max_size=4), sizes)
def test_the_choice_is_the_smallest_stream_not_enlarged_else_the_largest(stream_sizes, box):
    streams = [StreamInfo(Quality.MAIN, w, h) for w, h in stream_sizes]
    chosen = choose_stream(streams, *box)

    def enlarged(stream):
        scale = min(box[0] / stream.width, box[1] / stream.height)
        return scale > 1

    def area(stream):
        return stream.width * stream.height

    sharp = [s for s in streams if not enlarged(s)]
    if sharp:
        assert not enlarged(chosen)
        assert area(chosen) == min(area(s) for s in sharp)
    else:
        assert area(chosen) == max(area(s) for s in streams)


@given(st.integers(1, 8000), st.integers(1, 8000), st.integers(1, 8000), st.integers(1, 8000))
def test_fit_inside_keeps_the_shape_and_fills_one_side(w, h, bw, bh):
    scale = min(bw / w, bh / h)
    assume(w * scale >= 1 and h * scale >= 1)
    fw, fh = fit_inside(w, h, bw, bh)
    assert fw <= bw and fh <= bh
    assert fw == bw or fh == bh
    # Rounding each side to whole pixels moves the shape by at most half a pixel per side.
    assert abs(fw * h - fh * w) <= (w + h) / 2


def test_a_description_never_shows_its_password():
    description = StreamDescription("rtsp://u:topsecret@198.51.100.2/s")
    assert "topsecret" not in repr(description)
    assert "topsecret" not in description.display_url
