"""unlisted-port-exposed: an expose rule reaches a port that no catalog row lists.

The seed tables are the whole documented surface of Anbox Cloud: what a firewall admits and what an
operator reviews. A port outside them that an expose rule opens to the world (the Terraform load
balancer's 8080 and 8081, which its `services` option adds beside 80 and 443) widens that surface
without anyone having decided it should. A warning, not an error: nothing fails and the operator may
mean it, but they must see it; private networks only, or a per-endpoint rule that may not reach the
port (the input does not say on which endpoint it is opened), is info.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from ..model import Application, Claim, Deployment, Unit
from ..names import sorted_units
from ..ports import PortRange
from ..text import describe_units, join_and
from .expose import audience, expose_fix, exposing_rules, opened_text, rule_text
from .index import ClaimKind, Index, merged
from .rule import Rule

ID = "unlisted-port-exposed"


def check(index: Index) -> Iterator[Finding]:
    deployment = index.deployment
    for app_key in sorted(deployment.applications):
        app = deployment.applications[app_key]
        if not app.exposed or not app.exposure_known or not index.catalog.knows(app.charm, index.profile):
            continue
        if not index.catalog.opens_ports(app.charm, index.profile):
            continue
        claims = index.app_claims(app_key)
        held: dict[tuple[PortRange, str], list[ClaimKind]] = {}
        for kind in claims.kinds:
            if kind.row is None and exposing_rules(app, kind.claim.endpoint):
                held.setdefault((kind.claim.port, kind.claim.endpoint), []).append(kind)
        for (port, endpoint), kinds in sorted(held.items(), key=lambda item: item[0]):
            yield _finding(index, app, port, endpoint, claims.held(merged(kinds)))


def _finding(
    index: Index, app: Application, port: PortRange, endpoint: str, held: list[tuple[Unit, Claim]]
) -> Finding:
    deployment = index.deployment
    rules = exposing_rules(app, endpoint)
    audiences = [(rule, audience(target)) for rule, target in rules]
    public = any(who.public for _, who in audiences)
    certain = deployment.endpoints_known or any(rule == "" for rule, _ in rules)
    names = sorted_units(dict.fromkeys(index.unit_key(unit) for unit, _ in held))
    options = sorted({c.option for _, c in held if c.option})
    syntax = deployment.exposure_syntax
    reach = "; ".join(
        f"{rule_text(app.name, rule, syntax)} exposes it to {who.text}" for rule, who in audiences
    )
    verb = "opens" if len(names) == 1 else "open"
    why = f" (option {join_and(options)})" if options else ""
    if certain:
        head = f"{describe_units(names)} {verb} {port} {opened_text(endpoint)}{why}, and {reach}"
    else:
        head = (
            f"{describe_units(names)} {verb} {port}{why} and this input does not say on which endpoint; "
            f"if it is opened for all endpoints, {reach}"
        )
    message = f"{head}, but no {deployment.profile} catalog row of charm {app.charm} lists {port}."
    remove = f"remove its service from option {join_and(options)}" if options else f"close {port}"
    private = expose_fix(syntax, app, cidrs="<networks you trust>")
    if endpoint:
        narrow = f"expose only the endpoints meant to be reached, or only to networks you trust ({private})"
    else:
        # docs/juju-facts.md#expose: a rule for an endpoint also reaches every port opened for all endpoints.
        narrow = (
            f"limit who can reach the application ({private}; a rule naming endpoints still reaches a "
            "port opened for all endpoints, as this one is)"
        )
    fix = (
        f"If {port} is not meant to be reached, {remove}. If it is, {narrow}, and add a catalog row "
        f"for {port} (--catalog FILE) so it is checked like the others."
    )
    location = next((c.location for _, c in held if c.location is not None), None) or app.location
    return Finding(
        rule=ID,
        severity="warning" if public and certain else "info",
        message=message,
        hosts=tuple(sorted(dict.fromkeys(unit.host for unit, _ in held))),
        units=tuple(names),
        ports=(port,),
        fix=fix,
        location=location,
    )


def _applies(deployment: Deployment) -> bool:
    return deployment.exposure_known


RULE = Rule(
    id=ID,
    severity="warning",
    description="An expose rule reaches a port that no catalog row lists: the exposed surface is wider than the documented one.",
    remediation=(
        "Remove the service that opens the port, or expose only the endpoints and networks meant to "
        "reach it (an `expose` block with `endpoints`/`cidrs`, or `juju expose --endpoints/--to-cidrs`), "
        "and add a catalog row for a port that is meant to be public."
    ),
    check=check,
    applies=_applies,
)
