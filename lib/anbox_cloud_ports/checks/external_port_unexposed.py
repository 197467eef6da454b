"""external-port-unexposed: a required, externally exposed port (Coturn's 5349) that clients cannot reach."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter

from ..catalog import CatalogRow
from ..findings import Finding
from ..model import Application, Deployment, Unit
from ..names import sorted_units
from ..ports import PortRange
from ..text import describe_units, join_and
from .expose import expose_fix, judge, opened_text
from .index import ClaimKind, Index, merged
from .rule import Rule

ID = "external-port-unexposed"

_HOST = attrgetter("host")


def check(index: Index) -> Iterator[Finding]:
    deployment = index.deployment
    for app_key in sorted(deployment.applications):
        app = deployment.applications[app_key]
        units = index.units_of(app_key)
        if not units or app.subordinate or not app.exposure_known:
            continue
        rows = [
            row
            for row in index.catalog.for_charm(app.charm, index.profile)
            if row.required == "yes" and row.exposed
        ]
        if not rows:
            continue
        if deployment.model(app.model).kind == "caas":
            continue  # docs/juju-facts.md#expose: `juju expose` has no effect on sidecar charms
        if not app.is_exposed:
            yield _unexposed(index, app, units, rows)
        elif app.expose_rules_known:
            yield from _unreached(index, app, units, rows)
        # Exposed to an unknown audience (juju status alone): the rules may well reach them.


def _unexposed(index: Index, app: Application, units: list[Unit], rows: list[CatalogRow]) -> Finding:
    # The units' own claims of those rows (moved by config, maybe), else the rows' defaults.
    held = sorted({kind.claim.port for kind in index.app_claims(app.key).kinds if kind.row in rows})
    ports = tuple(held) if held else tuple(p for row in rows for p in row.claims)
    what = join_and(sorted({f"{row.service} {row.description}" for row in rows}))
    return Finding(
        rule=ID,
        severity="warning",
        message=(
            f"{app.name} is not exposed, so clients cannot reach {', '.join(str(p) for p in ports)} "
            f"({what}), which the catalog marks required and exposed externally."
        ),
        hosts=tuple(sorted(dict.fromkeys(map(_HOST, units)))),
        units=tuple(sorted_units(map(index.unit_key, units))),
        ports=ports,
        fix=(
            f"Add {expose_fix('terraform', app)}, or expose the endpoints those ports are opened on."
            if index.deployment.exposure_syntax == "terraform"
            else f"Run {expose_fix('juju', app)} (bundle: `expose: true`), or expose the endpoints "
            "those ports are opened on."
        ),
        location=app.location,
    )


def _unreached(
    index: Index, app: Application, units: list[Unit], rows: list[CatalogRow]
) -> Iterator[Finding]:
    """Exposed, but surely not on the endpoint the external ports are opened for.

    Only when no place the input lets a port be opened gets a rule (docs/juju-facts.md#expose):
    where the endpoint is unknown, a port opened for all endpoints would be reached by any rule.
    """
    spaces = index.deployment.model(app.model).spaces
    held = index.app_claims(app.key)
    # (port, endpoint) -> the kinds of claim no rule reaches, judged once per kind.
    unreached: dict[tuple[PortRange, str], list[ClaimKind]] = {}
    for kind in held.kinds:
        if kind.row not in rows:
            continue
        claim = kind.claim
        if judge(app, claim.endpoint, endpoint_known=kind.known, spaces=spaces).reach == "none":
            unreached.setdefault((claim.port, claim.endpoint), []).append(kind)
    if not unreached:
        return
    rules = ", ".join(sorted(name or "(wildcard)" for name in app.exposed))
    syntax = index.deployment.exposure_syntax
    verb = "Set" if syntax == "terraform" else "Run"
    parts = [
        f"{p} {opened_text(ep)} by "
        f"{describe_units(sorted_units(map(index.unit_key, held.units_at(merged(kinds)))))}"
        for (p, ep), kinds in sorted(unreached.items(), key=lambda item: item[0])
    ]
    endpoints = sorted({ep for _, ep in unreached if ep})
    yield Finding(
        rule=ID,
        severity="warning",
        message=(
            f"{app.name} exposes only {rules}, which does not reach {'; '.join(parts)}; "
            "the catalog marks these required and exposed externally."
        ),
        hosts=tuple(sorted(dict.fromkeys(map(_HOST, units)))),
        units=tuple(sorted_units(map(index.unit_key, units))),
        ports=tuple(sorted({p for p, _ in unreached})),
        fix=f"{verb} {expose_fix(syntax, app, endpoints=','.join(endpoints))}."
        if endpoints
        else f"{verb} {expose_fix(syntax, app)}.",
        location=app.location,
    )


def _applies(deployment: Deployment) -> bool:
    return deployment.exposure_known


RULE = Rule(
    id=ID,
    severity="warning",
    description="A required, externally exposed catalog port is opened but its application is not exposed.",
    remediation="Expose the application, or the endpoint its external ports are opened on.",
    check=check,
    applies=_applies,
)
