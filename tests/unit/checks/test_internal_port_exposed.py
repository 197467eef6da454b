"""internal-port-exposed: which expose rules reach an internal port, and how sure the input lets us be."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import (
    Deployment,
    ExposeTarget,
    Host,
    Location,
    Model,
)
from anbox_cloud_ports.sources import load
from tests.unit.checks.builders import (
    REFERENCE,
    REFERENCE_EXPOSED,
    P,
    everyone,
    layout,
    rules,
)


def test_lxd_exposed_wildcard_leaks_8443():
    report = check(layout(REFERENCE, exposed={**REFERENCE_EXPOSED, "lxd": {"": everyone()}}))
    [finding] = rules(report, "internal-port-exposed")
    assert finding.severity == "error"
    assert finding.ports == (P("8443/tcp"),)
    assert finding.units == ("lxd/0", "lxd/1")
    assert finding.hosts == (Host("3"), Host("4"))
    assert "open 8443/tcp for all endpoints" in finding.message
    assert "`juju expose lxd` (wildcard) exposes it to 0.0.0.0/0 and ::/0" in finding.message
    assert "Anbox Cloud docs' own `juju expose lxd`" in finding.message
    assert finding.fix is not None
    assert "--endpoints" in finding.fix
    # 10000-11000 is meant to be exposed: no finding for it.
    assert all(f.ports == (P("8443/tcp"),) for f in report.findings)


def test_lxd_single_unit_message_reads_naturally():
    report = check(layout({"lxd/0": "3"}, exposed={"lxd": {"": everyone()}}))
    [finding] = rules(report, "internal-port-exposed")
    assert finding.message.startswith(
        "lxd/0 opens 8443/tcp for all endpoints; `juju expose lxd` (wildcard) exposes it to 0.0.0.0/0 and ::/0"
    )


def test_lxd_internal_endpoint_and_public_endpoint_exposed_is_clean():
    endpoints = {"lxd": {"8443/tcp": "internal", "10000-11000/tcp": "public", "10000-11000/udp": "public"}}
    deployment = layout(
        REFERENCE, exposed={**REFERENCE_EXPOSED, "lxd": {"public": everyone()}}, endpoints=endpoints
    )
    assert check(deployment).findings == ()


def test_lxd_8443_on_wildcard_endpoint_leaks_through_a_named_rule():
    # docs/juju-facts.md#expose: a rule for endpoint X also reaches the ports opened for all endpoints.
    endpoints = {"lxd": {"10000-11000/tcp": "public", "10000-11000/udp": "public"}}
    deployment = layout({"lxd/0": "3"}, exposed={"lxd": {"public": everyone()}}, endpoints=endpoints)
    [finding] = rules(check(deployment), "internal-port-exposed")
    assert finding.severity == "error"
    assert "`juju expose lxd --endpoints public`" in finding.message
    assert "also reaches every port opened for all endpoints" in finding.message
    assert "Anbox Cloud docs" not in finding.message  # that remark is about the wildcard step
    assert finding.fix is not None
    assert "open-port 8443/tcp --endpoints" in finding.fix


@pytest.mark.parametrize(
    "cidrs", [("10.0.0.0/8",), ("172.16.0.0/12", "192.168.1.0/24"), ("fd00::/8",), ("127.0.0.1/32",)]
)
def test_nats_client_exposed_to_private_networks_is_info(cidrs: tuple[str, ...]):
    deployment = layout(
        {"nats/0": "0"},
        exposed={"nats": {"client": ExposeTarget(cidrs=cidrs)}},
        endpoints={"nats": {"4222/tcp": "client"}},
    )
    [finding] = check(deployment).findings
    assert finding.rule == "internal-port-exposed"
    assert finding.severity == "info"
    assert "private networks only" in finding.message
    assert cidrs[0] in finding.message


def _nats_to_space(spaces: dict[str, tuple[str, ...]] | None) -> Deployment:
    deployment = layout(
        {"nats/0": "0"},
        exposed={"nats": {"client": ExposeTarget(spaces=("internal",))}},
        endpoints={"nats": {"4222/tcp": "client"}},
    )
    if spaces is None:
        return deployment
    return deployment._replace(models=MappingProxyType({"": Model("", spaces=MappingProxyType(spaces))}))


def test_a_space_is_not_private_by_itself():
    """docs/juju-facts.md#expose: a space stands for its subnets, which only the firewaller resolves."""
    [finding] = check(_nats_to_space(None)).findings
    assert (finding.rule, finding.severity) == ("internal-port-exposed", "warning")
    assert "space internal (whose subnets this input does not list)" in finding.message
    assert "a space is only as private as its subnets" in finding.message
    assert "`juju spaces --format=json` lists the subnets of space internal" in (finding.fix or "")
    assert "--space NAME=CIDR" in (finding.fix or "")


