"""`terraform show -json` of a saved plan as INPUT, from plans the real terraform binary wrote."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Deployment, Host
from anbox_cloud_ports.sources import load
from anbox_cloud_ports.sources.terraform.plan_json import split_module_address

from .reference import CONTROLLER, PLANS, VARIANTS, claims, directory, judged, layout, rules

PROVIDER = Path(__file__).resolve().parents[3] / "terraform_provider"


def plan(variant: str) -> dict[str, Any]:
    return json.loads((PLANS / f"plan-{variant}.json").read_text())


def read(document: dict[str, Any], name: str = "plan.json") -> Deployment:
    return load(json.dumps(document), input=name)


def exposure(deployment: Deployment) -> dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]]:
    return {
        key: {ep: (t.cidrs, t.spaces) for ep, t in app.exposed.items()}
        for key, app in deployment.applications.items()
    }


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_plan_places_claims_and_exposes_as_its_directory_does(variant: str) -> None:
    from_plan = read(plan(variant), f"plan-{variant}.json")
    from_directory = directory(*VARIANTS[variant])
    assert layout(from_plan) == layout(from_directory)
    assert claims(from_plan) == claims(from_directory)
    assert exposure(from_plan) == exposure(from_directory)
    assert set(from_plan.models) == set(from_directory.models)
    assert rules(judged(from_plan)) == rules(judged(from_directory))
    assert from_plan.problems == ()


def test_the_guide_example_from_its_plan_names_the_model_and_the_machine() -> None:
    report = judged(read(plan("deploy"), "plan-deploy.json"))
    [finding] = report.findings
    assert (finding.rule, finding.severity) == ("internal-port-exposed", "info")
    assert finding.hosts == (Host("juju_machine.controller_node[0]", CONTROLLER),)
    assert str(finding.location) == "plan-deploy.json"  # terraform writes one line: no line to give


def test_machines_the_references_cannot_tell_are_reported_not_guessed() -> None:
    document = plan("deploy")
    for resource in _config_resources(document, "subcluster"):
        if resource["address"] == "juju_application.lxd":
            resource["expressions"]["machines"] = {"references": ["local.nodes"]}
    deployment = read(document)
    assert not [u for u in deployment.units if u.application == "lxd"]
    [problem] = deployment.problems
    assert problem.rule == "unresolved-value"
    assert problem.message.startswith('module.subcluster["a"].juju_application.lxd machines: cannot tell')
    report = judged(deployment)
    assert ("unresolved-value", "warning", ()) in rules(report)


def test_an_expose_block_known_only_after_apply_silences_the_exposure_rules_for_it() -> None:
    document = plan("deploy")
    for change in document["resource_changes"]:
        if change["address"] == 'module.subcluster["a"].juju_application.coturn':
            change["change"]["after_unknown"]["expose"] = [{"cidrs": True}]
    deployment = read(document)
    coturn = deployment.applications["anbox-subcluster-a:coturn"]
    assert not coturn.exposure_known
    report = judged(deployment)
    assert not [f for f in report.findings if f.rule == "external-port-unexposed"]
    assert [p.message for p in deployment.problems] == [
        'module.subcluster["a"].juju_application.coturn expose: the expose block is not known before apply; not checked'
    ]


def test_a_machine_passed_through_a_module_variable_is_followed() -> None:
    document = plan("deploy")
    for resource in _config_resources(document, "subcluster"):
        if resource["address"] == "juju_application.lxd":
            resource["expressions"]["machines"] = {"references": ["var.lxd_machines"]}
    calls = document["configuration"]["root_module"]["module_calls"]
    calls["subcluster"]["expressions"]["lxd_machines"] = {
        "references": ["module.controller.machine_ids", "module.controller"]
    }
    calls["controller"]["module"]["outputs"]["machine_ids"] = {
        "expression": {"references": ["juju_machine.controller_node"]}
    }
    hosts = {u.key: u.host for u in read(document).units}
    # Not what the real plan does; what such references would mean: the controller's machine.
    assert hosts["anbox-subcluster-a:lxd/0"] == Host("juju_machine.controller_node[0]", CONTROLLER)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resource_changes": "x"}, "resource_changes is not a list"),
        ({"configuration": {"root_module": {"module_calls": "x"}}}, None),
    ],
)
def test_a_malformed_plan_is_one_line_or_read_as_far_as_it_goes(
    change: dict[str, Any], message: str | None
) -> None:
    document = {**plan("deploy"), **change}
    if message is None:
        deployment = read(document)
        assert deployment.problems  # the references cannot be followed: said, not guessed
        return
    with pytest.raises(InputError, match=message):
        read(document)


def test_module_addresses_split_on_their_own_dots_only() -> None:
    assert split_module_address('module.a["x.y"].module.b[0]') == [("a", '["x.y"]'), ("b", "[0]")]
    with pytest.raises(ValueError, match="oops"):
        split_module_address("module.a.oops")


def test_a_plan_is_told_apart_from_bundles_and_status_by_its_content(tmp_path: Path) -> None:
    pretty = tmp_path / "plan.json"
    pretty.write_text(json.dumps(plan("lb"), indent=1))
    deployment = load(pretty.read_text(), input=str(pretty))
    lb = deployment.applications[f"{CONTROLLER}:anbox-stream-gateway-lb"]
    assert lb.charm == "haproxy"
    assert lb.location is not None
    assert lb.location.line is not None


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not installed")
@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("grpc", "msgpack", "cryptography")),
    reason="the stand-in provider needs grpcio, msgpack and cryptography (requirements-test.txt)",
)
def test_terraform_writes_the_same_plan_again(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_plans", PROVIDER / "make_plans.py")
    assert spec is not None
    assert spec.loader is not None
    make_plans = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_plans)
    fresh = json.loads(make_plans.plan_json("lb", tmp_path))
    assert make_plans.stable(fresh) == make_plans.stable(plan("lb"))


def _config_resources(document: dict[str, Any], call: str) -> list[dict[str, Any]]:
    return document["configuration"]["root_module"]["module_calls"][call]["module"]["resources"]


def test_fixtures_are_not_shared_between_tests() -> None:
    assert plan("deploy") == copy.deepcopy(plan("deploy"))
