"""One module directory read into declarations: variables, locals, resources, module calls, outputs.

Why separate from evaluation: a module directory is parsed once and instantiated many times
(`module "subcluster" { for_each = ... }`). Nothing here evaluates references; variable
defaults and type constraints are constants and are checked here, as Terraform does at init.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigError, LimitError
from .hcl import MAX_SOURCE_BYTES, parse_body
from .syntax import Attribute, Block, Body, Expr, Loc
from .typeconv import ANY, ConversionError, TypeSpec, convert, parse_type
from .values import Value


class _Missing:
    """Marker: a variable without a default (required)."""

    def __repr__(self) -> str:
        return "<required>"


MISSING = _Missing()

# Arguments of a `module` block that are meta-arguments, not inputs.
MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
# Arguments of a resource block that are meta-arguments, not provider attributes.
RESOURCE_META = frozenset({"count", "for_each", "provider", "depends_on"})
# Nested blocks of a resource that belong to Terraform, not to the provider schema.
RESOURCE_META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})


@dataclass
class Validation:
    """A `validation` block of a variable."""

    condition: Expr
    error_message: Expr
    loc: Loc


@dataclass
class VariableDecl:
    """A `variable` block: its type, its (converted) default or MISSING, and its validations."""

    name: str
    type: TypeSpec
    default: Value | _Missing
    nullable: bool
    loc: Loc
    parse_literal: bool
    validations: list[Validation] = field(default_factory=list[Validation])

    def default_or_none(self) -> Value:
        """The default value, or null for a required variable."""
        return None if isinstance(self.default, _Missing) else self.default


@dataclass
class ResourceDecl:
    """A `resource` or `data` block."""

    mode: str  # "managed" or "data"
    type: str
    name: str
    body: Body
    loc: Loc
    count: Attribute | None
    for_each: Attribute | None


@dataclass
class ModuleCall:
    """A `module` block: where its source is and which arguments it passes."""

    name: str
    source: str
    body: Body
    loc: Loc
    count: Attribute | None
    for_each: Attribute | None
    args: dict[str, Attribute]


@dataclass
class ModuleConfig:
    """Every declaration of one module directory."""

    dir: str
    rel: str
    variables: dict[str, VariableDecl] = field(default_factory=dict[str, VariableDecl])
    locals: dict[str, Attribute] = field(default_factory=dict[str, Attribute])
    resources: dict[str, ResourceDecl] = field(default_factory=dict[str, ResourceDecl])  # "type.name"
    data: dict[str, ResourceDecl] = field(default_factory=dict[str, ResourceDecl])
    module_calls: dict[str, ModuleCall] = field(default_factory=dict[str, ModuleCall])
    outputs: dict[str, Attribute] = field(default_factory=dict[str, Attribute])
    resource_types: set[str] = field(default_factory=set[str])
    source_bytes: int = 0


def _const(expr: Expr) -> Value:
    from .evaluator import constant_value  # a constant needs the evaluator, not a module scope

    return constant_value(expr)


def load_module(directory: str, root_dir: str, shown_root: str, max_files: int = 500) -> ModuleConfig:
    """Every `*.tf` file of `directory` (a real path), named in messages as the user can open it.

    `shown_root` is the root module's path as the user gave it; files are named under it. A `.tf` file
    that is a link out of its module directory is refused: a configuration someone else wrote must not
    make this reader quote (in a syntax error) a file of the user's it was never meant to read.
    """
    rel = os.path.relpath(directory, root_dir)
    shown = os.path.normpath(os.path.join(shown_root, rel))
    config = ModuleConfig(dir=directory, rel="" if rel == "." else rel)
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read module directory ({exc.strerror})") from None
    for name in names:
        if name.endswith(".tf.json") or name.endswith("_override.tf") or name == "override.tf":
            raise ConfigError(
                f"{os.path.join(shown, name)}: JSON syntax and override files are not read by this checker"
            )
    tf_files = [n for n in names if n.endswith(".tf") and os.path.isfile(os.path.join(directory, n))]
    if len(tf_files) > max_files:
        raise LimitError(f"{shown}: more than {max_files} .tf files")
    if not tf_files:
        raise ConfigError(f"{shown}: no Terraform configuration files (*.tf) in this directory")
    for name in tf_files:
        source = _read_source(directory, name, shown)
        config.source_bytes += len(source)
        body = parse_body(source, os.path.join(shown, name))
        for block in body.blocks:
            _declare(config, block)
        if body.attributes:
            attr = next(iter(body.attributes.values()))
            raise ConfigError(
                f"{attr.loc}: unexpected argument {attr.name!r} at the top level of a configuration file"
            )
    return config


def _read_source(directory: str, name: str, shown: str) -> str:
    path = os.path.join(directory, name)
    where = os.path.join(shown, name)
    if not is_within(os.path.realpath(path), directory):
        raise ConfigError(f"{where}: a link out of its module directory, not read")
    try:
        if os.path.getsize(path) > MAX_SOURCE_BYTES:
            raise LimitError(f"{where}: larger than {MAX_SOURCE_BYTES} bytes")
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None


def is_within(path: str, directory: str) -> bool:
    """Whether the real path `path` lies inside the real directory `directory`."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _declare(config: ModuleConfig, block: Block) -> None:
    kind = block.type
    if kind == "variable":
        _one_label(block)
        decl = _variable(block)
        _unique(config.variables, decl.name, block, "variable")
        config.variables[decl.name] = decl
    elif kind == "locals":
        for name, attr in block.body.attributes.items():
            _unique(config.locals, name, block, "local value")
            config.locals[name] = attr
    elif kind in ("resource", "data"):
        if len(block.labels) != 2:
            raise ConfigError(f"{block.loc}: a {kind} block needs two labels (type and name)")
        type_, name = block.labels
        decl = ResourceDecl(
            "managed" if kind == "resource" else "data",
            type_,
            name,
            block.body,
            block.loc,
            block.body.attributes.get("count"),
            block.body.attributes.get("for_each"),
        )
        if decl.count is not None and decl.for_each is not None:
            raise ConfigError(f"{block.loc}: count and for_each cannot both be set")
        table = config.resources if kind == "resource" else config.data
        _unique(table, f"{type_}.{name}", block, kind)
        table[f"{type_}.{name}"] = decl
        if kind == "resource":
            config.resource_types.add(type_)
    elif kind == "module":
        _one_label(block)
        attrs = block.body.attributes
        if "source" not in attrs:
            raise ConfigError(f"{block.loc}: module {block.labels[0]!r} has no source")
        source = _const(attrs["source"].expr)
        if not isinstance(source, str):
            raise ConfigError(f"{attrs['source'].loc}: module source must be a string")
        call = ModuleCall(
            block.labels[0],
            source,
            block.body,
            block.loc,
            attrs.get("count"),
            attrs.get("for_each"),
            {k: v for k, v in attrs.items() if k not in MODULE_META},
        )
        if call.count is not None and call.for_each is not None:
            raise ConfigError(f"{block.loc}: count and for_each cannot both be set")
        _unique(config.module_calls, call.name, block, "module call")
        config.module_calls[call.name] = call
    elif kind == "output":
        _one_label(block)
        if "value" not in block.body.attributes:
            raise ConfigError(f"{block.loc}: output {block.labels[0]!r} has no value")
        _unique(config.outputs, block.labels[0], block, "output")
        config.outputs[block.labels[0]] = block.body.attributes["value"]
    # terraform, provider, moved, import, removed, check blocks do not affect what is deployed.


