"""required-port-missing: a unit does not hold a port the catalog marks required.

Only where the input knows what is held (`juju status`, relation data): a bundle's claims are
intentions, so a missing port there would be a guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter

from ..catalog import CatalogRow
from ..findings import Finding
from ..model import Claim, Deployment, Unit
from ..ports import PortRange
from .index import Index
from .rule import Rule

ID = "required-port-missing"

KNOWING_ORIGINS = frozenset({"observed", "relation"})

_ORIGIN = attrgetter("origin")


def knows_held(deployment: Deployment) -> bool:
    """Whether any claim is one a unit is known to hold (observed, or published on the relation)."""
    return not KNOWING_ORIGINS.isdisjoint(map(_ORIGIN, deployment.claims))


def check(index: Index) -> Iterator[Finding]:
    deployment = index.deployment
    # Only where the input knows what is held: a question for every claim, asked once per check.
    if not deployment.observed and not index.knows_held:
        return
    for units, helds, alike in index.held_by_apps():
        missing: list[tuple[CatalogRow, PortRange]] | None = None
        for unit, claims in zip(units, helds, strict=True):
            charm_unchecked = not index.catalog.knows(unit.charm, index.profile)
            # A charm that listens without open-port (charmed-etcd): `juju status` never shows its ports.
            if charm_unchecked or not index.catalog.opens_ports(unit.charm, index.profile):
                if alike:
                    break  # one charm for every unit of the application
                continue
            if unit.subordinate:
                continue
            if missing is None or not alike:
                missing = _missing(index, unit.charm, claims)
                if not missing and alike:
                    break  # every unit of the application holds the same: none misses anything
            if missing:
                yield _finding(unit, missing)


def _finding(unit: Unit, missing: list[tuple[CatalogRow, PortRange]]) -> Finding:
    listed = ", ".join(f"{p} ({row.service} {row.description})" for row, p in missing)
    ports = tuple(p for _, p in missing)
    return Finding(
        rule=ID,
        severity="warning",
        message=f"{unit.key} does not hold {listed}, which the catalog marks required.",
        hosts=(unit.host,),
        units=(unit.key,),
        ports=ports,
        fix=(
            f"Check that {unit.key}'s service is up and its charm opens "
            f"{', '.join(str(p) for p in ports)}; a port moved by a config option counts once the "
            "option's value is known."
        ),
        location=unit.location,
    )


def _missing(index: Index, charm: str, claims: Sequence[Claim]) -> list[tuple[CatalogRow, PortRange]]:
    """The required rows' ports a unit of `charm` holding `claims` does not hold."""
    if not index.deployment.observed and not any(c.origin in KNOWING_ORIGINS for c in claims):
        return []
    missing: list[tuple[CatalogRow, PortRange]] = []
    for row in index.catalog.for_charm(charm, index.profile):
        if row.required != "yes":
            continue
        for default in row.claims:
            # Held as the row itself (moved by config) or as the row's default port, per protocol.
            if not any(
                (c.row == row and c.port.protocol == default.protocol) or c.port == default for c in claims
            ):
                missing.append((row, default))
    return missing


RULE = Rule(
    id=ID,
    severity="warning",
    description="A unit does not hold a port the catalog marks required.",
    remediation="Check that the unit's service is up and that its charm opens the port.",
    check=check,
)
