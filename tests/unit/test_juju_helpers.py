"""The real-Juju suite's pure helpers, against documents in Juju's own shapes (tests/unit/data/juju).

The fixtures are what the suite's model prints once settled on Juju 3.6: the validator on machine 0,
coturn on 1, lxd (ams-lxd) on 2, agent (anbox-stream-agent) and gateway-lb (haproxy) both on 3, where
agent/0 opened 443/tcp first and gateway-lb/0 was refused it. The `*-coturn-exposed` variants follow
`juju expose coturn --endpoints public`.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.cli import main
from anbox_cloud_ports.databag import PublishedClaim, RelatedUnit, encode_provider
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.render.as_json import report_json
from anbox_cloud_ports.sources.relation import deployment_from_units
from tests.integration import juju_helpers as jh

DATA = Path(__file__).parent / "data" / "juju"
REPO = Path(__file__).parents[2]
MODEL_UUID = "6f0e2d4a-3c1b-4e8f-9a7d-2b5c8e1f0a93"


def load_json(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def anbox_ports_check(tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    """`anbox-ports check <file> --format json`, in process, as the suite runs it."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(path), "--format", "json"], out=out, err=err)
    assert code in (0, 1), err.getvalue()
    return json.loads(out.getvalue())


def validator_report(status: dict[str, Any]) -> dict[str, Any]:
    """What the validator's `check` action returns when each unit publishes its catalog claims.

    Built the way the charm builds it (databags -> deployment_from_units -> check -> report_json), with
    the machines of the status fixture, so the comparison helpers meet real engine output.
    """
    related: list[RelatedUnit] = []
    for app in jh.LAYOUT:
        unit = f"{app.name}/0"
        claims = [
            PublishedClaim(PortRange.parse(port), endpoint, endpoint == jh.PUBLIC, "default")
            for endpoint, ports in jh.expected_ports(app.service).items()
            for port in sorted(ports)
        ]
        databag = encode_provider(app.service, "charmed", MODEL_UUID, jh.machine_of(status, unit), claims)
        related.append((unit, app.name, {"ingress-address": "10.42.17.2", **databag}))
    deployment = deployment_from_units(related, input="relation ports")
    return report_json(check(deployment))


# -- what the catalog says each service opens ----------------------------------------------------------


def test_expected_ports_put_each_catalog_row_on_its_endpoint():
    assert jh.expected_ports("coturn") == {"public": {"5349/tcp", "5349/udp", "50000-51000/udp"}}
    assert jh.expected_ports("ams-lxd") == {
        "internal": {"8443/tcp"},
        "public": {"10000-11000/tcp", "10000-11000/udp"},
    }
    assert jh.expected_ports("anbox-stream-agent") == {"internal": {"443/tcp"}}
    assert jh.expected_ports("haproxy") == {"public": {"80/tcp", "443/tcp"}}
    assert jh.expected_ports("nats", profile="appliance") == {"internal": {"4004/tcp"}}


def test_expected_ports_refuse_a_service_the_catalog_lacks():
    with pytest.raises(ValueError, match="no service 'ports-example'"):
        jh.expected_ports("ports-example")


def test_the_colocated_services_share_exactly_443_tcp():
    colocated = [app.service for app in jh.LAYOUT if app.colocated]
    assert colocated == ["anbox-stream-agent", "haproxy"]
    assert jh.shared_ports(colocated) == {"443/tcp"}
    assert jh.shared_ports([]) == frozenset()
    assert jh.shared_ports(["coturn", "ams-lxd"]) == frozenset()


def test_every_layout_service_is_in_the_catalog_and_names_are_unique():
    names = [app.name for app in jh.LAYOUT]
    assert len(set(names)) == len(names)
    assert jh.VALIDATOR_APP not in names
    for app in jh.LAYOUT:
        assert jh.expected_ports(app.service)
    assert jh.services() == {
        "coturn": "coturn",
        "lxd": "ams-lxd",
        "agent": "anbox-stream-agent",
        "gateway-lb": "haproxy",
    }


