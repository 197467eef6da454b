"""The catalog as the seed's own tables (markdown), as JSON, and as one line per claim for a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..catalog import PROFILE_HEADINGS, Catalog, CatalogRow, Profile

_CATALOG_COLUMNS = ("Service", "Port(s)", "Protocol", "Exposed externally", "Required", "Description")


def _catalog_cells(row: CatalogRow) -> tuple[str, ...]:
    return (row.service, row.ports, row.protocol, row.exposed_cell, row.required_cell, row.description)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
        for i in range(len(header))
    ]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return lines


def catalog_markdown(catalog: Catalog, profiles: Sequence[Profile]) -> str:
    """The seed's own tables: same headings, columns, rows, order and cell values."""
    out: list[str] = []
    for profile in profiles:
        if out:
            out.append("")
        out += [f"## {PROFILE_HEADINGS[profile]}", ""]
        out += markdown_table(_CATALOG_COLUMNS, [_catalog_cells(r) for r in catalog.profile(profile)])
    return "\n".join(out) + "\n"


def catalog_rows_json(catalog: Catalog, profiles: Sequence[Profile]) -> list[dict[str, Any]]:
    return [
        {
            "profile": row.profile,
            "service": row.service,
            "charms": list(row.charms),
            "ports": row.ports,
            "protocol": row.protocol,
            "claims": [str(c) for c in row.claims],
            "exposed": row.exposed,
            "required": row.required,
            "condition": row.condition or None,
            "description": row.description,
            "options": [
                {"charm": o.charm, "name": o.name, "kind": o.kind, "default": o.default} for o in row.options
            ],
        }
        for profile in profiles
        for row in catalog.profile(profile)
    ]


def catalog_table(catalog: Catalog, profiles: Sequence[Profile]) -> str:
    """One line per claim, so ranges and "UDP & TCP" rows read as what a firewall sees; fits 80 columns."""
    header = ("SERVICE", "PORT", "EXPOSED", "REQUIRED")
    out: list[str] = []
    for profile in profiles:
        rows = [
            (r.service, str(c), r.exposed_cell, r.required_cell)
            for r in catalog.profile(profile)
            for c in r.claims
        ]
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
        if out:
            out.append("")
        out.append(f"{PROFILE_HEADINGS[profile]} ({profile})")
        for cells in (header, *rows):
            out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"
