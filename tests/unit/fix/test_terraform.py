"""fix for Terraform inputs: attribute changes per resource, proved, and true when made by hand.

Every case is the guide's example (tests/unit/data/terraform) with a conflict injected into a copy;
each fix is checked three ways: its own proof (`result.ok`), what it prints, and the copy edited as
the printed changes say (tests/unit/fix/terraform_edit.py) read again by `load_directory`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.fix import FixResult, fix_directory, fix_input
from anbox_cloud_ports.fix.terraform import parse_address
from anbox_cloud_ports.model import Deployment, Host
from anbox_cloud_ports.sources import load
from anbox_cloud_ports.sources.terraform import VarArg, VarFile, load_directory
from anbox_cloud_ports.text import hcl_string

from ...hostile_text import raw_controls
from ..sources.terraform.reference import DEPLOY, ROOT, VARIANTS
from . import terraform_cases as cases
from .terraform_edit import apply_fix

SUB_A = "anbox-subcluster-a"


def fixed(root: Path, *variables: str, into: str = "container") -> FixResult:
    sources = [VarFile(str(DEPLOY)), *(VarArg(v) for v in variables)]
    result = fix_directory(str(root), sources, into="machine" if into == "machine" else "container")
    assert result.ok, result.text
    assert result.after.summary.errors == 0
    return result


def made_by_hand(root: Path, result: FixResult, *variables: str) -> Deployment:
    """The copy edited as the fix says, read again: the fix's promise without its own proof."""
    assert apply_fix(result.text)
    deployment = load_directory(str(root), [VarFile(str(DEPLOY)), *(VarArg(v) for v in variables)])
    assert check(deployment).summary.errors == 0
    return deployment


def section(text: str, header_start: str) -> str:
    found = [part for part in text.split("\n\n") if part.startswith(header_start)]
    assert len(found) == 1, text
    return found[0].rstrip("\n")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_of_the_guide_needs_nothing(variant: str) -> None:
    result = fixed(ROOT, *VARIANTS[variant])
    assert result.text.endswith("# Nothing to change.\n")
    assert "(it had 0)" in result.text


def test_an_option_moved_onto_another_service_s_port_is_moved_in_config(tmp_path: Path) -> None:
    root = cases.ams_on_443(cases.copy(tmp_path))
    result = fixed(root)
    ams = section(result.text, '# module.subcluster["a"].juju_application.ams:')
    assert ams == "\n".join(
        [
            f'# module.subcluster["a"].juju_application.ams: change in place (block at {root}/modules/subcluster/'
            "control_plane.tf:30)",
            '~ resource "juju_application" "ams" {',
            f"    # `config` is at {root}/modules/subcluster/control_plane.tf:42",
            "    ~ config = {",
            f"        # resolves port-conflict: {_conflict_line(result)}",
            f"        # port = 444: 444 checked free for tcp on machine juju_machine.ams_node[0] of model {SUB_A}",
            '        ~ port = "443" -> "444"',
            "        # (4 unchanged elements hidden)",
            "      }",
            "  }",
        ]
    )
    assert result.before.summary.errors == 1
    deployment = made_by_hand(root, result)
    assert ("anbox-subcluster-a:ams/0", "444/tcp") in {(c.unit, str(c.port)) for c in deployment.claims}


def _conflict_line(result: FixResult) -> str:
    [finding] = [f for f in result.before.findings if f.rule == "port-conflict"]
    return finding.message


def test_an_expose_block_that_reaches_only_internal_ports_is_removed(tmp_path: Path) -> None:
    root = cases.ams_exposed(cases.copy(tmp_path))
    result = fixed(root)
    assert [f.rule for f in result.before.findings if f.severity == "error"] == ["internal-port-exposed"] * 2
    ams = section(result.text, '# module.subcluster["a"].juju_application.ams:')
    assert "    # not exposed: every port it opens is internal to the deployment\n" in ams
    assert f"    # the `expose` block is at {root}/modules/subcluster/control_plane.tf:36\n" in ams
    assert ams.endswith("    - expose {}\n  }")
    deployment = made_by_hand(root, result)
    assert not deployment.applications[f"{SUB_A}:ams"].exposed


