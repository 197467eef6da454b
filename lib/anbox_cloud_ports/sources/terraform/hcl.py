"""HCL text to `syntax` nodes, through python-hcl2's Lark parse tree.

python-hcl2's dict output re-serialises every expression as a `"${...}"` string that would have to be
parsed a second time, and loses line numbers. Its raw Lark tree (`hcl2.parses_to_tree`, the grammar
`hcl2.lark` of python-hcl2 8.x) keeps operator precedence and positions, so the tree is walked once
here. The rule names used are those of the 8.x grammar, which is why the dependency is pinned to
`>=8,<9`, and why nothing else touches the tree.

python-hcl2 is imported lazily: the rest of the library must import without it.
"""

from __future__ import annotations

import os
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .errors import ParseError, ParserUnavailableError
from .syntax import (
    Attribute,
    Binary,
    Block,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Literal,
    Loc,
    ObjectExpr,
    ObjectItem,
    Splat,
    SplatStep,
    Template,
    TupleExpr,
    Unary,
    Unsupported,
    Variable,
)

# Largest source file parsed: the reference plan's biggest file is 10 KiB, and python-hcl2 parses
# about a sixth of a MiB per CPU second.
MAX_SOURCE_BYTES = 512 * 1024
# How much of an expression's source text a node keeps for messages.
MAX_TEXT = 160
PIP_HINT = "pip install 'anbox-cloud-ports[terraform]'"

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


@cache
def _parser() -> Any:
    """python-hcl2's LALR parser, built once per process (a missing python-hcl2 is not cached).

    python-hcl2 caches the compiled grammar beside itself, which takes a second and a half to build;
    where that directory is read-only (a system-wide install), the cache goes to the user's own cache
    directory instead. Never to a shared temporary directory: Lark's cache is a pickle.
    """
    try:
        from hcl2 import parser as hcl2_parser  # type: ignore[import-untyped]
        from hcl2.postlexer import PostLexer  # type: ignore[import-untyped]
        from lark import Lark
    except ImportError:
        raise ParserUnavailableError(
            f"reading a Terraform directory needs the optional dependency python-hcl2: {PIP_HINT}"
        ) from None
    bundled = Path(hcl2_parser.PARSER_FILE)
    if bundled.exists() or os.access(bundled.parent, os.W_OK):
        return hcl2_parser.parser()
    cache: str | bool = False
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    private = Path(home) / "anbox-cloud-ports"
    try:
        private.mkdir(mode=0o700, parents=True, exist_ok=True)
        if private.stat().st_uid == os.getuid():
            cache = str(private / "hcl2-grammar.lark-cache")
    except OSError:
        pass
    return Lark.open(
        "hcl2.lark",
        parser="lalr",
        cache=cache,
        rel_to=hcl2_parser.__file__,
        propagate_positions=True,
        postlex=PostLexer(),
    )


def parse_body(source: str, file: str, line_offset: int = 0) -> Body:
    """A whole HCL file (`.tf` or `.tfvars`) as a `Body`; small files are parsed once per process."""
    if len(source) > MAX_SOURCE_BYTES:
        raise ParseError(f"{file}: file larger than {MAX_SOURCE_BYTES} bytes")
    if len(source) <= _CACHED_SOURCE_BYTES:
        return _parse_body_cached(source, file, line_offset)
    return _parse_body(source, file, line_offset)


# A module called with for_each, or a library user checking variants, reads the same files again;
# syntax trees are immutable, so they are kept (for files this small: bounded memory).
_CACHED_SOURCE_BYTES = 256 * 1024


@lru_cache(maxsize=128)
def _parse_body_cached(source: str, file: str, line_offset: int) -> Body:
    return _parse_body(source, file, line_offset)


def _parse_body(source: str, file: str, line_offset: int) -> Body:
    tree = _parse(source, file, line_offset)
    try:
        return _Converter(source, file, line_offset).body(tree.children[0])
    except RecursionError:
        raise ParseError(f"{file}: expressions nested too deeply to read") from None


def parse_expression(text: str, file: str, line: int) -> Expr:
    """Parse one expression (an interpolation inside a heredoc, a `-var` value)."""
    source = "__x = " + text + "\n"
    body = parse_body(source, file, line - 1)
    if set(body.attributes) != {"__x"} or body.blocks:
        raise ParseError(f"{file}:{line}: not a single expression: {text!r}")
    return body.attributes["__x"].expr


