"""Over generated Terraform root modules: `fix` finds a fix, and the printed changes, made by hand, check clean.

The generator writes what the guide's modules write (a model, counted machines, applications placed
on them by reference or by machine id, `config` maps, `expose` blocks), one attribute per line, so
tests/unit/fix/terraform_edit.py can make the printed changes from their file:line pointers alone.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.fix import fix_directory
from anbox_cloud_ports.sources.terraform import load_directory

from .terraform_edit import apply_fix

# Applications and the option values a generated module may set (strings: `config` is a map(string)).
APPS: dict[str, tuple[str, dict[str, list[str]]]] = {
    "ams": (
        "ams",
        {"port": ["8444", "4222", "443", "70000", "x"], "prometheus_target_port": ["20002", "8444"]},
    ),
    "nats": ("nats", {"client-port": ["4222", "8444", "4000"]}),
    "agent": ("anbox-stream-agent", {}),
    "gateway": ("anbox-stream-gateway", {}),
    "dashboard": ("anbox-cloud-dashboard", {}),
    "coturn": ("coturn", {}),
    "lxd": ("ams-lxd", {"exposed_instance_ports": ["10000-11000", "4000-4500", "9-8"]}),
    "lb": ("haproxy", {}),
}
EXPOSE = [
    "",
    "  expose {}\n",
    '  expose {\n    cidrs = "0.0.0.0/0"\n  }\n',
    '  expose {\n    cidrs = "10.0.0.0/8"\n  }\n',
]

settings.register_profile(
    "terraform-fix", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def modules(draw: st.DrawFn) -> str:
    machines = draw(st.integers(1, 3))
    lines = [
        'resource "juju_model" "m" {\n  name = "m"\n}\n',
        f'resource "juju_machine" "node" {{\n  count      = {machines}\n  model_uuid = juju_model.m.uuid\n}}\n',
    ]
    for name in draw(st.lists(st.sampled_from(sorted(APPS)), min_size=1, max_size=5, unique=True)):
        charm, options = APPS[name]
        if draw(st.booleans()):
            placed = draw(st.lists(st.integers(0, machines - 1), min_size=1, max_size=machines, unique=True))
            where = "[" + ", ".join(f"juju_machine.node[{i}].machine_id" for i in placed) + "]"
        else:
            where = (
                "["
                + ", ".join(
                    f'"{i}"' for i in draw(st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True))
                )
                + "]"
            )
        config = "".join(
            f'    {option} = "{draw(st.sampled_from(values))}"\n'
            for option, values in options.items()
            if draw(st.booleans())
        )
        lines.append(
            f'resource "juju_application" "{name}" {{\n'
            f'  name       = "{name}"\n'
            "  model_uuid = juju_model.m.uuid\n"
            f'  charm {{\n    name = "{charm}"\n  }}\n'
            f"  machines   = {where}\n"
            f"  config = {{\n{config}  }}\n"
            f"{draw(st.sampled_from(EXPOSE))}"
            "}\n"
        )
    return "".join(lines)


@settings(settings.get_profile("terraform-fix"))
@given(modules())
def test_every_generated_module_gets_a_fix_that_checks_clean_when_made_by_hand(module: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        (root / "main.tf").write_text(module)
        result = fix_directory(str(root))
        assert result.ok, result.text
        changed = set(re.findall(r"^# juju_application\.([a-z]+): change in place", result.text, re.M))
        with_errors = {
            unit.split("/")[0] for f in result.before.findings if f.severity == "error" for unit in f.units
        }
        assert changed <= with_errors, result.text  # no unrelated application touched
        apply_fix(result.text)
        again = check(load_directory(str(root)))
        assert again.summary.errors == 0, (module, result.text, [f.message for f in again.findings])
