"""The guide's Terraform example with conflicts injected into a copy, as a user's edit would inject them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..sources.terraform.reference import DEPLOY, PLANS, ROOT

SUBCLUSTER = Path("modules") / "subcluster" / "control_plane.tf"
CONTROLLER = Path("modules") / "controller" / "main.tf"

# A second stream agent on the AMS node: two principals that both need 443/tcp there, no option moves it.
AGENT2 = """
resource "juju_application" "agent2" {
  name       = "agent2"
  model_uuid = juju_model.subcluster.uuid
  charm {
    name = "anbox-stream-agent"
  }
  machines = juju_machine.ams_node[*].machine_id
}
"""


def copy(tmp_path: Path, name: str = "plan") -> Path:
    root = tmp_path / name
    shutil.copytree(ROOT, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def ams_on_443(root: Path) -> Path:
    """AMS's API moved onto 443, where the stream agent on the same machine listens."""
    edit(
        root / SUBCLUSTER,
        "use_embedded_etcd = !var.external_etcd",
        'use_embedded_etcd = !var.external_etcd\n    port              = "443"',
    )
    return root


def ams_exposed(root: Path) -> Path:
    """`expose {}` on AMS: its API and metrics, both internal, to 0.0.0.0/0 and ::/0."""
    edit(
        root / SUBCLUSTER,
        "  machines    = juju_machine.ams_node[*].machine_id\n",
        "  machines    = juju_machine.ams_node[*].machine_id\n  expose {}\n",
    )
    return root


def lxd_exposed(root: Path) -> Path:
    """`expose {}` on the LXD nodes: the instance ports (external) and LXD's API (internal) alike."""
    edit(
        root / "modules" / "subcluster" / "data_plane.tf",
        "  machines = juju_machine.lxd_node[*].machine_id\n",
        "  machines = juju_machine.lxd_node[*].machine_id\n  expose {}\n",
    )
    return root


def nats_to_all_endpoints(root: Path) -> Path:
    """NATS's dynamic expose block without `endpoints`: the wildcard rule, to the CIDRs given."""
    edit(root / CONTROLLER, '      endpoints = "client"\n', "")
    return root


def second_agent(root: Path) -> Path:
    with (root / SUBCLUSTER).open("a") as handle:
        handle.write(AGENT2)
    return root


def deploy_args() -> list[str]:
    return [f"-var-file={DEPLOY}"]


def plan_document(variant: str = "deploy") -> dict[str, Any]:
    return json.loads((PLANS / f"plan-{variant}.json").read_text())


def change_of(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(c for c in document["resource_changes"] if c["address"] == address)
