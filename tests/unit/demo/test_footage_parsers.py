"""The two parsers of the footage files: an avcC record and length-prefixed NAL units.

They read files the demo made itself, but a cache can hold a file cut short by a crash
or a full disk: that must be a ValueError the caller can handle, never an IndexError or
a silently shortened parameter set.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.footage import parse_avcc_config, split_length_prefixed

NAL_UNIT = st.binary(min_size=1, max_size=40)


def avcc(sps: list[bytes], pps: list[bytes], length_size: int = 4) -> bytes:
    record = bytes([1, 0x64, 0x00, 0x1F, 0xFC | (length_size - 1), 0xE0 | len(sps)])
    record += b"".join(len(unit).to_bytes(2, "big") + unit for unit in sps)
    record += bytes([len(pps)])
    return record + b"".join(len(unit).to_bytes(2, "big") + unit for unit in pps)


def length_prefixed(units: list[bytes], length_size: int) -> bytes:
    return b"".join(len(unit).to_bytes(length_size, "big") + unit for unit in units)


def test_the_first_sps_and_pps_are_the_ones_streamed():
    record = avcc([b"\x67sps-a", b"\x67sps-b"], [b"\x68pps-a", b"\x68pps-b"])
    assert parse_avcc_config(record) == (b"\x67sps-a", b"\x68pps-a")


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (b"", "not an avcC record"),
        (b"\x02" + avcc([b"s"], [b"p"])[1:], "not an avcC record"),
        (avcc([b"s"], [b"p"])[:7], "cut short"),  # half the length of the SPS
        (avcc([b"sps"], [b"p"])[:8], "cut short"),  # SPS shorter than its length
        (avcc([b"s"], [b"p"])[:9], "cut short"),  # no PPS count
        (avcc([b"s"], [b"pps"])[:-1], "cut short"),
        (avcc([], [b"p"]), "without SPS or PPS"),
        (avcc([b"s"], []), "without SPS or PPS"),
    ],
)
def test_a_broken_avcc_record_is_a_value_error(record, problem):
    with pytest.raises(ValueError, match=problem):
        parse_avcc_config(record)


@given(st.lists(NAL_UNIT, min_size=1, max_size=3), st.lists(NAL_UNIT, min_size=1, max_size=3))
def test_any_avcc_record_gives_its_first_sps_and_pps(sps, pps):
    assert parse_avcc_config(avcc(sps, pps)) == (sps[0], pps[0])


@given(
    st.lists(NAL_UNIT, min_size=1, max_size=3),
    st.lists(NAL_UNIT, min_size=1, max_size=3),
    st.data(),
)
def test_every_cut_short_avcc_record_is_a_value_error(sps, pps, data):
    record = avcc(sps, pps)
    cut = data.draw(st.integers(0, len(record) - 1))
    with pytest.raises(ValueError, match=r"not an avcC record|cut short"):
        parse_avcc_config(record[:cut])


@given(st.binary(max_size=64))
def test_any_bytes_give_parameter_sets_or_a_value_error(data):
    try:
        sps, pps = parse_avcc_config(data)
    except ValueError:
        return
    assert sps and pps
    assert sps in data and pps in data


@given(st.lists(st.binary(max_size=300), max_size=6), st.sampled_from([1, 2, 4]))
def test_length_prefixed_units_read_back_as_written(units, length_size):
    units = [unit[: 2 ** (8 * length_size) - 1] for unit in units]
    assert split_length_prefixed(length_prefixed(units, length_size), length_size) == tuple(units)


@given(st.lists(NAL_UNIT, min_size=1, max_size=4), st.sampled_from([1, 2, 4]), st.data())
def test_a_packet_cut_short_is_a_value_error(units, length_size, data):
    packet = length_prefixed(units, length_size)
    cut = data.draw(st.integers(1, len(packet) - 1))
    # A cut that falls exactly between two units leaves a shorter, valid packet.
    boundaries = {sum(length_size + len(u) for u in units[:i]) for i in range(len(units))}
    if cut in boundaries:
        assert len(split_length_prefixed(packet[:cut], length_size)) < len(units)
    else:
        with pytest.raises(ValueError, match="runs past the packet's end"):
            split_length_prefixed(packet[:cut], length_size)


@given(st.binary(max_size=64), st.integers(-2, 6))
def test_any_bytes_split_into_units_or_a_value_error(data, length_size):
    try:
        units = split_length_prefixed(data, length_size)
    except ValueError:
        return
    assert sum(length_size + len(unit) for unit in units) == len(data)