def test_all_ports_and_without():
    lxd = jh.expected_ports("ams-lxd")
    assert jh.all_ports(lxd) == {"8443/tcp", "10000-11000/tcp", "10000-11000/udp"}
    assert jh.without(lxd, {"8443/tcp"}) == {"public": {"10000-11000/tcp", "10000-11000/udp"}}
    assert jh.without(jh.expected_ports("haproxy"), {"443/tcp"}) == {"public": {"80/tcp"}}
    assert jh.without(jh.expected_ports("anbox-stream-agent"), {"443/tcp"}) == {}


# -- `opened-ports --endpoints` ------------------------------------------------------------------------


def test_parse_opened_ports_reads_the_json_juju_exec_returns():
    task = load_json("exec-opened-ports.json")["lxd/0"]
    assert task["status"] == "completed"
    assert jh.parse_opened_ports(task["results"]["stdout"]) == jh.expected_ports("ams-lxd")


def test_parse_opened_ports_reads_the_default_line_format():
    output = "5349/tcp (public)\n5349/udp (public)\n50000-51000/udp (public)\n"
    assert jh.parse_opened_ports(output) == jh.expected_ports("coturn")


def test_parse_opened_ports_lists_a_port_under_each_of_its_endpoints_and_the_wildcard():
    output = json.dumps(["80/tcp (internal, public)", "8000-8999/udp (*)", "icmp (public)"])
    assert jh.parse_opened_ports(output) == {
        "internal": {"80/tcp"},
        "public": {"80/tcp", "icmp"},
        "*": {"8000-8999/udp"},
    }


@pytest.mark.parametrize("output", ["", "  \n", "[]", "null\n"])
def test_parse_opened_ports_of_a_unit_holding_none(output: str):
    assert jh.parse_opened_ports(output) == {}


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ('["80/tcp"]', "was --endpoints passed"),
        ("80/tcp\n", "was --endpoints passed"),
        ('["80/sctp (public)"]', "not a Juju port range"),
        ('["80/tcp (Public)"]', "not an endpoint name"),
        ('["80/tcp (public,)"]', "not an endpoint name"),
        ("[80]", "not a string"),
        ('["80/tcp (public)"', "broken JSON"),
    ],
)
def test_parse_opened_ports_refuses_what_juju_does_not_print(output: str, problem: str):
    with pytest.raises(ValueError, match=problem):
        jh.parse_opened_ports(output)


def test_firewall_exposed_ports_follow_juju_firewaller_rules():
    opened = {
        "public": frozenset({"5349/tcp"}),
        "internal": frozenset({"8443/tcp"}),
        "*": frozenset({"22/tcp"}),
    }
    # A rule for `public` reaches public and wildcard ports, never internal ones.
    assert jh.firewall_exposed_ports(opened, ["public"]) == {"5349/tcp", "22/tcp"}
    # The wildcard rule (`juju expose app`) reaches everything.
    assert jh.firewall_exposed_ports(opened, [""]) == {"5349/tcp", "8443/tcp", "22/tcp"}
    assert jh.firewall_exposed_ports(opened, []) == frozenset()


# -- `juju status --format=json` ---------------------------------------------------------------------


def test_open_ports_by_unit_reads_status():
    status = load_json("status-colocated.json")
    assert jh.open_ports_by_unit(status) == {
        "agent/0": {"443/tcp"},
        "coturn/0": {"5349/tcp", "5349/udp", "50000-51000/udp"},
        "gateway-lb/0": {"80/tcp"},
        "lxd/0": {"8443/tcp", "10000-11000/tcp", "10000-11000/udp"},
        "validator/0": frozenset(),
    }


def test_units_include_subordinates():
    status = {
        "applications": {
            "ams": {
                "units": {
                    "ams/0": {"machine": "1", "subordinates": {"telegraf/0": {"open-ports": ["9103/tcp"]}}}
                }
            }
        }
    }
    assert jh.open_ports_by_unit(status) == {"ams/0": frozenset(), "telegraf/0": {"9103/tcp"}}


def test_open_ports_must_be_a_list_of_strings():
    status = {"applications": {"a": {"units": {"a/0": {"open-ports": "80/tcp"}}}}}
    with pytest.raises(ValueError, match=r"a/0\.open-ports"):
        jh.open_ports_by_unit(status)


