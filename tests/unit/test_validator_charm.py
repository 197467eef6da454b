"""The anbox-cloud-ports validator charm under ops.testing: relation data in, status and actions out.

Remote units are built with the library's own relation builders (`provider_relation`), which write
databags as ServicePorts publishes them, with the keys Juju itself adds to every unit databag, across
several applications, many units and two models.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

import pytest
from ops import testing

from anbox_cloud_ports import checks
from anbox_cloud_ports.charm.testing import TEST_MODEL_UUID, provider_relation
from anbox_cloud_ports.databag import PublishedClaim
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.render.as_json import report_json
from anbox_cloud_ports.sources.relation import deployment_from_units
from charm import AnboxCloudPortsCharm

MODEL = TEST_MODEL_UUID
OTHER_MODEL = "a91e77c3-2c4f-4e0b-8d6a-6a0f5e4b3c22"


def relation(
    app: str,
    service: str,
    machines: dict[int, str],
    *,
    claims: Iterable[PublishedClaim] | None = None,
    model: str = MODEL,
    **kwargs: Any,
) -> testing.Relation:
    return provider_relation(service, machines, app=app, claims=claims, model=model, **kwargs)


def reference_relations() -> list[testing.Relation]:
    """The supported layout: controller on 0, AMS node on 1, etcd on 2, LXD nodes 3 and 4."""
    return [
        relation("nats", "nats", {0: "0"}),
        relation("anbox-stream-gateway", "anbox-stream-gateway", {0: "0"}),
        relation("anbox-cloud-dashboard", "anbox-cloud-dashboard", {0: "0"}),
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}),
        relation("ams", "ams", {0: "1"}),
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "1"}),
        relation("coturn", "coturn", {0: "1"}),
        relation("etcd", "etcd", {0: "2", 1: "2/lxd/0"}),
        relation("lxd", "ams-lxd", {0: "3", 1: "4"}),
    ]


def State(**kwargs: Any) -> testing.State:
    """The validator's State, in the model the builders put providers in (its own)."""
    return testing.State(model=testing.Model(name="anbox", uuid=MODEL), **kwargs)


@pytest.fixture
def ctx() -> testing.Context[AnboxCloudPortsCharm]:
    return testing.Context(AnboxCloudPortsCharm)


def status_of(ctx: testing.Context[AnboxCloudPortsCharm], state: testing.State) -> object:
    return ctx.run(ctx.on.update_status(), state).unit_status


def test_without_a_relation_it_is_blocked_with_the_command_to_run(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    # Nothing will change until an operator integrates it: blocked, not waiting.
    assert status_of(ctx, State()) == testing.BlockedStatus(
        "no anbox_ports relation: juju integrate anbox-cloud-ports:ports <app>:ports "
        "for each Anbox Cloud application"
    )


def test_the_reference_layout_is_active_and_says_what_it_checked(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    status = status_of(ctx, State(relations=reference_relations()))
    assert status == testing.ActiveStatus("11 units, 6 hosts, no conflicts")


def test_a_co_located_agent_and_load_balancer_block_naming_both(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    relations = [
        *reference_relations()[:3],
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}),
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"}),
    ]
    status = status_of(ctx, State(relations=relations))
    assert status == testing.BlockedStatus(
        "1 conflict: 443/tcp anbox-stream-agent/0 vs anbox-stream-gateway-lb/0 on machine 0"
    )


def test_several_conflicts_name_the_first_and_count_the_rest(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    relations = [
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}),
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"}),
        relation("lxd", "ams-lxd", {0: "3", 1: "3"}),
    ]
    status = status_of(ctx, State(relations=relations))
    assert isinstance(status, testing.BlockedStatus)
    # lxd/0 and lxd/1 on one machine: 8443/tcp, 10000-11000/udp and /tcp; plus 443/tcp on machine 0.
    assert status.message.startswith("4 conflicts: ")
    assert status.message.endswith("(+3 more)")


