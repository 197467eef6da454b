"""Renderers: a Report as text for people (table, markdown) and documents for machines (JSON, SARIF).

Renderers only format; they never judge. `FORMATS` is the registry the CLI's `--format` choices come
from: a new format is one module with a `render(report, options) -> str` function and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from ..findings import Report


class RenderOptions(NamedTuple):
    """What a renderer may be told beyond the report: colour for a terminal, a title line."""

    colour: bool = False
    title: str | None = None


Renderer = Callable[[Report, RenderOptions], str]


def _table(report: Report, options: RenderOptions) -> str:
    from .table import render_table

    return render_table(report, colour=options.colour, title=options.title)


def _json(report: Report, options: RenderOptions) -> str:
    from .as_json import render_json

    return render_json(report)


def _sarif(report: Report, options: RenderOptions) -> str:
    from .sarif import render_sarif

    return render_sarif(report)


def _markdown(report: Report, options: RenderOptions) -> str:
    from .markdown import render_markdown

    return render_markdown(report)


def _mermaid(report: Report, options: RenderOptions) -> str:
    from .mermaid import render_mermaid

    return render_mermaid(report)


def _html(report: Report, options: RenderOptions) -> str:
    from .html import render_html

    return render_html(report, title=options.title)


# Imported lazily: a run renders one format, and the others' imports (SARIF's rule registry) cost time.
FORMATS: Mapping[str, Renderer] = MappingProxyType(
    {
        "table": _table,
        "json": _json,
        "sarif": _sarif,
        "markdown": _markdown,
        "mermaid": _mermaid,
        "html": _html,
    }
)


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    """The report in format `fmt` (one of FORMATS)."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}") from None
    return renderer(report, options or RenderOptions())
