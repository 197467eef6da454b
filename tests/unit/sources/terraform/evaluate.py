"""Evaluating small configurations written in a test: the outputs of a root module."""

from __future__ import annotations

from pathlib import Path

from anbox_cloud_ports.sources.terraform.evaluator import Evaluation, Limits
from anbox_cloud_ports.sources.terraform.instances import ModuleInstance
from anbox_cloud_ports.sources.terraform.values import TfSet, Unknown, Value
from anbox_cloud_ports.sources.terraform.variables import collect, resolve


def outputs(tmp_path: Path, body: str, limits: Limits | None = None) -> dict[str, Value]:
    (tmp_path / "main.tf").write_text(body)
    evaluation = Evaluation(str(tmp_path), limits or Limits())
    config = evaluation.module_config(str(tmp_path))
    values = resolve(config, collect(evaluation.root_dir, evaluation.shown_root, config))
    return ModuleInstance(evaluation, config, "", 0, root_values=values).outputs()


def plain(value: Value) -> object:
    """A value as JSON would hold it (sets as lists, unknowns as their reason)."""
    if isinstance(value, Unknown):
        return {"unknown": value.reason}
    if isinstance(value, list | TfSet):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