def test_unit_facts_from_status():
    status = load_json("status-colocated.json")
    assert jh.machine_of(status, "agent/0") == jh.machine_of(status, "gateway-lb/0") == "3"
    assert jh.machine_ids(status) == {"0", "1", "2", "3"}
    assert jh.workload(status, "coturn/0") == ("active", "")
    assert jh.workload(status, "gateway-lb/0") == (
        "blocked",
        "cannot open 443/tcp: agent/0 holds 443/tcp on this machine",
    )
    assert jh.juju_major(status) == 3


def test_machine_of_a_unit_without_one():
    with pytest.raises(ValueError, match="no machine"):
        jh.machine_of({"applications": {"a": {"units": {"a/0": {}}}}}, "a/0")


@pytest.mark.parametrize(("version", "major"), [("3.6.11", 3), ("4.0.1", 4), ("2.9.49.1", 2)])
def test_juju_major(version: str, major: int):
    assert jh.juju_major({"model": {"version": version}}) == major


def test_juju_major_refuses_a_model_without_version():
    with pytest.raises(ValueError, match="not a Juju version"):
        jh.juju_major({"model": {}})


def test_exposure_before_and_after_expose_endpoints_public():
    assert jh.exposure(load_json("status-colocated.json"), "coturn") == (False, {})
    exposed, rules = jh.exposure(load_json("status-coturn-exposed.json"), "coturn")
    assert exposed
    assert rules == {"public": {"cidrs": {"0.0.0.0/0", "::/0"}, "spaces": frozenset()}}


def test_exposure_from_show_application():
    shown = load_json("anbox/show-application.json")
    assert jh.shown_exposure(shown, "lxd") == (
        True,
        {"public": {"cidrs": frozenset({"0.0.0.0/0", "::/0"}), "spaces": frozenset()}},
    )
    assert jh.shown_exposure(shown, "nats") == (False, {})  # not asked for: not exposed as far as it says


def test_status_fields_of_the_wrong_type_are_refused():
    with pytest.raises(ValueError, match="applications is a list"):
        jh.units({"applications": []})


# -- the example charm as the service it stands for ------------------------------------------------


def test_status_as_services_renames_only_the_listed_charms():
    status = load_json("status-colocated.json")
    renamed = jh.status_as_services(status, jh.services())
    apps = renamed["applications"]
    assert {name: (apps[name]["charm"], apps[name]["charm-name"]) for name in jh.services()} == {
        name: (service, service) for name, service in jh.services().items()
    }
    assert apps["validator"]["charm-name"] == "anbox-cloud-ports"
    assert status["applications"]["coturn"]["charm"] == "local:ports-example-0"  # the input is untouched
    del renamed["applications"]
    del status["applications"]
    assert renamed == status


def test_status_as_services_refuses_an_application_the_model_lacks():
    with pytest.raises(ValueError, match="juju status has no application nats"):
        jh.status_as_services(load_json("status-colocated.json"), {"nats": "nats"})


def test_bundle_as_services_keeps_the_overlay_document():
    text = jh.bundle_as_services(read("export-bundle-coturn-exposed.yaml"), jh.services())
    base, overlay = yaml.safe_load_all(text)
    assert {app: base["applications"][app]["charm"] for app in jh.services()} == jh.services()
    assert base["applications"]["validator"]["charm"] == "local:anbox-cloud-ports-0"
    assert base["applications"]["agent"]["to"] == base["applications"]["gateway-lb"]["to"] == ["3"]
    assert overlay == {
        "applications": {
            "coturn": {"exposed-endpoints": {"public": {"expose-to-cidrs": ["0.0.0.0/0", "::/0"]}}}
        }
    }


def test_bundle_as_services_refuses_what_is_not_the_model():
    with pytest.raises(ValueError, match="no bundle document"):
        jh.bundle_as_services("", jh.services())
    with pytest.raises(ValueError, match="the exported bundle has no application lxd"):
        jh.bundle_as_services(
            "applications:\n  coturn:\n    charm: local:ports-example-0\n", {"lxd": "ams-lxd"}
        )


# -- comparing reports, on the engine's own output -----------------------------------------------------

CONFLICT = ("port-conflict", ("agent/0", "gateway-lb/0"), ("443/tcp",))


