"""Provider to requirer: what ServicePorts opens is what it publishes is what the validator reads."""

from __future__ import annotations

import ops
import pytest
from ops import testing

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.charm import ServicePorts
from anbox_cloud_ports.charm.testing import expected_claims, fake_hook_tools
from anbox_cloud_ports.sources.relation import deployment_from_units
from tests.example_charm.src.charm import PortsExampleCharm

SERVICES = [
    *((s, "charmed") for s in Catalog.builtin().charms()),
    ("coturn", "appliance"),
    ("ams", "appliance"),
]


@pytest.mark.parametrize(("service", "profile"), SERVICES)
def test_published_claims_are_the_opened_claims(service: str, profile: str) -> None:
    ctx = testing.Context(PortsExampleCharm, app_name="svc", unit_id=2)
    ports = testing.Relation("ports", remote_app_name="anbox-cloud-ports")
    state = testing.State(relations=[ports], config={"service": service, "profile": profile})
    env = {"JUJU_MACHINE_ID": "4", "JUJU_MODEL_UUID": "5d0c52b4-8f8b-4d3a-9a3e-1f6c7b2d9e01"}
    with pytest.MonkeyPatch.context() as mp, fake_hook_tools() as tools:
        for key, value in env.items():
            mp.setenv(key, value)
        out = ctx.run(ctx.on.install(), state)
        out = ctx.run(ctx.on.update_status(), out)
    databag = out.get_relation(ports.id).local_unit_data
    deployment = deployment_from_units([("svc/2", "svc", databag)], input="relation ports", profile=profile)  # type: ignore[arg-type]
    assert deployment.problems == ()
    assert {(c.port, c.endpoint) for c in deployment.claims} == set(tools.machine.opened("svc/2"))
    assert [u.host.machine for u in deployment.units] == ["4"]


def test_published_data_is_stable_between_hooks() -> None:
    ctx = testing.Context(PortsExampleCharm, app_name="svc")
    ports = testing.Relation("ports", remote_app_name="anbox-cloud-ports")
    state = testing.State(relations=[ports], config={"service": "coturn"})
    with fake_hook_tools():
        first = ctx.run(ctx.on.install(), state)
        second = ctx.run(ctx.on.update_status(), first)
    assert first.get_relation(ports.id).local_unit_data == second.get_relation(ports.id).local_unit_data


class _OneLineCharm(ops.CharmBase):
    """ServicePorts and nothing else: no observers, it reconciles and publishes on any hook."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = ServicePorts(self, "coturn", relation_name="ports")


ONE_LINE_META = {
    "name": "coturn",
    "extra-bindings": {"public": None, "internal": None},
    "provides": {"ports": {"interface": "anbox_ports"}},
}


@pytest.mark.parametrize("event", ["install", "update_status", "leader_elected"])
def test_one_line_alone_opens_and_publishes_on_any_hook(event: str) -> None:
    ctx = testing.Context(_OneLineCharm, meta=ONE_LINE_META)
    ports = testing.Relation("ports")
    with fake_hook_tools() as tools:
        out = ctx.run(getattr(ctx.on, event)(), testing.State(relations=[ports]))
    assert tools.opened == expected_claims("coturn")
    assert out.get_relation(ports.id).local_unit_data["service"] == '"coturn"'
