"""How Juju reads a YAML scalar into a Go field: the juju/yaml fork of gopkg.in/yaml.v2.

Juju decodes bundles with its fork of yaml.v2 (docs/juju-facts.md#bundle-yaml), whose reading of a
plain scalar is not PyYAML's: `010` into a string field is the text "010" (PyYAML: 8), `2.5` into an
int field is 2, `y` is a boolean, `1e3` is a string (the fork's float pattern wants a signed
exponent). A reader that must give Juju's verdict decodes each field through `decode` with the Go
type Juju's struct declares, from the scalar's source text that `yamlload` keeps.

Source: github.com/juju/yaml branch v2 (12a32b7), `resolve.go` (`resolve`, the resolve table, the
float pattern) and `decode.go` (`decoder.scalar`, `decoder.terror`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from ..text import plain
from .yamlload import JsonFloat, assignments, line_of, path, scalar_text

# -- resolve: what a plain scalar is, from its text ----------------------------------------------------

Tag = Literal["!!null", "!!bool", "!!int", "!!float", "!!timestamp", "!!str"]

_MAX_INT64 = 2**63 - 1
_MAX_UINT64 = 2**64 - 1

_RESOLVE_MAP: Mapping[str, tuple[Tag, object]] = {
    **dict.fromkeys(
        ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), ("!!bool", True)
    ),
    **dict.fromkeys(
        ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), ("!!bool", False)
    ),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), ("!!null", None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), ("!!float", math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), ("!!float", math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), ("!!float", -math.inf)),
}
# resolveTable: the first character decides whether resolving is tried at all.
_SIGN_OR_DIGIT = frozenset("+-0123456789")
_IN_MAP = frozenset("yYnNtTfFoO~")
# The fork's yamlStyleFloat (go-yaml 2.4 allows an unsigned exponent; the fork does not).
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(0|[1-9][0-9]*)?(\.[0-9]+)?([eE][-+][0-9]+)?")
# strconv.ParseFloat for text that starts with '.': decimal digits, an optional exponent.
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
# parseTimestamp: four digits and '-', then one of time.Parse's layouts (checked loosely here).
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
_DIGITS = {
    2: re.compile(r"[01]+"),
    8: re.compile(r"[0-7]*"),
    10: re.compile(r"[0-9]+"),
    16: re.compile(r"[0-9a-fA-F]+"),
}


def _parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64) (or ParseUint for what only fits unsigned), None on error."""
    sign, body = (text[0], text[1:]) if text[:1] in ("+", "-") else ("", text)
    if not body:
        return None
    base = 10
    if body[0] == "0":
        prefix = body[1:2].lower()
        if len(body) >= 3 and prefix in ("b", "o", "x"):
            base, body = {"b": 2, "o": 8, "x": 16}[prefix], body[2:]
        else:
            base, body = 8, body[1:]
    if not _DIGITS[base].fullmatch(body):
        return None
    value = int(body, base) if body else 0
    if sign == "-":
        value = -value
    limit = _MAX_UINT64 if sign == "" else _MAX_INT64
    return value if -_MAX_INT64 - 1 <= value <= limit else None


def resolve(text: str) -> tuple[Tag, object]:
    """The fork's `resolve("", text)` for a plain scalar: its tag and Go value (uint64 as an int)."""
    if len(text) > 100:  # longer than any number or keyword: a string (and no quadratic parsing)
        return "!!str", text
    hint = text[:1]
    if not text or hint in _SIGN_OR_DIGIT or hint in _IN_MAP or hint == ".":
        known = _RESOLVE_MAP.get(text)
        if known is not None:
            return known
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            return "!!float", float(text)
    elif hint in _SIGN_OR_DIGIT:
        if _TIMESTAMP.fullmatch(text):
            return "!!timestamp", text
        plain = text.replace("_", "")
        number = _parse_int(plain)
        if number is not None:
            return "!!int", number
        if _YAML_STYLE_FLOAT.fullmatch(plain) and any(c.isdigit() for c in plain):
            value = float(plain)
            if not math.isinf(value):  # ParseFloat reports out-of-range as an error
                return "!!float", value
        if plain.startswith("-0b"):
            number = _parse_int("-0b" + plain[3:]) if len(plain) > 3 else None
            if number is not None:
                return "!!int", number
    return "!!str", text


# -- the Go types a bundle declares ------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    """A Go scalar field: string, int, bool, or interface{} (which keeps whatever was resolved)."""

    kind: Literal["string", "int", "bool", "interface"]

    @property
    def go(self) -> str:
        return {"interface": "interface {}"}.get(self.kind, self.kind)


