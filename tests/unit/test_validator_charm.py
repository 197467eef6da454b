"""The anbox-cloud-ports validator charm under ops.testing: relation data in, status and actions out.

Remote databags are written the way providers write them (databag.encode_provider), with the keys
Juju itself adds to every unit databag, across several applications, many units and two models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pytest
from ops import testing

from anbox_cloud_ports import checks
from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.databag import PublishedClaim, encode_provider
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.render.as_json import report_json
from anbox_cloud_ports.sources.relation import deployment_from_units
from charm import AnboxCloudPortsCharm

MODEL = "5d0c52b4-8f8b-4d3a-9a3e-1f6c7b2d9e01"
OTHER_MODEL = "a91e77c3-2c4f-4e0b-8d6a-6a0f5e4b3c22"


def juju_keys(n: int) -> dict[str, str]:
    # Juju adds these to every unit databag (docs/juju-facts.md#relation-data); the reader must ignore them.
    return {
        "ingress-address": f"10.1.0.{n}",
        "egress-subnets": f"10.1.0.{n}/32",
        "private-address": f"10.1.0.{n}",
    }


def catalog_claims(
    service: str, *, public: str = "public", internal: str = "internal"
) -> list[PublishedClaim]:
    return [
        PublishedClaim(port, public if row.exposed else internal, row.exposed, "default")
        for row in Catalog.builtin().for_charm(service)
        for port in row.claims
    ]


def databag(
    service: str,
    machine: str,
    n: int,
    *,
    model: str = MODEL,
    claims: Iterable[PublishedClaim] | None = None,
) -> dict[str, str]:
    claims = catalog_claims(service) if claims is None else claims
    return {**juju_keys(n), **encode_provider(service, "charmed", model, machine, claims)}


def relation(app: str, units: Mapping[int, Mapping[str, str]], **kwargs: object) -> testing.Relation:
    return testing.Relation(
        "ports",
        remote_app_name=app,
        remote_units_data={k: dict(v) for k, v in units.items()},
        **kwargs,  # type: ignore[arg-type]
    )


def reference_relations() -> list[testing.Relation]:
    """The supported layout: controller on 0, AMS node on 1, etcd on 2, LXD nodes 3 and 4."""
    return [
        relation("nats", {0: databag("nats", "0", 1)}),
        relation("anbox-stream-gateway", {0: databag("anbox-stream-gateway", "0", 2)}),
        relation("anbox-cloud-dashboard", {0: databag("anbox-cloud-dashboard", "0", 3)}),
        relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 4)}),
        relation("ams", {0: databag("ams", "1", 5)}),
        relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "1", 6)}),
        relation("coturn", {0: databag("coturn", "1", 7)}),
        relation("etcd", {0: databag("etcd", "2", 8), 1: databag("etcd", "2/lxd/0", 9)}),
        relation("lxd", {i: databag("ams-lxd", str(3 + i), 10 + i) for i in range(2)}),
    ]


@pytest.fixture
def ctx() -> testing.Context[AnboxCloudPortsCharm]:
    return testing.Context(AnboxCloudPortsCharm)


def status_of(ctx: testing.Context[AnboxCloudPortsCharm], state: testing.State) -> object:
    return ctx.run(ctx.on.update_status(), state).unit_status


def test_waits_without_a_relation(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    status = status_of(ctx, testing.State())
    assert isinstance(status, testing.WaitingStatus)
    assert "anbox_ports" in status.message


def test_the_reference_layout_is_active_and_says_what_it_checked(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    status = status_of(ctx, testing.State(relations=reference_relations()))
    assert status == testing.ActiveStatus("11 units, 6 hosts, no conflicts")


def test_a_co_located_agent_and_load_balancer_block_naming_both(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    relations = [
        *reference_relations()[:3],
        relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 4)}),
        relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "0", 6)}),
    ]
    status = status_of(ctx, testing.State(relations=relations))
    assert status == testing.BlockedStatus(
        "1 conflict: 443/tcp anbox-stream-agent/0 vs anbox-stream-gateway-lb/0 on machine 0"
    )


def test_several_conflicts_name_the_first_and_count_the_rest(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    relations = [
        relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 1)}),
        relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "0", 2)}),
        relation("lxd", {0: databag("ams-lxd", "3", 3), 1: databag("ams-lxd", "3", 4)}),
    ]
    status = status_of(ctx, testing.State(relations=relations))
    assert isinstance(status, testing.BlockedStatus)
    # lxd/0 and lxd/1 on one machine: 8443/tcp, 10000-11000/udp and /tcp; plus 443/tcp on machine 0.
    assert status.message.startswith("4 conflicts: ")
    assert status.message.endswith("(+3 more)")


def test_the_same_machine_number_in_two_models_is_two_hosts(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    # NATS is offered cross-model: its machine 0 is not the controller model's machine 0.
    relations = [
        relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "0", 1)}),
        relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 2, model=OTHER_MODEL)}),
    ]
    status = status_of(ctx, testing.State(relations=relations))
    assert status == testing.ActiveStatus("2 units, 2 hosts, no conflicts")


def test_one_unit_with_junk_is_reported_and_the_others_still_checked(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    junk = databag("coturn", "1", 9)
    junk["claims"] = '[{"port": "80/tcp; rm -rf /", "endpoint": "", "exposed": false, "source": "default"}]'
    relations = [
        relation("coturn", {0: junk}),
        relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 2)}),
        relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "0", 3)}),
    ]
    state = testing.State(relations=relations)
    status = status_of(ctx, state)
    assert isinstance(status, testing.BlockedStatus)
    assert status.message.startswith("2 errors: ")
    result = ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    findings = json.loads(ctx.action_results["report"])["findings"]
    assert {(f["rule"], tuple(f["units"])) for f in findings} >= {
        ("invalid-port", ("coturn/0",)),
        ("port-conflict", ("anbox-stream-agent/0", "anbox-stream-gateway-lb/0")),
    }
    junk_finding = next(f for f in findings if f["rule"] == "invalid-port")
    assert "rm -rf" in junk_finding["message"]
    assert "\n" not in junk_finding["message"]
    assert result.unit_status == status


def test_findings_about_a_departed_unit_disappear(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    agent = relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "0", 1)})
    lb = relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 2)})
    state = testing.State(relations=[agent, lb])
    assert isinstance(status_of(ctx, state), testing.BlockedStatus)
    departed = relation("anbox-stream-agent", {}, id=agent.id)
    after = testing.State(relations=[departed, lb])
    out = ctx.run(ctx.on.relation_departed(departed, remote_unit=0, departing_unit=0), after)
    assert out.unit_status == testing.ActiveStatus("1 unit, 1 host, no conflicts")


def test_juju_4_gives_the_same_verdict_as_juju_3(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    """The hook tool refuses another co-located unit's identical range in Juju 4 as in 3.x
    (docs/juju-facts.md#open-port-conflicts): the `juju` option changes no verdict."""
    relations = [
        relation("anbox-stream-gateway-lb", {0: databag("haproxy", "0", 1)}),
        relation("anbox-stream-agent", {0: databag("anbox-stream-agent", "0", 2)}),
    ]
    state = testing.State(relations=relations, config={"juju": "4"})
    ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    findings = json.loads(ctx.action_results["report"])["findings"]
    assert [(f["rule"], f["views"]) for f in findings] == [("port-conflict", ["bind", "juju"])]
    assert "Juju refuses whichever open-port runs second" in findings[0]["message"]


def test_an_invalid_option_blocks_naming_it(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    status = status_of(ctx, testing.State(relations=reference_relations(), config={"juju": "5"}))
    assert isinstance(status, testing.BlockedStatus)
    assert "juju" in status.message


def test_missing_required_and_uncatalogued_ports_are_reported_without_blocking(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    claims = [
        PublishedClaim(PortRange.parse("20002/tcp"), "internal", False, "default"),
        PublishedClaim(PortRange.parse("9100/tcp"), "internal", False, "extra"),
    ]
    relations = [relation("ams", {0: databag("ams", "1", 1, claims=claims)})]
    state = testing.State(relations=relations)
    assert status_of(ctx, state) == testing.ActiveStatus("1 unit, 1 host, no conflicts, 1 warning")
    ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    rules = {f["rule"]: f for f in json.loads(ctx.action_results["report"])["findings"]}
    assert set(rules) == {"required-port-missing", "uncatalogued-port"}
    assert rules["required-port-missing"]["ports"] == ["8444/tcp"]
    assert rules["uncatalogued-port"]["ports"] == ["9100/tcp"]


def test_check_action_returns_the_cli_json_document(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    relations = reference_relations()
    ctx.run(ctx.on.action("check"), testing.State(relations=relations))
    assert ctx.action_results is not None
    document = json.loads(ctx.action_results["report"])
    assert set(document) == {"input", "juju", "findings", "summary"}
    assert document["summary"]["errors"] == 0
    assert ctx.action_results["errors"] == 0
    # The same units read outside the charm give the same document.
    units = [
        (f"{r.remote_app_name}/{n}", r.remote_app_name, data)
        for r in relations
        for n, data in r.remote_units_data.items()
    ]
    expected = report_json(checks.check(deployment_from_units(units, input="relation ports")))
    assert document == expected


def test_list_ports_action_lists_every_host_unit_and_claim(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    ctx.run(ctx.on.action("list-ports"), testing.State(relations=reference_relations()))
    assert ctx.action_results is not None
    listing = json.loads(ctx.action_results["ports"])
    hosts = {h["host"]: h["units"] for h in listing["hosts"]}
    assert sorted(hosts) == ["0", "1", "2", "2/lxd/0", "3", "4"]
    lxd0 = next(u for u in hosts["3"] if u["unit"] == "lxd/0")
    assert [c["port"] for c in lxd0["claims"]] == ["8443/tcp", "10000-11000/tcp", "10000-11000/udp"]
    assert {c["endpoint"] for c in lxd0["claims"]} == {"public", "internal"}


def test_many_units_stay_quick_and_exact(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    # 200 LXD nodes, one per machine, plus a second LXD unit wrongly placed on node 7.
    units = {i: databag("ams-lxd", str(100 + i), i) for i in range(200)}
    units[200] = databag("ams-lxd", "107", 250)
    status = status_of(ctx, testing.State(relations=[relation("lxd", units)]))
    assert isinstance(status, testing.BlockedStatus)
    assert status.message.startswith("3 conflicts: ")
    assert "lxd/7 vs lxd/200 on machine 107" in status.message
