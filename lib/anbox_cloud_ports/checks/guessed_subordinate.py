"""guessed-subordinate: a bundle application read as a subordinate although nothing says its charm is one.

A bundle carries no charm metadata (docs/juju-facts.md#bundles, "Subordinates"): the bundle source
knows the Anbox charms and the common subordinate companions by name, and guesses the rest from their
relations. A guess places units that may not exist, so it is said, with the way to stop the guessing.
"""

from __future__ import annotations

from .rule import Rule, problems_only

ID = "guessed-subordinate"

RULE = Rule(
    id=ID,
    severity="info",
    description=(
        "A bundle application of a charm the catalog does not know, with no units of its own, is read as a "
        "subordinate of the applications it relates to."
    ),
    remediation="Name the charm in a --catalog file (subordinate: true or false) so that nothing is guessed.",
    check=problems_only,
)
