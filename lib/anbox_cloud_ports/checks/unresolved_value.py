"""unresolved-value: a value a verdict depends on that the input cannot give before apply.

A Terraform input names where units go and what is exposed through expressions; a few of them are
known only after apply (a data source), or use what this checker does not evaluate (a function it
lacks, a registry module). The source says which expression, where, and what it leaves unchecked,
instead of guessing; this rule reports it. A warning: the check is incomplete, not failed.
"""

from __future__ import annotations

from .rule import Rule, problems_only

ID = "unresolved-value"

RULE = Rule(
    id=ID,
    severity="warning",
    description="A value that placement, exposure or a port depends on is not known before apply or not evaluated here.",
    remediation="Give the value in the configuration, or check `terraform show -json` of a saved plan.",
    check=problems_only,
)
