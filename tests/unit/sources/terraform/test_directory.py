"""A Terraform root module as INPUT: the guide's example and its variants, read from the test copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anbox_cloud_ports.model import Host
from anbox_cloud_ports.ports import PortRange

from .reference import CONTROLLER, ROOT, VARIANTS, claims, directory, hosts_of, judged, layout, rules

SUB_A = "anbox-subcluster-a"


def test_the_guide_example_places_every_unit_on_its_model_s_machines() -> None:
    deployment = directory()
    assert set(deployment.models) == {CONTROLLER, SUB_A}
    assert layout(deployment) == {
        Host("juju_machine.ams_node[0]", SUB_A): [
            f"{SUB_A}:ams/0",
            f"{SUB_A}:anbox-stream-agent/0",
            f"{SUB_A}:ca/0",
            f"{SUB_A}:coturn/0",
        ],
        Host("juju_machine.controller_node[0]", CONTROLLER): [
            f"{CONTROLLER}:anbox-cloud-dashboard/0",
            f"{CONTROLLER}:anbox-stream-gateway/0",
            f"{CONTROLLER}:ca/0",
            f"{CONTROLLER}:nats/0",
        ],
        Host("juju_machine.db_node[0]", SUB_A): [f"{SUB_A}:etcd-ca/0", f"{SUB_A}:etcd/0"],
        Host("juju_machine.lxd_node[0]", SUB_A): [f"{SUB_A}:lxd/0"],
    }
    assert deployment.problems == ()
    assert deployment.unchecked == ()


def test_the_guide_example_claims_the_catalog_ports_and_exposes_coturn_and_nats() -> None:
    deployment = directory()
    held = claims(deployment)
    assert (f"{SUB_A}:coturn/0", "50000-51000/udp", None) in held
    assert (f"{SUB_A}:etcd/0", "2379/tcp", None) in held  # charmed-etcd listens, so conflicts count
    assert not [c for c in held if c[0].startswith((f"{SUB_A}:ca/", f"{CONTROLLER}:ca/"))]
    coturn = deployment.applications[f"{SUB_A}:coturn"]
    nats = deployment.applications[f"{CONTROLLER}:nats"]
    assert dict(coturn.exposed).keys() == {""}  # expose {}: the wildcard rule
    assert coturn.exposed[""].everyone
    assert nats.exposed["client"].cidrs == ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    assert str(nats.location).endswith("anbox-cloud-terraform/modules/controller/main.tf:27")


def test_the_guide_example_has_one_info_finding_and_passes() -> None:
    report = judged(directory())
    assert rules(report) == [("internal-port-exposed", "info", ("4222/tcp",))]
    [finding] = report.findings
    assert finding.hosts == (Host("juju_machine.controller_node[0]", CONTROLLER),)
    assert "juju exec -m anbox-controller --unit nats/0" in (finding.fix or "")
    assert (report.summary.errors, report.summary.hosts, report.summary.units) == (0, 4, 11)


def test_enable_ha_triples_every_node_and_each_unit_has_its_own_machine() -> None:
    deployment = directory(*VARIANTS["ha"])
    hosts = hosts_of(deployment)
    for n in range(3):
        assert hosts[f"{CONTROLLER}:nats/{n}"] == Host(f"juju_machine.controller_node[{n}]", CONTROLLER)
        assert hosts[f"{SUB_A}:lxd/{n}"] == Host(f"juju_machine.lxd_node[{n}]", SUB_A)  # 1 node raised to 3
        assert hosts[f"{SUB_A}:etcd/{n}"] == Host(f"juju_machine.db_node[{n}]", SUB_A)
    assert len(deployment.units) == 33
    assert rules(judged(deployment)) == [("internal-port-exposed", "info", ("4222/tcp",))]


def test_enable_lb_opens_the_services_of_haproxy_and_warns_about_the_unlisted_ones() -> None:
    deployment = directory(*VARIANTS["lb"])
    lb = f"{CONTROLLER}:anbox-stream-gateway-lb/0"
    assert hosts_of(deployment)[lb] == Host("juju_machine.controller_node[0]", CONTROLLER)
    assert [(port, option) for unit, port, option in claims(deployment) if unit == lb] == [
        ("443/tcp", "services"),
        ("80/tcp", "services"),
        ("8080/tcp", "services"),
        ("8081/tcp", "services"),
    ]
    report = judged(deployment)
    assert rules(report) == [
        ("unlisted-port-exposed", "warning", ("8080/tcp",)),
        ("unlisted-port-exposed", "warning", ("8081/tcp",)),
        ("internal-port-exposed", "info", ("4222/tcp",)),
    ]
    warning = report.findings[0]
    assert (
        "expose block of anbox-stream-gateway-lb (all endpoints) exposes it to 0.0.0.0/0 and ::/0"
        in warning.message
    )
    assert "remove its service from option services" in (warning.fix or "")
    assert '`expose { cidrs = "<networks you trust>" }` in anbox-stream-gateway-lb' in (warning.fix or "")
    assert report.summary.errors == 0


def test_two_subclusters_are_two_models_whose_machines_never_meet() -> None:
    deployment = directory(*VARIANTS["two-subclusters"])
    assert set(deployment.models) == {CONTROLLER, SUB_A, "anbox-subcluster-b"}
    hosts = hosts_of(deployment)
    a, b = hosts[f"{SUB_A}:ams/0"], hosts["anbox-subcluster-b:ams/0"]
    assert (a.machine, b.machine) == ("juju_machine.ams_node[0]", "juju_machine.ams_node[0]")
    assert a != b  # machine 0 of two models is two hosts: same ports, no conflict
    assert hosts["anbox-subcluster-b:lxd/1"] == Host("juju_machine.lxd_node[1]", "anbox-subcluster-b")
    assert rules(judged(deployment)) == [("internal-port-exposed", "info", ("4222/tcp",))]


def test_deploy_registry_adds_a_model_whose_units_get_new_machines() -> None:
    deployment = directory(*VARIANTS["registry"])
    assert "anbox-registry" in deployment.models
    assert hosts_of(deployment)["anbox-registry:aar/0"] == Host("new:aar/0", "anbox-registry")
    assert deployment.unchecked == ("anbox-registry:aar",)  # not in the seed tables
    report = judged(deployment)
    assert rules(report) == [("internal-port-exposed", "info", ("4222/tcp",))]
    assert report.summary.unchecked == 1


def test_cos_subordinates_follow_their_principals_and_open_nothing() -> None:
    deployment = directory(*VARIANTS["cos"])
    hosts = hosts_of(deployment)
    agent = deployment.applications[f"{CONTROLLER}:grafana-agent"]
    collector = deployment.applications[f"{SUB_A}:grafana-agent"]
    assert (agent.charm, agent.subordinate) == ("grafana-agent", True)
    assert (collector.charm, collector.subordinate) == ("opentelemetry-collector", True)
    assert hosts[f"{CONTROLLER}:grafana-agent/0"] == hosts[f"{CONTROLLER}:anbox-stream-gateway/0"]
    assert hosts[f"{SUB_A}:grafana-agent/0"] == hosts[f"{SUB_A}:ams/0"]
    assert not [c for c in deployment.claims if ":grafana-agent/" in c.unit]


def test_a_model_name_juju_refuses_is_an_error_and_the_other_models_are_still_checked() -> None:
    deployment = directory('subclusters=[{name="a", lxd_node_count=1}, {name="b.x", lxd_node_count=1}]')
    report = judged(deployment)
    invalid = [f for f in report.findings if f.rule == "invalid-name"]
    assert len(invalid) == 1
    assert 'Juju refuses the model name "anbox-subcluster-b.x"' in invalid[0].message
    assert str(invalid[0].location).endswith("modules/subcluster/control_plane.tf:13")
    assert {u.model for u in deployment.units} == {CONTROLLER, SUB_A}


def test_a_conflict_within_one_model_names_the_model_and_the_option(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(ROOT, root)
    control = root / "modules" / "subcluster" / "control_plane.tf"
    # AMS's API moved onto 443, where the stream agent on the same machine listens.
    before = control.read_text()
    control.write_text(
        before.replace(
            "use_embedded_etcd = !var.external_etcd",
            'use_embedded_etcd = !var.external_etcd\n    port = "443"',
        )
    )
    assert control.read_text() != before
    report = judged(directory(root=root))
    [conflict] = [f for f in report.findings if f.rule == "port-conflict"]
    assert conflict.hosts == (Host("juju_machine.ams_node[0]", SUB_A),)
    assert conflict.ports == (PortRange.parse("443/tcp"),)
    assert "on machine juju_machine.ams_node[0] of model anbox-subcluster-a" in conflict.message
    assert "set ams option port to" in (conflict.fix or "")
    assert str(conflict.location).endswith("modules/subcluster/control_plane.tf:156")  # the agent's block


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_is_judged_without_an_error(variant: str) -> None:
    report = judged(directory(*VARIANTS[variant]))
    assert report.summary.errors == 0
    assert not [f for f in report.findings if f.rule == "unresolved-value"]
