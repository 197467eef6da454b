"""What a fix returns, whatever it was written for: the document, and the reports that prove it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..findings import Finding, Report
from ..text import one_line
from .changes import Unresolved

MAX_ROUNDS = 8
"""Plan, apply, check again: a crowded host's pairs beyond the engine's cap show up only once the first
ones are fixed, so a fix may take a few rounds; it never takes more than this many."""


@dataclass(frozen=True, slots=True)
class FixResult:
    """`text` is the document to print (an overlay, commands); `after` is the check of the input with it.

    `ok` is the promise the command keeps: it prints `text` only when `after` has no error.
    """

    text: str
    before: Report
    after: Report
    unresolved: tuple[Unresolved, ...]
    kind: str

    @property
    def ok(self) -> bool:
        return self.after.summary.errors == 0


def finding_line(finding: Finding) -> str:
    """A finding as one comment line: its rule and message."""
    return one_line(f"{finding.rule}: {finding.message}", 400)


def remaining(after: Report, reasons: Iterable[Unresolved]) -> tuple[Unresolved, ...]:
    """Each error still in `after`, with the cure the planner gave for it (or the rule's own fix)."""
    known = {(u.finding.rule, u.finding.message): u.reason for u in reasons}
    return tuple(
        Unresolved(f, known.get((f.rule, f.message)) or f.fix or "no automatic fix")
        for f in after.findings
        if f.severity == "error"
    )
