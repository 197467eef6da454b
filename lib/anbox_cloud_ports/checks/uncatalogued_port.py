"""uncatalogued-port: a unit holds a port its charm's catalog rows do not name."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from ..model import Unit
from ..ports import PortRange
from .index import Index
from .required_port_missing import KNOWING_ORIGINS
from .rule import Rule

ID = "uncatalogued-port"


def check(index: Index) -> Iterator[Finding]:
    if not index.knows_held:  # only a claim a unit is known to hold can be a stray
        return
    for units, helds, alike in index.held_by_apps():
        strays: list[PortRange] | None = None
        for unit, claims in zip(units, helds, strict=True):
            if not index.catalog.knows(unit.charm, index.profile):
                if alike:
                    break  # one charm for every unit of the application
                continue
            if strays is None or not alike:
                strays = sorted(
                    {
                        c.port
                        for c in claims
                        if c.origin in KNOWING_ORIGINS and index.row_of(c, unit.charm) is None
                    }
                )
                if not strays and alike:
                    break  # every unit of the application holds the same: no stray anywhere
            if strays:
                yield _finding(index, unit, strays)


def _finding(index: Index, unit: Unit, strays: list[PortRange]) -> Finding:
    listed = ", ".join(str(p) for p in strays)
    return Finding(
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
