"""Root variable values from the places Terraform reads them, in Terraform's order.

Why mirror Terraform exactly: the deployment we validate must be the one `terraform plan` would
produce from the same command line. Precedence, lowest first (Terraform's "Variable definition
precedence"): `TF_VAR_name` environment variables; `terraform.tfvars`;
`terraform.tfvars.json`; `*.auto.tfvars` and `*.auto.tfvars.json` in lexical order; then
every `-var` and `-var-file` in command-line order. The last definition of a name wins, and
only the winning value is converted to the declared type.

One deliberate difference: Terraform only *warns* about an undeclared variable found in a file
("Value for undeclared variable"); we stop, because in a validator a misspelt `enable_hA`
silently changes what is checked. An undeclared `-var` is an error in both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from .arguments import VarFile, VarSource
from .declarations import MISSING, ModuleConfig
from .errors import EvalError, ParseError, VariableError
from .evaluator import constant_value
from .hcl import MAX_SOURCE_BYTES, parse_body, parse_expression
from .typeconv import ConversionError, convert
from .values import Value


@dataclass(frozen=True)
class Definition:
    """A raw value for one variable and where it was defined (for messages)."""

    value: Value
    where: str
    literal: str | None = None  # -var / TF_VAR_ text, parsed once the declared type is known


def _read(path: str, shown: str) -> str:
    try:
        if os.path.getsize(path) > MAX_SOURCE_BYTES:
            raise VariableError(f"{shown}: variable file larger than {MAX_SOURCE_BYTES} bytes")
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise VariableError(f"{shown}: cannot read variable file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise VariableError(f"{shown}: variable file is not UTF-8 text") from None


def read_var_file(path: str, shown: str, config: ModuleConfig) -> dict[str, Definition]:
    """Every assignment of one `.tfvars` (HCL) or `.tfvars.json` file; undeclared names are errors."""
    text = _read(path, shown)
    out: dict[str, Definition] = {}
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise VariableError(f"{shown}: invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise VariableError(f"{shown}: the root of a .tfvars.json file must be an object")
        for name, value in cast("dict[str, Value]", data).items():
            _declared(config, name, shown)
            out[name] = Definition(value, shown)
        return out
    try:
        body = parse_body(text, shown)
    except ParseError as exc:
        raise VariableError(str(exc)) from None
    if body.blocks:
        block = body.blocks[0]
        raise VariableError(
            f"{block.loc}: unexpected {block.type!r} block: blocks are not allowed in variable files"
        )
    for name, attr in body.attributes.items():
        _declared(config, name, str(attr.loc))
        try:
            value = constant_value(attr.expr)
        except EvalError as exc:
            raise VariableError(f"{attr.loc}: {exc.message}") from None
        out[name] = Definition(value, str(attr.loc))
    return out


def _declared(config: ModuleConfig, name: str, where: str) -> None:
    if name not in config.variables:
        raise VariableError(
            f"{where}: value for undeclared variable {name!r}: the root module declares no such variable"
        )


def collect(
    root_dir: str,
    shown_root: str,
    config: ModuleConfig,
    sources: Sequence[VarSource] = (),
    *,
    environ: Mapping[str, str] | None = None,
    auto_load: bool = True,
) -> dict[str, Definition]:
    """All definitions in precedence order, the winning one per name."""
    defs: dict[str, Definition] = {}
    for key, text in sorted((environ or {}).items()):
        if key.startswith("TF_VAR_") and key[7:] in config.variables:  # Terraform ignores the others
            defs[key[7:]] = Definition(None, f"environment variable {key}", literal=text)
    if auto_load:
        names = sorted(os.listdir(root_dir))
        auto = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
        auto += [n for n in names if n.endswith(".auto.tfvars") or n.endswith(".auto.tfvars.json")]
        for name in auto:
            defs.update(read_var_file(os.path.join(root_dir, name), os.path.join(shown_root, name), config))
    for source in sources:
        if isinstance(source, VarFile):
            defs.update(read_var_file(source.path, source.path, config))
        else:
            name, sep, text = source.text.partition("=")
            name = name.strip()
            if not sep or not name:
                raise VariableError(f'-var "{source.text}": the value must be given as NAME=VALUE')
            if name not in config.variables:
                raise VariableError(
                    f'-var "{source.text}": value for undeclared variable {name!r}: the root module declares no such variable'
                )
            defs[name] = Definition(None, f'-var "{name}=..."', literal=text)
    return defs


def resolve(config: ModuleConfig, defs: Mapping[str, Definition]) -> dict[str, Value]:
    """Convert the winning definitions to the declared types, apply defaults, report missing ones."""
    values: dict[str, Value] = {}
    for name, decl in config.variables.items():
        d = defs.get(name)
        if d is None:
            if decl.default is MISSING:
                raise VariableError(
                    f"{decl.loc}: no value for required variable {name!r}: set it with -var or -var-file"
                )
            values[name] = decl.default_or_none()
            continue
        raw = d.value
        if d.literal is not None:
            raw = d.literal if decl.parse_literal else _parse_literal_expr(d, name)
        try:
            value = convert(raw, decl.type)
        except ConversionError as exc:
            raise VariableError(
                f"{d.where}: invalid value for var.{name} (declared at {decl.loc}): {exc}"
            ) from None
        if value is None and not decl.nullable:
            value = decl.default_or_none()
        values[name] = value
    return values


def _parse_literal_expr(d: Definition, name: str) -> Value:
    assert d.literal is not None  # noqa: S101 - only -var and TF_VAR_ definitions come here
    try:
        return constant_value(parse_expression(d.literal, d.where, 1))
    except ParseError as exc:
        raise VariableError(
            f"{d.where}: invalid value for var.{name}: not a valid expression ({exc})"
        ) from None
    except EvalError as exc:
        raise VariableError(f"{d.where}: invalid value for var.{name}: {exc.message}") from None
