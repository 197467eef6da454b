"""unlisted-port-exposed: an expose rule reaching a port no catalog row lists."""

from __future__ import annotations

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import ExposeTarget
from tests.unit.checks.builders import P, build, claim, everyone, unit

LB = [unit("lb/0", "0", "haproxy")]
CLAIMS = [claim("lb/0", "443/tcp", option="services"), claim("lb/0", "8080/tcp", option="services")]


def findings(
    exposed: dict[str, ExposeTarget], *, terraform: bool = False, endpoints_known: bool = False
) -> list[tuple[str, str, str]]:
    deployment = build(LB, CLAIMS, exposed={"lb": exposed})
    deployment = deployment._replace(
        endpoints_known=endpoints_known, exposure_syntax="terraform" if terraform else "juju"
    )
    return [
        (f.severity, str(f.ports[0]), f.fix or "")
        for f in check(deployment).findings
        if f.rule == "unlisted-port-exposed"
    ]


def test_a_port_no_row_lists_exposed_to_the_world_is_a_warning_with_the_fix() -> None:
    [(severity, port, fix)] = findings({"": everyone()})
    assert (severity, port) == ("warning", "8080/tcp")
    assert "remove its service from option services" in fix
    assert "`juju expose lb --to-cidrs <networks you trust>`" in fix
    assert "a rule naming endpoints still reaches a port opened for all endpoints" in fix


def test_in_a_terraform_plan_the_fix_is_the_expose_block() -> None:
    [(_, _, fix)] = findings({"": everyone()}, terraform=True)
    assert '`expose { cidrs = "<networks you trust>" }` in lb' in fix


def test_private_networks_only_or_an_endpoint_rule_that_may_not_reach_it_is_info() -> None:
    assert [s for s, _, _ in findings({"": ExposeTarget(("10.0.0.0/8",))})] == ["info"]
    assert [s for s, _, _ in findings({"website": everyone()})] == ["info"]


def test_a_port_opened_on_an_endpoint_no_rule_names_is_not_reached() -> None:
    deployment = build(LB, [claim("lb/0", "8080/tcp", "admin")], exposed={"lb": {"website": everyone()}})
    assert not [f for f in check(deployment).findings if f.rule == "unlisted-port-exposed"]


def test_unexposed_or_unknown_exposure_says_nothing() -> None:
    assert findings({}) == []
    deployment = build(LB, CLAIMS, exposed={"lb": {"": everyone()}})
    apps = {k: a._replace(exposure_known=False) for k, a in deployment.applications.items()}
    assert not check(deployment._replace(applications=apps)).findings


def test_a_charm_that_opens_nothing_exposes_nothing() -> None:
    etcd = [unit("etcd/0", "0", "charmed-etcd")]
    deployment = build(etcd, [claim("etcd/0", "2380/tcp")], exposed={"etcd": {"": everyone()}})
    assert check(deployment).findings == ()
    assert P("2380/tcp") in {c.port for c in deployment.claims}
