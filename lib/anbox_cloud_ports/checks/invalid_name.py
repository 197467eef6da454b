"""invalid-name: a model, application or charm name (or an expose endpoint or space) Juju refuses.

A Terraform plan passes names straight to Juju, which checks them against juju/names
(docs/juju-facts.md#names): `anbox-subcluster-b.x` is refused at apply, so nothing of that model is
deployed. The source records it while reading and places the rest; this rule reports it.
"""

from __future__ import annotations

from .rule import Rule, problems_only

ID = "invalid-name"

RULE = Rule(
    id=ID,
    severity="error",
    description="A name Juju refuses (juju/names): what it names is not deployed, so it is not checked.",
    remediation="Use a name juju/names accepts: lower-case letters, digits and hyphens.",
    check=problems_only,
)
