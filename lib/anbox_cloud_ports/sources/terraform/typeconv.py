"""Variable type constraints and Terraform's conversion of values to them.

Why: Terraform converts every variable value (root inputs and module arguments) to the declared
type before use: `"2"` becomes `2` for a number, extra object attributes are dropped,
missing `optional()` attributes become null or their default, and a value that cannot be
converted stops the plan. The messages mirror Terraform 1.11's (checked with `terraform plan`):
`element 0: attribute "lxd_node_count" is required`, `a bool is required`,
`list of object required`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from .syntax import Call, Expr, ObjectExpr, TupleExpr, Variable
from .values import TfSet, Unknown, Value, is_list, is_number, normalize_number, number_to_string


class ConversionError(Exception):
    """A value does not fit a type; `str()` is Terraform's message with the path prefix."""


@dataclass(frozen=True)
class TypeSpec:
    """A type constraint: `kind` is string, number, bool, any, list, set, map, object or tuple."""

    kind: str
    elem: TypeSpec | None = None
    # attribute name -> (type, optional, default)
    attrs: dict[str, tuple[TypeSpec, bool, Value]] = field(
        default_factory=dict[str, tuple["TypeSpec", bool, Value]]
    )
    elems: tuple[TypeSpec, ...] = ()

    def friendly(self) -> str:
        """Terraform's short name: `list of object`, `map of string`, `string`."""
        if self.kind in ("list", "set", "map") and self.elem is not None:
            return f"{self.kind} of {self.elem.friendly()}"
        return self.kind

    @property
    def primitive(self) -> bool:
        """string, number and bool: `-var` values for these are taken literally."""
        return self.kind in ("string", "number", "bool")


ANY = TypeSpec("any")

_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_number(text: str) -> int | float | None:
    """A decimal number as Terraform's string-to-number conversion accepts it, else None."""
    if not _NUMBER.fullmatch(text):
        return None
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return normalize_number(float(text))


def parse_type(expr: Expr, const_eval: Callable[[Expr], Value]) -> TypeSpec:
    """Read a `type = ...` expression; `const_eval` evaluates `optional()` defaults."""
    return _parse(expr, const_eval, in_object=False)


def _parse(expr: Expr, const_eval: Callable[[Expr], Value], in_object: bool) -> TypeSpec:
    if isinstance(expr, Variable) and expr.name in ("string", "number", "bool", "any"):
        return TypeSpec(expr.name)
    if isinstance(expr, Variable) and expr.name in ("list", "set", "map"):
        return TypeSpec(expr.name, ANY)  # legacy bare "list" means list(any)
    if isinstance(expr, Call):
        if expr.name in ("list", "set", "map") and len(expr.args) == 1:
            return TypeSpec(expr.name, _parse(expr.args[0], const_eval, False))
        if expr.name == "object" and len(expr.args) == 1 and isinstance(expr.args[0], ObjectExpr):
            attrs: dict[str, tuple[TypeSpec, bool, Value]] = {}
            for item in expr.args[0].items:
                name = item.bare_key if item.bare_key is not None else const_eval(item.key)
                if not isinstance(name, str):
                    raise ValueError(f"{expr.loc}: object type attribute names must be strings")
                value = item.value
                if isinstance(value, Call) and value.name == "optional" and 1 <= len(value.args) <= 2:
                    inner = _parse(value.args[0], const_eval, True)
                    default = const_eval(value.args[1]) if len(value.args) == 2 else None
                    if default is not None:
                        default = convert(default, inner)
                    attrs[name] = (inner, True, default)
                else:
                    attrs[name] = (_parse(value, const_eval, True), False, None)
            return TypeSpec("object", attrs=attrs)
        if expr.name == "tuple" and len(expr.args) == 1 and isinstance(expr.args[0], TupleExpr):
            return TypeSpec("tuple", elems=tuple(_parse(e, const_eval, False) for e in expr.args[0].items))
    raise ValueError(f"{expr.loc}: invalid type constraint {expr.text!r}")


def convert(value: Value, spec: TypeSpec) -> Value:
    """Convert `value` to `spec` as Terraform does, or raise `ConversionError`."""
    return _convert(value, spec, "")


def _fail(path: str, message: str) -> ConversionError:
    return ConversionError(f"{path}: {message}" if path else message)


def _sub(path: str, step: str) -> str:
    return f"{path}: {step}" if path else step


def _convert(value: Value, spec: TypeSpec, path: str) -> Value:
    if value is None or isinstance(value, Unknown) or spec.kind == "any":
        return value
    if spec.primitive:
        return _convert_primitive(value, spec.kind, path)
    return _convert_collection(value, spec, path)


def _convert_primitive(value: Value, kind: str, path: str) -> Value:
    """string, number, bool: Terraform converts between them where the text allows."""
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if is_number(value):
            return number_to_string(value)  # type: ignore[arg-type]
        raise _fail(path, "string required")
    if kind == "number":
        if is_number(value):
            return value
        if isinstance(value, str):
            parsed = parse_number(value)
            if parsed is None:
                raise _fail(path, "a number is required")
            return parsed
        raise _fail(path, "number required")
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        if value.lower() in ("true", "false"):
            raise _fail(path, f'a bool is required; to convert from string, use lowercase "{value.lower()}"')
        raise _fail(path, "a bool is required")
    raise _fail(path, "bool required")


def _convert_collection(value: Value, spec: TypeSpec, path: str) -> Value:
    """list, set, map, object, tuple: element by element, each error prefixed by where it is."""
    kind = spec.kind
    if kind in ("list", "set"):
        if not is_list(value):
            raise _fail(path, f"{spec.friendly()} required")
        assert spec.elem is not None  # noqa: S101 - parse_type gives collections an element type
        items = [_convert(v, spec.elem, _sub(path, f"element {i}")) for i, v in enumerate(value)]  # type: ignore[arg-type]
        return TfSet.of(items) if kind == "set" else items
    if kind == "map":
        if not isinstance(value, dict):
            raise _fail(path, f"{spec.friendly()} required")
        assert spec.elem is not None  # noqa: S101 - parse_type gives collections an element type
        return {
            k: _convert(v, spec.elem, _sub(path, f"element {k!r}".replace("'", '"')))
            for k, v in value.items()
        }
    if kind == "object":
        if not isinstance(value, dict):
            raise _fail(path, "object required")
        out: dict[str, Value] = {}
        for name, (attr_spec, optional, default) in spec.attrs.items():
            here = _sub(path, f'attribute "{name}"')
            if name in value and value[name] is not None:
                out[name] = _convert(value[name], attr_spec, here)
            elif name in value or optional:
                out[name] = default if optional else None
            else:
                raise _fail(path, f'attribute "{name}" is required')
        return out
    if kind == "tuple":
        items = list(cast("list[Value]", value)) if is_list(value) else None
        if items is None or len(items) != len(spec.elems):
            raise _fail(path, f"tuple required with {len(spec.elems)} elements")
        return [
            _convert(v, t, _sub(path, f"element {i}"))
            for i, (v, t) in enumerate(zip(items, spec.elems, strict=True))
        ]
    raise _fail(path, f"unsupported type {kind}")