def test_the_same_machine_number_in_two_models_is_two_hosts(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    # NATS is offered cross-model: its machine 0 is not the controller model's machine 0.
    relations = [
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"}),
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}, model=OTHER_MODEL),
    ]
    status = status_of(ctx, State(relations=relations))
    assert status == testing.ActiveStatus("2 units, 2 hosts, no conflicts")


def test_one_unit_with_junk_is_reported_and_the_others_still_checked(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    coturn = relation("coturn", "coturn", {0: "1"})
    junk = dict(coturn.remote_units_data[0])
    junk["claims"] = '[{"port": "80/tcp; rm -rf /", "endpoint": "", "exposed": false, "source": "default"}]'
    relations = [
        dataclasses.replace(coturn, remote_units_data={0: junk}),
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}),
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"}),
    ]
    state = State(relations=relations)
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
    agent = relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"})
    lb = relation("anbox-stream-gateway-lb", "haproxy", {0: "0"})
    state = State(relations=[agent, lb])
    assert isinstance(status_of(ctx, state), testing.BlockedStatus)
    departed = dataclasses.replace(agent, remote_units_data={})
    after = State(relations=[departed, lb])
    out = ctx.run(ctx.on.relation_departed(departed, remote_unit=0, departing_unit=0), after)
    assert out.unit_status == testing.ActiveStatus("1 unit, 1 host, no conflicts")


def test_juju_4_gives_the_same_verdict_as_juju_3(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    """The hook tool refuses another co-located unit's identical range in Juju 4 as in 3.x
    (docs/juju-facts.md#open-port-conflicts): the `juju` option changes no verdict."""
    relations = [
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}),
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"}),
    ]
    state = State(relations=relations, config={"juju": "4"})
    ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    findings = json.loads(ctx.action_results["report"])["findings"]
    assert [(f["rule"], f["views"]) for f in findings] == [("port-conflict", ["bind", "juju"])]
    assert "Juju refuses whichever open-port runs second" in findings[0]["message"]


@pytest.mark.parametrize(
    ("config", "line"),
    [
        ({"juju": "5"}, 'Invalid config: juju="5": must be "3" or "4"'),
        ({"profile": "desktop"}, 'Invalid config: profile="desktop": must be "charmed" or "appliance"'),
        (
            {"profile": "x\n\x1b[31mred"},
            'Invalid config: profile="x\\n\\u001b[31mred": must be "charmed" or "appliance"',
        ),
        (
            {"juju": "5", "profile": "desktop"},
            'Invalid config: juju="5": must be "3" or "4" (and 1 more invalid option)',
        ),
    ],
)
def test_an_invalid_option_is_one_line_in_the_status_and_fails_every_action(
    ctx: testing.Context[AnboxCloudPortsCharm], config: dict[str, str], line: str
) -> None:
    state = State(relations=reference_relations(), config=config)
    assert status_of(ctx, state) == testing.BlockedStatus(line)
    for action in ("check", "list-ports"):
        with pytest.raises(testing.ActionFailed) as info:
            ctx.run(ctx.on.action(action), state)
        assert info.value.message == line
        assert "\n" not in info.value.message


