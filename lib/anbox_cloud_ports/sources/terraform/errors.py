"""Why a Terraform input cannot be used: one line naming the file (and line) at fault.

The kinds differ in whose fault it is, which tests and callers tell apart: `VariableError` is the
user's variable inputs (what `terraform plan` itself would refuse), `ConfigError` the configuration,
`LimitError` a bound this reader keeps against hostile input (a real deployment is far below them).
All are `AnboxPortsError`s, so the CLI prints them as its one line and exits 2.
"""

from __future__ import annotations

from ...errors import AnboxPortsError
from ...text import one_line


class TerraformError(AnboxPortsError):
    """The Terraform input cannot be read or evaluated; `str()` is one printable, bounded line."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class ParserUnavailableError(TerraformError):
    """The optional HCL parser (python-hcl2) is not installed."""


class ParseError(TerraformError):
    """A file is not HCL (or not JSON, for `*.tfvars.json`)."""


class VariableError(TerraformError):
    """A variable input is wrong: undeclared name, wrong type, missing value, failed validation."""


class ConfigError(TerraformError):
    """The configuration is invalid where Terraform itself would stop (bad count, undeclared reference)."""


class LimitError(TerraformError):
    """The evaluation went over one of this reader's bounds (instances, steps, sizes, depth)."""


class EvalError(Exception):
    """An expression failed the way Terraform reports an error (bad index, wrong argument type).

    Internal: `can()`, `try()` and the branch a conditional does not take catch it; elsewhere it becomes
    a `ConfigError` naming where the expression is written.
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
