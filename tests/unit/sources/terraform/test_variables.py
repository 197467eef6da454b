"""Variable inputs as `terraform plan` reads them: precedence, conversion, and one-line refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anbox_cloud_ports.sources.terraform import VarArg, VarFile, VariableError, load_directory
from anbox_cloud_ports.sources.terraform.evaluator import Evaluation, Limits
from anbox_cloud_ports.sources.terraform.variables import collect, resolve

from .reference import DEPLOY, ROOT


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def error_of(tmp_path: Path, text: str, name: str = "bad.tfvars") -> str:
    path = write(tmp_path, name, text)
    with pytest.raises(VariableError) as info:
        load_directory(str(ROOT), [VarFile(str(DEPLOY)), VarFile(path)])
    message = str(info.value)
    assert "\n" not in message
    return message.removeprefix(str(tmp_path) + "/")


def models(*sources: VarFile | VarArg, root: Path = ROOT, environ: dict[str, str] | None = None) -> set[str]:
    return set(load_directory(str(root), list(sources), environ=environ).models)


def test_an_undeclared_variable_names_the_file_line_and_variable(tmp_path: Path) -> None:
    assert error_of(tmp_path, "enable_hA = true\n") == (
        "bad.tfvars:1: value for undeclared variable 'enable_hA': the root module declares no such variable"
    )


def test_an_undeclared_variable_on_the_command_line() -> None:
    with pytest.raises(VariableError, match=r"^-var \"foo=1\": value for undeclared variable 'foo'"):
        load_directory(str(ROOT), [VarFile(str(DEPLOY)), VarArg("foo=1")])


def test_a_wrong_type_names_the_file_the_variable_and_its_declaration(tmp_path: Path) -> None:
    assert error_of(tmp_path, 'enable_ha = "maybe"\n') == (
        f"bad.tfvars:1: invalid value for var.enable_ha (declared at {ROOT}/variables.tf:72): a bool is required"
    )
    assert error_of(tmp_path, 'subclusters = [{name = "a"}]\n').endswith(
        'element 0: attribute "lxd_node_count" is required'
    )
    assert error_of(
        tmp_path, 'subclusters = [{name = "a", lxd_node_count = 1, registry = {mode = [1]}}]\n'
    ).endswith('element 0: attribute "registry": attribute "mode": string required')
    assert error_of(tmp_path, "subclusters = {a = 1}\n").endswith("list of object required")


def test_bad_syntax_names_line_and_column(tmp_path: Path) -> None:
    assert (
        error_of(tmp_path, "enable_ha = \n") == "bad.tfvars:1:13: invalid HCL syntax: unexpected end of line"
    )


def test_a_variable_file_is_constant(tmp_path: Path) -> None:
    assert "variables may not be used here" in error_of(tmp_path, "enable_ha = var.x\n")
    assert "functions may not be called here" in error_of(tmp_path, 'base = lower("X")\n')


def test_the_plan_s_own_validation_rules_run(tmp_path: Path) -> None:
    assert "Minimum 1 subcluster is required." in error_of(tmp_path, "subclusters = []\n")
    assert "cloud_type must be one of: lxd, aws." in error_of(tmp_path, 'cloud_type = "gce"\n')
    assert "Channel should be of the format" in error_of(tmp_path, 'anbox_channel = "latest"\n')


def test_json_variable_files_convert_like_terraform(tmp_path: Path) -> None:
    path = write(tmp_path, "x.tfvars.json", '{"subclusters": [{"name": "j", "lxd_node_count": "2"}]}')
    assert "anbox-subcluster-j" in models(VarFile(str(DEPLOY)), VarFile(path))
    with pytest.raises(VariableError, match="invalid JSON"):
        load_directory(str(ROOT), [VarFile(write(tmp_path, "y.tfvars.json", "{"))])
    with pytest.raises(VariableError, match="cannot read variable file"):
        load_directory(str(ROOT), [VarFile(str(tmp_path / "missing.tfvars"))])


def test_precedence_environment_then_auto_files_then_the_command_line_in_order(tmp_path: Path) -> None:
    root = tmp_path / "plan"
    shutil.copytree(ROOT, root)
    (root / "terraform.tfvars").write_text('subclusters = [{name = "t", lxd_node_count = 1}]\n')
    (root / "b.auto.tfvars").write_text('subclusters = [{name = "b", lxd_node_count = 1}]\n')
    (root / "a.auto.tfvars").write_text('subclusters = [{name = "a", lxd_node_count = 1}]\n')
    assert "anbox-subcluster-b" in models(root=root)  # auto files in lexical order, after terraform.tfvars
    later = write(tmp_path, "later.tfvars", 'subclusters = [{name = "f", lxd_node_count = 1}]\n')
    flag = VarArg('subclusters=[{name="v", lxd_node_count=1}]')
    assert "anbox-subcluster-f" in models(flag, VarFile(later), root=root)
    assert "anbox-subcluster-v" in models(VarFile(later), flag, root=root)
    env = {"TF_VAR_subclusters": '[{name="e", lxd_node_count=1}]', "TF_VAR_unrelated": "x"}
    assert "anbox-subcluster-b" in models(root=root, environ=env)  # files win over TF_VAR_
    assert "anbox-subcluster-e" in models(environ=env)


def test_var_values_are_literal_for_primitive_types_and_hcl_for_the_others() -> None:
    evaluation = Evaluation(str(ROOT), Limits())
    config = evaluation.module_config(str(ROOT))
    sources = [VarFile(str(DEPLOY)), VarArg("ubuntu_pro_token=a=b [x]"), VarArg('constraints=["mem=8G"]')]
    values = resolve(config, collect(evaluation.root_dir, evaluation.shown_root, config, sources))
    assert values["ubuntu_pro_token"] == "a=b [x]"  # noqa: S105 - a placeholder, not a secret
    assert values["constraints"] == ["mem=8G"]
    assert values["enable_ha"] is False  # the declared default


def test_a_required_variable_without_a_value(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "need" {\n  type = string\n}\n')
    with pytest.raises(VariableError, match=r"main.tf:1: no value for required variable 'need'"):
        load_directory(str(tmp_path))
