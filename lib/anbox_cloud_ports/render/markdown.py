"""Markdown, for a pull-request comment or a CI job summary.

The picture comes first, in a ```mermaid fence: code hosts draw it in pull requests and issues. Its
labels carry no backtick (render/mermaid.py writes it as `#96;`), so no label can close the fence.
"""

from __future__ import annotations

from ..findings import Report
from .catalog import markdown_table
from .common import rules_note, summary_line
from .mermaid import render_mermaid


def render_markdown(report: Report) -> str:
    """For a pull-request comment or a CI summary."""
    out = [f"### anbox-ports check: `{report.input}`{rules_note(report)}", ""]
    if report.deployment.units:
        out += ["```mermaid", render_mermaid(report).rstrip("\n"), "```", ""]
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
        out += markdown_table(("Severity", "Rule", "Units", "Ports", "Message", "Fix", "Location"), rows)
        out.append("")
    else:
        out += ["No findings.", ""]
    out.append(f"**{summary_line(report)}**")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