def test_removing_exposure_says_what_it_loses(tmp_path: Path) -> None:
    root = cases.lxd_exposed(cases.copy(tmp_path))
    result = fixed(root)
    lxd = section(result.text, '# module.subcluster["a"].juju_application.lxd:')
    assert (
        "    # NOT DONE BY THESE CHANGES: 10000-11000/tcp, 10000-11000/udp (LXD Instance service ports) are no "
        "longer exposed by Juju" in lxd
    )
    made_by_hand(root, result)


def test_a_dynamic_expose_block_is_named_as_such(tmp_path: Path) -> None:
    root = cases.nats_to_all_endpoints(cases.copy(tmp_path))
    result = fixed(root, 'nats_expose_cidrs=["0.0.0.0/0"]')
    nats = section(result.text, "# module.controller.juju_application.nats:")
    assert (
        f'    # it comes from a `dynamic "expose"` block at {root}/modules/controller/main.tf:41: make its '
        "for_each give none\n" in nats
    )
    # cidrs = "0.0.0.0/0" is IPv4 only: the provider adds no ::/0 (docs/juju-facts.md#terraform-provider)
    assert nats.endswith('    - expose {\n        - cidrs = "0.0.0.0/0"\n      }\n  }')
    assert "exposes it to 0.0.0.0/0, but" in nats


def test_two_principals_on_one_machine_get_a_container_of_their_own(tmp_path: Path) -> None:
    root = cases.second_agent(cases.copy(tmp_path))
    result = fixed(root)
    machine = section(result.text, '# module.subcluster["a"].juju_machine.anbox_stream_agent_lxd_0: create')
    assert machine == textwrap.dedent(
        f"""\
        # module.subcluster["a"].juju_machine.anbox_stream_agent_lxd_0: create, beside juju_machine.ams_node (block at {root}/modules/subcluster/control_plane.tf:323)
        + resource "juju_machine" "anbox_stream_agent_lxd_0" {{
            # a new LXD container on juju_machine.ams_node[0], for {SUB_A}:anbox-stream-agent/0 (below)
            + model_uuid = juju_model.subcluster.uuid
            + base       = juju_machine.ams_node[0].base
            + placement  = "lxd:${{juju_machine.ams_node[0].machine_id}}"
          }}"""
    )
    agent = section(result.text, '# module.subcluster["a"].juju_application.agent:')
    assert agent.endswith(
        "\n".join(
            [
                f"    # `machines` is at {root}/modules/subcluster/control_plane.tf:167",
                "    ~ machines = [",
                "        - juju_machine.ams_node[0].machine_id,",
                "        + juju_machine.anbox_stream_agent_lxd_0.machine_id,",
                "      ]",
                "  }",
            ]
        )
    )
    assert f"{SUB_A}:anbox-stream-agent/0 moves from juju_machine.ams_node[0] to juju_machine." in agent
    hosts = {u.key: u.host for u in result.after.deployment.units}
    assert hosts[f"{SUB_A}:anbox-stream-agent/0"] == Host("juju_machine.anbox_stream_agent_lxd_0", SUB_A)
    assert hosts[f"{SUB_A}:agent2/0"] == Host("juju_machine.ams_node[0]", SUB_A)
    by_hand = {u.key: u.host for u in made_by_hand(root, result).units}
    assert by_hand == hosts
    # Only what the error was about changed: one new machine, one application's machines.
    assert result.text.count(": create,") == 1
    assert result.text.count(": change in place") == 1