def test_validator_status_and_bundle_reports_agree_on_the_colocated_conflict(tmp_path: Path):
    status = load_json("status-colocated.json")
    declared = validator_report(status)
    bundle = anbox_ports_check(
        tmp_path, "bundle.yaml", jh.bundle_as_services(read("export-bundle.yaml"), jh.services())
    )
    observed = anbox_ports_check(
        tmp_path, "status.json", json.dumps(jh.status_as_services(status, jh.services()))
    )

    assert jh.conflict_keys(declared) == {CONFLICT}
    assert jh.conflict_differences("validator", declared, "export-bundle", bundle) == []
    # Juju 3 refused gateway-lb/0's 443/tcp, so status holds no conflict; the refusal explains it.
    refused = jh.refused_ports(
        {f"{app.name}/0": jh.all_ports(jh.expected_ports(app.service)) for app in jh.LAYOUT},
        jh.open_ports_by_unit(status),
    )
    assert refused == {"gateway-lb/0": {"443/tcp"}}
    assert jh.conflict_keys(observed) == frozenset()
    assert jh.unexplained_conflicts(declared, observed, refused) == []


def test_engine_sees_coturn_unexposed_then_exposed_and_no_leak(tmp_path: Path):
    before = anbox_ports_check(
        tmp_path,
        "before.json",
        json.dumps(jh.status_as_services(load_json("status-colocated.json"), jh.services())),
    )
    after = anbox_ports_check(
        tmp_path,
        "after.json",
        json.dumps(jh.status_as_services(load_json("status-coturn-exposed.json"), jh.services())),
    )
    assert [f["units"] for f in jh.findings(before, "external-port-unexposed")] == [["coturn/0"]]
    assert jh.findings(after, "external-port-unexposed") == []
    assert jh.findings(after, "internal-port-exposed") == []


def test_coturn_exposes_exactly_its_external_ports():
    opened = jh.parse_opened_ports('["5349/tcp (public)","5349/udp (public)","50000-51000/udp (public)"]')
    _, rules = jh.exposure(load_json("status-coturn-exposed.json"), "coturn")
    external = {str(c) for row in Catalog.builtin().for_charm("coturn") if row.exposed for c in row.claims}
    assert jh.firewall_exposed_ports(opened, rules) == external


def finding(units: Sequence[str], ports: Sequence[str], host: str = "3") -> dict[str, Any]:
    return {
        "rule": "port-conflict",
        "units": list(units),
        "ports": list(ports),
        "hosts": [host],
        "message": host,
    }


def report(*items: dict[str, Any]) -> dict[str, Any]:
    return {"input": "x", "juju": "3", "findings": list(items), "summary": {}}


def test_conflict_keys_ignore_hosts_wording_and_order():
    a = report(finding(["b/0", "a/0"], ["443/tcp"], host="3"))
    b = report(finding(["a/0", "b/0"], ["443/tcp"], host="6f0e2d4a:3"))
    other = report({"rule": "uncatalogued-port", "units": ["a/0"], "ports": ["1/tcp"]})
    assert jh.conflict_keys(a) == jh.conflict_keys(b) == {("port-conflict", ("a/0", "b/0"), ("443/tcp",))}
    assert jh.conflict_keys(other) == frozenset()
    assert jh.conflict_differences("one", a, "two", b) == []


def test_conflict_differences_name_each_side():
    a = report(finding(["a/0", "b/0"], ["443/tcp"]))
    b = report(finding(["c/0", "d/0"], ["80/tcp"]))
    assert jh.conflict_differences("validator", a, "bundle", b) == [
        "only validator reports ('port-conflict', ('a/0', 'b/0'), ('443/tcp',))",
        "only bundle reports ('port-conflict', ('c/0', 'd/0'), ('80/tcp',))",
    ]


def test_findings_refuse_a_document_that_is_not_a_report():
    with pytest.raises(ValueError, match="not an anbox-ports report"):
        jh.findings({"summary": {}})


def test_unexplained_conflicts_accepts_juju_4_holding_both():
    # Juju 4 accepts an identical range from co-located units: status shows the conflict, nothing refused.
    both = report(finding(["a/0", "b/0"], ["443/tcp"]))
    assert jh.unexplained_conflicts(both, both, {}) == []


