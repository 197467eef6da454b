"""The firewaller, written out from docs/juju-facts.md#expose, entry by entry, as Juju's loop runs.

checks/expose.py asks "which entries reach this port?"; this module asks what Juju's firewaller asks
(`ingressRulesForExposedMachineUnit`): "for each expose entry, which opened ranges get a rule with its
sources?", and collects the rules. The two are written from opposite ends, so the property tests in
tests/unit/checks/test_expose.py hold one against the other.

Rules, from the facts page:
- an entry's sources are its CIDRs plus every subnet CIDR of its spaces; an entry whose sources are
  empty makes no rules;
- a named entry `x` makes rules for the ranges opened for `x` and for the ranges opened for `""`;
- the wildcard entry `""` makes rules for the ranges of every endpoint key, except named endpoints
  that have their own entry; ranges opened for `""` always get the wildcard's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

Entry = tuple[frozenset[str], frozenset[str]]  # (CIDRs, space names)
Opened = Mapping[str, Set[str]]  # endpoint ("" = all) -> the port ranges opened for it, as text


def sources_of(entry: Entry, subnets: Mapping[str, Set[str]]) -> frozenset[str]:
    cidrs, spaces = entry
    out = set(cidrs)
    for space in spaces:
        out |= subnets.get(space, set())  # an unknown space is logged and skipped
    return frozenset(out)


def firewall_rules(
    entries: Mapping[str, Entry], opened: Opened, subnets: Mapping[str, Set[str]]
) -> set[tuple[str, frozenset[str]]]:
    """Every ingress rule (port range, source CIDRs) the firewaller makes for one exposed unit."""
    rules: set[tuple[str, frozenset[str]]] = set()
    for name, entry in entries.items():
        sources = sources_of(entry, subnets)
        if not sources:
            continue  # "no rules required"
        if name != "":
            for port in (*opened.get(name, ()), *opened.get("", ())):
                rules.add((port, sources))
            continue
        for endpoint, ports in opened.items():
            if endpoint != "" and endpoint in entries:
                continue  # hasExposeOverride
            for port in ports:
                rules.add((port, sources))
    return rules


def sources_for(
    entries: Mapping[str, Entry], port: str, opened: Opened, subnets: Mapping[str, Set[str]]
) -> frozenset[str]:
    """Who reaches `port`: the union of the sources of every rule made for it."""
    out: set[str] = set()
    for rule_port, sources in firewall_rules(entries, opened, subnets):
        if rule_port == port:
            out |= sources
    return frozenset(out)
