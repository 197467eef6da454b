"""The evaluator's own syntax tree for HCL's native syntax.

Why our own tree: the parser (python-hcl2) is an optional dependency whose grammar rule names change
between major versions. Everything past `hcl` works on these small frozen dataclasses, so a parser
change touches one module, and every node carries the file, line and source text that an unknown
value or an error must quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Loc:
    """Where a node comes from: the file as the user can open it (under the root module) and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Node:
    """Base of every expression node: its location and its source text (for messages only)."""

    loc: Loc
    text: str


@dataclass(frozen=True)
class Literal(Node):
    """A constant: string, number, bool or null."""

    value: object


@dataclass(frozen=True)
class Template(Node):
    """A quoted string or heredoc: literal pieces and interpolated expressions, in order."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Variable(Node):
    """A bare root name (`var`, `local`, `module`, `count`, a resource type, a for variable)."""

    name: str


@dataclass(frozen=True)
class GetAttr(Node):
    """`source.name`."""

    source: Expr
    name: str


@dataclass(frozen=True)
class Index(Node):
    """`source[key]` (also the legacy `source.0`)."""

    source: Expr
    key: Expr


@dataclass(frozen=True)
class SplatStep:
    """One traversal step applied to each element inside a splat: an attribute name or an index."""

    attr: str | None = None
    index: Expr | None = None


@dataclass(frozen=True)
class Splat(Node):
    """`source[*].a[0]` or `source.*.a`: the steps apply to each element of `source`."""

    source: Expr
    steps: tuple[SplatStep, ...]


@dataclass(frozen=True)
class Call(Node):
    """A function call; `expand_final` is the `...` after the last argument."""

    name: str
    args: tuple[Expr, ...]
    expand_final: bool = False


@dataclass(frozen=True)
class TupleExpr(Node):
    """`[a, b]`."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class ObjectItem:
    """One `key = value` of an object constructor.

    `bare_key` is set when the key was written as a bare identifier (`{a = 1}`): HCL reads it
    as the string "a", never as a reference.
    """

    key: Expr
    value: Expr
    bare_key: str | None = None


@dataclass(frozen=True)
class ObjectExpr(Node):
    """`{k = v, ...}`."""

    items: tuple[ObjectItem, ...]


@dataclass(frozen=True)
class Conditional(Node):
    """`cond ? a : b`."""

    cond: Expr
    true_expr: Expr
    false_expr: Expr


@dataclass(frozen=True)
class Binary(Node):
    """A binary operator: arithmetic, comparison or logical."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Unary(Node):
    """`-x` or `!x`."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class ForExpr(Node):
    """`[for k, v in coll : val if cond]` or `{for k, v in coll : key => val... if cond}`."""

    key_var: str | None
    value_var: str
    collection: Expr
    key_expr: Expr | None
    value_expr: Expr
    cond: Expr | None
    group: bool


@dataclass(frozen=True)
class Unsupported(Node):
    """A construct the evaluator does not implement (template directives): always evaluates to unknown."""

    what: str


Expr = Union[  # noqa: UP007 - a runtime alias; "|" between forward references fails on Python 3.10
    Literal,
    Template,
    Variable,
    GetAttr,
    Index,
    Splat,
    Call,
    TupleExpr,
    ObjectExpr,
    Conditional,
    Binary,
    Unary,
    ForExpr,
    Unsupported,
]


@dataclass(frozen=True)
class Attribute:
    """`name = expr` inside a body."""

    name: str
    expr: Expr
    loc: Loc


@dataclass(frozen=True)
class Block:
    """`type "label"... { body }`."""

    type: str
    labels: tuple[str, ...]
    body: Body
    loc: Loc


@dataclass(frozen=True)
class Body:
    """A block body: attributes by name (HCL forbids duplicates) and nested blocks in source order."""

    attributes: dict[str, Attribute] = field(default_factory=dict[str, Attribute])
    blocks: tuple[Block, ...] = ()

    def blocks_of(self, type_: str) -> list[Block]:
        """Nested blocks of one type, in source order."""
        return [b for b in self.blocks if b.type == type_]