def test_unexplained_conflicts_flags_each_kind_of_disagreement():
    declared = report(finding(["a/0", "b/0"], ["443/tcp"]))
    surprise = report(finding(["a/0", "b/0"], ["443/tcp"]), finding(["c/0", "d/0"], ["80/tcp"]))
    assert jh.unexplained_conflicts(declared, surprise, {}) == [
        "status shows ('port-conflict', ('c/0', 'd/0'), ('80/tcp',)), which the declared claims do not"
    ]
    assert jh.unexplained_conflicts(declared, report(), {}) == [
        "declared ('port-conflict', ('a/0', 'b/0'), ('443/tcp',)) is neither in status nor refused to any of its units"
    ]
    assert jh.unexplained_conflicts(declared, report(), {"b/0": {"443/tcp"}, "c/0": {"80/tcp"}}) == [
        "c/0 lacks 80/tcp, but no declared conflict explains it"
    ]


def test_refused_ports_lists_only_units_missing_something():
    expected = {"a/0": {"80/tcp", "443/tcp"}, "b/0": {"443/tcp"}, "c/0": {"22/tcp"}}
    observed = {"a/0": {"80/tcp", "443/tcp", "9/udp"}, "b/0": set[str]()}
    assert jh.refused_ports(expected, observed) == {"b/0": {"443/tcp"}, "c/0": {"22/tcp"}}


# -- packed charms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "arch"),
    [("x86_64", "amd64"), ("aarch64", "arm64"), ("ppc64le", "ppc64el"), ("s390x", "s390x")],
)
def test_host_arch(machine: str, arch: str):
    assert jh.host_arch(machine) == arch


def test_host_arch_of_this_machine_is_a_juju_arch():
    assert jh.host_arch() in {"amd64", "arm64", "ppc64el", "s390x", "riscv64"}


def test_charm_names_of_the_two_charms_the_suite_packs():
    assert jh.charm_name_of((REPO / "charmcraft.yaml").read_text(encoding="utf-8")) == "anbox-cloud-ports"
    example = (REPO / "tests" / "example_charm" / "charmcraft.yaml").read_text(encoding="utf-8")
    assert jh.charm_name_of(example) == "ports-example"
    with pytest.raises(ValueError, match="no name"):
        jh.charm_name_of("type: charm\n")


def test_pick_packed_charm_by_platform():
    files = [
        Path("anbox-cloud-ports_amd64.charm"),
        Path("anbox-cloud-ports_arm64.charm"),
        Path("anbox-cloud-ports-extra_amd64.charm"),
        Path("anbox-cloud-ports_amd64.zip"),
    ]
    assert jh.pick_packed_charm(files, "anbox-cloud-ports", "amd64") == Path("anbox-cloud-ports_amd64.charm")
    assert jh.pick_packed_charm(files, "anbox-cloud-ports", "arm64") == Path("anbox-cloud-ports_arm64.charm")
    long_form = [Path("ports-example_ubuntu-24.04-amd64.charm")]
    assert jh.pick_packed_charm(long_form, "ports-example", "amd64") == long_form[0]


def test_pick_packed_charm_says_what_it_found():
    with pytest.raises(
        LookupError, match=r"no ports-example charm packed for s390x \(found: ports-example_amd64"
    ):
        jh.pick_packed_charm([Path("ports-example_amd64.charm")], "ports-example", "s390x")
    with pytest.raises(LookupError, match="found: none"):
        jh.pick_packed_charm([], "ports-example", "amd64")
    two = [Path("ports-example_ubuntu-22.04-amd64.charm"), Path("ports-example_ubuntu-24.04-amd64.charm")]
    with pytest.raises(LookupError, match="several ports-example charms"):
        jh.pick_packed_charm(two, "ports-example", "amd64")


def test_charm_from_env(tmp_path: Path):
    charm = tmp_path / "ports-example_amd64.charm"
    charm.write_bytes(b"PK")
    var = "ANBOX_PORTS_EXAMPLE_CHARM"
    assert jh.charm_from_env(var, {}) is None
    assert jh.charm_from_env(var, {var: "  "}) is None
    assert jh.charm_from_env(var, {var: str(charm)}) == charm.resolve()
    with pytest.raises(ValueError, match=r"is not a \.charm file"):
        jh.charm_from_env(var, {var: str(tmp_path / "missing.charm")})
    with pytest.raises(ValueError, match=r"is not a \.charm file"):
        jh.charm_from_env(var, {var: str(tmp_path)})


