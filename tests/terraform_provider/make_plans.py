"""Real `terraform show -json` plans of the test copy of Anbox Cloud's Terraform plan, one per variant.

The Juju provider cannot be downloaded here, so `provider.py` (our plan-only stand-in, speaking
Terraform's plugin protocol) is installed from a local filesystem mirror as juju/juju 1.3.1, the
version the plan asks for (`~> 1.3.0`). Terraform itself then expands, evaluates and writes the plan:
the stand-in only answers the schema and, for each create, "known after apply" for the attributes
the provider computes. `python tests/terraform_provider/make_plans.py [VARIANT...]` rewrites
tests/unit/data/terraform/plans/; the tests call `plan_json` to check a fresh run gives the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "unit" / "data" / "terraform"
ROOT = DATA / "anbox-cloud-terraform"
PLANS = DATA / "plans"

# Variant name -> `terraform plan` arguments after `-var-file=deploy.tfvars`.
VARIANTS: dict[str, list[str]] = {
    "deploy": [],
    "ha": ["-var", "enable_ha=true"],
    "lb": ["-var", "enable_lb=true"],
    "two-subclusters": ["-var", 'subclusters=[{name="a", lxd_node_count=1}, {name="b", lxd_node_count=2}]'],
    "registry": [
        "-var",
        "deploy_registry=true",
        "-var",
        'subclusters=[{name="a", lxd_node_count=1, registry={mode="client"}}, '
        '{name="b", lxd_node_count=1, registry={mode="publisher"}}]',
    ],
    "cos": ["-var", "enable_cos=true", "-var", "enable_lb=true"],
}

# Fields that differ between two runs of the same plan: when it ran, and an order Terraform does not fix.
VOLATILE = ("timestamp", "relevant_attributes")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")


def plan_json(variant: str, work: Path) -> str:
    """Run terraform init, plan and show for one variant in `work`; the JSON as Terraform writes it."""
    root = work / "plan"
    shutil.copytree(ROOT, root)
    return plan_of(root, [f"-var-file={DATA / 'deploy.tfvars'}", *VARIANTS[variant]], work)


def plan_of(root: Path, arguments: list[str], work: Path) -> str:
    """`terraform show -json` of `terraform plan ARGUMENTS` in the root module `root` (`work` for the rest)."""
    mirror = work / "mirror" / "registry.terraform.io" / "juju" / "juju" / "1.3.1" / "linux_amd64"
    mirror.mkdir(parents=True)
    launcher = mirror / "terraform-provider-juju_v1.3.1"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "provider.py"}" "$@"\n')
    launcher.chmod(0o755)
    config = work / "cli.tfrc"
    config.write_text(
        'provider_installation {\n  filesystem_mirror {\n    path    = "'
        + str(work / "mirror")
        + '"\n    include = ["registry.terraform.io/juju/juju"]\n  }\n}\n'
    )
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_DATA_DIR": str(work / "tfdata"),
    }
    env = {k: v for k, v in env.items() if not k.startswith("TF_VAR_")}
    _run(["terraform", "init", "-input=false", "-no-color"], root, env)
    plan_file = work / "plan.bin"
    args = ["terraform", "plan", "-input=false", "-no-color", "-lock=false", f"-out={plan_file}"]
    _run([*args, *arguments], root, env)
    shown = subprocess.run(
        ["terraform", "show", "-json", str(plan_file)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return shown.stdout


def stable(plan: dict[str, object]) -> dict[str, object]:
    """The plan without what changes from run to run."""
    return {k: v for k, v in plan.items() if k not in VOLATILE}


def main(variants: list[str]) -> None:
    PLANS.mkdir(exist_ok=True)
    for variant in variants or list(VARIANTS):
        with tempfile.TemporaryDirectory() as work:
            plan = plan_json(variant, Path(work))
        target = PLANS / f"plan-{variant}.json"
        target.write_text(plan)
        changes = len(json.loads(plan).get("resource_changes") or [])
        print(f"{target.relative_to(HERE.parent.parent)}: {changes} resource changes")


if __name__ == "__main__":
    main(sys.argv[1:])
