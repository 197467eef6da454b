"""internal-port-exposed: which expose rules reach an internal port, and how sure the input lets us be."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import (
    ExposeTarget,
    Host,
)
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


def test_exposure_to_named_spaces_only_is_info():
    deployment = layout(
        {"nats/0": "0"},
        exposed={"nats": {"client": ExposeTarget(spaces=("internal",))}},
        endpoints={"nats": {"4222/tcp": "client"}},
    )
    [finding] = check(deployment).findings
    assert finding.severity == "info"
    assert "space internal" in finding.message


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
    from anbox_cloud_ports.sources import load

    named = load(_lxd_status({"public": {"expose-to-cidrs": ["0.0.0.0/0"]}}), input="status.json")
    [leak] = [f for f in check(named).findings if f.rule == "internal-port-exposed"]
    assert (leak.severity, [str(p) for p in leak.ports]) == ("warning", ["8443/tcp"])
    assert "does not say on which endpoint" in leak.message
    assert "opened-ports --endpoints" in (leak.fix or "")
    wildcard = load(_lxd_status(None), input="status.json")
    [leak] = [f for f in check(wildcard).findings if f.rule == "internal-port-exposed"]
    assert leak.severity == "error"