def test_a_space_of_private_subnets_is_private_and_of_public_ones_public():
    [private] = check(_nats_to_space({"internal": ("10.20.0.0/16",)})).findings
    assert (private.severity, "space internal (10.20.0.0/16)" in private.message) == ("info", True)
    [public] = check(_nats_to_space({"internal": ("10.20.0.0/16", "203.0.113.0/24")})).findings
    assert public.severity == "error"


def test_a_space_without_subnets_exposes_nothing():
    # firewaller.go: an entry whose sources come out empty makes no rule.
    assert check(_nats_to_space({"internal": ()})).findings == ()


@pytest.mark.parametrize(
    "cidrs", [("0.0.0.0/0",), ("10.0.0.0/8", "8.8.8.0/24"), ("::/0",), ("100.64.0.0/10",)]
)
def test_exposure_beyond_private_networks_is_an_error(cidrs: tuple[str, ...]):
    deployment = layout({"nats/0": "0"}, exposed={"nats": {"": ExposeTarget(cidrs=cidrs)}})
    [finding] = check(deployment).findings
    assert finding.severity == "error"


def test_unparseable_cidr_is_treated_as_public_and_says_so():
    deployment = layout({"nats/0": "0"}, exposed={"nats": {"": ExposeTarget(cidrs=("10.0.0.0/8", "bogus"))}})
    [finding] = check(deployment).findings
    assert finding.severity == "error"
    assert "CIDR 'bogus' cannot be parsed, so it is treated as public" in finding.message


def _lxd_status(exposed_endpoints: dict[str, object] | None) -> str:
    import json

    app: dict[str, object] = {
        "charm": "ams-lxd",
        "exposed": True,
        "units": {
            "lxd/0": {"machine": "0", "open-ports": ["8443/tcp", "10000-11000/tcp", "10000-11000/udp"]}
        },
    }
    if exposed_endpoints is not None:
        app["exposed-endpoints"] = exposed_endpoints
    return json.dumps({"model": {"name": "anbox"}, "machines": {"0": {}}, "applications": {"lxd": app}})


def test_status_cannot_see_endpoints_so_a_named_expose_only_warns():
    named = load(_lxd_status({"public": {"expose-to-cidrs": ["0.0.0.0/0"]}}), input="status.json")
    [leak] = [f for f in check(named).findings if f.rule == "internal-port-exposed"]
    assert (leak.severity, [str(p) for p in leak.ports]) == ("warning", ["8443/tcp"])
    assert "does not say on which endpoint" in leak.message
    assert (
        "if it is opened on an endpoint without an expose rule of its own, nothing exposes it" in leak.message
    )
    assert "`juju exec --unit lxd/0 -- opened-ports --endpoints` says which endpoint" in (leak.fix or "")


def test_status_without_the_rules_warns_and_names_show_application():
    """docs/juju-facts.md#status-formats: `exposed: true` is all status says, never to whom."""
    bare = load(_lxd_status(None), input="status.json")
    [leak] = [f for f in check(bare).findings if f.rule == "internal-port-exposed"]
    assert leak.severity == "warning"
    assert "does not say to whom: juju status prints `exposed: true` without the expose rules" in leak.message
    assert "`juju show-application lxd --format=json`" in (leak.fix or "")
    assert "`anbox-ports check --model anbox`" in (leak.fix or "")


def test_a_wildcard_to_everyone_is_proven_whatever_the_endpoint():
    # Every place 8443/tcp could be opened gets the wildcard: the input proves the leak.
    wildcard = load(_lxd_status({"": {"expose-to-cidrs": ["0.0.0.0/0", "::/0"]}}), input="status.json")
    [leak] = [f for f in check(wildcard).findings if f.rule == "internal-port-exposed"]
    assert leak.severity == "error"