def test_an_invalid_option_without_a_relation_still_names_the_option(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    status = status_of(ctx, State(config={"juju": "5"}))
    assert status == testing.BlockedStatus('Invalid config: juju="5": must be "3" or "4"')


def test_missing_required_and_uncatalogued_ports_are_reported_without_blocking(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    claims = [
        PublishedClaim(PortRange.parse("20002/tcp"), "internal", False, "default"),
        PublishedClaim(PortRange.parse("9100/tcp"), "internal", False, "extra"),
    ]
    relations = [relation("ams", "ams", {0: "1"}, claims=claims)]
    state = State(relations=relations)
    assert status_of(ctx, state) == testing.ActiveStatus("1 unit, 1 host, no conflicts, 1 warning")
    ctx.run(ctx.on.action("check"), state)
    assert ctx.action_results is not None
    rules = {f["rule"]: f for f in json.loads(ctx.action_results["report"])["findings"]}
    assert set(rules) == {"required-port-missing", "uncatalogued-port"}
    assert rules["required-port-missing"]["ports"] == ["8444/tcp"]
    assert rules["uncatalogued-port"]["ports"] == ["9100/tcp"]


def test_check_action_returns_the_cli_json_document(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    relations = reference_relations()
    ctx.run(ctx.on.action("check"), State(relations=relations))
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
    ctx.run(ctx.on.action("list-ports"), State(relations=reference_relations()))
    assert ctx.action_results is not None
    listing = json.loads(ctx.action_results["ports"])
    hosts = {h["host"]: h["units"] for h in listing["hosts"]}
    # The validator's own model is not named: its hosts are `juju status`'s machine ids.
    assert sorted(hosts) == ["0", "1", "2", "2/lxd/0", "3", "4"]
    lxd0 = next(u for u in hosts["3"] if u["unit"] == "lxd/0")
    assert [c["port"] for c in lxd0["claims"]] == ["8443/tcp", "10000-11000/tcp", "10000-11000/udp"]
    assert {c["endpoint"] for c in lxd0["claims"]} == {"public", "internal"}


def test_list_ports_keeps_source_option_and_held_as_published(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    moved = relation("lxd", "ams-lxd", {0: "3"}, config={"exposed_instance_ports": "20000-21000"})
    extra = PublishedClaim(PortRange.parse("9100/tcp"), "internal", False, "extra", held=False)
    node = relation("node-exporter", "ams", {0: "1"}, claims=[extra])
    other_model = relation("nats", "nats", {0: "0"}, model=OTHER_MODEL)
    ctx.run(ctx.on.action("list-ports"), State(relations=[moved, node, other_model]))
    assert ctx.action_results is not None
    hosts = {h["host"]: h["units"] for h in json.loads(ctx.action_results["ports"])["hosts"]}
    assert sorted(hosts) == ["1", "3", f"{OTHER_MODEL[:8]}:0"]
    lxd = {c["port"]: c for c in hosts["3"][0]["claims"]}
    assert lxd["20000-21000/udp"] == {
        "port": "20000-21000/udp",
        "endpoint": "public",
        "source": "option:exposed_instance_ports",
        "option": "exposed_instance_ports",
        "held": True,
    }
    assert lxd["8443/tcp"]["source"] == "default"
    assert hosts["1"][0]["claims"] == [
        {"port": "9100/tcp", "endpoint": "internal", "source": "extra", "option": None, "held": False}
    ]


def test_the_status_names_another_models_host_by_its_uuid_prefix(
    ctx: testing.Context[AnboxCloudPortsCharm],
) -> None:
    relations = [
        relation("anbox-stream-gateway-lb", "haproxy", {0: "0"}, model=OTHER_MODEL),
        relation("anbox-stream-agent", "anbox-stream-agent", {0: "0"}, model=OTHER_MODEL),
    ]
    assert status_of(ctx, State(relations=relations)) == testing.BlockedStatus(
        f"1 conflict: 443/tcp anbox-stream-agent/0 vs anbox-stream-gateway-lb/0 on machine 0 of model {OTHER_MODEL[:8]}"
    )


def test_many_units_stay_quick_and_exact(ctx: testing.Context[AnboxCloudPortsCharm]) -> None:
    # 200 LXD nodes, one per machine, plus a second LXD unit wrongly placed on node 7.
    machines = {i: str(100 + i) for i in range(200)}
    machines[200] = "107"
    status = status_of(ctx, State(relations=[relation("lxd", "ams-lxd", machines)]))
    assert isinstance(status, testing.BlockedStatus)
    assert status.message.startswith("3 conflicts: ")
    assert "lxd/7 vs lxd/200 on machine 107" in status.message
