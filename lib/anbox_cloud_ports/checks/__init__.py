"""The engine: one Deployment in, every port problem out, each with the units, ports and a fix.

Every source ends here, so a rule written once judges them all. Each rule is a module of its own
(`port_conflict`, `internal_port_exposed`, ...) declaring its id, default severity, description and
remediation beside its code; `RULES` is the registry the CLI, SARIF and the docs read. Adding a rule
is one module and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ..catalog import Catalog
from ..findings import JUJU_VERSIONS, Finding, JujuVersion, Report, Summary, from_problem, ordered
from ..gcpause import gc_paused
from ..model import Deployment
from . import (
    external_port_unexposed,
    guessed_subordinate,
    internal_port_exposed,
    invalid_name,
    invalid_port,
    port_conflict,
    required_port_missing,
    uncatalogued_port,
    unlisted_port_exposed,
    unresolved_value,
)
from .index import Index
from .port_conflict import ConflictPair, conflict_pairs
from .rule import Rule

__all__ = ["RULES", "RULES_BY_ID", "ConflictPair", "Index", "Rule", "check", "conflict_pairs"]

RULES: tuple[Rule, ...] = (
    port_conflict.RULE,
    internal_port_exposed.RULE,
    external_port_unexposed.RULE,
    required_port_missing.RULE,
    invalid_port.RULE,
    uncatalogued_port.RULE,
    unlisted_port_exposed.RULE,
    invalid_name.RULE,
    unresolved_value.RULE,
    guessed_subordinate.RULE,
)
RULES_BY_ID: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in RULES})


def check(
    deployment: Deployment,
    *,
    catalog: Catalog | None = None,
    juju: JujuVersion = "3",
    rules: Sequence[Rule] = RULES,
    keep: list[object] | None = None,
) -> Report:
    """Judge a deployment against the catalog.

    `juju` is kept for callers and reports (`Report.juju`) but changes no verdict: Juju 3.x and 4.x
    refuse the same open-port calls (docs/juju-facts.md#open-port-conflicts). A process about to
    exit passes `keep`, and the index is put there instead of freed (for a 20,000-unit status,
    about 1.4 ms of freeing its regroupings one object at a time).
    """
    if juju not in JUJU_VERSIONS:
        raise ValueError(f"unknown Juju version {juju!r}: expected one of {', '.join(JUJU_VERSIONS)}")
    catalog = catalog if catalog is not None else Catalog.builtin()
    unclaimed = {p.rule for p in deployment.problems} - RULES_BY_ID.keys()
    if unclaimed:  # a problem no rule reports would vanish silently
        raise ValueError(f"problems with unregistered rule ids: {', '.join(sorted(unclaimed))}")
    with gc_paused():
        index = Index(deployment, catalog)
        found: list[Finding] = []
        for rule in rules:
            if rule.applies(deployment):
                found.extend(rule.check(index))
        # A source's Problem is reported under the rule it names (when that rule is run): an id no rule
        # has would vanish silently, so it is refused.
        selected = {rule.id for rule in rules}
        found.extend(from_problem(p) for p in deployment.problems if p.rule in selected)
        unknown = ({f.rule for f in found} | {p.rule for p in deployment.problems}) - RULES_BY_ID.keys()
        if unknown:
            raise ValueError(f"findings with unregistered rule ids: {', '.join(sorted(unknown))}")
        findings = tuple(ordered(found))
        hosts = index.host_count
        # Freed while the collector is still paused: resuming with the index alive would have it walk
        # every regrouping once, for nothing (they hold no cycles). A caller that keeps it has the
        # collector off until its exit (`cli.run`).
        if keep is not None:
            keep.append(index)
        del index
    summary = Summary.of(
        findings, hosts=hosts, units=len(deployment.units), unchecked=len(deployment.unchecked)
    )
    return Report(deployment.input, juju, findings, summary, deployment)
