"""A gamepad's sticks and buttons as PTZ deflections and presses (core/gamepad.py)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from viewer.core.gamepad import AXIS_MAX, DEAD_ZONE, PadReading, intent, stick

axis = st.integers(min_value=-32768, max_value=32767)
trigger = st.integers(min_value=0, max_value=32767)
buttons = st.frozensets(
    st.sampled_from(
        ["a", "b", "x", "y", "start", "dpad_up", "dpad_down", "dpad_left", "dpad_right"]
    )
)
readings = st.builds(
    PadReading,
    st.fixed_dictionaries(
        {
            "leftx": axis,
            "lefty": axis,
            "righty": axis,
            "triggerleft": trigger,
            "triggerright": trigger,
        }
    ),
    buttons,
)


@given(readings, st.none() | readings)
def test_every_reading_is_a_deflection_within_the_range_in_steps(reading, before):
    wish = intent(reading, before)
    for value in (wish.pan, wish.tilt, wish.zoom):
        assert -1.0 <= value <= 1.0
        assert math.isclose(value * 20, round(value * 20), abs_tol=1e-9)
    assert wish.preset in (None, 1, 2, 3, 4)


@given(st.floats(-1, 1), st.floats(-1, 1))
def test_a_stick_inside_the_dead_zone_is_still_and_outside_keeps_its_direction(x, y):
    pan, tilt = stick(x, y)
    if math.hypot(x, y) <= DEAD_ZONE:
        assert (pan, tilt) == (0.0, 0.0)
    else:
        assert pan * x >= 0 and tilt * -y >= 0  # right stays right, up (y < 0) is up
        assert math.hypot(pan, tilt) <= 1.0 + 0.05


def test_the_left_stick_pushed_right_and_up_pans_right_and_tilts_up_at_full_speed():
    assert intent(PadReading({"leftx": AXIS_MAX})).pan == 1.0
    assert intent(PadReading({"lefty": -32768})).tilt == 1.0
    assert intent(PadReading({"leftx": 2000, "lefty": -3000})).idle  # a worn stick at rest


def test_triggers_zoom_in_and_out_else_the_right_stick_and_the_dpad_steers_gently():
    assert intent(PadReading({"triggerright": AXIS_MAX})).zoom == 1.0
    assert intent(PadReading({"triggerleft": AXIS_MAX})).zoom == -1.0
    assert intent(PadReading({"righty": -32768})).zoom == 1.0
    dpad = intent(PadReading({}, frozenset({"dpad_left"})))
    assert (dpad.pan, dpad.tilt) == (-0.4, 0.0)


@given(st.sampled_from([("a", 1), ("b", 2), ("x", 3), ("y", 4)]))
def test_a_face_button_goes_to_its_preset_once_per_press(button):
    name, number = button
    held = PadReading({}, frozenset({name}))
    assert intent(held, PadReading()).preset == number
    assert intent(held, held).preset is None  # still held: not again
    assert intent(PadReading({}, frozenset({"start"})), PadReading()).home
