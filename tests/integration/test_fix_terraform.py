"""`anbox-ports fix` for Terraform, checked by the real `terraform` binary.

The unit tests prove a fix three ways without Terraform; here the printed changes are made to a copy
of the guide's configuration (tests/unit/fix/terraform_edit.py, guided only by the printed file:line
pointers) and Terraform itself plans it, with the Juju provider 1.3.1's schemas (the stand-in of
tests/terraform_provider): the HCL the fix prints must be valid for that schema (a container's
`placement`, the references a new `juju_machine` makes), and the plan Terraform writes must check
clean. The HCL strings every fix writes (`text.hcl_string`) are evaluated by Terraform too.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.fix import fix_directory
from anbox_cloud_ports.sources import load
from anbox_cloud_ports.sources.terraform import VarArg, VarFile, load_directory
from anbox_cloud_ports.text import hcl_string
from tests.hostile_text import HOSTILE
from tests.unit.fix import terraform_cases as cases
from tests.unit.fix.terraform_edit import apply_fix
from tests.unit.sources.terraform.reference import DEPLOY, layout

REPO = Path(__file__).resolve().parents[2]
PROVIDER = REPO / "tests" / "terraform_provider"

needs_terraform = pytest.mark.skipif(
    shutil.which("terraform") is None, reason="the terraform binary is not installed"
)
needs_provider = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("grpc", "msgpack", "cryptography")),
    reason="the stand-in provider needs grpcio, msgpack and cryptography (requirements-test.txt)",
)


def make_plans() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_plans", PROVIDER / "make_plans.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...], str]] = {
    "option": (cases.ams_on_443, (), "container"),
    "expose": (cases.ams_exposed, (), "container"),
    "expose-with-loss": (cases.lxd_exposed, (), "container"),
    "container": (cases.second_agent, (), "container"),
    "machines-ha": (cases.second_agent, ("enable_ha=true",), "machine"),
    "two-modules": (
        cases.ams_on_443,
        tuple(v for v in ('subclusters=[{name="a", lxd_node_count=1}, {name="b", lxd_node_count=2}]',)),
        "container",
    ),
}


@needs_terraform
@needs_provider
@pytest.mark.parametrize("case", sorted(CASES))
def test_terraform_plans_the_fixed_configuration_and_it_checks_clean(tmp_path: Path, case: str) -> None:
    inject, variables, into = CASES[case]
    root = inject(cases.copy(tmp_path))
    sources = [VarFile(str(DEPLOY)), *(VarArg(v) for v in variables)]
    result = fix_directory(str(root), sources, into="machine" if into == "machine" else "container")
    assert result.ok, result.text
    assert result.before.summary.errors > 0
    apply_fix(result.text)
    arguments = [f"-var-file={DEPLOY}", *(f"-var={v}" for v in variables)]
    planned = make_plans().plan_of(root, arguments, tmp_path / "work")
    from_terraform = load(planned, input="plan.json")
    report = check(from_terraform)
    assert report.summary.errors == 0, [f.message for f in report.findings if f.severity == "error"]
    assert not [f for f in report.findings if f.rule == "unresolved-value"], planned[:200]
    # Terraform's plan and this checker's reading of the edited directory agree on every host.
    assert layout(from_terraform) == layout(load_directory(str(root), sources))


@needs_terraform
@needs_provider
def test_the_readme_example_planned_by_terraform_after_its_fix_checks_clean(tmp_path: Path) -> None:
    root = tmp_path / "crowded"
    shutil.copytree(REPO / "docs" / "examples" / "terraform-crowded", root)
    before = make_plans().plan_of(root, [], tmp_path / "before")
    assert check(load(before, input="before.json")).summary.errors == 4
    shutil.rmtree(tmp_path / "before")
    (root / ".terraform.lock.hcl").unlink()
    result = fix_directory(str(root))
    assert result.ok, result.text
    apply_fix(result.text)
    after = make_plans().plan_of(root, [], tmp_path / "after")
    report = check(load(after, input="after.json"))
    assert report.summary.errors == 0, [f.message for f in report.findings if f.severity == "error"]
    assert layout(load(after, input="after.json")) == layout(load_directory(str(root)))


@needs_terraform
@needs_provider
def test_a_dynamic_expose_block_given_nothing_checks_clean(tmp_path: Path) -> None:
    root = cases.nats_to_all_endpoints(cases.copy(tmp_path))
    result = fix_directory(str(root), [VarFile(str(DEPLOY)), VarArg('nats_expose_cidrs=["0.0.0.0/0"]')])
    assert "make its for_each give none" in result.text
    planned = make_plans().plan_of(root, [f"-var-file={DEPLOY}", "-var=nats_expose_cidrs=[]"], tmp_path / "w")
    assert check(load(planned, input="plan.json")).summary.errors == 0


TEXTS = (
    "lxd:0",
    'a"b\\c',
    '${file("/etc/passwd")}',
    "%{ if true }x%{ endif }",
    "$${already}",
    "\\${",
    "$",
    "%%{",
    "a\\u0041",
    "\x00",
    # A lone surrogate (no UTF-8 file holds one) is written `\ud800`, which Terraform refuses outright.
    *(t for t in HOSTILE if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)),
)


@needs_terraform
def test_terraform_reads_every_hcl_string_back_as_the_text(tmp_path: Path) -> None:
    body = "".join(f'output "o{i:03d}" {{\n  value = {hcl_string(t)}\n}}\n' for i, t in enumerate(TEXTS))
    (tmp_path / "main.tf").write_text(body)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "HOME": str(tmp_path),
    }
    for command in (
        ["terraform", "init", "-input=false"],
        ["terraform", "apply", "-auto-approve", "-input=false"],
    ):
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
    shown = subprocess.run(
        ["terraform", "output", "-json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    values = {int(k[1:]): v["value"] for k, v in json.loads(shown.stdout).items()}
    assert values == dict(enumerate(TEXTS))
