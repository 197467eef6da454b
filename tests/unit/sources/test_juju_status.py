"""`juju status` dumps as observed Deployments: hosts, subordinates, open ports, exposure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Deployment, ExposeTarget, Location
from anbox_cloud_ports.sources import juju_status, load, load_status

STATUS = Path(__file__).parents[1] / "data" / "status"


def by_unit(deployment: Deployment) -> dict[str, str]:
    return {unit.name: unit.host.machine for unit in deployment.units}


def ports(deployment: Deployment, unit: str) -> set[str]:
    return {str(c.port) for c in deployment.claims if c.unit == unit}


@pytest.fixture(params=["anbox-status.json", "anbox-status.yaml"])
def anbox(request: pytest.FixtureRequest) -> Deployment:
    name: str = request.param
    return load_status((STATUS / name).read_bytes(), input=name)


def test_units_sit_on_machines_and_containers(anbox: Deployment):
    assert by_unit(anbox) == {
        "ams/0": "1",
        "telegraf/0": "1",
        "anbox-stream-agent/0": "1",
        "telegraf/1": "1",
        "anbox-stream-gateway/0": "0/lxd/0",
        "anbox-stream-gateway-lb/0": "0",
        "coturn/0": "0",
        "etcd/0": "0/lxd/1",
        "lxd/0": "2",
        "nats/0": "0",
    }
    assert anbox.observed
    assert len(anbox.hosts()) == 5


def test_open_ports_become_observed_claims(anbox: Deployment):
    assert ports(anbox, "coturn/0") == {"5349/tcp", "5349/udp", "50000-51000/udp"}
    assert ports(anbox, "lxd/0") == {"8443/tcp", "10000-11000/tcp", "10000-11000/udp"}
    assert ports(anbox, "telegraf/0") == {"9103/tcp"}
    claim = next(c for c in anbox.claims if c.unit == "anbox-stream-gateway-lb/0" and c.port.start == 443)
    assert (claim.origin, claim.endpoint, claim.option) == ("observed", "", None)
    assert claim.row is not None
    assert claim.row.service == "HAProxy"
    assert next(c for c in anbox.claims if c.unit == "telegraf/0").row is None


def test_subordinates_are_marked_and_follow_their_principal(anbox: Deployment):
    subs = {u.name for u in anbox.units if u.subordinate}
    assert subs == {"telegraf/0", "telegraf/1"}
    assert anbox.applications["telegraf"].subordinate
    assert {u.charm for u in anbox.units if u.application == "telegraf"} == {"telegraf"}


def test_exposure_as_status_reports_it(anbox: Deployment):
    apps = anbox.applications
    # docs/juju-facts.md#status-formats: `exposed: true` without `exposed-endpoints` says not to whom.
    lb = apps["anbox-stream-gateway-lb"]
    assert (dict(lb.exposed), lb.is_exposed, lb.expose_rules_known) == ({}, True, False)
    # Juju never prints `exposed-endpoints` in status, but another tool's dump may carry it.
    assert dict(apps["coturn"].exposed) == {"": ExposeTarget()}  # 0.0.0.0/0 and ::/0: everyone
    assert apps["coturn"].expose_rules_known
    assert dict(apps["lxd"].exposed) == {
        "instance-ports": ExposeTarget(cidrs=("192.0.2.0/24",)),
        "": ExposeTarget(spaces=("internal",)),
    }
    assert dict(apps["ams"].exposed) == {}
    assert not apps["ams"].is_exposed


def test_an_open_port_juju_would_not_print_is_a_finding(anbox: Deployment):
    [finding] = anbox.problems
    assert (finding.rule, finding.severity, finding.units) == ("invalid-port", "error", ("lxd/0",))
    assert "70000" in finding.message
    assert finding.location is not None
    assert finding.location.file.startswith("anbox-status.")
    assert finding.location.line is not None


def test_charms_and_unchecked_applications(anbox: Deployment):
    assert anbox.applications["lxd"].charm == "ams-lxd"
    assert anbox.applications["anbox-stream-gateway-lb"].charm == "haproxy"
    assert anbox.unchecked == ("telegraf",)
    assert "anbox-cloud-dashboard" in anbox.applications  # no units, still an application
    assert not any(u.application == "anbox-cloud-dashboard" for u in anbox.units)


def test_json_locations_come_from_the_text():
    deployment = load_status((STATUS / "anbox-status.json").read_text(), input="s.json")
    assert {u.location for u in deployment.units} == {Location("s.json", 1)}  # juju prints one line
    pretty = json.dumps(json.loads((STATUS / "anbox-status.json").read_text()), indent=2)
    deployment = load_status(pretty, input="p.json")
    lines = pretty.splitlines()
    for unit in deployment.units:
        assert unit.location is not None
        assert unit.location.line is not None
        assert f'"{unit.name}"' in lines[unit.location.line - 1]


def test_yaml_locations_are_exact():
    text = (STATUS / "anbox-status.yaml").read_text()
    deployment = load_status(text, input="s.yaml")
    lines = text.splitlines()
    for unit in deployment.units:
        assert unit.location is not None
        assert unit.location.line is not None
        assert lines[unit.location.line - 1].strip() == f"{unit.name}:"


def test_charm_url_without_charm_name():
    """Juju before 2.9 prints only `charm:` (a URL); the name is taken from it."""
    document = yaml.safe_load((STATUS / "anbox-status.yaml").read_text())
    for app in document["applications"].values():
        app.pop("charm-name", None)
    deployment = load(yaml.safe_dump(document), input="old.yaml")
    assert deployment.applications["anbox-stream-gateway-lb"].charm == "haproxy"


def test_kubernetes_units_are_hosts_of_their_own():
    deployment = load((STATUS / "kubernetes-status.yaml").read_text(), input="k8s.yaml")
    assert by_unit(deployment) == {"nats/0": "nats/0", "nats/1": "nats/1"}
    assert ports(deployment, "nats/0") == ports(deployment, "nats/1") == {"4222/tcp"}
    assert deployment.unchecked == ("nats",)  # nats-k8s is not a catalog charm


def test_juju_1_status_with_services():
    text = """
