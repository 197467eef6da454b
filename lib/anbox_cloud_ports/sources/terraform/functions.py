"""Terraform's built-in functions: those the Anbox Cloud plan calls, and the common ones around them.

The reference plan calls join, concat, one, length, replace, alltrue, file, trim, split, element,
compact, values, can, regex and contains; the others here are the ones such plans commonly add to
compute names, lists of machines and CIDRs (merge, lookup, flatten, cidrsubnet...). A function that
is not here is not guessed: the call evaluates to `Unknown` naming the function, and if a unit's
placement or exposure depends on it, the finding says so.

Semantics are Terraform 1.11's, checked against `terraform console` (tests/unit/sources/terraform/
test_functions.py): `element` wraps around, `one([])` is null, `compact` drops nulls and empty strings,
`values`/`keys` go in key order, `replace` treats a `/.../` substring as a regular expression, `length`
counts grapheme clusters. Regular expressions run through the `regex` module (python-hcl2's own
dependency) with a time limit, because Python's backtracking engine is not RE2's linear one.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import EvalError
from .typeconv import ConversionError, TypeSpec, convert
from .values import TfSet, Unknown, Value, first_unknown, identity, is_list, is_number, type_name

# Bounds that keep hostile input from exhausting memory through function results.
MAX_STRING = 1 << 20
MAX_COLLECTION = 100_000
# How long one regular expression may run before the call is given up as unknown.
REGEX_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class FunctionContext:
    """What a function may see besides its arguments: where files are read from."""

    module_dir: str
    file_roots: tuple[str, ...]
    max_file_bytes: int = 1 << 20


Function = Callable[[FunctionContext, list[Value]], Value]


class UnsupportedError(Exception):
    """A call that cannot be evaluated here (a slow regex, a file outside the configuration): unknown."""


def _check(v: Value) -> Value:
    if isinstance(v, str) and len(v) > MAX_STRING:
        raise EvalError(f"string result longer than {MAX_STRING} characters (a bound of this checker)")
    if isinstance(v, list | dict | TfSet) and len(v) > MAX_COLLECTION:
        raise EvalError(f"collection result larger than {MAX_COLLECTION} elements (a bound of this checker)")
    return v


def _converted(v: Value, kind: str, what: str) -> Value:
    try:
        out = convert(v, TypeSpec(kind))
    except ConversionError:
        raise EvalError(f"invalid {what}: {kind} required, got {type_name(v)}") from None
    if out is None:
        raise EvalError(f"invalid {what}: argument must not be null")
    return out


def to_str(v: Value, what: str = "value") -> str:
    """A value as a string, converting numbers and bools as Terraform does."""
    out = _converted(v, "string", what)
    assert isinstance(out, str)  # noqa: S101 - convert() to string returns a string
    return out


def to_num(v: Value, what: str = "value") -> int | float:
    """A value as a number (decimal strings convert)."""
    out = _converted(v, "number", what)
    assert isinstance(out, int | float)  # noqa: S101 - convert() to number returns a number
    return out


def to_int(v: Value, what: str = "value") -> int:
    n = to_num(v, what)
    if isinstance(n, float):
        raise EvalError(f"invalid {what}: a whole number is required")
    return n


def to_bool(v: Value, what: str = "value") -> bool:
    """A bool (`"true"`/`"false"` convert)."""
    return bool(_converted(v, "bool", what))


def to_seq(v: Value, what: str = "value") -> list[Value]:
    """A list, tuple or set as a Python list."""
    if isinstance(v, list | TfSet):
        return list(v)
    if v is None:
        raise EvalError(f"invalid {what}: argument must not be null")
    raise EvalError(f"invalid {what}: list required, got {type_name(v)}")


def to_map(v: Value, what: str = "value") -> dict[str, Value]:
    if isinstance(v, dict):
        return v
    if v is None:
        raise EvalError(f"invalid {what}: argument must not be null")
    raise EvalError(f"invalid {what}: map or object required, got {type_name(v)}")


def _arity(name: str, args: list[Value], low: int, high: int | None = None) -> None:
    """`high` None: exactly `low`; -1: at least `low`."""
    top = low if high is None else high
    if len(args) < low or (top >= 0 and len(args) > top):
        want = str(low) if top == low else f"{low} to {top}" if top >= 0 else f"at least {low}"
        raise EvalError(f"function {name!r} expects {want} arguments, got {len(args)}")


def _regex() -> Any:
    import regex  # python-hcl2 depends on it, so it is here whenever HCL can be read at all

    return regex


def _compile(pattern: str) -> Any:
    """An RE2 pattern compiled by `regex`: ASCII classes, as RE2's are."""
    regex = _regex()
    try:
        return regex.compile(pattern.replace("\\z", "\\Z"), flags=regex.ASCII | regex.VERSION0)
    except (regex.error, RecursionError, OverflowError) as exc:
        raise UnsupportedError(f"regular expression {pattern!r} is not supported here ({exc})") from None


