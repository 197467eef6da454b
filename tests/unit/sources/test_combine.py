"""Several inputs, one deployment: status dumps of several models, completed by the dumps that say what
status does not (docs/juju-facts.md#status-formats, #show-application, #juju-exec, #spaces)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.findings import Finding
from anbox_cloud_ports.model import Deployment, Host
from anbox_cloud_ports.sources import load_inputs

ANBOX = Path(__file__).parents[1] / "data" / "juju" / "anbox"
EVERYONE = {"expose-to-cidrs": ["0.0.0.0/0", "::/0"]}


def doc(name: str) -> dict[str, Any]:
    return json.loads((ANBOX / name).read_text())


STATUS, SHOWN, PORTS, SPACES = (
    doc("status.json"),
    doc("show-application.json"),
    doc("exec-opened-ports.json"),
    doc("spaces.json"),
)


def inputs(*documents: tuple[str, object]) -> list[tuple[str | bytes, str]]:
    return [(json.dumps(document), name) for name, document in documents]


def load(*documents: tuple[str, object], spaces: tuple[str, ...] = ()) -> Deployment:
    return load_inputs(inputs(*documents), spaces=spaces)


def exposed_lxd(rules: dict[str, Any]) -> dict[str, Any]:
    shown = copy.deepcopy(SHOWN)
    shown["lxd"]["exposed-endpoints"] = rules
    return shown


def leaks(deployment: Deployment) -> list[Finding]:
    return [f for f in check(deployment).findings if f.rule == "internal-port-exposed"]


def test_status_show_application_and_opened_ports_make_exposure_certain():
    deployment = load(("status.json", STATUS), ("show.json", SHOWN), ("ports.json", PORTS))
    assert deployment.input == "status.json, show.json, ports.json"
    assert all(u.endpoints_known for u in deployment.units if u.application in ("lxd", "coturn"))
    lxd0 = {(str(c.port), c.endpoint) for c in deployment.claims if c.unit == "lxd/0"}
    assert lxd0 == {("8443/tcp", "internal"), ("10000-11000/tcp", "public"), ("10000-11000/udp", "public")}
    assert dict(deployment.applications["lxd"].exposed).keys() == {"public"}
    # After `juju expose lxd --endpoints public` with 8443 on `internal`: nothing reaches it.
    assert check(deployment).findings == ()


def test_the_order_of_the_inputs_does_not_matter():
    one = load(("status.json", STATUS), ("show.json", SHOWN), ("ports.json", PORTS))
    other = load(("ports.json", PORTS), ("show.json", SHOWN), ("status.json", STATUS))
    assert set(one.claims) == set(other.claims)
    assert dict(one.applications) == dict(other.applications)


def test_the_fix_clears_step_by_step_as_the_inputs_tell_more():
    """The LXD error can clear once the operator ran the fix: each input says more, never less."""
    [alone] = leaks(load(("status.json", STATUS)))
    assert alone.severity == "warning"
    assert "does not say to whom" in alone.message
    [rules_known] = leaks(load(("status.json", STATUS), ("show.json", SHOWN)))
    assert rules_known.severity == "warning"
    assert "does not say on which endpoint" in rules_known.message
    assert leaks(load(("status.json", STATUS), ("show.json", SHOWN), ("ports.json", PORTS))) == []


def test_a_plain_juju_expose_is_proven_once_the_rules_are_known():
    shown = exposed_lxd({"": EVERYONE})
    for more in ((), (("ports.json", PORTS),)):
        [leak] = leaks(load(("status.json", STATUS), ("show.json", shown), *more))
        assert leak.severity == "error"
        assert leak.units == ("lxd/0", "lxd/1")
        assert leak.hosts == (Host("2"), Host("3"))
    [leak] = leaks(load(("status.json", STATUS), ("show.json", shown), ("ports.json", PORTS)))
    assert leak.message.startswith(
        "lxd/0 and lxd/1 open 8443/tcp on endpoint internal; `juju expose lxd` (wildcard) exposes it "
        "to 0.0.0.0/0 and ::/0, but the catalog says LXD's HTTPS API (8443/tcp) is not exposed externally"
    )


def test_to_cidrs_private_is_information():
    shown = exposed_lxd({"": {"expose-to-cidrs": ["10.0.0.0/8"]}})
    [leak] = leaks(load(("status.json", STATUS), ("show.json", shown), ("ports.json", PORTS)))
    assert leak.severity == "info"
    assert "private networks only" in leak.message


def test_spaces_become_their_subnets():
    shown = exposed_lxd({"": {"expose-to-spaces": ["dmz"]}})
    documents = (("status.json", STATUS), ("show.json", shown), ("ports.json", PORTS))
    [unknown] = leaks(load(*documents))
    assert unknown.severity == "warning"
    assert "space dmz (whose subnets this input does not list)" in unknown.message
    [public] = leaks(load(*documents, ("spaces.json", SPACES)))
    assert public.severity == "error"
    assert "space dmz (2001:db8::/64, 203.0.113.0/24)" in public.message
    [given] = leaks(load(*documents, spaces=("dmz=10.9.0.0/16",)))
    assert given.severity == "info"
    # --space adds to (and overrides) what `juju spaces` lists.
    [both] = leaks(load(*documents, ("spaces.json", SPACES), spaces=("dmz=10.9.0.0/16",)))
    assert both.severity == "info"


def test_a_failed_task_leaves_that_units_endpoints_unknown_and_says_so():
    ports = copy.deepcopy(PORTS)
    ports["lxd/1"]["status"] = "failed"
    ports["lxd/1"]["results"] = {"return-code": 1, "stderr": "ERROR opened-ports: permission denied\n"}
    shown = exposed_lxd({"": {"expose-to-cidrs": ["10.0.0.0/8"]}, "public": EVERYONE})
    findings = leaks(load(("status.json", STATUS), ("show.json", shown), ("ports.json", ports)))
    failed = next(f for f in findings if "opened-ports failed" in f.message)
    assert failed.severity == "info"
    assert failed.units == ("lxd/1",)
    assert '"ERROR opened-ports: permission denied"' in failed.message
    assert failed.fix == "See why with `juju show-task 23`, then check again."
    # lxd/0 is known (8443 on `internal`: the wildcard, private); lxd/1 is not: wherever it could be.
    by_unit = {f.units: f.severity for f in findings if f is not failed}
    assert by_unit == {("lxd/0",): "info", ("lxd/1",): "warning"}


@pytest.mark.parametrize(
    ("documents", "problem"),
    [
        (
            (("status.json", STATUS), ("show.json", {**SHOWN, "nats2": SHOWN["lxd"]})),
            "show.json:1: application nats2 is not in the juju status (status.json)",
        ),
        (
            (
                ("status.json", STATUS),
                ("ports.json", {**PORTS, "lxd/7": {**PORTS["lxd/1"], "unit": "lxd/7"}}),
            ),
            "ports.json:1: unit lxd/7 is not in the juju status (status.json)",
        ),
        (
            (
                ("status.json", STATUS),
                ("show.json", {"nats": {"principal": True, "exposed": True, "remote": False}}),
            ),
            "application nats is exposed here but not in status.json: the dumps were taken at different times",
        ),
        (
            (("status.json", STATUS), ("a.json", SHOWN), ("b.json", SHOWN)),
            "b.json:1: application anbox-stream-gateway-lb is given twice (also in a.json)",
        ),
        (
            (
                ("status.json", STATUS),
                (
                    "ports.json",
                    {
                        "lxd/0": {
                            **PORTS["lxd/0"],
                            "results": {"return-code": 0, "stdout": '["8443/tcp (internal)"]'},
                        }
                    },
                ),
            ),
            "unit lxd/0: opened-ports lists 8443/tcp, but the juju status lists 8443/tcp, 10000-11000/tcp, "
            "10000-11000/udp: the dumps were taken at different times",
        ),
        (
            (("show.json", SHOWN), ("ports.json", PORTS)),
            "show.json: a juju show-application dump completes a juju status dump",
        ),
        (
            (("status.json", STATUS), ("bundle.yaml", {"applications": {"lxd": {"charm": "ams-lxd"}}})),
            "bundle.yaml: this is a bundle document: only juju status dumps and the dumps that complete them",
        ),
        (
            (("status.json", STATUS), ("status2.json", STATUS)),
            "status2.json: is a second juju status dump of model anbox",
        ),
    ],
)
def test_dumps_that_do_not_match_the_status_are_refused_in_one_line(
    documents: tuple[tuple[str, object], ...], problem: str
):
    with pytest.raises(InputError) as caught:
        load(*documents)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_supplement_alone_and_overlays_with_several_inputs_are_refused():
    with pytest.raises(InputError, match="completes a juju status dump"):
        load(("spaces.json", SPACES))
    with pytest.raises(InputError, match=r"empty\.json: empty input: no document to check"):
        load_inputs([(json.dumps(STATUS), "status.json"), ("", "empty.json")])
    with pytest.raises(InputError, match="--overlay: applies to one bundle INPUT"):
        load_inputs(inputs(("status.json", STATUS), ("show.json", SHOWN)), overlays=[("{}", "o.yaml")])


def model(name: str, controller: str = "lxd-controller") -> dict[str, Any]:
    status = copy.deepcopy(STATUS)
    status["model"]["name"] = name
    status["model"]["controller"] = controller
    return status


def test_status_dumps_of_several_models_are_one_deployment_labelled_by_model():
    """A host is (model, machine): machine 2 of two models is two hosts (docs/juju-facts.md#relation-data)."""
    deployment = load(("a.json", model("anbox-a")), ("b.json", model("anbox-b")))
    assert set(deployment.models) == {"anbox-a", "anbox-b"}
    assert {u.key for u in deployment.units if u.name == "lxd/0"} == {"anbox-a:lxd/0", "anbox-b:lxd/0"}
    assert Host("2", "anbox-a") != Host("2", "anbox-b")
    assert str(Host("2", "anbox-a")) == "machine 2 of model anbox-a"
    [leak_a, leak_b] = sorted(leaks(deployment), key=lambda f: f.units)
    assert leak_a.units == ("anbox-a:lxd/0", "anbox-a:lxd/1")
    assert leak_a.hosts == (Host("2", "anbox-a"), Host("3", "anbox-a"))
    assert leak_b.units == ("anbox-b:lxd/0", "anbox-b:lxd/1")
    # Nothing collides across models: the same machine ids hold the same ports in both.
    assert [f for f in check(deployment).findings if f.rule == "port-conflict"] == []


def test_one_model_keeps_its_findings_unlabelled():
    deployment = load(("status.json", STATUS))
    assert {u.model for u in deployment.units} == {""}
    assert deployment.model("").name == "anbox"


def test_a_dump_naming_what_several_models_have_is_ambiguous():
    documents = (("a.json", model("anbox-a")), ("b.json", model("anbox-b")))
    with pytest.raises(InputError, match="application lxd is in models anbox-a and anbox-b"):
        load(*documents, ("show.json", {"lxd": SHOWN["lxd"]}))
    with pytest.raises(InputError, match="juju spaces does not say which model it lists"):
        load(*documents, ("spaces.json", SPACES))
    only_a = copy.deepcopy(model("anbox-b"))
    del only_a["applications"]["coturn"]
    deployment = load(
        ("a.json", model("anbox-a")), ("b.json", only_a), ("show.json", {"coturn": SHOWN["coturn"]})
    )
    assert deployment.applications["anbox-a:coturn"].expose_rules_known
    # --space applies to every model.
    spaced = load(*documents, spaces=("dmz=10.0.0.0/8",))
    assert all(dict(m.spaces or {}) == {"dmz": ("10.0.0.0/8",)} for m in spaced.models.values())


def test_two_models_of_one_name_on_two_controllers_are_told_apart():
    deployment = load(("a.json", model("anbox", "one")), ("b.json", model("anbox", "two")))
    assert set(deployment.models) == {"one:anbox", "two:anbox"}
    assert "one:anbox:lxd/0" in {u.key for u in deployment.units}


def test_space_option_completes_a_single_input_too():
    deployment = load(("status.json", STATUS), spaces=("dmz=203.0.113.0/24",))
    assert dict(deployment.model("").spaces or {}) == {"dmz": ("203.0.113.0/24",)}


def test_space_option_resolves_a_bundles_space_rules():
    bundle = (
        "applications:\n  nats:\n    charm: nats\n    num_units: 1\n"
        "--- # overlay\napplications:\n  nats:\n    exposed-endpoints:\n"
        "      '':\n        expose-to-spaces: [internal]\n"
    )
    severities = []
    for spaces in ((), ("internal=10.20.0.0/16",), ("internal=198.51.100.0/24",)):
        deployment = load_inputs([(bundle, "bundle.yaml")], spaces=spaces)
        severities.append([f.severity for f in leaks(deployment)])
    assert severities == [["warning"], ["info"], ["error"]]