def test_ha_moves_each_unit_to_a_new_machine_like_its_old_one(tmp_path: Path) -> None:
    root = cases.second_agent(cases.copy(tmp_path))
    result = fixed(root, "enable_ha=true", into="machine")
    assert result.before.summary.errors == 3
    for n in range(3):
        machine = section(
            result.text, f'# module.subcluster["a"].juju_machine.anbox_stream_agent_{n}: create'
        )
        assert f"    + constraints = juju_machine.ams_node[{n}].constraints\n" in machine
        assert "placement" not in machine
    agent = section(result.text, '# module.subcluster["a"].juju_application.agent:')
    assert agent.count("        - juju_machine.ams_node[") == 3
    made_by_hand(root, result, "enable_ha=true")


def test_a_module_made_twice_gets_the_change_in_each_instance_and_says_so(tmp_path: Path) -> None:
    root = cases.ams_on_443(cases.copy(tmp_path))
    variables = VARIANTS["two-subclusters"]
    result = fixed(root, *variables)
    for key in ("a", "b"):
        ams = section(result.text, f'# module.subcluster["{key}"].juju_application.ams:')
        assert "#   its block makes 2 instances: this change is for this one" in ams
        assert '~ port = "443" -> "444"' in ams
    made_by_hand(root, result, *variables)


def test_a_name_juju_refuses_is_left_and_the_fix_refused() -> None:
    result = fix_directory(
        str(ROOT),
        [
            VarFile(str(DEPLOY)),
            VarArg('subclusters=[{name="a", lxd_node_count=1}, {name="b.x", lxd_node_count=1}]'),
        ],
    )
    assert not result.ok
    assert [(u.finding.rule, u.reason) for u in result.unresolved] == [
        ("invalid-name", "no automatic fix for invalid-name")
    ]
    assert "# REMAINING invalid-name: " in result.text


# -- plan JSON ----------------------------------------------------------------------------------------


def test_a_plan_json_gets_the_same_change_named_by_its_entry(tmp_path: Path) -> None:
    document = cases.plan_document()
    ams = 'module.subcluster["a"].juju_application.ams'
    cases.change_of(document, ams)["change"]["after"]["config"]["port"] = "443"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=1))
    result = fix_input(path.read_bytes(), input=str(path))
    assert result.ok, result.text
    assert result.kind == "Terraform changes"
    assert "# Make each in the configuration this plan was made from, then plan and apply." in result.text
    lines = json.dumps(document, indent=1).splitlines()
    line = next(i for i, text in enumerate(lines, 1) if f'"address": {json.dumps(ams)},' in text)
    assert f"# {ams}: change in place (in {path}:{line})" in result.text
    assert '        ~ port = "443" -> "444"' in result.text
    # The change made to the plan itself, read again: no error.
    cases.change_of(document, ams)["change"]["after"]["config"]["port"] = "444"
    assert check(load(json.dumps(document), input="fixed.json")).summary.errors == 0


def test_a_plan_json_move_names_the_model_as_the_configuration_does() -> None:
    document = cases.plan_document()
    agent = cases.change_of(document, 'module.subcluster["a"].juju_application.agent')
    second = json.loads(json.dumps(agent))
    second["address"] = 'module.subcluster["a"].juju_application.agent2'
    second["name"] = "agent2"
    second["change"]["after"]["name"] = "agent2"
    document["resource_changes"].append(second)
    resources = document["configuration"]["root_module"]["module_calls"]["subcluster"]["module"]["resources"]
    config = json.loads(json.dumps(next(r for r in resources if r["address"] == "juju_application.agent")))
    config.update(address="juju_application.agent2", name="agent2")
    resources.append(config)
    result = fix_input(json.dumps(document), input="plan.json")
    assert result.ok, result.text
    assert "    + model_uuid = juju_model.subcluster.uuid\n" in result.text
    assert (
        '# module.subcluster["a"].juju_machine.anbox_stream_agent_lxd_0: create, beside juju_machine.ams_node '
        "(in plan.json)" in result.text
    )