def _timed(call: Callable[[], Any], pattern: str) -> Any:
    try:
        return call()
    except TimeoutError:
        raise UnsupportedError(
            f"regular expression {pattern!r} took longer than {REGEX_SECONDS}s to run here"
        ) from None


def _go_template(replacement: str) -> Callable[[Any], str]:
    """Go's replacement template (`$1`, `${name}`, `$$`), expanded for one match."""
    regex = _regex()
    token = regex.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")

    def expand(match: Any) -> str:
        def one(ref: Any) -> str:
            if ref.group(0) == "$$":
                return "$"
            name = ref.group(1) or ref.group(2)
            try:
                return match.group(int(name) if name.isdigit() else name) or ""
            except (IndexError, regex.error):
                return ""

        return token.sub(one, replacement)

    return expand


# -- strings --------------------------------------------------------------------------------------


def f_join(_: FunctionContext, args: list[Value]) -> Value:
    _arity("join", args, 2, -1)
    sep = to_str(args[0], "separator")
    items: list[str] = []
    for lst in args[1:]:
        for i, item in enumerate(to_seq(lst, "lists")):
            if item is None:
                raise EvalError(f"invalid value for the lists parameter: element {i} is null")
            items.append(to_str(item, "list element"))
    return _check(sep.join(items))


def f_split(_: FunctionContext, args: list[Value]) -> Value:
    _arity("split", args, 2)
    sep, s = to_str(args[0]), to_str(args[1])
    return _check(list(s) if sep == "" else list(s.split(sep)))


def f_replace(_: FunctionContext, args: list[Value]) -> Value:
    _arity("replace", args, 3)
    s, sub, rep = to_str(args[0]), to_str(args[1]), to_str(args[2])
    if len(sub) >= 2 and sub.startswith("/") and sub.endswith("/"):
        pattern = _compile(sub[1:-1])
        return _check(_timed(lambda: pattern.sub(_go_template(rep), s, timeout=REGEX_SECONDS), sub))
    return _check(s.replace(sub, rep))


def f_regex(_: FunctionContext, args: list[Value]) -> Value:
    _arity("regex", args, 2)
    text = to_str(args[0])
    pattern = _compile(text)
    match = _timed(lambda: pattern.search(to_str(args[1]), timeout=REGEX_SECONDS), text)
    if match is None:
        raise EvalError("regex: pattern did not match any part of the given string")
    if pattern.groupindex:
        return {name: match.group(name) for name in pattern.groupindex}
    if pattern.groups:
        return list(match.groups())
    return match.group(0)


def _string_function(name: str, fn: Callable[..., Value], arity: int) -> Function:
    def call(_: FunctionContext, args: list[Value]) -> Value:
        _arity(name, args, arity)
        return fn(*(to_str(a) for a in args))

    return call


def f_trimprefix(s: str, prefix: str) -> Value:
    return s[len(prefix) :] if prefix and s.startswith(prefix) else s


def f_trimsuffix(s: str, suffix: str) -> Value:
    return s[: -len(suffix)] if suffix and s.endswith(suffix) else s


# -- collections ----------------------------------------------------------------------------------


def f_length(_: FunctionContext, args: list[Value]) -> Value:
    _arity("length", args, 1)
    v = args[0]
    if isinstance(v, Unknown):
        return v
    if isinstance(v, str):
        return len(_regex().findall(r"\X", v))  # grapheme clusters, as Terraform counts
    if isinstance(v, list | dict | TfSet):
        return len(v)
    raise EvalError(
        "invalid value for length: argument must not be null"
        if v is None
        else "length: collection or string required"
    )


