"""Expression evaluation: Terraform's plan-time semantics, lazily (module instances are in `instances`).

Why lazy: Terraform orders evaluation by a dependency graph. We get the same result by evaluating
on demand with memoisation (each local, variable, output, expansion and resource instance is
computed once), plus an in-progress set that reports reference cycles instead of recursing
forever. Only what is reachable from the walk in `deployment` is evaluated, and a resource
with `count = 0` never has its body evaluated (the plan relies on that: `var.registry_config`
is null when `juju_integration.ams_aar` has no instance).

Where Terraform would stop with an error, `EvalError` (internal) is raised and turned into a
`ConfigError` naming the file and line at the definition site. Where the value is not known
before apply, or we do not implement something, the value is an `Unknown` with a reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from . import functions
from .declarations import (
    ModuleConfig,
    load_module,
)
from .errors import ConfigError, EvalError, LimitError
from .provider import SCHEMAS
from .syntax import (
    Binary,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Literal,
    ObjectExpr,
    Splat,
    Template,
    TupleExpr,
    Unary,
    Variable,
)
from .values import (
    Origin,
    TfSet,
    Unknown,
    Value,
    first_unknown,
    is_list,
    is_number,
    normalize_number,
    number_to_string,
    type_name,
)

if TYPE_CHECKING:
    from .instances import ModuleInstance


@dataclass(frozen=True)
class Limits:
    """Bounds on the work; the reference plan needs a tiny fraction of each.

    `max_count` caps one `count`/`for_each`; `max_instances` caps resource plus module
    instances overall; `max_steps` caps evaluated expression nodes (a `for` over
    `range(100000)` nested twice would otherwise run for hours); `max_module_depth` caps
    nested module calls (a module calling itself).
    """

    max_count: int = 1000
    max_instances: int = 20_000
    max_steps: int = 2_000_000
    max_module_depth: int = 16
    max_files_per_module: int = 500
    max_source_bytes: int = 2 * 1024 * 1024  # all modules' .tf files together (the reference: 40 KiB)


@dataclass
class Namespace:
    """A partial reference (`var`, `module`, `juju_machine`...) awaiting its next attribute."""

    kind: str
    module: ModuleInstance
    name: str = ""


class ResourceObject(dict[str, Value]):
    """A resource instance's value: its configured attributes plus provider-computed ones."""

    def __init__(self, address: str, rtype: str, items: dict[str, Value]) -> None:
        super().__init__(items)
        self.address = address
        self.rtype = rtype


_NOT_FOUND = object()


@dataclass
class Scope:
    """The module instance an expression belongs to, plus local names (count, each, for variables)."""

    module: ModuleInstance | None
    bindings: dict[str, Value] = field(default_factory=dict[str, Value])
    parent: Scope | None = None

    def lookup(self, name: str) -> object:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        return _NOT_FOUND

    def child(self, bindings: dict[str, Value]) -> Scope:
        return Scope(self.module, bindings, self)


def _where(expr: Expr) -> str:
    return f"`{expr.text}` at {expr.loc}"


