"""JSON: exactly one object on stdout, for CI and other tools."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring_ascii
from operator import attrgetter
from typing import Any, cast

from ..findings import Finding, Report, Summary
from .common import host_name

_MODEL = attrgetter("model")
_MACHINE = attrgetter("machine")


class _NotPlainError(Exception):
    """A value `indented` leaves to `json.dumps`: anything but str keys and JSON's own types."""


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "hosts": (
            [host_name(h) for h in finding.hosts]
            if any(map(_MODEL, finding.hosts))
            else list(map(_MACHINE, finding.hosts))  # host_name of a host of no model: its machine
        ),
        "units": list(finding.units),
        "ports": [str(p) for p in finding.ports],
        "fix": finding.fix,
        "location": (
            {"file": finding.location.file, "line": finding.location.line} if finding.location else None
        ),
        "views": list(finding.views),
    }


def summary_json(summary: Summary) -> dict[str, int]:
    return {
        "errors": summary.errors,
        "warnings": summary.warnings,
        "infos": summary.infos,
        "hosts": summary.hosts,
        "units": summary.units,
        "unchecked": summary.unchecked,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The one JSON document `check --format json` prints and the validator's `check` action returns."""
    return {
        "input": report.input,
        "juju": report.juju,
        "findings": [finding_json(f) for f in report.findings],
        "summary": summary_json(report.summary),
    }


def render_json(report: Report) -> str:
    return indented(report_json(report)) + "\n"


def indented(document: object) -> str:
    """`json.dumps(document, indent=2)`, with lists of strings joined at C speed.

    With an indent, `json.dumps` encodes in Python, item by item: a finding naming 8,000 units is
    8,000 trips through its generators. Here a list of strings is escaped by the C function
    `json.dumps` itself calls and joined in one step; other values take the same layout as there.
    A document holding anything else (a non-string key, a type JSON does not know) is left whole to
    `json.dumps`.
    """
    parts: list[str] = []
    try:
        _encode(document, "\n", parts)
    except _NotPlainError:
        return json.dumps(document, indent=2)
    return "".join(parts)


def _encode(value: object, newline: str, parts: list[str]) -> None:
    """Append `value` as `json.dumps(..., indent=2)` lays it out; `newline` is a line break and its indent.

    Scalars are tested in `json.dumps`'s order (a bool is an int) and spelt as it spells them.
    """
    if isinstance(value, str):
        parts.append(encode_basestring_ascii(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(json.dumps(value))  # NaN and the infinities as json.dumps allows them
    elif isinstance(value, list | tuple):
        _encode_list(cast("Sequence[object]", value), newline, parts)
    elif isinstance(value, dict):
        _encode_dict(cast("Mapping[object, object]", value), newline, parts)
    else:
        raise _NotPlainError


def _encode_list(items: Sequence[object], newline: str, parts: list[str]) -> None:
    if not items:
        parts.append("[]")
        return
    inner = newline + "  "
    if set(map(type, items)) == {str}:
        strings = cast("Sequence[str]", items)
        parts.append("[" + inner + ("," + inner).join(map(encode_basestring_ascii, strings)) + newline + "]")
        return
    parts.append("[")
    for i, item in enumerate(items):
        parts.append("," + inner if i else inner)
        _encode(item, inner, parts)
    parts.append(newline + "]")


def _encode_dict(mapping: Mapping[object, object], newline: str, parts: list[str]) -> None:
    if not mapping:
        parts.append("{}")
        return
    inner = newline + "  "
    parts.append("{")
    for i, (key, item) in enumerate(mapping.items()):
        if not isinstance(key, str):
            raise _NotPlainError  # json.dumps turns such keys into strings its own way
        parts.append(("," + inner if i else inner) + encode_basestring_ascii(key) + ": ")
        _encode(item, inner, parts)
    parts.append(newline + "}")
