"""`juju spaces --format=json` and `--space NAME=CIDR,...` (docs/juju-facts.md#spaces)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources import detect, yamlload
from anbox_cloud_ports.sources.spaces import parse_space_option, read, space_options

ANBOX = Path(__file__).parents[1] / "data" / "juju" / "anbox"


def test_reads_each_spaces_subnets():
    listed = read(yamlload.load((ANBOX / "spaces.json").read_text(), "spaces.json"))
    assert dict(listed.spaces) == {
        "alpha": ("10.1.2.0/24",),
        "dmz": ("2001:db8::/64", "203.0.113.0/24"),
        "empty": (),
    }
    assert listed.complete


def test_is_detected_by_content():
    parsed = yamlload.load((ANBOX / "spaces.json").read_text(), "spaces.json")
    assert detect.detect(parsed) is detect.SPACES
    assert detect.detect(yamlload.load("spaces: []\n", "s.yaml")) is detect.SPACES


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"spaces": ["alpha", "beta"]}, "this is `juju spaces --short`, which lists no subnets"),
        ({"spaces": [{"id": "0", "name": "Alpha", "subnets": {}}]}, 'not a Juju space name: "Alpha"'),
        (
            {"spaces": [{"id": "0", "name": "alpha", "subnets": {"10.0.0.0/33": {}}}]},
            'not a CIDR: "10.0.0.0/33"',
        ),
        ({"spaces": {"alpha": {}}}, "expected a list of spaces"),
        (
            {"spaces": [{"id": "0", "name": "a", "subnets": {}}, {"id": "1", "name": "a", "subnets": {}}]},
            "space a is listed twice",
        ),
    ],
)
def test_malformed_lists_are_one_line_errors(document: object, problem: str):
    with pytest.raises(InputError) as caught:
        read(yamlload.load(json.dumps(document), "spaces.json"))
    assert problem in str(caught.value)


def test_space_options():
    assert parse_space_option("internal=10.0.0.0/8, 192.168.0.0/16") == (
        "internal",
        ("10.0.0.0/8", "192.168.0.0/16"),
    )
    assert parse_space_option("empty=") == ("empty", ())
    given = space_options(["a=10.0.0.0/8", "a=fd00::/8", "b=203.0.113.0/24"])
    assert given is not None
    assert (dict(given.spaces), given.complete) == (
        {"a": ("10.0.0.0/8", "fd00::/8"), "b": ("203.0.113.0/24",)},
        False,
    )
    assert space_options([]) is None


@pytest.mark.parametrize("text", ["internal", "Internal=10.0.0.0/8", "a=10.0.0.0/8,bogus", "=10.0.0.0/8"])
def test_bad_space_options_are_refused(text: str):
    with pytest.raises(InputError) as caught:
        parse_space_option(text)
    assert str(caught.value).startswith("--space: ")