@dataclass(frozen=True)
class Slice:
    item: GoType

    @property
    def go(self) -> str:
        return f"[]{self.item.go}"


@dataclass(frozen=True)
class MapOf:
    """map[string]X."""

    value: GoType

    @property
    def go(self) -> str:
        return f"map[string]{self.value.go}"


@dataclass(frozen=True)
class Struct:
    """A struct (or a pointer to one: null leaves it nil), its fields by YAML key."""

    name: str
    fields: Mapping[str, GoType]
    pointer: bool = False

    @property
    def go(self) -> str:
        return f"{'*' if self.pointer else ''}charm.{self.name}"


GoType = Scalar | Slice | MapOf | Struct

STRING = Scalar("string")
INT = Scalar("int")
BOOL = Scalar("bool")
INTERFACE = Scalar("interface")


class GoTypeError(Exception):
    """A value Juju's YAML decoder cannot put in the field: decode.go's `terror`, with where and line."""

    def __init__(self, where: str, line: int | None, message: str):
        self.where = where
        self.line = line
        self.message = message
        super().__init__(message)


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "!!map"
    if isinstance(value, list):
        return "!!seq"
    return ""


def scalar(value: object, text: str | None) -> tuple[Tag, object, str]:
    """A scalar as Go's decoder sees it: (tag, resolved value, source text).

    `text` is the plain scalar's source text (yamlload keeps it where PyYAML and Go could differ);
    without it the value read alike in both: a quoted or JSON string, a JSON number or literal.
    """
    if isinstance(value, JsonFloat):
        text = value.text
    if text is not None:
        tag, resolved = resolve(text)
        return tag, resolved, text
    if value is None:
        return "!!null", None, ""
    if isinstance(value, bool):
        return "!!bool", value, "true" if value else "false"
    if isinstance(value, int):
        return "!!int", value, str(value)
    if isinstance(value, float):
        return "!!float", value, repr(value)
    return "!!str", value, str(value)


def decode_scalar(value: object, text: str | None, want: Scalar, where: str, line: int | None) -> object:
    """`decoder.scalar` for one field: the Go value, or GoTypeError with yaml.v2's own words."""
    kind = _kind(value)
    if kind:
        if want.kind == "interface":
            return value  # an interface{} holds a map or a list as well
        raise GoTypeError(where, line, f"cannot unmarshal {kind} into {want.go}")
    tag, resolved, source = scalar(value, text)
    if resolved is None:
        return {"string": "", "int": 0, "bool": False, "interface": None}[want.kind]
    if want.kind == "string":
        return source
    if want.kind == "interface":
        return source if tag == "!!timestamp" else resolved
    if want.kind == "int":
        if tag == "!!int" and isinstance(resolved, int) and resolved <= _MAX_INT64:
            return resolved
        if (
            tag == "!!float"
            and isinstance(resolved, float)
            and not math.isnan(resolved)
            and resolved <= _MAX_INT64
        ):
            # int64(f) truncates toward zero; what does not fit is x86's 0x8000000000000000.
            return int(resolved) if -(2**63) <= resolved < 2**63 else -(2**63)
    if want.kind == "bool" and tag == "!!bool":
        return resolved
    raise GoTypeError(where, line, f"cannot unmarshal {tag} `{plain(source, 40)}` into {want.go}")


def go_key(container: object, key: object) -> str:
    """A mapping key as Go reads it into map[string]X (yamlload already keeps plain keys as text)."""
    del container
    if key is None:
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def _string(value: object, text: str | None) -> str | None:
    """The fast path of a string field (most of a bundle): its text, "" for null; None if unsure."""
    if text is not None:
        return "" if text in _NULLS else text
    return value if isinstance(value, str) and not isinstance(value, JsonFloat) else None


def field(container: object, key: object, want: Scalar, where: str) -> object:
    """One scalar field of a mapping, decoded as Juju's decoder decodes it."""
    mapping = cast(Mapping[Any, object], container)
    value, text = mapping.get(key), scalar_text(container, key)
    if want is STRING:
        fast = _string(value, text)
        if fast is not None:
            return fast
    return decode_scalar(value, text, want, where, line_of(container, key))


def item(container: object, index: int, want: Scalar, where: str) -> object:
    value, text = cast(list[object], container)[index], scalar_text(container, index)
    if want is STRING:
        fast = _string(value, text)
        if fast is not None:
            return fast
    return decode_scalar(value, text, want, where, line_of(container, index))


