"""Digital zoom's rules as operators rely on them: the point under the pointer stays put
while the wheel turns, the picture never slides past its edges, and 1x is the whole."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.ui.zoom_view import MAX_FACTOR, ZoomView, relative_crop

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
factors = st.floats(min_value=1.0, max_value=MAX_FACTOR, allow_nan=False)
moves = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@st.composite
def views(draw):
    return ZoomView(draw(factors), draw(unit), draw(unit)).clamped()


def inside(view: ZoomView) -> bool:
    limit = 1 - 1 / view.factor + 1e-9
    return 1.0 <= view.factor <= MAX_FACTOR and 0 <= view.left <= limit and 0 <= view.top <= limit


@given(views(), unit, unit, factors)
def test_zooming_keeps_the_point_under_the_pointer_where_it_is(view, x, y, factor):
    after = view.zoomed_about(x, y, factor)
    assert after.factor == pytest.approx(factor)
    assert inside(after)
    before_point = view.source_point(x, y)
    after_point = after.source_point(x, y)
    # Only the clamp at the picture's edge may move it, and only towards the edge.
    unclamped = ZoomView(factor, before_point[0] - x / factor, before_point[1] - y / factor)
    if unclamped == unclamped.clamped():
        assert after_point == pytest.approx(before_point, abs=1e-9)


@given(views(), unit, unit, st.floats(-40, 40, allow_nan=False))
def test_no_wheel_turn_leaves_the_range_or_the_picture(view, x, y, notches):
    assert inside(view.notched(x, y, notches))


@given(views(), moves, moves)
def test_a_drag_pans_with_the_pointer_and_stops_at_the_edges(view, dx, dy):
    after = view.panned(dx, dy)
    assert inside(after)
    assert after.factor == view.factor
    # The picture follows the pointer: dragged right, the view moves left (or stays).
    assert (after.left - view.left) * dx <= 1e-12
    assert (after.top - view.top) * dy <= 1e-12


def test_at_1x_the_whole_picture_shows_and_no_crop_is_asked_for():
    assert ZoomView().crop is None
    assert ZoomView().panned(0.3, 0.3) == ZoomView()
    assert ZoomView(4.0, 0.5, 0.5).zoomed_about(0.5, 0.5, 0.5).crop is None


def test_full_zoom_into_the_bottom_right_corner_shows_its_last_eighth():
    view = ZoomView().zoomed_about(1.0, 1.0, 100.0)
    assert view.crop == pytest.approx((0.875, 0.875, 0.125, 0.125))


@given(views(), views())
def test_a_view_is_found_again_inside_a_picture_cut_for_another(shown, wanted):
    rx, ry, rw, rh = relative_crop(shown.crop, wanted.crop)
    sx, sy, sw, sh = shown.crop or (0, 0, 1, 1)
    assert (sx + rx * sw, sy + ry * sh, rw * sw, rh * sh) == pytest.approx(
        wanted.crop or (0, 0, 1, 1)
    )
