"""Markdown, for a pull-request comment or a CI job summary.

The picture comes first, in a ```mermaid fence: code hosts draw it in pull requests and issues. Its
labels carry no backtick (render/mermaid.py writes it as `#96;`), so no label can close the fence.

A comment renders what it is given: a unit name or a catalog description such as
``ams` [x](https://evil.example) <img src=x>`` must not become a link, an image or HTML in it. So every
field that can carry input text (the input's name, units, messages, fixes, locations) is fenced as a
code span by `text.markdown_code`, where CommonMark and GitHub read nothing but literal text; the
rest (severity, rule id, ports, counts) is the tool's own words.
"""

from __future__ import annotations

from ..findings import Report
from ..text import markdown_code
from .catalog import markdown_table
from .common import rules_note, summary_line
from .mermaid import render_mermaid


def render_markdown(report: Report) -> str:
    """For a pull-request comment or a CI summary."""
    out = [f"### anbox-ports check: {markdown_code(report.input, table=False)}{rules_note(report)}", ""]
    if report.deployment.units:
        out += ["```mermaid", render_mermaid(report).rstrip("\n"), "```", ""]
    if report.findings:
        rows = [
            (
                f.severity,
                f"`{f.rule}`",
                ", ".join(markdown_code(u) for u in f.units),
                ", ".join(f"`{p}`" for p in f.ports),
                markdown_code(f.message),
                markdown_code(f.fix or ""),
                markdown_code(str(f.location)) if f.location else "",
            )
            for f in report.findings
        ]
        out += markdown_table(("Severity", "Rule", "Units", "Ports", "Message", "Fix", "Location"), rows)
        out.append("")
    else:
        out += ["No findings.", ""]
    out.append(f"**{summary_line(report)}**")
    return "\n".join(out) + "\n"