def test_a_per_endpoint_rule_overrides_the_wildcard():
    """docs/juju-facts.md#expose (firewaller.go hasExposeOverride): 8443 on `internal` gets `internal`'s CIDRs only."""
    endpoints = {"lxd": {"8443/tcp": "internal", "10000-11000/tcp": "public", "10000-11000/udp": "public"}}
    rules = {"": everyone(), "internal": ExposeTarget(cidrs=("10.0.0.0/8",))}
    [finding] = check(layout({"lxd/0": "3"}, exposed={"lxd": rules}, endpoints=endpoints)).findings
    assert (finding.rule, finding.severity) == ("internal-port-exposed", "info")
    assert "lxd/0 opens 8443/tcp on endpoint internal" in finding.message
    assert "its own rule overrides the wildcard" in finding.message
    assert "0.0.0.0/0" not in finding.message


def test_unknown_endpoint_with_a_private_override_is_not_certain():
    # Opened for all endpoints: wildcard (public) and internal; on `internal`: 10.0.0.0/8 only.
    rules = {"": everyone(), "internal": ExposeTarget(cidrs=("10.0.0.0/8",))}
    deployment = layout({"lxd/0": "3"}, exposed={"lxd": rules})
    unknown = deployment._replace(units=tuple(u._replace(endpoints_known=False) for u in deployment.units))
    [finding] = check(unknown).findings
    assert finding.severity == "warning"
    assert "if it is opened on endpoint internal" in finding.message


def test_exposure_on_a_kubernetes_model_is_information_not_an_error():
    """docs/juju-facts.md#expose: `juju expose` has no effect on sidecar charms."""
    deployment = layout({"lxd/0": "lxd/0", "coturn/0": "coturn/0"}, exposed={"lxd": {"": everyone()}})
    k8s = deployment._replace(models=MappingProxyType({"": Model("", "anbox-k8s", "caas")}))
    findings = check(k8s).findings
    assert [(f.rule, f.severity) for f in findings] == [("internal-port-exposed", "info")]
    [info] = findings
    assert "Kubernetes model anbox-k8s, where `juju expose` has no effect on sidecar charms" in info.message
    assert "go to its Kubernetes Service lxd whatever `juju expose` says" in info.message
    assert "ClusterIP" in info.message


def test_the_fix_names_the_rule_that_reaches_the_port():
    # 8443 on `internal`, which has its own public rule: the wildcard is not what leaks it.
    endpoints = {"lxd": {"8443/tcp": "internal", "10000-11000/tcp": "public", "10000-11000/udp": "public"}}
    rules = {"": ExposeTarget(cidrs=("10.0.0.0/8",)), "internal": everyone()}
    [finding] = check(layout({"lxd/0": "3"}, exposed={"lxd": rules}, endpoints=endpoints)).findings
    assert finding.severity == "error"
    assert finding.fix is not None
    assert "`juju unexpose lxd --endpoints internal`" in finding.fix
    assert "replace `juju expose lxd`" not in finding.fix


def test_a_leak_wherever_the_port_is_opened_is_certain_without_naming_the_exec():
    # A bundle's `expose: true` (the wildcard): every place 8443 could be opened gets it.
    deployment = layout({"lxd/0": "3"}, exposed={"lxd": {"": everyone()}})
    unknown = deployment._replace(units=tuple(u._replace(endpoints_known=False) for u in deployment.units))
    [finding] = check(unknown).findings
    assert finding.severity == "error"
    assert finding.message.startswith(
        "lxd/0 opens 8443/tcp on an endpoint this input does not say, and wherever it is opened "
        "`juju expose lxd` (wildcard) exposes it to 0.0.0.0/0 and ::/0"
    )
    assert "opened-ports" not in (finding.fix or "")


def test_the_leak_is_located_at_the_first_of_its_claims_that_has_a_location():
    deployment = layout(REFERENCE, exposed={**REFERENCE_EXPOSED, "lxd": {"": everyone()}})
    where = Location("bundle.yaml", 42)
    claims = tuple(
        c._replace(location=where) if c.unit == "lxd/1" and c.port == P("8443/tcp") else c
        for c in deployment.claims
    )
    [finding] = rules(check(deployment._replace(claims=claims)), "internal-port-exposed")
    assert finding.location == where
