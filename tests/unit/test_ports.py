"""PortRange: Juju's syntax, validation, overlap; properties checked against brute force."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.errors import AnboxPortsError, PortRangeError
from anbox_cloud_ports.ports import (
    ICMP,
    PROTOCOLS,
    PortRange,
    merge,
    parse_port_option,
    parse_ports_cell,
    parse_protocols,
    parse_range_option,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8444/tcp", "8444/tcp"),
        ("80", "80/tcp"),
        ("10000-11000/udp", "10000-11000/udp"),
        ("10000-11000/UDP", "10000-11000/udp"),
        ("443/TCP", "443/tcp"),
        ("icmp", "icmp"),
        ("ICMP", "icmp"),
        ("5349-5349/udp", "5349/udp"),
        ("1-65535/tcp", "1-65535/tcp"),
    ],
)
def test_parse_prints_juju_syntax(text: str, expected: str):
    assert str(PortRange.parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2000-1000/udp", 'invalid port range "2000-1000/udp": start is greater than end'),
        ("70000", 'invalid port range "70000": port 70000 is out of range 1-65535'),
        ("0/tcp", 'invalid port range "0/tcp": port 0 is out of range 1-65535'),
        ("80/sctp", 'invalid port range "80/sctp": unknown protocol "sctp"'),
        ("80/icmp", 'invalid port range "80/icmp": icmp takes no port'),
        ("", 'invalid port range "": expected'),
        (" 80", 'invalid port range " 80": expected'),
        ("80/tcp; rm -rf /", 'invalid port range "80/tcp; rm -rf /": expected'),
        ("--endpoints x 80", 'invalid port range "--endpoints x 80": expected'),
        ("-80", 'invalid port range "-80": expected'),
        ("10000 - 11000", 'invalid port range "10000 - 11000": expected'),
    ],
)
def test_rejections_quote_the_input(text: str, message: str):
    with pytest.raises(PortRangeError) as err:
        PortRange.parse(text)
    assert str(err.value).startswith(message)


def test_non_string_and_huge_inputs_are_refused_cheaply():
    with pytest.raises(PortRangeError, match="expected a string"):
        PortRange.parse(80)
    with pytest.raises(PortRangeError, match="too long"):
        PortRange.parse("1" * 1_000_000)


def test_constructor_validates_too():
    with pytest.raises(PortRangeError, match="start is greater than end"):
        PortRange("udp", 2000, 1000)
    with pytest.raises(PortRangeError, match="icmp takes no port"):
        PortRange("icmp", 1, 1)


def test_table_and_option_forms():
    assert parse_protocols("UDP & TCP") == ("udp", "tcp")
    assert [str(p) for p in parse_ports_cell("10000-11000", "UDP & TCP")] == [
        "10000-11000/udp",
        "10000-11000/tcp",
    ]
    assert str(parse_port_option(8444)) == "8444/tcp"
    assert str(parse_port_option("4222")) == "4222/tcp"
    assert str(parse_range_option("10000-11000", "udp")) == "10000-11000/udp"
    for bad in (70000, "abc", True, None, "10000-11000", 1.5):
        with pytest.raises(PortRangeError):
            parse_port_option(bad)
    for bad in ("10000 - 110000", "10000-110000", "5-1", "80/tcp", ""):
        with pytest.raises(PortRangeError):
            parse_range_option(bad)
    with pytest.raises(PortRangeError, match="listed twice"):
        parse_protocols("TCP & TCP")


def test_merge_coalesces_touching_ranges_per_protocol():
    ranges = [PortRange.parse(t) for t in ("10-20/tcp", "21-30/tcp", "25/tcp", "10/udp", "icmp", "icmp")]
    assert [str(r) for r in merge(ranges)] == ["icmp", "10-30/tcp", "10/udp"]


# -- properties -----------------------------------------------------------------------------------

ports = st.integers(1, 65535)


@st.composite
def port_ranges(draw: st.DrawFn) -> PortRange:
    protocol = draw(st.sampled_from(PROTOCOLS))
    if protocol == "icmp":
        return ICMP
    a, b = sorted((draw(ports), draw(ports)))
    return PortRange(protocol, a, b)


@given(port_ranges())
def test_format_parse_round_trips(r: PortRange):
    assert PortRange.parse(str(r)) == r
    assert str(PortRange.parse(str(r).upper())) == str(r)


@given(port_ranges(), port_ranges())
def test_overlap_is_symmetric_and_matches_brute_force(a: PortRange, b: PortRange):
    assert a.overlaps(b) == b.overlaps(a)
    if a.protocol == "icmp" or b.protocol == "icmp":
        assert a.overlaps(b) == (a.protocol == b.protocol)
        return
    brute = a.protocol == b.protocol and bool(set(a.ports()) & set(b.ports()))
    assert a.overlaps(b) == brute
    if a.contains(b):
        assert set(b.ports()) <= set(a.ports())


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_the_library_error(text: str):
    try:
        r = PortRange.parse(text)
    except AnboxPortsError:
        return
    assert PortRange.parse(str(r)) == r


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12), st.sampled_from(["tcp", "udp", "x"]))
def test_any_numbers_construct_or_raise_the_library_error(a: int, b: int, proto: str):
    try:
        PortRange.parse(f"{a}-{b}/{proto}")
    except AnboxPortsError:
        assert not (1 <= a <= b <= 65535 and proto != "x")


@given(st.lists(port_ranges(), max_size=8))
def test_ordering_is_total(rs: list[PortRange]):
    assert sorted(rs) == sorted(sorted(rs, reverse=True))