def test_the_plan_of_the_guide_needs_nothing() -> None:
    result = fix_input(json.dumps(cases.plan_document("lb")), input="plan-lb.json")
    assert result.ok
    assert result.text.endswith("# Nothing to change.\n")


# -- placement the fix can and cannot write ------------------------------------------------------------

MODEL = 'resource "juju_model" "m" {\n  name = "m"\n}\n'


def _app(name: str, charm: str, machines: str) -> str:
    return (
        f'resource "juju_application" "{name}" {{\n  name = "{name}"\n  model_uuid = juju_model.m.uuid\n'
        f'  charm {{\n    name = "{charm}"\n  }}\n  machines = {machines}\n}}\n'
    )


def test_machines_given_by_id_move_into_a_container_of_that_machine(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        MODEL + _app("agent", "anbox-stream-agent", '["0"]') + _app("lb", "haproxy", '["0"]')
    )
    result = fix_directory(str(tmp_path))
    assert result.ok, result.text
    assert '    + placement  = "lxd:0"\n' in result.text
    assert "    + model_uuid = juju_model.m.uuid\n" in result.text
    assert '        - "0",\n' in result.text


def test_a_machine_of_another_module_cannot_be_replaced_and_the_fix_says_why(tmp_path: Path) -> None:
    (tmp_path / "nodes").mkdir()
    (tmp_path / "nodes" / "main.tf").write_text(
        'variable "model" {}\nresource "juju_machine" "n" {\n  model_uuid = var.model\n}\n'
        'output "ids" {\n  value = [juju_machine.n.machine_id]\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        MODEL
        + 'module "nodes" {\n  source = "./nodes"\n  model = juju_model.m.uuid\n}\n'
        + _app("agent", "anbox-stream-agent", "module.nodes.ids")
        + _app("agent2", "anbox-stream-agent", "module.nodes.ids")
    )
    result = fix_directory(str(tmp_path))
    assert not result.ok
    [left] = result.unresolved
    assert left.finding.rule == "port-conflict"
    assert left.reason.startswith("neither unit's machine can be replaced in its application's `machines`")


def test_a_hostile_instance_key_is_escaped_in_comments_and_never_written_as_code(tmp_path: Path) -> None:
    key = '\x1b[31m"${file("/etc/passwd")}\u202e\n# forged'
    hostile = _app("lb", "haproxy", "[juju_machine.n.machine_id]").replace(
        'resource "juju_application" "lb" {\n',
        f'resource "juju_application" "lb" {{\n  for_each = toset([{hcl_string(key)}])\n',
    )
    (tmp_path / "main.tf").write_text(
        MODEL
        + 'resource "juju_machine" "n" {\n  model_uuid = juju_model.m.uuid\n}\n'
        + _app("agent", "anbox-stream-agent", "[juju_machine.n.machine_id]")
        + hostile
    )
    result = fix_directory(str(tmp_path))
    assert result.ok, result.text
    assert result.before.summary.errors == 1
    assert raw_controls(result.text) == []
    assert all(line.isascii() for line in result.text.splitlines())
    assert not [line for line in result.text.splitlines() if line.startswith("# forged")]
    [header] = [line for line in result.text.splitlines() if "juju_application.lb[" in line]
    assert header.startswith('# juju_application.lb["\\u001b[31m\\"${file(')
    assert '~ resource "juju_application" "lb" {' in result.text


def test_addresses_are_parsed_as_terraform_writes_them() -> None:
    address = parse_address('module.a["x.y"].module.b[0].juju_machine.n["k\\"${"]')
    assert address is not None
    assert address.module == 'module.a["x.y"].module.b[0].'
    assert address.block == "module.a.module.b.juju_machine.n"
    assert address.local() == 'juju_machine.n["k\\"$${"]'
    assert parse_address("juju_machine.n[01x]") is None
    assert parse_address('juju_machine.n["\\x1b"]') is None  # Go's escapes are not JSON's: not written