environment: old
machines:
  "0": {agent-state: started}
services:
  nats:
    charm: cs:trusty/nats-3
    exposed: false
    units:
      nats/0:
        machine: "0"
        open-ports: [4222/tcp]
"""
    deployment = load(text, input="juju1.yaml")
    assert by_unit(deployment) == {"nats/0": "0"}
    assert ports(deployment, "nats/0") == {"4222/tcp"}


def test_units_with_status_errors_and_no_machine():
    text = """
model: {name: m, type: iaas}
machines: {}
applications:
  ams:
    charm: ams
    units:
      ams/0: {status-error: cannot get unit status}
      ams/1: {machine: 3, open-ports: [8444/tcp]}
"""
    deployment = load(text, input="err.yaml")
    assert by_unit(deployment) == {"ams/0": "ams/0", "ams/1": "3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "model: {name: m}\napplications: [ams]\n",
            "applications: expected a mapping of applications, found a list",
        ),
        ("model: {name: m}\nmachines: 3\n", "machines: expected a mapping of machines, found an integer"),
        (
            '{"model": {"name": "m"}, "machines": {"0": 3}}',
            "machines.0: expected a mapping of machine status",
        ),
        (
            '{"model": {"name": "m"}, "machines": {"0": {}, "1": {"containers": 3}}}',
            "machines.1.containers: expected a mapping of containers",
        ),
        (
            '{"model": {"name": "m"}, "machines": {"0": {"containers": null}, '
            '"1": {"containers": {"1/lxd/0": {}, "1/lxd/1": []}}}}',
            "machines.1.containers.1/lxd/1: expected a mapping of machine status",
        ),
        (
            "model: {name: m}\napplications:\n  ams: {charm: 3}\n",
            "applications.ams.charm: expected a charm name",
        ),
        (
            "model: {name: m}\napplications:\n  ams:\n    charm: ams\n    units: {ams/0: {machine: [0]}}\n",
            "applications.ams.units.ams/0.machine: expected a machine id",
        ),
        (
            "model: {name: m}\napplications:\n  ams:\n    charm: ams\n    exposed: true\n    exposed-endpoints: {x: {expose-to-cidrs: 3}}\n",
            "expose-to-cidrs: expected a list of strings",
        ),
    ],
)
def test_wrong_shapes_are_refused(text: str, expected: str):
    with pytest.raises(InputError) as info:
        load(text, input="bad.yaml")
    assert expected in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_open_ports_are_read_as_juju_prints_them():
    """docs/juju-facts.md#port-syntax: status writes each range with `PortRange.String()`, so `icmp`
    and `0/tcp` (nothing in Juju refuses port 0) appear as such; Juju 3.6 on Kubernetes prints pod
    ports with the protocol upper-case (`8080/TCP`). All are read, none is an invalid port."""
    text = (
        "model: {name: m, type: iaas}\nmachines: {'0': {}}\napplications:\n  app:\n    charm: app\n"
        "    units:\n      app/0:\n        machine: '0'\n        open-ports: [icmp, 0/tcp, 8080/TCP, 9-10/udp]\n"
    )
    deployment = load(text, input="status.yaml")
    assert ports(deployment, "app/0") == {"icmp", "0/tcp", "8080/tcp", "9-10/udp"}
    assert deployment.problems == ()


@pytest.mark.parametrize(
    ("units", "error"),
    [
        (
            "coturn/0: {machine: '0'}",
            'applications.ams.units.coturn/0: unit "coturn/0" is listed under application "ams": Juju lists a '
            "unit under the application whose name it carries",
        ),
        (
            "ams/0: {machine: '0', subordinates: {ghost/0: {}}}",
            'subordinate unit "ghost/0" belongs to no application of this status',
        ),
    ],
)
def test_a_unit_under_an_application_it_does_not_belong_to_is_refused(units: str, error: str):
    text = f"model: {{name: m}}\napplications:\n  ams:\n    charm: ams\n    units: {{{units}}}\n  coturn: {{charm: coturn}}\n"
    with pytest.raises(InputError) as info:
        load(text, input="s.yaml")
    assert error in str(info.value)
    assert str(info.value).startswith("s.yaml:5: ")


# -- the tight loop for units as Juju writes them, held to the general reader -----------------------

_MACHINES = ("0", "1", "0/lxd/3", "", 7, None, ["x"])
_PORT_TEXTS = ("80/tcp", "443/tcp", "10000-11000/udp", "icmp", "70000/tcp", "5/TCP", 80, None)
_UNIT_NAMES = ("app/0", "app/1", "app/12", "other/0", "app", "App/1", "app/01", "app/x", "sub/0", "sub/3")


@st.composite
def _status_documents(draw: st.DrawFn) -> tuple[str, bool]:
    """A `juju status` JSON text (one line, or indented), mostly as Juju writes it, sometimes not."""

    def unit(subordinate: bool) -> object:
        if draw(st.integers(0, 30)) == 0:
            return draw(st.sampled_from((None, [], "x", 3)))
        entry: dict[str, object] = {}
        if not subordinate or draw(st.booleans()):
            entry["machine"] = (
                draw(st.sampled_from(_MACHINES[:3]))
                if draw(st.integers(0, 9))
                else draw(st.sampled_from(_MACHINES))
            )
        if draw(st.integers(0, 9)):
            if draw(st.integers(0, 20)):
                entry["open-ports"] = draw(st.lists(st.sampled_from(_PORT_TEXTS[:4]), max_size=3))
            else:
                entry["open-ports"] = draw(st.sampled_from((["70000/tcp"], [80], "80/tcp", ["5/TCP"])))
        if not subordinate and draw(st.integers(0, 2)) == 0:
            subs = {
                draw(
                    st.sampled_from(
                        ("sub/0", "sub/1", "sub/2", "sub/3", "sub/4", "sub/5", "ghost/0", "sub", "sub/x")
                    )
                ): unit(True)
                for _ in range(draw(st.integers(0, 2)))
            }
            entry["subordinates"] = subs if draw(st.integers(0, 20)) else ["sub/0"]
        if subordinate and draw(st.integers(0, 30)) == 0:
            entry["subordinates"] = {"sub/9": {}}
        return entry

    apps: dict[str, object] = {}
    for app, charm in (("app", "ams-lxd"), ("other", "haproxy"), ("sub", "node-exporter")):
        names = st.builds(f"{app}/{{}}".format, st.integers(0, 12))
        odd = st.sampled_from(_UNIT_NAMES)
        units = {
            draw(names if draw(st.integers(0, 15)) else odd): unit(False)
            for _ in range(draw(st.integers(0, 4)))
        }
        apps[app] = {"charm": charm, "exposed": draw(st.booleans()), "units": units}
    document = {"model": {"name": "m", "type": "iaas"}, "machines": {}, "applications": apps}
    indented = draw(st.booleans())
    return json.dumps(
        document, indent=2 if indented else None, separators=None if indented else (",", ":")
    ), indented


def _read(text: str) -> object:
    try:
        return load_status(text.encode(), input="s.json")
    except InputError as err:
        return str(err)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_status_documents())
def test_the_tight_loop_reads_what_the_general_reader_reads(document: tuple[str, bool]) -> None:
    text, _ = document
    fast = _read(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(juju_status._StatusReader, "_plain_units", lambda *_: False)
        general = _read(text)
    assert fast == general


def test_a_status_on_one_line_has_every_unit_on_line_1() -> None:
    """Juju writes its JSON on one line: the line of each unit key is 1, found without a search."""
    document = {
        "model": {"name": "m"},
        "applications": {"a": {"charm": "ams", "units": {"a/0": {"machine": "0"}}}},
    }
    one_line = load_status(json.dumps(document).encode(), input="s.json")
    indented = load_status(json.dumps(document, indent=1).encode(), input="s.json")
    assert one_line.units[0].location == Location("s.json", 1)
    assert indented.units[0].location == Location("s.json", 9)


@given(
    names=st.lists(st.text(alphabet="ab/\n0", max_size=5), max_size=5),
    prefix=st.text(alphabet="ab/\n", max_size=3),
)
def test_all_start_with_is_each_name_starting_with_the_prefix(names: list[str], prefix: str) -> None:
    """The two-pass test on joined names says yes only where every name starts with the prefix."""
    found = juju_status._all_start_with("\n".join(names), len(names), prefix)  # pyright: ignore[reportPrivateUsage]
    if found:
        assert all(name.startswith(prefix) for name in names)
    if names and "\n" not in "".join(names) + prefix:
        assert found == all(name.startswith(prefix) for name in names)


def test_units_carry_their_application_name_as_the_document_spells_it() -> None:
    """One name object per application (hashed once), not a new string cut from each unit's name."""
    document = {
        "model": {"name": "m"},
        "applications": {
            "lxd": {
                "charm": "ams-lxd",
                "units": {
                    f"lxd/{i}": {"machine": str(i), "subordinates": {f"exporter/{i}": {}}} for i in range(3)
                },
            },
            "exporter": {"charm": "node-exporter", "subordinate-to": ["lxd"]},
        },
    }
    deployment = load_status(json.dumps(document, separators=(",", ":")).encode(), input="s.json")
    assert [unit.subordinate for unit in deployment.units] == [False, True] * 3
    for unit in deployment.units:
        assert unit.application is deployment.applications[unit.application].name
