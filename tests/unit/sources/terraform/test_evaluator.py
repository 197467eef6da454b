"""Plan-time semantics on small configurations: unknowns reported with where they are, bounds kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import Host
from anbox_cloud_ports.sources.terraform import ConfigError, LimitError, load_directory
from anbox_cloud_ports.sources.terraform.evaluator import Limits

from .evaluate import outputs, plain

MODEL = """
resource "juju_model" "m" {
  name = "m"
}
resource "juju_machine" "n" {
  count      = 2
  model_uuid = juju_model.m.uuid
}
"""


def test_heredocs_keep_their_text_and_interpolate(tmp_path: Path) -> None:
    got = outputs(
        tmp_path,
        'locals {\n  p = 80\n}\noutput "h" {\n  value = <<-EOT\n    a: ${local.p}\n      b: $${x}\n    EOT\n}\n',
    )
    assert got["h"] == "a: 80\n  b: ${x}\n"


def test_dynamic_expose_splats_and_a_body_count_zero_never_evaluates(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        MODEL
        + """
variable "cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8", " 192.168.0.0/16 ,"]
}
resource "juju_application" "a" {
  model_uuid = juju_model.m.uuid
  machines   = juju_machine.n[*].machine_id
  charm {
    name = "coturn"
  }
  dynamic "expose" {
    for_each = length(var.cidrs) > 0 ? [1] : []
    iterator = e
    content {
      endpoints = "turn, stun,,"
      cidrs     = join(",", var.cidrs)
      spaces    = "s${e.value}"
    }
  }
}
resource "juju_application" "never" {
  count      = 0
  model_uuid = juju_model.m.uuid
  name       = var.nothing.at.all
  charm {
    name = "y"
  }
}
"""
    )
    deployment = load_directory(str(tmp_path))
    app = deployment.applications["coturn"]
    assert sorted(app.exposed) == ["stun", "turn"]
    assert app.exposed["turn"].cidrs == ("10.0.0.0/8", "192.168.0.0/16")
    assert app.exposed["turn"].spaces == ("s1",)
    assert [u.host for u in deployment.units] == [Host("juju_machine.n[0]"), Host("juju_machine.n[1]")]


def test_what_cannot_be_known_is_reported_with_its_expression_and_place(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        MODEL
        + """
data "juju_model" "ext" {
  name = "ext"
}
resource "juju_application" "a" {
  model_uuid = data.juju_model.ext.uuid
  machines   = [uuid()]
  charm {
    name = "ams"
  }
}
resource "juju_application" "b" {
  model_uuid = data.juju_model.ext.uuid
  charm {
    name = "nats"
  }
  expose {
    cidrs = bcrypt("x")
  }
}
resource "juju_machine" "by_data" {
  count      = length(data.juju_model.ext.uuid)
  model_uuid = juju_model.m.uuid
}
"""
    )
    deployment = load_directory(str(tmp_path))
    messages = sorted(p.message for p in deployment.problems)
    assert messages == [
        "juju_application.a machines: `[uuid()]`: uuid() is only known at apply time: `uuid()` at "
        f"{tmp_path}/main.tf:15; not checked",
        'juju_application.b expose: bcrypt() is only known at apply time: `bcrypt("x")` at '
        f"{tmp_path}/main.tf:26; not checked",
        "juju_machine.by_data: cannot tell its instances: count of juju_machine.by_data is unknown "
        "(data.juju_model.ext.uuid is not set in the configuration and may be computed by the provider); not checked",
    ]
    assert {p.rule for p in deployment.problems} == {"unresolved-value"}
    # The data source names its model: b is placed there, one unit on a new machine, exposure unknown.
    [unit] = deployment.units
    assert unit.host == Host("new:nats/0", "ext")
    assert not deployment.applications["ext:nats"].exposure_known
    report = check(deployment)
    assert [f.rule for f in report.findings] == ["unresolved-value"] * 3


def test_configuration_errors_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"main.tf:2: .*undeclared local value \"nope\""):
        outputs(tmp_path, 'output "x" {\n  value = local.nope\n}\n')
    with pytest.raises(
        ConfigError, match=r"main.tf:\d+: for_each of juju_machine.n must be a map, or set of strings"
    ):
        outputs(
            tmp_path,
            'resource "juju_machine" "n" {\n  for_each = ["a"]\n  model_uuid = "x"\n}\noutput "x" {\n  value = juju_machine.n\n}\n',
        )
    with pytest.raises(ConfigError, match="cycle"):
        outputs(tmp_path, 'locals {\n  a = local.b\n  b = local.a\n}\noutput "x" {\n  value = local.a\n}\n')


def test_bounds_hold_against_hostile_configurations(tmp_path: Path) -> None:
    with pytest.raises(LimitError, match=r"count 100000 of juju_machine.n exceeds the limit of 1000"):
        outputs(
            tmp_path,
            'resource "juju_machine" "n" {\n  count = 100000\n  model_uuid = "x"\n}\noutput "o" {\n  value = juju_machine.n\n}\n',
        )
    with pytest.raises(LimitError, match="evaluation steps"):
        outputs(
            tmp_path,
            'locals {\n  x = [for i in range(5000) : range(5000)]\n}\noutput "o" {\n  value = local.x\n}\n',
            Limits(max_steps=100_000),
        )
    (tmp_path / "main.tf").write_text('module "self" {\n  source = "./"\n}\n')
    with pytest.raises(LimitError, match="module nesting deeper than 16"):
        load_directory(str(tmp_path))
    doubling = 'locals {\n  s0 = "xxxxxxxxxxxxxxxx"\n' + "".join(
        f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"\n' for i in range(1, 40)
    )
    with pytest.raises(ConfigError, match="string longer than"):
        outputs(tmp_path, doubling + '}\noutput "o" {\n  value = local.s39\n}\n')


def test_a_module_from_a_registry_is_reported_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "remote" {\n  source = "git::https://example.invalid/x"\n}\n')
    [problem] = load_directory(str(tmp_path)).problems
    assert problem.message.startswith("module.remote: cannot tell its instances:")
    assert "is not a local path" in problem.message


def test_a_tf_file_linking_out_of_its_module_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not = terraform {{{")
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").symlink_to(secret)
    with pytest.raises(ConfigError, match="a link out of its module directory, not read"):
        load_directory(str(root))


def test_unknown_values_stay_unknown_through_operators(tmp_path: Path) -> None:
    got = outputs(
        tmp_path,
        MODEL
        + 'output "x" {\n  value = [juju_model.m.uuid == "a", { u = juju_model.m.uuid } != null, length(juju_machine.n)]\n}\n',
    )
    value = plain(got["x"])
    assert isinstance(value, list)
    assert value[1:] == [True, 2]
    assert isinstance(value[0], dict)
    assert "known only after apply" in str(value[0]["unknown"])
