"""external-port-unexposed: required external ports that clients cannot reach."""

from __future__ import annotations

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import (
    Deployment,
)
from tests.unit.checks.builders import (
    P,
    everyone,
    layout,
)


def test_coturn_not_exposed_warns():
    report = check(layout({"coturn/0": "1"}))
    [finding] = report.findings
    assert finding.rule == "external-port-unexposed"
    assert finding.severity == "warning"
    assert finding.ports == (P("5349/tcp"), P("5349/udp"))
    assert finding.units == ("coturn/0",)
    assert "coturn is not exposed" in finding.message
    assert finding.fix is not None
    assert "juju expose coturn" in finding.fix


def test_coturn_exposed_on_another_endpoint_warns_but_wildcard_opened_ports_are_reached():
    on_turn = {"coturn": {"5349/tcp": "turn", "5349/udp": "turn"}}
    elsewhere = layout({"coturn/0": "1"}, exposed={"coturn": {"metrics": everyone()}}, endpoints=on_turn)
    [finding] = check(elsewhere).findings
    assert finding.rule == "external-port-unexposed"
    assert "exposes only metrics" in finding.message
    assert finding.fix == "Run `juju expose coturn --endpoints turn`."
    # Opened for all endpoints: any endpoint rule reaches them (fact 7).
    assert check(layout({"coturn/0": "1"}, exposed={"coturn": {"metrics": everyone()}})).findings == ()


def test_exposure_rules_stay_silent_when_the_source_cannot_see_expose():
    deployment = layout({"coturn/0": "1", "lxd/0": "3"}, exposed={"lxd": {"": everyone()}})
    assert {f.rule for f in check(deployment).findings} == {
        "external-port-unexposed",
        "internal-port-exposed",
    }
    blind = Deployment(
        deployment.input, deployment.applications, deployment.units, deployment.claims, exposure_known=False
    )
    assert check(blind).findings == ()


def test_unexposed_app_without_required_external_rows_is_fine():
    # LXD's 10000-11000 is exposed-externally but not required: not exposing lxd is a choice.
    assert check(layout({"lxd/0": "3"})).findings == ()
