"""RTP packetisation of H.264 (RFC 6184): what goes in comes back out."""

import struct

from hypothesis import given
from hypothesis import strategies as st

from viewer.demo.rtp_h264 import FU_A, MAX_PAYLOAD, interleave, packetize, sender_report


def depacketize(packets: list[bytes]) -> list[bytes]:
    """A receiver's reassembly, written from the RFC, independent of the sender's code."""
    units: list[bytes] = []
    fragment = bytearray()
    for packet in packets:
        payload = packet[12:]
        if payload[0] & 0x1F == FU_A:
            if payload[1] & 0x80:
                fragment = bytearray([(payload[0] & 0xE0) | (payload[1] & 0x1F)])
            fragment += payload[2:]
            if payload[1] & 0x40:
                units.append(bytes(fragment))
        else:
            units.append(payload)
    return units


nal_units = st.lists(
    st.builds(
        lambda header, body: bytes([header]) + body,
        st.sampled_from([0x67, 0x68, 0x65, 0x41, 0x06, 0x01]),
        st.binary(min_size=0, max_size=5000),
    ),
    min_size=1,
    max_size=6,
)


@given(nal_units, st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF))
def test_nal_units_survive_packetisation(units, sequence, timestamp):
    packets = packetize(units, sequence, timestamp, ssrc=0x1234)
    assert depacketize(packets) == units
    for i, packet in enumerate(packets):
        version, marker_type, seq, ts, ssrc = struct.unpack("!BBHII", packet[:12])
        assert version == 0x80
        assert marker_type & 0x7F == 96
        assert seq == (sequence + i) & 0xFFFF
        assert ts == timestamp
        assert ssrc == 0x1234
        assert len(packet) - 12 <= MAX_PAYLOAD
        # Only the last packet of the access unit carries the marker.
        assert bool(marker_type & 0x80) == (i == len(packets) - 1)


def test_a_large_nal_unit_is_split_into_fu_a_fragments():
    unit = bytes([0x65]) + bytes(range(256)) * 20
    packets = packetize([unit], 0, 0, 1)
    assert len(packets) > 1
    first, last = packets[0][12:], packets[-1][12:]
    assert first[0] == (0x65 & 0xE0) | FU_A
    assert first[1] == 0x80 | 5
    assert last[1] == 0x40 | 5


def test_interleaved_framing():
    assert interleave(3, b"abc") == b"$\x03\x00\x03abc"


def test_sender_report_maps_rtp_time_to_ntp_time():
    report = sender_report(ssrc=7, rtp_timestamp=90_000, packets=10, octets=1000, wallclock=1.5)
    header, length, ssrc, ntp_seconds, ntp_fraction, rtp, packets, octets = struct.unpack(
        "!HHIIIIII", report
    )
    assert header == 0x80C8
    assert length == 6
    assert (ssrc, rtp, packets, octets) == (7, 90_000, 10, 1000)
    assert ntp_seconds == 2_208_988_801
    assert ntp_fraction == 2**31