def _parse(source: str, file: str, line_offset: int) -> Any:
    parser = _parser()
    try:
        # A final newline, as hcl2.parses_to_tree adds: the grammar has no end-of-file token.
        return parser.parse(source + "\n")
    except Exception as exc:  # noqa: BLE001 - Lark raises many exception types; all mean "not HCL"
        raise ParseError(_syntax_message(exc, file, line_offset)) from None


def _syntax_message(exc: Exception, file: str, line_offset: int) -> str:
    """One line from a Lark error: `file:line:column: invalid HCL syntax: unexpected ...`."""
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    where = file
    if isinstance(line, int) and line > 0:
        where = f"{file}:{line + line_offset}" + (
            f":{column}" if isinstance(column, int) and column > 0 else ""
        )
    token = getattr(exc, "token", None)
    char = getattr(exc, "char", None)
    if token is not None:
        text = str(token)
        what = "end of line" if text[:1] in ("\n", "\r") or not text.strip() else repr(text[:30])
        return f"{where}: invalid HCL syntax: unexpected {what}"
    if char is not None:
        return f"{where}: invalid HCL syntax: unexpected character {char!r}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{where}: invalid HCL syntax: {first}"


def _is_tree(node: Any) -> bool:
    return hasattr(node, "data")


def _unescape(raw: str, where: str) -> str:
    r"""Apply HCL quoted-string escapes (`\\n`, `\\uNNNN`...) to one literal chunk."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("u", "U"):
            width = 4 if nxt == "u" else 8
            digits = raw[i + 2 : i + 2 + width]
            if len(digits) != width or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise ParseError(f"{where}: invalid escape sequence \\{nxt}{digits}")
            out.append(chr(int(digits, 16)))
            i += 2 + width
        else:
            raise ParseError(f"{where}: invalid escape sequence \\{nxt}")
    return "".join(out)


class _Converter:
    """Walks one Lark tree; `source` and `line_offset` give positions and texts."""

    def __init__(self, source: str, file: str, line_offset: int) -> None:
        self.source = source
        self.file = file
        self.line_offset = line_offset

    # -- positions -------------------------------------------------------------------------
    def loc(self, node: Any) -> Loc:
        line = node.meta.line if _is_tree(node) else node.line
        return Loc(self.file, (line or 1) + self.line_offset)

    def text(self, node: Any) -> str:
        if _is_tree(node):
            if getattr(node.meta, "empty", True):
                return ""
            start, end = node.meta.start_pos, node.meta.end_pos
        else:
            start, end = node.start_pos, node.end_pos
        text = " ".join(self.source[start:end].split())
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."

    @staticmethod
    def subtrees(node: Any) -> list[Any]:
        return [c for c in node.children if _is_tree(c) and c.data != "new_line_or_comment"]

    # -- structure ------------------------------------------------------------------------
    def body(self, node: Any) -> Body:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in self.subtrees(node):
            if child.data == "attribute":
                name = self.name(child.children[0])
                if name in attributes:
                    raise ParseError(
                        f"{self.loc(child)}: duplicate argument {name!r} (first set at line {attributes[name].loc.line})"
                    )
                attributes[name] = Attribute(name, self.expr(child.children[-1]), self.loc(child))
            elif child.data == "block":
                parts = [
                    c for c in child.children if _is_tree(c) and c.data not in ("new_line_or_comment", "body")
                ]
                inner = next(c for c in child.children if _is_tree(c) and c.data == "body")
                type_ = self.name(parts[0])
                labels = tuple(self.label(p) for p in parts[1:])
                blocks.append(Block(type_, labels, self.body(inner), self.loc(child)))
        return Body(attributes, tuple(blocks))

    def name(self, node: Any) -> str:
        return str(node.children[0])

    def label(self, node: Any) -> str:
        if node.data == "string":
            expr = self.string(node)
            if isinstance(expr, Literal) and isinstance(expr.value, str):
                return expr.value
            raise ParseError(f"{self.loc(node)}: block labels cannot contain interpolations")
        return self.name(node)

    # -- expressions ----------------------------------------------------------------------
    def expr(self, node: Any) -> Expr:
        data = node.data
        method = getattr(self, "x_" + data, None)
        if method is None:
            raise ParseError(f"{self.loc(node)}: unsupported syntax {data!r}")
        return method(node)

    def x_expr_term(self, node: Any) -> Expr:
        inner = self.subtrees(node)
        if len(inner) != 1:
            raise ParseError(f"{self.loc(node)}: unexpected expression shape")
        return self.expr(inner[0])

    def x_identifier(self, node: Any) -> Expr:
        return Variable(self.loc(node), self.text(node), str(node.children[0]))

    def x_keyword(self, node: Any) -> Expr:
        return self.x_identifier(node)

    def x_literal_value(self, node: Any) -> Expr:
        word = str(node.children[0])
        value = {"true": True, "false": False, "null": None}[word]
        return Literal(self.loc(node), word, value)

    def x_int_lit(self, node: Any) -> Expr:
        return Literal(self.loc(node), self.text(node), int(str(node.children[0])))

    def x_float_lit(self, node: Any) -> Expr:
        raw = str(node.children[0])
        value = float(raw)
        number: object = int(value) if value.is_integer() and abs(value) < 2**53 else value
        return Literal(self.loc(node), raw, number)

    def x_string(self, node: Any) -> Expr:
        return self.string(node)

    def string(self, node: Any) -> Expr:
        parts: list[str | Expr] = []
        where = str(self.loc(node))
        for part in node.children:
            if not _is_tree(part):
                continue  # the quotes
            inner = part.children[0]
            if not _is_tree(inner):
                kind = inner.type
                if kind == "STRING_CHARS":
                    parts.append(_unescape(str(inner), where))
                elif kind in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    parts.append(str(inner)[1:])  # "$${" -> "${", "%%{" -> "%{"
                else:
                    parts.append(str(inner))
            elif inner.data == "interpolation":
                parts.append(self.expr(self.subtrees(inner)[0]))
            else:
                return Unsupported(self.loc(node), self.text(node), "template directive (%{...})")
        return self.template(node, parts)

    def template(self, node: Any, parts: list[str | Expr]) -> Expr:
        merged: list[str | Expr] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] = merged[-1] + part
            elif part != "":
                merged.append(part)
        if not merged:
            return Literal(self.loc(node), self.text(node), "")
        if len(merged) == 1 and isinstance(merged[0], str):
            return Literal(self.loc(node), self.text(node), merged[0])
        return Template(self.loc(node), self.text(node), tuple(merged))

    def x_template_string(self, node: Any) -> Expr:
        return Unsupported(self.loc(node), self.text(node), "template directive (%{...})")

    def x_heredoc_template(self, node: Any) -> Expr:
        return self.heredoc(node, flush=False)

    def x_heredoc_template_trim(self, node: Any) -> Expr:
        return self.heredoc(node, flush=True)

    def heredoc(self, node: Any, flush: bool) -> Expr:
        """`<<EOT` keeps the text as written; `<<-EOT` removes the smallest indentation.

        Heredoc bodies take no backslash escapes; `${...}` is interpolated, `$${` is a
        literal `${`. The Lark token holds the raw text, so the template is split here.
        """
        raw = str(node.children[0])
        lines = raw.split("\n")
        body_lines = lines[1:-2]  # drop "<<-EOT", the closing marker line and the final ""
        if flush:
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in body_lines if ln.strip()]
            cut = min(indents) if indents else 0
            body_lines = [ln[cut:] for ln in body_lines]
        text = "".join(ln + "\n" for ln in body_lines)
        first_line = self.loc(node).line + 1
        return self.template(node, self._split_template(text, first_line, node))

    def _split_template(self, text: str, first_line: int, node: Any) -> list[str | Expr]:
        parts: list[str | Expr] = []
        i = 0
        literal: list[str] = []
        while i < len(text):
            if text.startswith("$${", i) or text.startswith("%%{", i):
                literal.append(text[i + 1 : i + 3])
                i += 3
            elif text.startswith("${", i):
                end = _matching_brace(text, i + 2)
                if end < 0:
                    raise ParseError(f"{self.loc(node)}: unterminated interpolation in heredoc")
                line = first_line + text.count("\n", 0, i)
                parts.append("".join(literal))
                literal = []
                parts.append(parse_expression(text[i + 2 : end], self.file, line))
                i = end + 1
            elif text.startswith("%{", i):
                return [
                    Unsupported(self.loc(node), self.text(node), "template directive (%{...}) in heredoc")
                ]
            else:
                literal.append(text[i])
                i += 1
        parts.append("".join(literal))
        return parts

    def x_tuple(self, node: Any) -> Expr:
        items = tuple(self.expr(c) for c in self.subtrees(node))
        return TupleExpr(self.loc(node), self.text(node), items)

    def x_object(self, node: Any) -> Expr:
        items: list[ObjectItem] = []
        for elem in self.subtrees(node):
            key_node, value_node = self.subtrees(elem)[0], self.subtrees(elem)[-1]
            key_inner = self.subtrees(key_node)
            if not key_inner:  # a keyword used as a key: for = 1
                word = (
                    str(key_node.children[0].children[0])
                    if _is_tree(key_node.children[0])
                    else str(key_node.children[0])
                )
                key: Expr = Literal(self.loc(key_node), word, word)
                items.append(ObjectItem(key, self.expr(value_node), bare_key=word))
                continue
            key = self.expr(key_inner[0])
            bare = key.name if isinstance(key, Variable) and not self.text(key_node).startswith("(") else None
            items.append(ObjectItem(key, self.expr(value_node), bare_key=bare))
        return ObjectExpr(self.loc(node), self.text(node), tuple(items))

    def x_function_call(self, node: Any) -> Expr:
        names = [str(c.children[0]) for c in node.children if _is_tree(c) and c.data == "identifier"]
        args_node = next((c for c in node.children if _is_tree(c) and c.data == "arguments"), None)
        args: tuple[Expr, ...] = ()
        expand = False
        if args_node is not None:
            args = tuple(self.expr(c) for c in self.subtrees(args_node))
            expand = any(not _is_tree(c) and c.type == "ELLIPSIS" for c in args_node.children)
        return Call(self.loc(node), self.text(node), "::".join(names), args, expand)

    def x_conditional(self, node: Any) -> Expr:
        cond, a, b = self.subtrees(node)
        return Conditional(self.loc(node), self.text(node), self.expr(cond), self.expr(a), self.expr(b))

    def x_binary_op(self, node: Any) -> Expr:
        left, term = self.subtrees(node)[:2]
        op_node, right = self.subtrees(term)[0], self.subtrees(term)[-1]
        op = str(op_node.children[0])
        return Binary(self.loc(node), self.text(node), op, self.expr(left), self.expr(right))

    def x_unary_op(self, node: Any) -> Expr:
        op = str(node.children[0])
        return Unary(self.loc(node), self.text(node), op, self.expr(self.subtrees(node)[0]))

    def x_get_attr_expr_term(self, node: Any) -> Expr:
        source, attr = self.subtrees(node)
        return GetAttr(self.loc(node), self.text(node), self.expr(source), self.name(self.subtrees(attr)[0]))

    def x_index_expr_term(self, node: Any) -> Expr:
        source, index = self.subtrees(node)
        return Index(self.loc(node), self.text(node), self.expr(source), self.index_key(index))

    def index_key(self, index: Any) -> Expr:
        if index.data == "short_index":
            token = index.children[-1]
            return Literal(self.loc(index), str(token), int(str(token)))
        return self.expr(self.subtrees(index)[0])

    def _splat(self, node: Any) -> Expr:
        source, splat = self.subtrees(node)
        steps: list[SplatStep] = []
        for step in self.subtrees(splat):
            if step.data == "get_attr":
                steps.append(SplatStep(attr=self.name(self.subtrees(step)[0])))
            else:
                steps.append(SplatStep(index=self.index_key(step)))
        return Splat(self.loc(node), self.text(node), self.expr(source), tuple(steps))

    def x_full_splat_expr_term(self, node: Any) -> Expr:
        return self._splat(node)

    def x_attr_splat_expr_term(self, node: Any) -> Expr:
        return self._splat(node)

    def _for_intro(self, intro: Any) -> tuple[str | None, str, Expr]:
        trees = self.subtrees(intro)
        idents = [str(t.children[0]) for t in trees if t.data == "identifier"]
        coll = next(t for t in trees if t.data != "identifier")
        if len(idents) == 2:
            return idents[0], idents[1], self.expr(coll)
        return None, idents[0], self.expr(coll)

    def x_for_tuple_expr(self, node: Any) -> Expr:
        trees = self.subtrees(node)
        key_var, value_var, coll = self._for_intro(trees[0])
        value = self.expr(trees[1])
        cond = self.expr(self.subtrees(trees[2])[0]) if len(trees) > 2 else None
        return ForExpr(self.loc(node), self.text(node), key_var, value_var, coll, None, value, cond, False)

    def x_for_object_expr(self, node: Any) -> Expr:
        trees = self.subtrees(node)
        key_var, value_var, coll = self._for_intro(trees[0])
        key = self.expr(trees[1])
        value = self.expr(trees[2])
        cond = self.expr(self.subtrees(trees[3])[0]) if len(trees) > 3 else None
        group = any(not _is_tree(c) and c.type == "ELLIPSIS" for c in node.children)
        return ForExpr(self.loc(node), self.text(node), key_var, value_var, coll, key, value, cond, group)


def _matching_brace(text: str, start: int) -> int:
    """Index of the `}` closing an interpolation opened before `start` (skips quoted strings)."""
    depth = 1
    i = start
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1