def _one_label(block: Block) -> None:
    if len(block.labels) != 1:
        raise ConfigError(f"{block.loc}: a {block.type} block needs exactly one label")


def _unique(table: Mapping[str, object], name: str, block: Block, what: str) -> None:
    if name in table:
        raise ConfigError(f"{block.loc}: duplicate {what} {name!r}")


def _variable(block: Block) -> VariableDecl:
    name = block.labels[0]
    attrs = block.body.attributes
    spec = ANY
    parse_literal = True
    if "type" in attrs:
        try:
            spec = parse_type(attrs["type"].expr, _const)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        # Terraform takes -var and TF_VAR_ values literally for primitive types (and when no
        # type is given), and parses them as HCL expressions otherwise (`any` included).
        parse_literal = spec.primitive
    nullable = True
    if "nullable" in attrs:
        nv = _const(attrs["nullable"].expr)
        if not isinstance(nv, bool):
            raise ConfigError(f"{attrs['nullable'].loc}: nullable must be true or false")
        nullable = nv
    default: Value | _Missing = MISSING
    if "default" in attrs:
        raw = _const(attrs["default"].expr)
        try:
            default = convert(raw, spec)
        except ConversionError as exc:
            raise ConfigError(
                f"{attrs['default'].loc}: invalid default value for variable {name!r}: {exc}"
            ) from None
    validations = [
        Validation(v.body.attributes["condition"].expr, v.body.attributes["error_message"].expr, v.loc)
        for v in block.body.blocks_of("validation")
        if "condition" in v.body.attributes and "error_message" in v.body.attributes
    ]
    return VariableDecl(name, spec, default, nullable, block.loc, parse_literal, validations)