# -- checking a whole document -------------------------------------------------------------------------


def check(value: object, container: object, key: object, want: GoType, where: str) -> None:
    """Raise the first GoTypeError Juju's decoder would meet putting `value` into `want`.

    Walks the document as yaml.v2 does: struct fields by key (unknown keys ignored; every assignment
    a `<<` made is decoded, even those a later one overwrites), map entries, slice items, scalars.
    A string field takes any scalar, so only containers are looked at there (the common case).
    """
    if value is None or want is INTERFACE:
        return  # null: the zero value of any type; an interface{} takes anything
    if want is STRING:
        if isinstance(value, dict | list):
            raise GoTypeError(where, line_of(container, key), f"cannot unmarshal {_kind(value)} into string")
        return
    if isinstance(want, Scalar):
        decode_scalar(value, scalar_text(container, key), want, where, line_of(container, key))
        return
    if isinstance(want, Slice):
        if not isinstance(value, list):
            raise GoTypeError(
                where,
                line_of(container, key),
                f"cannot unmarshal {_shown(value, container, key)} into {want.go}",
            )
        for index, element in enumerate(cast(list[object], value)):
            if element is not None and (want.item is not STRING or isinstance(element, dict | list)):
                check(element, value, index, want.item, f"{where}[{index}]")
        return
    if not isinstance(value, dict):
        raise GoTypeError(
            where, line_of(container, key), f"cannot unmarshal {_shown(value, container, key)} into {want.go}"
        )
    mapping = cast(dict[Any, object], value)
    if isinstance(want, MapOf):
        for entry_key, entry in mapping.items():
            if entry is not None:
                check(entry, value, entry_key, want.value, _join(where, go_key(value, entry_key)))
        return
    for field_key in mapping:
        name = go_key(value, field_key)
        field_type = want.fields.get(name)
        if field_type is None:
            continue  # an unknown field: ignored, reported by Juju only with --dry-run
        for assigned in assignments(value, field_key):
            check(assigned, value, field_key, field_type, _join(where, name))


def _join(where: str, name: str) -> str:
    """`where` (already a YAML path) and one more key, quoted if odd."""
    return f"{where}.{path(name)}" if where else path(name)


def _shown(value: object, container: object, key: object) -> str:
    kind = _kind(value)
    if kind:
        return kind
    tag, _, text = scalar(value, scalar_text(container, key))
    return f"{tag} `{plain(text, 40)}`"


# juju/charm v12 bundledata.go: BundleData, ApplicationSpec, MachineSpec, SaasSpec, ExposedEndpointSpec,
# OfferSpec; the YAML keys are the `yaml:` tags, or the lower-cased field name where the tag has none.
EXPOSED_ENDPOINT = Struct(
    "ExposedEndpointSpec", {"expose-to-spaces": Slice(STRING), "expose-to-cidrs": Slice(STRING)}
)
OFFER = Struct("OfferSpec", {"endpoints": Slice(STRING), "acl": MapOf(STRING)}, pointer=True)
APPLICATION = Struct(
    "ApplicationSpec",
    {
        "charm": STRING,
        "channel": STRING,
        "revision": INT,  # *int: null leaves it nil, otherwise an int
        "series": STRING,
        "base": STRING,
        "resources": MapOf(INTERFACE),
        "num_units": INT,
        "scale": INT,
        "to": Slice(STRING),
        "placement": STRING,
        "expose": BOOL,
        "exposed-endpoints": MapOf(EXPOSED_ENDPOINT),
        "options": MapOf(INTERFACE),
        "annotations": MapOf(STRING),
        "constraints": STRING,
        "storage": MapOf(STRING),
        "devices": MapOf(STRING),
        "bindings": MapOf(STRING),
        "offers": MapOf(OFFER),
        "plan": STRING,
        "trust": BOOL,
    },
    pointer=True,
)
MACHINE = Struct(
    "MachineSpec",
    {"constraints": STRING, "annotations": MapOf(STRING), "series": STRING, "base": STRING},
    pointer=True,
)
SAAS = Struct("SaasSpec", {"url": STRING}, pointer=True)
BUNDLE = Struct(
    "BundleData",
    {
        "bundle": STRING,
        "applications": MapOf(APPLICATION),
        "machines": MapOf(MACHINE),
        "saas": MapOf(SAAS),
        "series": STRING,
        "default-base": STRING,
        "relations": Slice(Slice(STRING)),
        "tags": Slice(STRING),
        "description": STRING,
    },
)
