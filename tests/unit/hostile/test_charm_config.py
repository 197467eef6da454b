"""Both charms' config against hostile values: no hook raises, the option is named, nothing raw is shown.

Config comes from `juju config`, typed by an operator or a script: any string an option's type admits.
The validator's options (juju, profile) and the ServicePorts options of the example charm (the
service, its profile and every port option) are set to hostile values; every hook and action must
still run to the end, the unit's status must name what is wrong without a raw control character, and
an invalid port option must not open or close anything.
"""

from __future__ import annotations

import pytest
from ops import testing

from anbox_cloud_ports.charm.testing import fake_hook_tools
from charm import AnboxCloudPortsCharm
from tests.example_charm.src.charm import PortsExampleCharm
from tests.hostile_text import HOSTILE, raw_controls
from tests.unit.test_validator_charm import reference_relations

TEXT_VALUES = [*HOSTILE[:22], "5", "3 ", "", "charmed\n", "9" * 10_000]


@pytest.mark.parametrize("option", ["juju", "profile"])
@pytest.mark.parametrize("value", TEXT_VALUES, ids=range(len(TEXT_VALUES)))
def test_the_validator_blocks_naming_the_option_and_shows_nothing_raw(option: str, value: str) -> None:
    ctx = testing.Context(AnboxCloudPortsCharm)
    state = testing.State(relations=reference_relations(), config={option: value})
    status = ctx.run(ctx.on.update_status(), state).unit_status
    assert isinstance(status, testing.BlockedStatus)
    assert option in status.message
    assert "\n" not in status.message
    assert raw_controls(status.message) == []
    # The action fails (event.fail) with the same one line: it does not raise out of the charm.
    with pytest.raises(testing.ActionFailed) as failed:
        ctx.run(ctx.on.action("check"), state)
    assert failed.value.message == status.message
    assert raw_controls(failed.value.message) == []


def _example(**config: str | int) -> testing.State:
    return testing.State(config={"service": "ams", "profile": "charmed", **config})


PORT_VALUES: list[int] = [0, -1, 65536, 2**31, 2**63 - 1, -(2**63)]
RANGE_VALUES = [*HOSTILE[:22], "10000-11000\n", "10000-11000 --endpoints x", "११०००-१२०००", "1-65535" * 1000]


@pytest.mark.parametrize("value", PORT_VALUES)
def test_service_ports_refuses_a_port_option_out_of_range(value: int) -> None:
    ctx = testing.Context(PortsExampleCharm)
    with fake_hook_tools() as tools:
        status = ctx.run(ctx.on.config_changed(), _example(port=value)).unit_status
    assert isinstance(status, testing.BlockedStatus)
    assert status.message.startswith(f"Invalid config: port={value}: ")
    assert tools.calls == []


@pytest.mark.parametrize("value", RANGE_VALUES, ids=range(len(RANGE_VALUES)))
def test_service_ports_refuses_a_hostile_range_option_in_one_printable_line(value: str) -> None:
    ctx = testing.Context(PortsExampleCharm)
    state = testing.State(
        config={"service": "ams-lxd", "profile": "charmed", "exposed_instance_ports": value}
    )
    with fake_hook_tools() as tools:
        status = ctx.run(ctx.on.config_changed(), state).unit_status
    assert isinstance(status, testing.BlockedStatus)
    assert status.message.startswith("Invalid config: exposed_instance_ports=")
    assert raw_controls(status.message, "") == []
    assert len(status.message) < 300
    assert tools.calls == []


@pytest.mark.parametrize("option", ["service", "profile"])
@pytest.mark.parametrize("value", HOSTILE[:22], ids=range(22))
def test_service_ports_blocks_on_a_hostile_service_or_profile(option: str, value: str) -> None:
    ctx = testing.Context(PortsExampleCharm)
    with fake_hook_tools() as tools:
        out = ctx.run(ctx.on.config_changed(), _example(**{option: value}))
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert raw_controls(out.unit_status.message, "") == []
    assert tools.calls == []


def test_a_related_provider_publishes_nothing_hostile() -> None:
    """The example charm's own databag, after a hostile config, holds only what its requirer accepts."""
    ctx = testing.Context(PortsExampleCharm)
    ports = testing.Relation("ports", remote_app_name="anbox-cloud-ports")
    with fake_hook_tools():
        out = ctx.run(
            ctx.on.config_changed(), testing.State(relations=[ports], config={"service": "\x1b[31m"})
        )
    published = out.get_relation(ports.id).local_unit_data
    assert all(raw_controls(value, "") == [] for value in published.values())
    assert isinstance(out.unit_status, testing.BlockedStatus)
