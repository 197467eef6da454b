"""invalid-port: a port value in the input (an option, relation data, a status) that cannot be a port.

Sources find these while reading and keep going (`Deployment.problems`); this rule reports them
beside the engine's own findings, so one bad value never hides the rest of the input.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, from_problem
from .index import Index
from .rule import Rule

ID = "invalid-port"


def check(index: Index) -> Iterator[Finding]:
    return (from_problem(p) for p in index.deployment.problems if p.rule == ID)


RULE = Rule(
    id=ID,
    severity="error",
    description="A port value (option, relation data, status) cannot be parsed or is out of range.",
    remediation="Set the option to a valid port or range, or fix the unit that publishes the value.",
    check=check,
)