# -- is there a Juju to test against? ------------------------------------------------------------------


class FakeJuju:
    """A `run` for probe_controller: answers per subcommand and records every argv."""

    def __init__(self, **answers: subprocess.CompletedProcess[str] | BaseException):
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        answer = self.answers[argv[1]]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def done(stdout: str = "", stderr: str = "", code: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["juju"], code, stdout, stderr)


def on_path(name: str) -> str | None:
    return f"/snap/bin/{name}"


def test_probe_without_the_cli():
    def which(name: str) -> str | None:
        return None

    assert jh.probe_controller(which=which, run=FakeJuju()) == jh.NO_CLI
    assert jh.NO_CLI == "no juju CLI: install juju and bootstrap a controller (see README)"


def test_probe_with_a_reachable_controller():
    juju = FakeJuju(controllers=done(read("controllers.json")), models=done('{"models":[]}'))
    assert jh.probe_controller(which=on_path, run=juju) is None
    assert juju.calls == [
        ["juju", "controllers", "--format=json"],
        ["juju", "models", "--controller", "localhost-localhost", "--format=json"],
    ]


@pytest.mark.parametrize(
    ("juju", "detail"),
    [
        (FakeJuju(controllers=done(read("controllers-none.json"))), "no current controller"),
        (FakeJuju(controllers=done('{"controllers":{},"current-controller":""}')), "no current controller"),
        (FakeJuju(controllers=done("not json")), "printed no JSON"),
        (
            FakeJuju(controllers=done(stderr="ERROR cannot read controllers\n", code=1)),
            "cannot read controllers",
        ),
        (FakeJuju(controllers=subprocess.TimeoutExpired(["juju"], 60)), "timed out"),
        (
            FakeJuju(
                controllers=done(read("controllers.json")),
                models=done(stderr="\nERROR cannot connect to API: dial tcp 10.42.17.10:17070\n", code=1),
            ),
            "controller 'localhost-localhost' did not answer: ERROR cannot connect to API",
        ),
        (
            FakeJuju(controllers=done(read("controllers.json")), models=FileNotFoundError("juju")),
            "controller 'localhost-localhost' did not answer",
        ),
    ],
)
def test_probe_without_a_reachable_controller(juju: FakeJuju, detail: str):
    reason = jh.probe_controller(which=on_path, run=juju)
    assert reason is not None
    assert reason.startswith(jh.NO_CONTROLLER + ": ")
    assert detail in reason
    assert "\n" not in reason


# -- waiting for the model ------------------------------------------------------------------------------


def test_first_units_and_juju_option():
    assert jh.first_units() == ["validator/0", "coturn/0", "lxd/0", "agent/0", "gateway-lb/0"]
    assert [jh.juju_option(major) for major in (2, 3, 4, 5)] == ["3", "3", "4", "4"]


def test_both_charms_run_on_the_base_the_shared_machine_is_added_with():
    for path in (REPO / "charmcraft.yaml", REPO / "tests" / "example_charm" / "charmcraft.yaml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["base"] == jh.BASE, path


def test_unit_states_and_settled_on_the_settled_status():
    states = jh.unit_states(load_json("status-colocated.json"))
    assert states == {
        "agent/0": ("idle", "active"),
        "coturn/0": ("idle", "active"),
        "gateway-lb/0": ("idle", "blocked"),
        "lxd/0": ("idle", "active"),
        "validator/0": ("idle", "blocked"),
    }
    assert jh.settled(states, jh.first_units())


@pytest.mark.parametrize(
    "change",
    [
        {"validator/0": ("idle", "waiting")},  # no relation yet
        {"lxd/0": ("executing", "active")},  # a hook is running
        {"coturn/0": ("idle", "maintenance")},
        {"agent/0": ("idle", "error")},
    ],
)
def test_not_settled(change: dict[str, tuple[str, str]]):
    states = {**jh.unit_states(load_json("status-colocated.json")), **change}
    assert not jh.settled(states, jh.first_units())


def test_not_settled_while_a_unit_is_missing():
    states = jh.unit_states(load_json("status-colocated.json"))
    del states["gateway-lb/0"]
    assert not jh.settled(states, jh.first_units())
