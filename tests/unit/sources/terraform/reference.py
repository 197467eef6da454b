"""The test copy of Anbox Cloud's Terraform plan, and how the tests read it with variable variants."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.findings import Report
from anbox_cloud_ports.model import Deployment, Host
from anbox_cloud_ports.sources.terraform import VarArg, VarFile, load_directory

DATA = Path(__file__).resolve().parents[2] / "data" / "terraform"
ROOT = DATA / "anbox-cloud-terraform"
DEPLOY = DATA / "deploy.tfvars"
PLANS = DATA / "plans"

# The variants of the guide's example the README shows, as `-var` arguments after deploy.tfvars.
VARIANTS: dict[str, tuple[str, ...]] = {
    "deploy": (),
    "ha": ("enable_ha=true",),
    "lb": ("enable_lb=true",),
    "two-subclusters": ('subclusters=[{name="a", lxd_node_count=1}, {name="b", lxd_node_count=2}]',),
    "registry": (
        "deploy_registry=true",
        'subclusters=[{name="a", lxd_node_count=1, registry={mode="client"}}, '
        '{name="b", lxd_node_count=1, registry={mode="publisher"}}]',
    ),
    "cos": ("enable_cos=true", "enable_lb=true"),
}

CONTROLLER = "anbox-controller"


def directory(*variables: str, root: Path = ROOT) -> Deployment:
    return load_directory(str(root), [VarFile(str(DEPLOY)), *(VarArg(v) for v in variables)])


def judged(deployment: Deployment) -> Report:
    return check(deployment)


def hosts_of(deployment: Deployment) -> dict[str, Host]:
    return {unit.key: unit.host for unit in deployment.units}


def layout(deployment: Deployment) -> dict[Host, list[str]]:
    """Each host with the units on it, sorted: what two readers of one plan must agree on."""
    found: dict[Host, list[str]] = {}
    for unit in deployment.units:
        found.setdefault(unit.host, []).append(unit.key)
    return {host: sorted(units) for host, units in sorted(found.items())}


def claims(deployment: Deployment) -> list[tuple[str, str, str | None]]:
    return sorted((c.unit, str(c.port), c.option) for c in deployment.claims)


def rules(report: Report) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f.rule, f.severity, tuple(str(p) for p in f.ports)) for f in report.findings]


def in_model(model: str, machines: Sequence[str]) -> list[Host]:
    return [Host(m, model) for m in machines]
