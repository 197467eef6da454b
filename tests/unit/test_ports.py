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


# docs/juju-facts.md#port-syntax, "Results for each input": juju core/network/portrange.go
# ParsePortRange then Validate, the table row for row.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8444/tcp", "8444/tcp"),
        ("80", "80/tcp"),
        ("10000-11000/udp", "10000-11000/udp"),
        ("10000-11000/UDP", "10000-11000/udp"),
        ("443/TCP", "443/tcp"),  # Validate lower-cases the protocol; String() prints it lower-case
        ("icmp", "icmp"),
        ("icmp/tcp", "icmp"),  # the protocol is forced to icmp
        ("icmp/icmp", "icmp"),
        ("5349-5349/udp", "5349/udp"),
        ("80-80/tcp", "80/tcp"),
        ("1-65535/tcp", "1-65535/tcp"),
        ("0/tcp", "0/tcp"),  # port 0 is valid for Juju
        ("0", "0/tcp"),
        ("0-65535/udp", "0-65535/udp"),
        ("+80/tcp", "80/tcp"),  # strconv.Atoi takes a sign
        ("080", "80/tcp"),  # and leading zeros
    ],
)
def test_parse_reads_what_juju_reads(text: str, expected: str):
    assert str(PortRange.parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2000-1000/udp", 'invalid port range "2000-1000/udp": invalid port range 2000-1000/udp'),
        (
            "70000",
            'invalid port range "70000": port range bounds must be between 0 and 65535, got 70000-70000',
        ),
        (
            "65536/tcp",
            'invalid port range "65536/tcp": port range bounds must be between 0 and 65535, got 65536-65536',
        ),
        (
            "80/sctp",
            'invalid port range "80/sctp": invalid protocol "sctp", expected "tcp", "udp", or "icmp"',
        ),
        ("80/icmp", 'invalid port range "80/icmp": protocol "icmp" doesn\'t support any ports; got "80"'),
        (
            "ICMP",
            'invalid port range "ICMP": invalid port "ICMP": strconv.Atoi: parsing "ICMP": invalid syntax',
        ),
        ("", 'invalid port range "": invalid port "": strconv.Atoi'),
        (" 80", 'invalid port range " 80": invalid port " 80": strconv.Atoi'),
        ("80/tcp ", 'invalid port range "80/tcp ": invalid protocol "tcp "'),
        ("80/ tcp", 'invalid port range "80/ tcp": invalid protocol " tcp"'),
        ("80/", 'invalid port range "80/": invalid protocol ""'),
        ("1-2-3", 'invalid port range "1-2-3": invalid port range "1-2-3"'),
        ("-1/tcp", 'invalid port range "-1/tcp": invalid port "": strconv.Atoi'),
        ("80/tcp; rm -rf /", 'invalid port range "80/tcp; rm -rf /": invalid protocol'),
        ("--endpoints x 80", 'invalid port range "--endpoints x 80": invalid port range'),
        ("-80", 'invalid port range "-80": invalid port "": strconv.Atoi'),
        ("10000 - 11000", 'invalid port range "10000 - 11000": invalid port "10000 "'),
    ],
)
def test_rejections_quote_the_input_and_jujus_words(text: str, message: str):
    with pytest.raises(PortRangeError) as err:
        PortRange.parse(text)
    assert str(err.value).startswith(message)


def test_open_port_lower_cases_its_argument_first():
    """jujuc ports.go portCommand.Init: `strings.ToLower` before ParsePortRange."""
    assert PortRange.parse_open_port("ICMP") == ICMP
    assert PortRange.parse_open_port("ICMP/UDP") == ICMP
    assert str(PortRange.parse_open_port("80/TCP")) == "80/tcp"
    with pytest.raises(PortRangeError, match="invalid port"):
        PortRange.parse_open_port(" 80/tcp")


def test_port_zero_is_a_range_but_never_an_option():
    zero = PortRange.parse("0/tcp")
    assert zero.has_port_zero
    assert zero != ICMP
    assert not zero.overlaps(ICMP)
    assert not PortRange.parse("1-10/tcp").has_port_zero
    assert not ICMP.has_port_zero
    for option in (0, "0"):
        with pytest.raises(PortRangeError, match="out of range 1-65535"):
            parse_port_option(option)
    for option in ("0-10", "0", "icmp", "+80", "80/tcp"):
        with pytest.raises(PortRangeError):
            parse_range_option(option)


def test_non_string_and_huge_inputs_are_refused_cheaply():
    with pytest.raises(PortRangeError, match="expected a string"):
        PortRange.parse(80)
    with pytest.raises(PortRangeError, match="too long"):
        PortRange.parse("1" * 1_000_000)


def test_constructor_validates_too():
    with pytest.raises(PortRangeError, match="invalid port range 2000-1000/udp"):
        PortRange("udp", 2000, 1000)
    with pytest.raises(PortRangeError, match="doesn't support any ports"):
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

ports = st.integers(0, 65535)


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
    assert str(PortRange.parse_open_port(str(r).upper())) == str(r)


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
        assert not (0 <= a <= b <= 65535 and proto != "x")


@given(st.lists(port_ranges(), max_size=8))
def test_ordering_is_total(rs: list[PortRange]):
    assert sorted(rs) == sorted(sorted(rs, reverse=True))
