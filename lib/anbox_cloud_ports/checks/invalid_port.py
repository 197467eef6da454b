"""invalid-port: a port value in the input (an option, relation data, a status) that cannot be a port.

Sources find these while reading and keep going (`Deployment.problems`); this rule reports them
beside the engine's own findings, so one bad value never hides the rest of the input.
"""

from __future__ import annotations

from .rule import Rule, problems_only

ID = "invalid-port"

RULE = Rule(
    id=ID,
    severity="error",
    description="A port value (option, relation data, status) cannot be parsed or is out of range.",
    remediation="Set the option to a valid port or range, or fix the unit that publishes the value.",
    check=problems_only,
)