def f_concat(_: FunctionContext, args: list[Value]) -> Value:
    out: list[Value] = []
    for a in args:
        if isinstance(a, Unknown):
            return a
        out.extend(to_seq(a, "seqs"))
    return _check(out)


def f_one(_: FunctionContext, args: list[Value]) -> Value:
    _arity("one", args, 1)
    if isinstance(args[0], Unknown):
        return args[0]
    items = to_seq(args[0], "list")
    if len(items) > 1:
        raise EvalError(
            f"one: must be a list, set, or tuple value with either zero or one elements (got {len(items)})"
        )
    return items[0] if items else None


def f_element(_: FunctionContext, args: list[Value]) -> Value:
    _arity("element", args, 2)
    if isinstance(args[0], Unknown):
        return args[0]
    items = to_seq(args[0], "list")
    if not items:
        raise EvalError("element: cannot use element function with an empty list")
    index = to_int(args[1], "index")
    if index < 0:
        raise EvalError("element: cannot use element function with a negative index")
    return items[index % len(items)]


def f_compact(_: FunctionContext, args: list[Value]) -> Value:
    _arity("compact", args, 1)
    return [x for x in to_seq(args[0]) if x is not None and x != ""]


def f_values(_: FunctionContext, args: list[Value]) -> Value:
    _arity("values", args, 1)
    if isinstance(args[0], Unknown):
        return args[0]
    m = to_map(args[0], "mapping")
    return [m[k] for k in sorted(m)]


def f_keys(_: FunctionContext, args: list[Value]) -> Value:
    _arity("keys", args, 1)
    if isinstance(args[0], Unknown):
        return args[0]
    return list(sorted(to_map(args[0], "inputMap")))


def f_lookup(_: FunctionContext, args: list[Value]) -> Value:
    _arity("lookup", args, 2, 3)
    if isinstance(args[0], Unknown):
        return args[0]
    m, key = to_map(args[0], "inputMap"), to_str(args[1], "key")
    if key in m:
        return m[key]
    if len(args) == 3:
        return args[2]
    raise EvalError(
        f"lookup: the given key {key!r} is not present in the map, and no default value was given"
    )


def f_merge(_: FunctionContext, args: list[Value]) -> Value:
    out: dict[str, Value] = {}
    for a in args:
        if isinstance(a, Unknown):
            return a
        if a is not None:
            out.update(to_map(a, "maps"))
    return _check(out)


def f_contains(_: FunctionContext, args: list[Value]) -> Value:
    _arity("contains", args, 2)
    wanted = identity(args[1])
    return any(identity(x) == wanted for x in to_seq(args[0], "list"))


def f_flatten(_: FunctionContext, args: list[Value]) -> Value:
    _arity("flatten", args, 1)
    out: list[Value] = []
    pending: list[tuple[Value, int]] = [(x, 0) for x in reversed(to_seq(args[0]))]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Unknown):
            return item
        if not is_list(item):
            out.append(item)
            continue
        if depth > 64:
            raise EvalError("flatten: lists nested too deeply (a bound of this checker)")
        pending.extend((x, depth + 1) for x in reversed(list(item)))  # type: ignore[arg-type]
    return _check(out)


def f_distinct(_: FunctionContext, args: list[Value]) -> Value:
    _arity("distinct", args, 1)
    seen: dict[object, Value] = {}
    for x in to_seq(args[0]):
        seen.setdefault(identity(x), x)
    return list(seen.values())


def f_range(_: FunctionContext, args: list[Value]) -> Value:
    _arity("range", args, 1, 3)
    nums = [to_num(a) for a in args]
    start, stop, step = (
        (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) == 3 else 1)
    )
    if step == 0:
        raise EvalError("range: step must not be zero")
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_COLLECTION:
        raise EvalError(f"range: more than {MAX_COLLECTION} elements (a bound of this checker)")
    return [_whole(start + i * step) for i in range(count)]


def _whole(v: float) -> int | float:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v


