"""Go's yaml.v2 (Juju's fork) reading scalars into typed fields: the probe's table, row for row.

docs/juju-facts.md#bundle-yaml: a Go program built against github.com/juju/yaml (branch v2, 12a32b7)
printed what each scalar becomes in a string, an int and a map key; these tests hold
sources/goyaml.py to that output.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.sources import goyaml
from anbox_cloud_ports.sources.goyaml import INT, STRING, GoTypeError, decode_scalar, resolve
from anbox_cloud_ports.sources.yamlload import load, scalar_text


def first_list(text: str) -> list[object]:
    [doc] = load(text, "t.yaml").documents
    assert isinstance(doc, list)
    return doc


def as_strings(text: str) -> list[object]:
    items = first_list(text)
    return [goyaml.item(items, i, STRING, f"[{i}]") for i in range(len(items))]


def test_plain_scalars_into_a_string_keep_their_text():
    """Probe: `[010, 0x1, 1.0, true, ~, 0o7, 1_0]` into []string."""
    assert as_strings("[010, 0x1, 1.0, true, ~, 0o7, 1_0]") == ["010", "0x1", "1.0", "true", "", "0o7", "1_0"]


def test_map_keys_are_their_text():
    """Probe: `{0x1: {}, 010: {}, 1: {}, 1.0: {}, ~: {}}` into map[string]*MachineSpec."""
    [doc] = load("{0x1: {}, 010: {}, 1: {}, 1.0: {}, ~: {}}", "t.yaml").documents
    assert isinstance(doc, dict)
    assert [goyaml.go_key(doc, key) for key in doc] == ["0x1", "010", "1", "1.0", ""]


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("2", 2),
        ("2.0", 2),
        ("2.5", 2),
        ("-1.5", -1),
        ("0x2", 2),
        ("010", 8),
        ("~", 0),
        ("1_0", 10),
        ("+3", 3),
    ],
)
def test_scalars_into_an_int(scalar: str, value: int):
    """Probe: num_units as an int; a float is truncated toward zero with no error."""
    [doc] = load(f"num_units: {scalar}\n", "t.yaml").documents
    assert goyaml.field(doc, "num_units", INT, "num_units") == value


@pytest.mark.parametrize(
    ("scalar", "error"),
    [
        ('"2"', "cannot unmarshal !!str `2` into int"),
        ("true", "cannot unmarshal !!bool `true` into int"),
        ("yes", "cannot unmarshal !!bool `yes` into int"),
        ("y", "cannot unmarshal !!bool `y` into int"),  # a boolean to yaml.v2, a string to PyYAML
        ("1e3", "cannot unmarshal !!str `1e3` into int"),  # the fork wants a signed exponent
        ("2.0e0", "cannot unmarshal !!str `2.0e0` into int"),
        ("three", "cannot unmarshal !!str `three` into int"),
        (".nan", "cannot unmarshal !!float `.nan` into int"),
        ("[2]", "cannot unmarshal !!seq into int"),
        ("2001-01-01", "cannot unmarshal !!timestamp `2001-01-01` into int"),
    ],
)
def test_what_cannot_go_into_an_int(scalar: str, error: str):
    [doc] = load(f"num_units: {scalar}\n", "t.yaml").documents
    with pytest.raises(GoTypeError) as info:
        goyaml.field(doc, "num_units", INT, "num_units")
    assert info.value.message == error
    assert info.value.line == 1


def test_a_signed_exponent_is_a_float_to_the_fork():
    [doc] = load("a: 1e+3\nb: -.5\n", "t.yaml").documents
    assert goyaml.field(doc, "a", INT, "a") == 1000
    assert scalar_text(doc, "b") == "-.5"
    assert resolve("-.5") == ("!!float", -0.5)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("y", "!!bool"),
        ("Off", "!!bool"),
        ("", "!!null"),
        ("NULL", "!!null"),
        ("0b101", "!!int"),
        ("-0x10", "!!int"),
        ("0o17", "!!int"),
        ("08", "!!str"),  # not octal, not a float of the fork's pattern
        ("18446744073709551615", "!!int"),  # a uint64
        ("18446744073709551616", "!!float"),  # past uint64: the float pattern takes it
        (".5", "!!float"),
        ("+.inf", "!!float"),
        ("1:30", "!!str"),  # sexagesimal is a PyYAML int, not a yaml.v2 one
        ("2001-12-14", "!!timestamp"),
        ("nats", "!!str"),
    ],
)
def test_resolve_follows_the_fork(text: str, tag: str):
    assert resolve(text)[0] == tag


def test_json_numbers_are_read_from_their_text():
    """A JSON bundle is YAML to Juju: `1e3` is a string there too, `2.0` is 2."""
    [doc] = load('{"a": 2.0, "b": 1e3}', "t.json").documents
    assert goyaml.field(doc, "a", INT, "a") == 2
    with pytest.raises(GoTypeError, match="cannot unmarshal !!str `1e3` into int"):
        goyaml.field(doc, "b", INT, "b")


@given(st.text(max_size=30))
def test_decoding_any_text_gives_a_value_or_a_go_type_error(text: str):
    for want in (goyaml.STRING, goyaml.INT, goyaml.BOOL, goyaml.INTERFACE):
        try:
            decode_scalar(text, text, want, "x", None)
        except GoTypeError:
            assert want in (goyaml.INT, goyaml.BOOL)
