"""Renderers: the catalog as the seed's tables, findings as table / JSON / SARIF / markdown.

Renderers only format: they never judge. JSON and SARIF are documents for machines (one object on
stdout, nothing else); the table is for a person in 80 columns.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from .catalog import PROFILE_HEADINGS, Catalog, CatalogRow, Profile
from .findings import RULES, Finding, Summary

if TYPE_CHECKING:
    from .checks import Report
    from .deployment import Deployment, Host

TOOL = "anbox-ports"
WIDTH = 80

# -- the catalog ------------------------------------------------------------------------------------

_CATALOG_COLUMNS = ("Service", "Port(s)", "Protocol", "Exposed externally", "Required", "Description")


def _catalog_cells(row: CatalogRow) -> tuple[str, ...]:
    return (row.service, row.ports, row.protocol, row.exposed_cell, row.required_cell, row.description)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
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
        out += _markdown_table(_CATALOG_COLUMNS, [_catalog_cells(r) for r in catalog.profile(profile)])
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
            "options": [{"charm": o.charm, "name": o.name, "kind": o.kind} for o in row.options],
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


# -- findings ---------------------------------------------------------------------------------------


def host_name(host: Host) -> str:
    """A host as JSON names it: the machine id, prefixed by the model when there are several."""
    return f"{host.model}:{host.machine}" if host.model else host.machine


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "hosts": [host_name(h) for h in finding.hosts],
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
    return json.dumps(report_json(report), indent=2) + "\n"


def _version() -> str:
    """The installed distribution's version; "unknown" when run from a source tree that was not installed."""
    from importlib import metadata

    try:
        return metadata.version("anbox-cloud-ports")
    except metadata.PackageNotFoundError:
        return "unknown"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 (OASIS): one run, every rule declared, results indexed to them."""
    rule_ids = list(RULES)
    results: list[dict[str, Any]] = []
    for f in report.findings:
        location = f.location
        artifact = location.file if location else (report.input if not report.input.startswith("<") else None)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_ids.index(f.rule),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "properties": {
                "hosts": [host_name(h) for h in f.hosts],
                "units": list(f.units),
                "ports": [str(p) for p in f.ports],
                "views": list(f.views),
            },
        }
        if artifact:
            physical: dict[str, Any] = {"artifactLocation": {"uri": artifact}}
            if location and location.line is not None:
                physical["region"] = {"startLine": location.line}
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": _version(),
                        "rules": [
                            {
                                "id": rule,
                                "name": "".join(part.title() for part in rule.split("-")),
                                "shortDescription": {"text": text},
                                "fullDescription": {"text": text},
                            }
                            for rule, text in RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def _summary_line(report: Report) -> str:
    s = report.summary
    line = (
        f"{_plural(s.errors, 'error')}, {_plural(s.warnings, 'warning')}, {_plural(s.infos, 'info')}"
        f" on {_plural(s.hosts, 'host')} and {_plural(s.units, 'unit')}"
    )
    if s.unchecked:
        line += f"; {_plural(s.unchecked, 'application')} not in the catalog, not checked"
    return line


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_COLOURS = {"error": "\033[31;1m", "warning": "\033[33;1m", "info": "\033[36m"}
_RESET = "\033[0m"


def render_table(report: Report, *, colour: bool = False, title: str | None = None) -> str:
    """For a person: each finding as a short block, wrapped to 80 columns, then the verdict."""
    out: list[str] = []
    if title:
        out.append(title)
        out.append("")
    wrap = textwrap.TextWrapper(
        width=WIDTH, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )
    fix_wrap = textwrap.TextWrapper(
        width=WIDTH, initial_indent="  fix: ", subsequent_indent="       ", break_on_hyphens=False
    )
    for f in report.findings:
        label = f.severity.upper().ljust(7)
        if colour:
            label = _COLOURS[f.severity] + label + _RESET
        where = ", ".join(str(h) for h in f.hosts[:2]) + (" ..." if len(f.hosts) > 2 else "")
        head = f"{label} {f.rule}"
        if where:
            head += f"  [{where}]"
        out.append(head)
        out += wrap.wrap(f.message)
        if f.fix:
            out += fix_wrap.wrap(f.fix)
        if f.location:
            out.append(f"  at: {f.location}")
        out.append("")
    s = report.summary
    if not report.findings and s.units:
        out.append(f"Clean: {_plural(s.units, 'unit')} on {_plural(s.hosts, 'host')} match the catalog.")
    elif not report.findings:
        out.append("Clean: no findings.")
    verdict = "FAILED" if s.errors else "OK"
    out.append(f"{verdict}: {_summary_line(report)}{_rules_note(report)}")
    return "\n".join(out) + "\n"


def _rules_note(report: Report) -> str:
    """Whose open-port rules applied; the appliance is not deployed by Juju, so none did there."""
    if report.deployment.profile == "appliance" or not report.deployment.units:
        return ""
    return f" (Juju {report.juju}.x rules)"


def render_markdown(report: Report) -> str:
    """For a pull-request comment or a CI summary."""
    out = [f"### anbox-ports check: `{report.input}`{_rules_note(report)}", ""]
    if report.findings:
        rows = [
            (
                f.severity,
                f"`{f.rule}`",
                ", ".join(f"`{u}`" for u in f.units),
                ", ".join(f"`{p}`" for p in f.ports),
                _md_escape(f.message),
                _md_escape(f.fix or ""),
                f"`{f.location}`" if f.location else "",
            )
            for f in report.findings
        ]
        out += _markdown_table(("Severity", "Rule", "Units", "Ports", "Message", "Fix", "Location"), rows)
        out.append("")
    else:
        out += ["No findings.", ""]
    out.append(f"**{_summary_line(report)}**")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report, fmt: str, *, colour: bool = False, title: str | None = None) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_table(report, colour=colour, title=title)


# -- the validator charm's status and list-ports ------------------------------------------------------


def status_line(report: Report) -> tuple[Literal["active", "blocked"], str]:
    """The unit status: the count and the first error in words, or what was checked and found clean.

    Juju shows one line of status; the first finding (errors sort first) is the one worth the space,
    the count says how many more the `check` action holds.
    """
    s = report.summary
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        first = errors[0]
        kind = "conflict" if all(f.rule == "port-conflict" for f in errors) else "error"
        if first.rule == "port-conflict" and len(first.units) >= 2 and first.ports:
            where = f" on {first.hosts[0]}" if first.hosts else ""
            detail = f"{first.ports[0]} {first.units[0]} vs {first.units[1]}{where}"
        else:
            detail = first.message
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return "blocked", f"{_plural(len(errors), kind)}: {detail}{more}"
    line = f"{_plural(s.units, 'unit')}, {_plural(s.hosts, 'host')}, no conflicts"
    if s.warnings:
        line += f", {_plural(s.warnings, 'warning')}"
    return "active", line


def deployment_json(deployment: Deployment) -> dict[str, Any]:
    """Every host, unit and claim, as the validator's `list-ports` action returns them."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for claim in deployment.claims:
        by_unit.setdefault(claim.unit, []).append(
            {
                "port": str(claim.port),
                "endpoint": claim.endpoint,
                "source": claim.source,
                "option": claim.option,
            }
        )
    hosts: dict[str, list[dict[str, Any]]] = {}
    for unit in deployment.units:
        hosts.setdefault(host_name(unit.host), []).append(
            {
                "unit": unit.name,
                "application": unit.application,
                "charm": unit.charm,
                "claims": by_unit.get(unit.name, []),
            }
        )
    return {
        "input": deployment.input,
        "hosts": [{"host": host, "units": units} for host, units in sorted(hosts.items())],
        "problems": [finding_json(f) for f in deployment.problems],
    }
