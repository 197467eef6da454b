"""Real-world bundles and status dumps (tests/unit/data/corpus): read and placed as Juju would, or
refused with Juju's own reason."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Deployment, ExposeTarget
from anbox_cloud_ports.sources import load

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
FILES = sorted(p for p in CORPUS.glob("*/*") if p.name != "README.md")

# file -> (hosts, units) when read, or the refusal Juju gives
VERDICTS: dict[str, tuple[int, int] | str] = {
    "canonical_juju-lint_tests_resources_fcb-yoga-jammy-bundle.yaml": (82, 918),
    "charmed-kubernetes_bundle_fragments_k8s_cdk-converged_bundle.yaml": (20, 24),
    "charmed-kubernetes_bundle_fragments_k8s_core_bundle.yaml": (3, 4),
    "charmed-kubernetes_bundle_fragments_legacy-storage_ceph_bundle.yaml": (
        'placement "kubernetes-worker" refers to an application not defined in this bundle (and 2 more errors)'
    ),
    # Charm store URLs: Juju 3 and 4 refuse them (juju/charm v12 url.go ParseURL).
    "charmed-kubernetes_bundle_specs_equinix-bundle.yaml": (
        'invalid charm URL in application "calico": cannot parse URL "cs:~containers/calico-826": schema "cs" not valid'
    ),
    "juju_juju_acceptancetests_repository_bundles-lxd.yaml": "juju-deployer format",
    "juju_juju_tests_suites_firewall_bundles_invalid.yaml": (
        'exposed-endpoints cannot be specified together with "exposed:true" in application "ubuntu-lite" '
        "as this poses a security risk when deploying bundles to older controllers"
    ),
    "juju_python-libjuju_tests_integration_bundle_test-overlays_bundle-with-overlay-multi.yaml": (1, 1),
    "openstack-charmers_openstack-bundles_stable_openstack-base_bundle.yaml": (22, 50),
    # An overlay on its own: its applications name no charm.
    "openstack-charmers_openstack-bundles_stable_overlays_openstack-base-virt-overlay.yaml": "empty charm path",
    "LCVcode_jockey_tests_samples_juju-status-empty-applications.json": (3, 8),
    "LCVcode_jockey_tests_samples_k8s-core-juju-status.json": (3, 8),
    "canonical_charmed-openstack-upgrader_tests_unit_jujustatus.json": (12, 19),
    "canonical_jubilant_tests_unit_fake_statuses_SUBORDINATES.json": (2, 4),
    "canonical_juju-doctor_tests_manual_status_gagent-vm-status.yaml": (2, 4),
    "canonical_juju-doctor_tests_resources_artifacts_status.yaml": (6, 6),
}


def read(name: str) -> Deployment:
    path = next(p for p in FILES if p.name == name)
    return load(path.read_bytes(), input=name)


def placed(deployment: Deployment) -> dict[str, str]:
    return {unit.name: unit.host.machine for unit in deployment.units}


def test_every_corpus_file_has_a_verdict():
    assert sorted(p.name for p in FILES) == sorted(VERDICTS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_read_or_refused_with_jujus_reason(path: Path):
    verdict = VERDICTS[path.name]
    if isinstance(verdict, str):
        with pytest.raises(InputError) as info:
            load(path.read_bytes(), input=path.name)
        message = str(info.value)
        assert message.startswith(path.name)
        assert verdict in message
        assert len(message.splitlines()) == 1
        return
    deployment = load(path.read_bytes(), input=path.name)
    assert (len(deployment.hosts()), len(deployment.units)) == verdict
    assert deployment.observed == (path.parent.name == "status")
    assert len({u.name for u in deployment.units}) == len(deployment.units)
    units = {u.name for u in deployment.units}
    assert all(claim.unit in units for claim in deployment.claims)


@pytest.mark.parametrize(
    "path", [p for p in FILES if not isinstance(VERDICTS[p.name], str)], ids=lambda p: p.name
)
def test_judged_by_the_engine(path: Path):
    checks = pytest.importorskip("anbox_cloud_ports.checks")
    checks.check(load(path.read_bytes(), input=path.name))


# -- bundles -----------------------------------------------------------------------------------


def test_openstack_base_containers_hulk_smash_and_subordinates():
    deployment = read("openstack-charmers_openstack-bundles_stable_openstack-base_bundle.yaml")
    where = placed(deployment)
    # lxd:N: a new container, a host of its own, numbered per machine in Juju's (name) order
    assert [where[u] for u in ("ceph-mon/0", "ceph-radosgw/0", "keystone/0", "mysql-innodb-cluster/0")] == [
        "0/lxd/0",
        "0/lxd/1",
        "0/lxd/2",
        "0/lxd/3",
    ]
    assert where["nova-cloud-controller/0"] == "0/lxd/4"
    assert where["vault/0"] == "0/lxd/6"
    containers = [h for h in where.values() if "/lxd/" in h]
    principals_in_containers = [
        u for u in deployment.units if "/lxd/" in u.host.machine and not u.subordinate
    ]
    assert len(set(containers)) == len(principals_in_containers) == 19
    # hulk-smashed principals share the machine
    for n in range(3):
        assert where[f"ceph-osd/{n}"] == where[f"nova-compute/{n}"] == str(n)
    # subordinates live on their principal's host
    assert [where[f"ntp/{n}"] for n in range(3)] == ["0", "1", "2"]
    assert where["keystone-mysql-router/0"] == where["keystone/0"]
    assert where["vault-mysql-router/0"] == where["vault/0"]
    assert deployment.applications["ntp"].subordinate


def test_openstack_base_with_the_virt_overlay():
    base = CORPUS / "bundles" / "openstack-charmers_openstack-bundles_stable_openstack-base_bundle.yaml"
    overlay = (
        CORPUS
        / "bundles"
        / "openstack-charmers_openstack-bundles_stable_overlays_openstack-base-virt-overlay.yaml"
    )
    deployment = load(base.read_text(), input=base.name, overlays=[(overlay.read_text(), overlay.name)])
    principals = [u for u in deployment.units if not u.subordinate]
    # `machines: {}` and `to: []`: every principal unit on a machine of its own
    assert len(principals) == len({u.host for u in principals}) == 25
    assert not any("/" in u.host.machine for u in principals)
    exposed = {name for name, app in deployment.applications.items() if app.exposed}
    assert exposed == {
        "cinder",
        "glance",
        "keystone",
        "neutron-api",
        "nova-cloud-controller",
        "openstack-dashboard",
    }


def test_cdk_converged_int_keys_lxd_app_and_kvm_app_unit():
    deployment = read("charmed-kubernetes_bundle_fragments_k8s_cdk-converged_bundle.yaml")
    where = placed(deployment)
    assert [where[f"kubernetes-control-plane/{n}"] for n in range(3)] == ["0", "1", "2"]
    assert where["easyrsa/0"] == "0/lxd/0"  # lxd:kubernetes-control-plane: beside its first unit
    assert [where[f"kubernetes-worker-host/{n}"] for n in range(4)] == ["3", "4", "5", "6"]
    workers = [where[f"kubernetes-worker/{n}"] for n in range(12)]
    assert workers == [f"{3 + n % 4}/kvm/{n // 4}" for n in range(12)]
    assert where["kubeapi-load-balancer/0"] == where["kubernetes-worker-host/0"] == "3"
    assert deployment.applications["kubernetes-worker"].exposed == {"": ExposeTarget()}


def test_equinix_three_principals_per_machine():
    """With its charm store URLs made Charmhub names, as Juju 3 requires, the bundle places as Juju does."""
    name = "charmed-kubernetes_bundle_specs_equinix-bundle.yaml"
    text = next(p for p in FILES if p.name == name).read_text()
    charmhub = re.sub(
        r"cs:(?:~containers/)?([a-z-]+?)(?:-[0-9]+)?(?=['\"]?$)", r"\1", text, flags=re.MULTILINE
    )
    deployment = load(charmhub, input=name)
    on_machine = Counter(u.host.machine for u in deployment.units if not u.subordinate)
    assert (
        on_machine["0"] == on_machine["1"] == on_machine["2"] == 3
    )  # ceph-osd, kubernetes-worker, kubeapi-lb
    assert {u.application for u in deployment.units if u.host.machine == "0" and not u.subordinate} == {
        "ceph-osd",
        "kubernetes-worker",
        "kubeapi-load-balancer",
    }
    assert deployment.applications["kubeapi-load-balancer"].exposed == {"": ExposeTarget()}
    assert deployment.applications["kubernetes-control-plane"].charm == "kubernetes-master"
    assert "kubeapi-load-balancer" in deployment.unchecked  # its `port: 6443` moves no catalog row
    assert {c.unit for c in deployment.claims} == {"etcd/0", "etcd/1", "etcd/2"}


def test_k8s_core_fragment():
    deployment = read("charmed-kubernetes_bundle_fragments_k8s_core_bundle.yaml")
    assert placed(deployment) == {
        "kubernetes-control-plane/0": "0",
        "easyrsa/0": "0/lxd/0",
        "kubernetes-worker/0": "1",
        "etcd/0": "0",
    }


def test_libjuju_overlay_removes_an_application_and_its_relation():
    deployment = read(
        "juju_python-libjuju_tests_integration_bundle_test-overlays_bundle-with-overlay-multi.yaml"
    )
    assert set(deployment.applications) == {"mysql"}
    assert placed(deployment) == {"mysql/0": "0"}


def test_legacy_storage_fragment_is_refused_like_juju():
    with pytest.raises(InputError) as info:
        read("charmed-kubernetes_bundle_fragments_legacy-storage_ceph_bundle.yaml")
    assert (info.value.where, info.value.line) == ("applications.ceph-osd.to[0]", 10)


# -- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "LCVcode_jockey_tests_samples_k8s-core-juju-status.json",
        "LCVcode_jockey_tests_samples_juju-status-empty-applications.json",
    ],
)
def test_jockey_k8s_core_status(name: str):
    deployment = read(name)
    where = placed(deployment)
    assert where["etcd/0"] == where["kubernetes-control-plane/0"] == where["calico/1"] == "0"
    assert where["easyrsa/0"] == "0/lxd/0"
    assert where["kubernetes-worker/0"] == where["containerd/0"] == "1"
    open_ports = {(c.unit, str(c.port)) for c in deployment.claims}
    assert open_ports == {
        ("etcd/0", "2379/tcp"),
        ("kubernetes-control-plane/0", "6443/tcp"),
        ("kubernetes-worker/0", "80/tcp"),
        ("kubernetes-worker/0", "443/tcp"),
    }
    etcd = next(c for c in deployment.claims if c.unit == "etcd/0")
    assert etcd.row is not None
    assert etcd.row.service == "etcd"
    exposed = {name for name, app in deployment.applications.items() if app.is_exposed}
    assert exposed == {"kubernetes-control-plane", "kubernetes-worker"}
    # docs/juju-facts.md#status-formats: status says `exposed: true`, never to whom.
    assert not any(deployment.applications[name].expose_rules_known for name in exposed)
    assert {u.name for u in deployment.units if u.subordinate} == {
        "calico/0",
        "calico/1",
        "containerd/0",
        "containerd/1",
    }


def test_jockey_empty_applications_are_kept():
    deployment = read("LCVcode_jockey_tests_samples_juju-status-empty-applications.json")
    assert {"nrpe", "kubernetes-service-checks"} <= set(deployment.applications)
    assert not any(u.application in ("nrpe", "kubernetes-service-checks") for u in deployment.units)


def test_openstack_upgrader_one_principal_per_machine():
    deployment = read("canonical_charmed-openstack-upgrader_tests_unit_jujustatus.json")
    principals = [u for u in deployment.units if not u.subordinate]
    assert len({u.host for u in principals}) == 12
    assert deployment.applications["mysql"].charm == "mysql-innodb-cluster"
    assert {str(c.port) for c in deployment.claims if c.unit == "nova-cloud-controller/0"} == {
        "8774/tcp",
        "8775/tcp",
    }


def test_jubilant_subordinates_icmp_and_nrpe_port():
    deployment = read("canonical_jubilant_tests_unit_fake_statuses_SUBORDINATES.json")
    where = placed(deployment)
    assert where["nrpe/1"] == where["ubuntu/1"] == "1"
    assert where["nrpe/2"] == where["ubun2/0"] == "2"
    assert {(c.unit, str(c.port)) for c in deployment.claims} == {
        ("nrpe/1", "icmp"),
        ("nrpe/1", "5666/tcp"),
        ("nrpe/2", "icmp"),
        ("nrpe/2", "5666/tcp"),
    }
    assert deployment.applications["ubun2"].charm == "ubuntu"


def test_juju_doctor_yaml_status():
    deployment = read("canonical_juju-doctor_tests_manual_status_gagent-vm-status.yaml")
    assert placed(deployment) == {
        "zookeeper/0": "1",
        "agent/1": "1",
        "zookeeper-stable/0": "2",
        "agent-stable/0": "2",
    }
    assert (
        deployment.applications["agent"].charm == "grafana-agent"
    )  # charm-name beats local:jammy/grafana-agent-3
    assert deployment.applications["agent"].subordinate
    assert deployment.claims == ()


def test_kubernetes_model_without_machines():
    deployment = read("canonical_juju-doctor_tests_resources_artifacts_status.yaml")
    assert placed(deployment) == {
        f"{app}/0": f"{app}/0"
        for app in ("alertmanager", "catalogue", "grafana", "loki", "prometheus", "traefik")
    }
    assert deployment.applications["prometheus"].charm == "prometheus-k8s"