def f_zipmap(_: FunctionContext, args: list[Value]) -> Value:
    _arity("zipmap", args, 2)
    keys, vals = to_seq(args[0]), to_seq(args[1])
    if len(keys) != len(vals):
        raise EvalError("zipmap: number of keys and values must match")
    return {to_str(k): v for k, v in zip(keys, vals, strict=True)}


def f_coalesce(_: FunctionContext, args: list[Value]) -> Value:
    for a in args:
        if isinstance(a, Unknown):
            return a
        if a is not None and a != "":
            return a
    raise EvalError("coalesce: no non-null, non-empty-string arguments")


def f_coalescelist(_: FunctionContext, args: list[Value]) -> Value:
    for a in args:
        if isinstance(a, Unknown):
            return a
        if to_seq(a):
            return a
    return []


def f_alltrue(_: FunctionContext, args: list[Value]) -> Value:
    _arity("alltrue", args, 1)
    return all(to_bool(x, "list element") for x in to_seq(args[0]))


def f_anytrue(_: FunctionContext, args: list[Value]) -> Value:
    _arity("anytrue", args, 1)
    return any(to_bool(x, "list element") for x in to_seq(args[0]))


def f_min(_: FunctionContext, args: list[Value]) -> Value:
    _arity("min", args, 1, -1)
    return min(to_num(a) for a in args)


def f_max(_: FunctionContext, args: list[Value]) -> Value:
    _arity("max", args, 1, -1)
    return max(to_num(a) for a in args)


def _number_function(name: str, fn: Callable[[float], float]) -> Function:
    def call(_: FunctionContext, args: list[Value]) -> Value:
        _arity(name, args, 1)
        return _whole(fn(to_num(args[0])))

    return call


# -- type conversion ------------------------------------------------------------------------------


def _conversion(kind: str) -> Function:
    spec = TypeSpec(kind)

    def call(_: FunctionContext, args: list[Value]) -> Value:
        _arity("to" + kind, args, 1)
        try:
            return convert(args[0], spec)
        except ConversionError as exc:
            raise EvalError(f"to{kind}: {exc}") from None

    return call


def f_tolist(_: FunctionContext, args: list[Value]) -> Value:
    _arity("tolist", args, 1)
    return to_seq(args[0])


def f_toset(_: FunctionContext, args: list[Value]) -> Value:
    _arity("toset", args, 1)
    return TfSet.of(to_seq(args[0]))


def f_tomap(_: FunctionContext, args: list[Value]) -> Value:
    _arity("tomap", args, 1)
    return dict(to_map(args[0]))


# -- network and files ----------------------------------------------------------------------------


def _network(v: Value) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(to_str(v), strict=False)
    except ValueError as exc:
        raise EvalError(f"invalid CIDR: {exc}") from None


def f_cidrhost(_: FunctionContext, args: list[Value]) -> Value:
    _arity("cidrhost", args, 2)
    net, num = _network(args[0]), to_int(args[1])
    if not -net.num_addresses <= num < net.num_addresses:
        raise EvalError("cidrhost: host number out of range")
    base = net.network_address if num >= 0 else net.broadcast_address + 1
    return str(base + num)


def f_cidrnetmask(_: FunctionContext, args: list[Value]) -> Value:
    _arity("cidrnetmask", args, 1)
    net = _network(args[0])
    if net.version != 4:
        raise EvalError("cidrnetmask: only IPv4 networks have a netmask")
    return str(net.netmask)


def f_cidrsubnet(_: FunctionContext, args: list[Value]) -> Value:
    _arity("cidrsubnet", args, 3)
    net, newbits, num = _network(args[0]), to_int(args[1]), to_int(args[2])
    prefix = net.prefixlen + newbits
    if newbits < 0 or prefix > net.max_prefixlen or not 0 <= num < 2**newbits:
        raise EvalError("cidrsubnet: invalid newbits or netnum")
    size = 2 ** (net.max_prefixlen - prefix)
    return f"{net.network_address + num * size}/{prefix}"