def tf_equal(a: Value, b: Value) -> bool:
    """HCL equality: values of different types are unequal (`1 == true` is false)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return a == b
    if is_list(a) and is_list(b):
        return len(a) == len(b) and all(tf_equal(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(tf_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class Evaluation:
    """One evaluation run: limits, counters, parsed module directories and the root instance."""

    def __init__(self, root_dir: str, limits: Limits, shown_root: str | None = None) -> None:
        self.root_dir = os.path.realpath(root_dir)
        self.shown_root = root_dir if shown_root is None else shown_root
        self.limits = limits
        self.steps = 0
        self.instances = 0
        self.source_bytes = 0
        # Where file() may read: the root module's directory and each module directory read so far.
        self.file_roots: tuple[str, ...] = (self.root_dir,)
        self._configs: dict[str, ModuleConfig] = {}

    # -- bookkeeping ----------------------------------------------------------------------
    def module_config(self, directory: str) -> ModuleConfig:
        key = os.path.realpath(directory)
        if key not in self._configs:
            config = load_module(key, self.root_dir, self.shown_root, self.limits.max_files_per_module)
            self.source_bytes += config.source_bytes
            if self.source_bytes > self.limits.max_source_bytes:
                raise LimitError(
                    f"{config.dir}: the configuration's .tf files hold more than "
                    f"{self.limits.max_source_bytes // 1024} KiB, more than this checker reads"
                )
            self._configs[key] = config
            self.file_roots = (*self.file_roots, key)
        return self._configs[key]

    def count_instances(self, n: int, where: str) -> None:
        self.instances += n
        if self.instances > self.limits.max_instances:
            raise LimitError(
                f"{where}: more than {self.limits.max_instances} resource and module instances in total"
            )

    # -- expressions ----------------------------------------------------------------------
    def eval(self, expr: Expr, scope: Scope) -> Value:
        """Evaluate to a value; a bare namespace (`var` alone) is an error."""
        v = self._eval(expr, scope)
        if isinstance(v, Namespace):
            raise EvalError(
                f"invalid reference `{expr.text}`: a {v.kind} reference needs an attribute", str(expr.loc)
            )
        return v

    def charge(self, steps: int, expr: Expr) -> None:
        """Count work against the step budget: one per node evaluated, one per element a call builds.

        Charging built elements bounds memory as well as time: a `for` over `range(100000)` that
        builds a 100000-element list per element stops at the budget, not at the machine's memory.
        """
        self.steps += steps
        if self.steps > self.limits.max_steps:
            raise LimitError(f"{expr.loc}: more than {self.limits.max_steps} evaluation steps")

    def _eval(self, expr: Expr, scope: Scope) -> Value | Namespace:
        self.charge(1, expr)
        try:
            return self._dispatch(expr, scope)
        except EvalError as exc:
            if not exc.where:
                exc.where = str(expr.loc)
            raise
        except RecursionError:
            raise LimitError(f"{expr.loc}: expression nesting too deep") from None

    def _dispatch(self, expr: Expr, scope: Scope) -> Value | Namespace:
        if isinstance(expr, Literal):
            return expr.value  # type: ignore[return-value]
        if isinstance(expr, Variable):
            return self._root(expr, scope)
        if isinstance(expr, GetAttr):
            return self._get_attr(self._eval(expr.source, scope), expr.name, expr)
        if isinstance(expr, Index):
            source = self._eval(expr.source, scope)
            return self._index(source, self.eval(expr.key, scope), expr)
        if isinstance(expr, Splat):
            return self._splat(expr, scope)
        if isinstance(expr, Template):
            return self._template(expr, scope)
        if isinstance(expr, TupleExpr):
            return [self.eval(item, scope) for item in expr.items]
        if isinstance(expr, ObjectExpr):
            return self._object(expr, scope)
        if isinstance(expr, Conditional):
            return self._conditional(expr, scope)
        if isinstance(expr, Binary):
            return self._binary(expr, scope)
        if isinstance(expr, Unary):
            return self._unary(expr, scope)
        if isinstance(expr, Call):
            return self._call(expr, scope)
        if isinstance(expr, ForExpr):
            return self._for(expr, scope)
        return Unknown(f"{expr.what} is not supported by this evaluator: {_where(expr)}")

    def _root(self, expr: Variable, scope: Scope) -> Value | Namespace:
        bound = scope.lookup(expr.name)
        if bound is not _NOT_FOUND:
            return bound  # type: ignore[return-value]
        module = scope.module
        if module is None:
            raise EvalError(f"variables may not be used here (`{expr.text}`)")
        name = expr.name
        if name in ("var", "local", "module", "path", "terraform", "data"):
            return Namespace(name, module)
        if name in ("count", "each"):
            raise EvalError(
                f'reference to "{name}" in a context without {"count" if name == "count" else "for_each"}'
            )
        if name == "self":
            return Unknown(f"`self` is only available in provisioners: {_where(expr)}")
        if name in module.config.resource_types:
            return Namespace("resource", module, name)
        raise EvalError(f'reference to undeclared resource or unknown name "{name}"')

    def _get_attr(self, source: Value | Namespace, name: str, expr: Expr) -> Value | Namespace:
        if isinstance(source, Namespace):
            return self._namespace_attr(source, name, expr)
        if isinstance(source, Unknown):
            return Unknown(source.reason) if source.origin is not None else source
        if isinstance(source, ResourceObject):
            if name in source:
                return source[name]  # type: ignore[no-any-return]
            schema = SCHEMAS.get(source.rtype)
            if schema is None:
                return Unknown(
                    f"{source.address}.{name} is not set in the configuration and may be computed by the provider",
                    Origin(source.address, name),
                )
            raise EvalError(f'unsupported attribute: {source.rtype} has no attribute named "{name}"')
        if isinstance(source, dict):
            if name in source:
                return source[name]  # type: ignore[no-any-return]
            raise EvalError(f'unsupported attribute: this object does not have an attribute named "{name}"')
        if source is None:
            raise EvalError(f'attempt to get attribute "{name}" from a null value')
        if is_list(source):
            raise EvalError(
                f'unsupported attribute "{name}" on a list; use [*].{name} for each element or [N].{name} for one'
            )
        raise EvalError(f'unsupported attribute "{name}": a {type_name(source)} has no attributes')

    def _namespace_attr(self, ns: Namespace, name: str, expr: Expr) -> Value | Namespace:
        module = ns.module
        if ns.kind == "var":
            return module.var(name)
        if ns.kind == "local":
            return module.local(name)
        if ns.kind == "module":
            return module.module_value(name)
        if ns.kind == "resource":
            return module.resource_value(ns.name, name)
        if ns.kind == "path":
            paths = {"module": module.config.dir, "root": self.root_dir, "cwd": os.getcwd()}
            if name not in paths:
                raise EvalError(f'unsupported attribute "path.{name}"')
            return paths[name]
        if ns.kind == "terraform":
            if name == "workspace":
                return "default"
            raise EvalError(f'unsupported attribute "terraform.{name}"')
        if ns.kind == "data":
            return Namespace("data_type", module, name)
        if ns.kind == "data_type":
            # A data source's arguments are evaluated; what the provider reads is unknown here.
            return module.resource_value(ns.name, name, data=True)
        raise EvalError(f"invalid reference `{expr.text}`")

    def _index(self, source: Value | Namespace, key: Value, expr: Expr) -> Value:
        if isinstance(source, Namespace):
            raise EvalError(f"invalid reference `{expr.text}`: an index needs a value")
        if isinstance(source, Unknown):
            return Unknown(source.reason) if source.origin is not None else source
        if isinstance(key, Unknown):
            return key
        if key is None:
            raise EvalError("invalid index: the key must not be null")
        if isinstance(source, TfSet):
            raise EvalError("invalid index: elements of a set are identified only by their value")
        if isinstance(source, list):
            if isinstance(key, str):
                parsed = _int_or_none(key)
                if parsed is None:
                    raise EvalError(f"invalid index: a number is required, got {key!r}")
                key = parsed
            if not is_number(key) or isinstance(key, float):
                raise EvalError("invalid index: a whole number is required")
            if not (0 <= key < len(source)):  # type: ignore[operator]
                raise EvalError(
                    f"invalid index: the given key {key} is out of range for a list of {len(source)} elements"
                )
            return source[key]  # type: ignore[index]
        if isinstance(source, dict):
            skey: Value = number_to_string(cast(float, key)) if is_number(key) else key
            if isinstance(skey, bool):
                skey = "true" if skey else "false"
            if not isinstance(skey, str):
                raise EvalError("invalid index: a string key is required")
            if skey not in source:
                raise EvalError(
                    f"invalid index: the given key {skey!r} does not identify an element in this collection value"
                )
            return source[skey]  # type: ignore[no-any-return]
        if source is None:
            raise EvalError("invalid index: cannot index a null value")
        raise EvalError(f"invalid index: a {type_name(source)} cannot be indexed")

    def _splat(self, expr: Splat, scope: Scope) -> Value:
        source = self.eval(expr.source, scope)
        if isinstance(source, Unknown):
            return source
        if source is None:
            return []
        items = list(source) if is_list(source) else [source]  # type: ignore[arg-type]
        out: list[Value] = []
        for item in items:
            value: Value | Namespace = item
            for step in expr.steps:
                if step.attr is not None:
                    value = self._get_attr(value, step.attr, expr)
                else:
                    if not (step.index is not None):
                        raise TypeError("internal invariant broken: step.index is not None")
                    value = self._index(value, self.eval(step.index, scope), expr)
            out.append(value)  # type: ignore[arg-type]
        return out

    def _template(self, expr: Template, scope: Scope) -> Value:
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
            return self.eval(expr.parts[0], scope)  # "${x}" alone is x itself, with its type
        out: list[str] = []
        for part in expr.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            v = self.eval(part, scope)
            if isinstance(v, Unknown):
                return v
            if v is None:
                raise EvalError(f"invalid template interpolation value: `{part.text}` is null")
            if isinstance(v, bool):
                out.append("true" if v else "false")
            elif is_number(v):
                out.append(number_to_string(v))  # type: ignore[arg-type]
            elif isinstance(v, str):
                out.append(v)
            else:
                raise EvalError(f"cannot include a {type_name(v)} in a string template (`{part.text}`)")
        text = "".join(out)
        if len(text) > functions.MAX_STRING:
            raise EvalError(f"string longer than {functions.MAX_STRING} characters (evaluator limit)")
        self.charge(len(text) // 64, expr)
        return text

    def _object(self, expr: ObjectExpr, scope: Scope) -> Value:
        out: dict[str, Value] = {}
        for item in expr.items:
            if item.bare_key is not None:
                key: Value = item.bare_key
            else:
                key = self.eval(item.key, scope)
                if isinstance(key, Unknown):
                    return key
                if is_number(key):
                    key = number_to_string(key)  # type: ignore[arg-type]
                elif isinstance(key, bool):
                    key = "true" if key else "false"
                if not isinstance(key, str):
                    raise EvalError(f"object key must be a string, got {type_name(key)} (`{item.key.text}`)")
            out[key] = self.eval(item.value, scope)
        return out

    def _conditional(self, expr: Conditional, scope: Scope) -> Value:
        cond = self.eval(expr.cond, scope)
        if isinstance(cond, Unknown):
            return cond
        if cond is None:
            raise EvalError(f"the condition value is null (`{expr.cond.text}`)")
        chosen_bool = functions.to_bool(cond, "condition")
        chosen, other = (
            (expr.true_expr, expr.false_expr) if chosen_bool else (expr.false_expr, expr.true_expr)
        )
        result = self.eval(chosen, scope)
        # HCL evaluates both results to unify their types and reports only the chosen one's
        # errors: `true ? 1 : "a"` is "1". Only primitive mixes need unifying here.
        if isinstance(result, (bool, int, float)) and not isinstance(other, (TupleExpr, ObjectExpr, ForExpr)):
            try:
                alt = self.eval(other, scope)
            except EvalError:
                alt = None
            if isinstance(alt, str):
                return "true" if result is True else "false" if result is False else number_to_string(result)
        return result

    def _binary(self, expr: Binary, scope: Scope) -> Value:
        op = expr.op
        left = self.eval(expr.left, scope)
        right = self.eval(expr.right, scope)
        if op in ("&&", "||"):
            lv = left if isinstance(left, Unknown) else functions.to_bool(left, f"left operand of {op}")
            rv = right if isinstance(right, Unknown) else functions.to_bool(right, f"right operand of {op}")
            if op == "&&":
                if lv is False or rv is False:
                    return False
            elif lv is True or rv is True:
                return True
            if isinstance(lv, Unknown):
                return lv
            if isinstance(rv, Unknown):
                return rv
            return bool(lv) and bool(rv) if op == "&&" else bool(lv) or bool(rv)
        if op in ("==", "!="):
            # A null compared with a non-null value is known even when parts of that value are
            # unknown (cty's Equals): `var.registry_config != null` with an unknown offer_url.
            if (left is None and not isinstance(right, Unknown)) or (
                right is None and not isinstance(left, Unknown)
            ):
                eq = left is None and right is None
                return eq if op == "==" else not eq
            u = first_unknown(left) or first_unknown(right)
            if u is not None:
                return u
            eq = tf_equal(left, right)
            return eq if op == "==" else not eq
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        a = functions.to_num(left, f"left operand of {op}")
        b = functions.to_num(right, f"right operand of {op}")
        if op == "+":
            return normalize_number(a + b)
        if op == "-":
            return normalize_number(a - b)
        if op == "*":
            return normalize_number(a * b)
        if op == "/":
            if b == 0:
                raise EvalError("division by zero")
            return normalize_number(a / b)
        if op == "%":
            if b == 0:
                raise EvalError("modulo by zero")
            return normalize_number(a - b * int(a / b))  # Go's truncated remainder
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        raise EvalError(f"unsupported operator {op}")

    def _unary(self, expr: Unary, scope: Scope) -> Value:
        v = self.eval(expr.operand, scope)
        if isinstance(v, Unknown):
            return v
        if expr.op == "!":
            return not functions.to_bool(v, "operand of !")
        return normalize_number(-functions.to_num(v, "operand of -"))

    def _call(self, expr: Call, scope: Scope) -> Value:
        if expr.name == "can":
            if len(expr.args) != 1:
                raise EvalError("function 'can' expects 1 argument")
            try:
                v = self.eval(expr.args[0], scope)
            except EvalError:
                return False
            u = first_unknown(v)
            return u if u is not None else True
        if expr.name == "try":
            last: EvalError | None = None
            for arg in expr.args:
                try:
                    return self.eval(arg, scope)
                except EvalError as exc:
                    last = exc
            raise EvalError(
                f"no expression given to try() succeeded: {last.message if last else 'no arguments'}"
            )
        if scope.module is None:
            raise EvalError(f"functions may not be called here (`{expr.text}`)")
        args = [self.eval(a, scope) for a in expr.args]
        if expr.expand_final and args:
            tail = args.pop()
            if isinstance(tail, Unknown):
                return tail
            args.extend(functions.to_seq(tail, "expanded argument"))
        ctx = functions.FunctionContext(scope.module.config.dir, self.file_roots)
        result = functions.call(expr.name, ctx, args)
        if isinstance(result, str | list | dict | TfSet):
            self.charge(len(result) // 64 if isinstance(result, str) else len(result), expr)
        if (
            isinstance(result, Unknown)
            and not any(result is a for a in args)
            and first_unknown(args) is not result
        ):
            return Unknown(f"{result.reason}: {_where(expr)}", result.origin)
        return result

    def _for(self, expr: ForExpr, scope: Scope) -> Value:
        coll = self.eval(expr.collection, scope)
        if isinstance(coll, Unknown):
            return coll
        if coll is None:
            raise EvalError(f"iteration over a null value (`{expr.collection.text}`)")
        pairs: list[tuple[Value, Value]]
        if isinstance(coll, TfSet):
            pairs = [(v, v) for v in coll]
        elif isinstance(coll, list):
            pairs = list(enumerate(coll))  # type: ignore[arg-type]
        elif isinstance(coll, dict):
            pairs = [(k, coll[k]) for k in sorted(coll)]
        else:
            raise EvalError(f"a {type_name(coll)} cannot be iterated in a for expression")
        tuple_out: list[Value] = []
        obj_out: dict[str, Value] = {}
        for key, value in pairs:
            bindings: dict[str, Value] = {expr.value_var: value}
            if expr.key_var is not None:
                bindings[expr.key_var] = key
            inner = scope.child(bindings)
            if expr.cond is not None:
                c = self.eval(expr.cond, inner)
                if isinstance(c, Unknown):
                    return c
                if not functions.to_bool(c, "for condition"):
                    continue
            if expr.key_expr is None:
                tuple_out.append(self.eval(expr.value_expr, inner))
                continue
            k = self.eval(expr.key_expr, inner)
            if isinstance(k, Unknown):
                return k
            k = functions.to_str(k, "object key")
            v = self.eval(expr.value_expr, inner)
            if expr.group:
                obj_out.setdefault(k, []).append(v)  # type: ignore[union-attr]
            elif k in obj_out:
                raise EvalError(f"duplicate object key {k!r} in for expression; add ... to group values")
            else:
                obj_out[k] = v
        if expr.key_expr is None:
            return tuple_out
        return obj_out


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def constant_value(expr: Expr) -> Value:
    """A constant expression (variable defaults, tfvars): no references, no function calls."""
    ev = Evaluation(".", Limits(max_steps=200_000))
    return ev.eval(expr, Scope(None))


def definition_error(exc: EvalError, what: str, attr_text: str) -> ConfigError:
    """A Terraform-style error at the place the failing expression is written."""
    where = exc.where or "?"
    return ConfigError(f"{where}: {exc.message} (in {what} `{attr_text}`)")


__all__ = ["Evaluation", "Limits", "ResourceObject", "Scope", "constant_value", "definition_error"]
