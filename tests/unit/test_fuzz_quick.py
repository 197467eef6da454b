"""A quick fuzz pass in the unit suite: every parser and source, a few dozen inputs each, derandomized.

The long campaign is tests/fuzz/run.py (`tox -e fuzz`); this keeps the same targets honest on every
run. A target may raise only the errors it documents; the hostile documents (YAML bombs, deep nesting,
huge inputs) must be refused quickly with an InputError that says why. Bugs fuzzing found stay below as
regression tests; a bug found and not yet fixed goes in KNOWN_BUGS with a strict xfail here, which
flips to a failure when the fix lands.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from anbox_cloud_ports import databag, ports
from anbox_cloud_ports.errors import InputError, PortRangeError
from anbox_cloud_ports.sources import load_bundle, load_status, yamlload
from tests.fuzz.fuzz_targets import BOMBS, Bomb, Target, exercise, grow_aliased_status, targets

EXAMPLES = 40
BOMB_SECONDS = 5.0


@pytest.mark.parametrize("target", targets(), ids=lambda t: t.name)
def test_only_documented_errors(target: Target):
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(target.strategy())
    def run(value: Any) -> None:
        outcome = exercise(target, value)
        if outcome.unexpected:
            raise AssertionError(f"{target.name} raised {outcome.error!r} for {value!r}") from outcome.error

    run()


@pytest.mark.parametrize("bomb", BOMBS, ids=lambda b: b.name)
def test_hostile_documents_are_refused_quickly(bomb: Bomb):
    text = bomb.text()
    # CPU time, not wall time: other jobs on a CI machine must not fail this
    started = time.process_time()
    with pytest.raises(InputError) as refused:
        bomb.call(text)
    assert time.process_time() - started < BOMB_SECONDS
    assert bomb.says.lower() in str(refused.value).lower()
    assert "\n" not in str(refused.value)


# -- bugs found by fuzzing: fixed, kept as regression tests ---------------------------------------------

BUNDLE_WITH = "applications:\n  ams:\n    charm: ams\n    num_units: 1\n    options: {{port: {value!r}}}\n"


def test_superscript_digit_port_option_is_a_port_range_error():
    """Found by fuzzing: '²'.isdigit() is True but int('²') fails, so a bare ValueError escaped."""
    with pytest.raises(PortRangeError):
        ports.parse_port_option("²")


def test_bundle_option_with_superscript_digit_is_not_a_traceback():
    """Found by fuzzing (a traceback from `anbox-ports check`); the bundle reader now turns it into a finding."""
    deployment = load_bundle(BUNDLE_WITH.format(value="²"), input="bundle.yaml")
    assert [f.rule for f in deployment.problems] == ["invalid-port"]


def test_fullwidth_digits_are_not_a_port():
    """Found by fuzzing: parse_port_option read '８４４４' as 8444, which Juju and PortRange.parse refuse."""
    with pytest.raises(PortRangeError):
        ports.parse_port_option("８４４４")


def test_databag_with_superscript_version_is_a_unit_error():
    """Found by fuzzing: databag._missing_message called int() on a non-ASCII digit version."""
    result = databag.decode_unit("nats/0", {"claims": "[]", "version": "²"}, app="nats")
    assert isinstance(result, databag.UnitDataError)


@pytest.mark.parametrize("text", ["a: !!timestamp x\n", "a: !!int\n", "a: !!float ''\n", "a: !!bool x\n"])
def test_bad_explicitly_tagged_scalar_is_an_input_error(text: str):
    """Found by fuzzing (AttributeError, IndexError, KeyError from PyYAML's constructors); fixed in yamlload."""
    with pytest.raises(InputError):
        yamlload.load(text, "bundle.yaml")


# -- found by fuzzing, not fixed yet ---------------------------------------------------------------------


def test_aliases_do_not_multiply_a_status_documents_units():
    text = grow_aliased_status(100)
    try:
        deployment = load_status(text, input="status.yaml")
    except InputError:
        return  # refusing aliases that multiply the document is a fix too
    # A real unit entry takes dozens of characters; ten per unit is generous.
    assert len(deployment.units) <= len(text) // 10
