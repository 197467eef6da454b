"""uncatalogued-port: a unit holds a port its charm's catalog rows do not name."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from .index import Index
from .required_port_missing import KNOWING_ORIGINS
from .rule import Rule

ID = "uncatalogued-port"


def check(index: Index) -> Iterator[Finding]:
    deployment = index.deployment
    if not index.knows_held:  # only a claim a unit is known to hold can be a stray
        return
    for unit in deployment.units:
        if not index.catalog.knows(unit.charm, index.profile):
            continue
        strays = sorted(
            {
                c.port
                for c in index.claims_by_unit.get(unit.key, ())
                if c.origin in KNOWING_ORIGINS and index.row_of(c, unit.charm) is None
            }
        )
        if not strays:
            continue
        listed = ", ".join(str(p) for p in strays)
        yield Finding(
            rule=ID,
            severity="info",
            message=f"{unit.key} holds {listed}, which no {index.profile} catalog row of charm {unit.charm} names.",
            hosts=(unit.host,),
            units=(unit.key,),
            ports=tuple(strays),
            fix=(
                "If the port is meant to be open, add a catalog row for it (Catalog.extend) so it is checked; "
                f"otherwise close it (`close-port {strays[0]}`)."
            ),
            location=unit.location,
        )


RULE = Rule(
    id=ID,
    severity="info",
    description="A unit holds a port its charm's catalog rows do not name.",
    remediation="Add a catalog row for the port (--catalog FILE), or close it.",
    check=check,
)
