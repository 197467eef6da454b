"""The variable inputs of a `terraform plan` command line, in the order given (the order matters)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VarFile:
    """`-var-file=PATH` (a relative path is relative to the current directory, as in Terraform)."""

    path: str


@dataclass(frozen=True, slots=True)
class VarArg:
    """`-var NAME=VALUE`, exactly as typed."""

    text: str


VarSource = VarFile | VarArg
