"""fix for a running model (`juju status`): juju commands, in order, proved on the model."""

from __future__ import annotations

import json
from pathlib import Path

from anbox_cloud_ports.fix import fix_commands, fix_input

DATA = Path(__file__).parents[1] / "data"

STATUS = {
    "model": {"name": "anbox", "type": "iaas", "controller": "lab", "cloud": "maas", "version": "3.6.8"},
    "machines": {"0": {}, "1": {}},
    "applications": {
        "anbox-stream-agent": {
            "charm": "anbox-stream-agent",
            "exposed": False,
            "units": {"anbox-stream-agent/0": {"machine": "0", "open-ports": ["443/tcp"]}},
        },
        "gateway-lb": {
            "charm": "haproxy",
            "exposed": True,
            "units": {"gateway-lb/3": {"machine": "0", "open-ports": ["80/tcp", "443/tcp"]}},
        },
        "ams": {
            "charm": "ams",
            "exposed": True,
            "units": {"ams/0": {"machine": "1", "open-ports": ["8444/tcp"]}},
        },
    },
}


def test_status_gets_add_then_remove_and_no_guess_about_exposure():
    # `juju status` never prints the expose rules (docs/juju-facts.md#status-formats): ams's exposure is
    # a warning naming the command that tells, not an error, so the fix leaves it alone.
    result = fix_input(json.dumps(STATUS), input="status.json")
    assert result.ok, result.text
    commands = [line for line in result.text.splitlines() if line.startswith("juju ")]
    assert commands == [
        "juju add-unit gateway-lb --to lxd:0",
        "juju remove-unit gateway-lb/3",
    ]
    assert "# Proof: with these changes made to the model it shows, it has 0 errors (it had 1)" in result.text
    assert "juju unexpose" not in result.text


def test_move_to_machine():
    result = fix_input(json.dumps(STATUS), input="status.json", into="machine")
    assert "juju add-unit gateway-lb\n" in result.text


def test_what_no_command_cures_is_remaining():
    data = (DATA / "status" / "anbox-status.yaml").read_bytes()
    result = fix_input(data, input="anbox-status.yaml")
    assert not result.ok
    rules = sorted(u.finding.rule for u in result.unresolved)
    assert rules == ["invalid-port", "port-conflict"]
    # LXD's exposure names a space whose subnets the dump does not list: a warning, not an error the
    # commands would have to cure (docs/juju-facts.md#expose).
    assert "juju unexpose lxd" not in result.text


def test_a_model_given_is_named_in_every_command():
    from anbox_cloud_ports.sources import load_status

    deployment = load_status(json.dumps(STATUS), input="juju status -m lab:anbox")
    result = fix_commands(deployment, model="lab:anbox")
    assert result.ok
    assert [line for line in result.text.splitlines() if line.startswith("juju ")] == [
        "juju add-unit -m lab:anbox gateway-lb --to lxd:0",
        "juju remove-unit -m lab:anbox gateway-lb/3",
    ]
    assert result.text.splitlines()[1] == "# each names its model with -m."
