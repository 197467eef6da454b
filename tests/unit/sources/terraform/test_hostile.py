"""Hostile Terraform inputs: whatever the text, a Deployment or one TerraformError/InputError, never a traceback."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources import load
from anbox_cloud_ports.sources.terraform import TerraformError, load_directory

from .reference import PLANS

FRAGMENTS = [
    'resource "juju_model" "m" {\n  name = "m"\n}\n',
    'resource "juju_machine" "n" {\n  count = 2\n  model_uuid = juju_model.m.uuid\n}\n',
    'resource "juju_application" "a" {\n',
    "  model_uuid = juju_model.m.uuid\n",
    "  machines = juju_machine.n[*].machine_id\n",
    "  machines = [juju_machine.n[0].machine_id]\n",
    '  charm {\n    name = "coturn"\n  }\n',
    '  config = { port = "8444" }\n',
    "  expose {}\n",
    '  expose {\n    cidrs = "10.0.0.0/8"\n  }\n',
    '  dynamic "expose" {\n    for_each = [1]\n    content {}\n  }\n',
    "}\n",
    "locals {\n",
    '  x = [for i in range(3) : "${i}"]\n',
    "  y = local.x[*]\n",
    "  z = var.v == null ? 1 : 2\n",
    'variable "v" {\n  default = null\n}\n',
    'module "m" {\n  source = "./"\n}\n',
    'output "o" {\n  value = local.x\n}\n',
    "<<EOT\n",
    "EOT\n",
    "${",
    '"',
    "[",
    "]",
    "{",
    "=",
    "\n",
    "count = -1\n",
    "for_each = toset([])\n",
]

# A longer, random campaign by hand: TF_FUZZ_EXAMPLES=2000 TF_FUZZ_RANDOM=1 pytest this file.
SETTINGS = settings(
    max_examples=int(os.environ.get("TF_FUZZ_EXAMPLES", "40")),
    derandomize=not os.environ.get("TF_FUZZ_RANDOM"),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=14))
def test_any_configuration_is_read_or_refused_in_one_line(parts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "main.tf").write_text("".join(parts))
        refusal = _refusal(lambda: check(load_directory(work)), TerraformError)
        assert "\n" not in refusal


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.text(max_size=8),
    st.just([]),
    st.just({}),
    st.just([None]),
    st.just([True]),
)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["address", "type", "module_address", "change", "mode"]), JSON_VALUES), max_size=4),
       st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["machines", "model_uuid", "charm", "expose", "config", "units", "name", "application"]), JSON_VALUES), max_size=4))  # fmt: skip
def test_any_plan_json_is_read_or_refused_in_one_line(
    top: list[tuple[int, str, Any]], after: list[tuple[int, str, Any]]
) -> None:
    document = json.loads((PLANS / "plan-deploy.json").read_text())
    changes = document["resource_changes"]
    for index, key, value in top:
        changes[index % len(changes)][key] = value
    for index, key, value in after:
        change = changes[index % len(changes)].get("change")
        if isinstance(change, dict) and isinstance(change.get("after"), dict):
            change["after"][key] = value
            if isinstance(change.get("after_unknown"), dict):
                change["after_unknown"][key] = value
    refusal = _refusal(lambda: check(load(json.dumps(document), input="plan.json")), InputError)
    assert "\n" not in refusal


def _refusal(call: Callable[[], object], allowed: type[Exception]) -> str:
    """The one line an allowed refusal says ("" when the input was read); anything else propagates."""
    try:
        call()
    except allowed as error:
        return str(error)
    return ""