def f_file(ctx: FunctionContext, args: list[Value]) -> Value:
    """A file of the configuration; anything outside its directories is not read (the call is unknown)."""
    _arity("file", args, 1)
    path = to_str(args[0], "path")
    full = os.path.realpath(os.path.join(ctx.module_dir, path))
    if not any(full == r or full.startswith(r.rstrip(os.sep) + os.sep) for r in ctx.file_roots):
        raise UnsupportedError(f"file {path!r} is outside the configuration's directories and is not read")
    try:
        if os.path.getsize(full) > ctx.max_file_bytes:
            raise UnsupportedError(f"file {path!r} is larger than {ctx.max_file_bytes} bytes")
        with open(full, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise UnsupportedError(f"file {path!r} cannot be read here ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise EvalError(f"file: contents of {path!r} are not valid UTF-8") from None


def f_identity(_: FunctionContext, args: list[Value]) -> Value:
    _arity("sensitive", args, 1)
    return args[0]


FUNCTIONS: dict[str, Function] = {
    "join": f_join,
    "split": f_split,
    "replace": f_replace,
    "regex": f_regex,
    "trim": _string_function("trim", lambda s, cut: s.strip(cut), 2),
    "trimspace": _string_function("trimspace", str.strip, 1),
    "trimprefix": _string_function("trimprefix", f_trimprefix, 2),
    "trimsuffix": _string_function("trimsuffix", f_trimsuffix, 2),
    "lower": _string_function("lower", str.lower, 1),
    "upper": _string_function("upper", str.upper, 1),
    "startswith": _string_function("startswith", str.startswith, 2),
    "endswith": _string_function("endswith", str.endswith, 2),
    "strcontains": _string_function("strcontains", lambda s, sub: sub in s, 2),
    "length": f_length,
    "concat": f_concat,
    "one": f_one,
    "element": f_element,
    "compact": f_compact,
    "values": f_values,
    "keys": f_keys,
    "lookup": f_lookup,
    "merge": f_merge,
    "contains": f_contains,
    "flatten": f_flatten,
    "distinct": f_distinct,
    "range": f_range,
    "zipmap": f_zipmap,
    "coalesce": f_coalesce,
    "coalescelist": f_coalescelist,
    "alltrue": f_alltrue,
    "anytrue": f_anytrue,
    "min": f_min,
    "max": f_max,
    "abs": _number_function("abs", abs),
    "ceil": _number_function("ceil", math.ceil),
    "floor": _number_function("floor", math.floor),
    "tostring": _conversion("string"),
    "tonumber": _conversion("number"),
    "tobool": _conversion("bool"),
    "tolist": f_tolist,
    "toset": f_toset,
    "tomap": f_tomap,
    "cidrhost": f_cidrhost,
    "cidrnetmask": f_cidrnetmask,
    "cidrsubnet": f_cidrsubnet,
    "file": f_file,
    "sensitive": f_identity,
    "nonsensitive": f_identity,
}

# Functions whose results Terraform itself knows only at apply time (or that read the clock).
PLAN_TIME_UNKNOWN = frozenset({"timestamp", "uuid", "bcrypt", "plantimestamp"})

# Functions that take unknown arguments themselves; for the others an unknown anywhere in the
# arguments makes the call unknown before it runs.
HANDLES_UNKNOWN = frozenset(
    {"length", "concat", "one", "element", "values", "keys", "lookup", "merge", "coalesce", "coalescelist",
     "sensitive", "nonsensitive", "flatten"}
)  # fmt: skip


def call(name: str, ctx: FunctionContext, args: list[Value]) -> Value:
    """Call a built-in: EvalError for what Terraform refuses, Unknown for what is not evaluated here.

    The returned Unknown carries only the cause; the evaluator adds the expression and where it is.
    """
    fn = FUNCTIONS.get(name)
    if fn is None:
        if name in PLAN_TIME_UNKNOWN:
            return Unknown(f"{name}() is only known at apply time")
        return Unknown(f"function {name}() is not evaluated by this checker")
    if name not in HANDLES_UNKNOWN:
        for arg in args:
            unknown = first_unknown(arg)
            if unknown is not None:
                return unknown
    try:
        return fn(ctx, args)
    except UnsupportedError as exc:
        return Unknown(f"{name}(): {exc}")


__all__ = ["FUNCTIONS", "FunctionContext", "call", "is_number", "to_bool", "to_num", "to_seq", "to_str"]
