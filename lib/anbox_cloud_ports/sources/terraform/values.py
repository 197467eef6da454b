"""Runtime values: plain Python data, plus `Unknown` for what is not known before apply.

HCL's null, bool, number, string, list/tuple, map/object are None, bool, int/float, str, list, dict;
a set (`toset`, a `set(string)` attribute) is a `TfSet`, de-duplicated and in Terraform's order.

`Unknown` carries an origin because at plan time a machine's `machine_id` or an offer's `url` does not
exist yet: instead of guessing, the evaluator keeps which resource attribute the value will come
from. That is how `machines = juju_machine.x[*].machine_id` becomes a list of machine resource
addresses, never a guessed machine id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

Value = Union[None, bool, int, float, str, list["Value"], dict[str, "Value"], "TfSet", "Unknown"]


@dataclass(frozen=True, slots=True)
class Origin:
    """The resource instance attribute an unknown value will be read from after apply."""

    address: str
    attribute: str

    def __str__(self) -> str:
        return f"{self.address}.{self.attribute}"


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the evaluator cannot know; `reason` is one line naming the expression and file:line."""

    reason: str
    origin: Origin | None = None


# Deeper than this, a value is treated as holding an unknown: nothing real nests so deep.
MAX_DEPTH = 64


class TfSet(tuple["Value", ...]):
    """A Terraform set: de-duplicated, strings in lexical order (how Terraform iterates them)."""

    __slots__ = ()

    @classmethod
    def of(cls, items: list[Value]) -> TfSet:
        """A set of `items`, keeping the first of equal ones; linear, whatever the elements."""
        seen: dict[object, Value] = {}
        for item in items:
            seen.setdefault(identity(item), item)
        kept = list(seen.values())
        if all(isinstance(x, str) for x in kept) or all(is_number(x) for x in kept):
            kept.sort()  # type: ignore[arg-type]
        return cls(kept)


def identity(v: Value, depth: int = 0) -> object:
    """A hashable key equal for values Terraform calls equal, different across types (1 vs "1" vs true)."""
    if depth > MAX_DEPTH:
        return ("deep", id(v))
    if isinstance(v, bool):
        return ("bool", v)
    if is_number(v):
        return ("number", v)
    if isinstance(v, str):
        return ("string", v)
    if isinstance(v, TfSet):
        return ("set", tuple(identity(x, depth + 1) for x in v))
    if isinstance(v, list):
        return ("list", tuple(identity(x, depth + 1) for x in v))
    if isinstance(v, dict):
        return ("map", tuple(sorted((k, identity(x, depth + 1)) for k, x in v.items())))
    return ("other", v)  # None and Unknown are hashable themselves


def is_number(v: object) -> bool:
    """True for int/float but not bool (Python's bool is an int)."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def is_list(v: object) -> bool:
    """Lists, tuples and sets all iterate as sequences."""
    return isinstance(v, list | TfSet)


def normalize_number(v: float) -> int | float:
    """Integral floats become ints, so `3/3` prints as `1` as Terraform's big numbers do."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def type_name(v: Value) -> str:
    """Terraform's friendly name of a value's type, for error messages."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if is_number(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, TfSet):
        return "set"
    if isinstance(v, list):
        return "tuple"
    if isinstance(v, dict):
        return "object"
    return "unknown"


def number_to_string(v: float) -> str:
    """A number inside a string, as Terraform renders it (`1.5`, `1`)."""
    n = normalize_number(v)
    return str(n) if isinstance(n, int) else repr(n)


def first_unknown(v: Value, depth: int = 0) -> Unknown | None:
    """The first `Unknown` anywhere inside a value, or None if it is fully known."""
    if isinstance(v, Unknown):
        return v
    if depth > MAX_DEPTH:
        return Unknown("a value nested deeper than this reader follows")
    items: list[Value] | tuple[Value, ...]
    if isinstance(v, list | TfSet):
        items = v
    elif isinstance(v, dict):
        items = list(v.values())
    else:
        return None
    for item in items:
        found = first_unknown(item, depth + 1)
        if found is not None:
            return found
    return None
