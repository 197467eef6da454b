"""docs/reference.md lists the public API (every `__all__`) and every service's port options, from the code."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from anbox_cloud_ports.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
PUBLIC_MODULES = ("anbox_cloud_ports", "anbox_cloud_ports.charm", "anbox_cloud_ports.charm.testing")


def options_table() -> str:
    """Which options each charmed service recognises, as the reference prints them."""
    catalog = Catalog.builtin()
    lines = ["| service | option | kind | default | moves |", "|---|---|---|---|---|"]
    for charm in catalog.charms("charmed"):
        rows = catalog.for_charm(charm)
        for option in catalog.options_for(charm):
            moved = [str(c) for row in rows if row.option_for(charm) == option for c in row.claims]
            default = "(unset)" if option.default is None else f"`{option.default}`"
            moves = ", ".join(f"`{m}`" for m in moved) or f"nothing in the tables ({option.description})"
            lines.append(f"| {charm} | `{option.name}` | {option.kind} | {default} | {moves} |")
    return "\n".join(lines) + "\n"


def _sections(text: str) -> dict[str, set[str]]:
    """Each `## module` section's documented names: the `### name` headings under it."""
    found: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip().strip("`")
            found[current] = set()
        elif line.startswith("### ") and current:
            found[current].add(re.sub(r"[`(].*", "", line[4:].strip().strip("`")).strip())
    return found


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_is_documented_and_nothing_else(module: str) -> None:
    documented = _sections(REFERENCE.read_text(encoding="utf-8"))[module]
    assert documented == set(importlib.import_module(module).__all__)


def test_the_options_table_is_the_catalogs() -> None:
    assert options_table() in REFERENCE.read_text(encoding="utf-8")
