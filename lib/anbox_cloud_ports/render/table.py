"""For a person at a terminal: each finding as a short block, wrapped to 80 columns, then the verdict.

Everything a finding says may quote its input (a unit name, a catalog description, a file name), so
each field goes through `text.for_terminal` here, at the point of output: no escape sequence from an
input reaches the terminal, and no input can start a line of its own (a forged `OK:` verdict).
"""

from __future__ import annotations

from ..findings import Report
from ..text import for_terminal, plural
from .common import rules_note, summary_line

WIDTH = 80

_COLOURS = {"error": "\033[31;1m", "warning": "\033[33;1m", "info": "\033[36m"}
_RESET = "\033[0m"


def render_table(report: Report, *, colour: bool = False, title: str | None = None) -> str:
    """For a person: each finding as a short block, wrapped to 80 columns, then the verdict."""
    out: list[str] = []
    if title:
        out.append(for_terminal(title))
        out.append("")
    if report.findings:
        out += _findings(report, colour)
    s = report.summary
    if not report.findings and s.units:
        out.append(f"Clean: {plural(s.units, 'unit')} on {plural(s.hosts, 'host')} match the catalog.")
    elif not report.findings:
        out.append("Clean: no findings.")
    verdict = "FAILED" if s.errors else "OK"
    out.append(f"{verdict}: {summary_line(report)}{rules_note(report)}")
    return "\n".join(out) + "\n"


def _findings(report: Report, colour: bool) -> list[str]:
    import textwrap  # imported here: a clean report has nothing to wrap, and starts the command sooner

    out: list[str] = []
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
        where = ", ".join(for_terminal(str(h)) for h in f.hosts[:2]) + (" ..." if len(f.hosts) > 2 else "")
        head = f"{label} {f.rule}"
        if where:
            head += f"  [{where}]"
        out.append(head)
        out += wrap.wrap(for_terminal(f.message))
        if f.fix:
            out += fix_wrap.wrap(for_terminal(f.fix))
        if f.location:
            out.append(f"  at: {for_terminal(str(f.location))}")
        out.append("")
    return out
