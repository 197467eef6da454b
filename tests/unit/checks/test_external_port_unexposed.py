"""external-port-unexposed: required external ports that clients cannot reach."""

from __future__ import annotations

from types import MappingProxyType

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import (
    Deployment,
    ExposeTarget,
    Model,
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


def test_exposed_to_an_unknown_audience_is_not_called_unreachable():
    # juju status: `exposed: true` without the rules; they may well reach 5349.
    deployment = layout({"coturn/0": "1"})
    blind = deployment._replace(
        applications=MappingProxyType(
            {k: a._replace(expose_rules_known=False) for k, a in deployment.applications.items()}
        ),
    )
    assert check(blind).findings == ()


def test_unknown_endpoints_are_unreached_only_when_no_place_gets_a_rule():
    # Exposed on `metrics` only: a port opened for all endpoints would be reached, so no finding...
    deployment = layout({"coturn/0": "1"}, exposed={"coturn": {"metrics": everyone()}})
    unknown = deployment._replace(units=tuple(u._replace(endpoints_known=False) for u in deployment.units))
    assert check(unknown).findings == ()
    # ...but a rule whose space has no subnets makes no rule at all, wherever the port is.
    empty = {"": ExposeTarget(spaces=("empty",))}
    spaced = layout({"coturn/0": "1"}, exposed={"coturn": empty})
    spaced = spaced._replace(models=MappingProxyType({"": Model("", spaces=MappingProxyType({"empty": ()}))}))
    [finding] = check(spaced).findings
    assert (finding.rule, finding.severity) == ("external-port-unexposed", "warning")


def test_kubernetes_models_are_not_told_to_expose():
    """docs/juju-facts.md#expose: `juju expose` has no effect on sidecar charms."""
    deployment = layout({"coturn/0": "coturn/0"})
    k8s = deployment._replace(models=MappingProxyType({"": Model("", "anbox-k8s", "caas")}))
    assert check(k8s).findings == ()
