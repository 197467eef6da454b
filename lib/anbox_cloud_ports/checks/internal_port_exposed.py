"""internal-port-exposed: an expose rule reaches a port the catalog marks not exposed externally.

An error only when the input proves the leak: the rules are known (a bundle, `juju show-application`),
the endpoint each port is opened on is known (`opened-ports --endpoints`), or every place it could be
opened leaks alike. Where the input cannot tell, a warning names the command that tells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import attrgetter, itemgetter
from typing import Any

from ..catalog import CatalogRow
from ..findings import Finding
from ..model import Application, Claim, Deployment, ExposureSyntax, Location, Model, Severity
from ..names import sorted_units
from ..ports import PortRange
from ..text import describe_units, join_and, sentence
from .expose import Case, Exposure, expose_fix, judge, opened_text, rank, rule_text
from .index import AppClaims, ClaimKind, Index, Positions, merged
from .rule import Rule

ID = "internal-port-exposed"

_NAME = attrgetter("name")
_HOST = attrgetter("host")
# By position, as the index reads claims: a finding may look through a quarter of a million of them.
_LOCATION = itemgetter(Claim._fields.index("location"))

_SEVERITY: dict[str, Severity] = {"public": "warning", "unknown": "warning", "private": "info"}


def check(index: Index) -> Iterator[Finding]:
    deployment = index.deployment
    for app_key in sorted(deployment.applications):
        app = deployment.applications[app_key]
        # Unknown whether it is exposed at all (a Terraform expose block known only after apply), or a
        # charm that never calls open-port (charmed-etcd): nothing an expose rule can be said to reach.
        if (
            not app.is_exposed
            or not app.exposure_known
            or not index.catalog.opens_ports(app.charm, index.profile)
        ):
            continue
        model = deployment.model(app.model)
        held = index.app_claims(app.key)
        internal = [kind for kind in held.kinds if kind.row is not None and not kind.row.exposed]
        if not internal:
            continue
        if model.kind == "caas":
            yield _sidecar(index, app, model, held, internal)
        elif not app.expose_rules_known:
            yield from _rules_unknown(index, app, model, held, internal)
        else:
            yield from _leaks(index, app, model, held, internal)


def _external_endpoints(held: AppClaims) -> list[str]:
    found: set[str] = set()
    for kind in held.kinds:
        if kind.row is not None and kind.row.exposed and kind.claim.endpoint:
            found.add(kind.claim.endpoint)
    return sorted(found)


def _by(kinds: list[ClaimKind], key: Callable[[ClaimKind], tuple[object, ...]]) -> dict[Any, list[ClaimKind]]:
    """Kinds grouped by `key`, in the order each group first occurs."""
    groups: dict[Any, list[ClaimKind]] = {}
    for kind in kinds:
        groups.setdefault(key(kind), []).append(kind)
    return groups


def _location(held: AppClaims, positions: Positions, app: Application) -> Location | None:
    """The first of these claims' locations, else the application's."""
    found = next(filter(None, map(_LOCATION, held.iter_claims_at(positions))), None)
    return found or app.location


def _leaks(
    index: Index, app: Application, model: Model, held: AppClaims, internal: list[ClaimKind]
) -> Iterator[Finding]:
    deployment = index.deployment
    # (port, endpoint, endpoint known, row) -> claims: one finding per leaked port, not per unit.
    groups = _by(internal, lambda kind: (kind.claim.port, kind.claim.endpoint, kind.known, kind.row))
    external = _external_endpoints(held)
    for (port, endpoint, known, row), kinds in sorted(groups.items(), key=lambda item: item[0][:3]):
        exposure = judge(app, endpoint, endpoint_known=known, spaces=model.spaces)
        if exposure.reach == "none":
            continue
        severity: Severity = "error" if exposure.narrowest == "public" else _SEVERITY[exposure.reach]
        positions = merged(kinds)
        units = held.units_at(positions)
        names = sorted_units(index.keys_of(held, positions))
        # The fix names units as `juju exec --unit` does: by name, without their model.
        named = names if index.keys_are_names else sorted_units(dict.fromkeys(map(_NAME, units)))
        yield Finding(
            rule=ID,
            severity=severity,
            message=_message(
                app, port, row=row, names=names, exposure=exposure, syntax=deployment.exposure_syntax
            )
            + ".",
            hosts=index.hosts_of(held, positions),
            units=tuple(names),
            ports=(port,),
            fix=sentence(
                _fix(
                    app,
                    model,
                    port,
                    endpoint=endpoint,
                    units=named,
                    external_endpoints=external,
                    exposure=exposure,
                    syntax=deployment.exposure_syntax,
                )
            ),
            location=_location(held, positions, app),
        )


def _case_text(app: Application, case: Case, syntax: ExposureSyntax) -> str:
    if not case.rules:
        return "nothing exposes it"
    parts: list[str] = []
    for rule, who in case.rules:
        text = f"{rule_text(app.name, rule, syntax)} exposes it to {who.text}"
        if rule and case.endpoint == "":
            text += f" (a rule for {rule} also reaches every port opened for all endpoints)"
        elif rule and "" in app.exposed:
            text += " (its own rule overrides the wildcard for the ports opened on it)"
        if who.reach == "none":
            text += ", which makes no firewall rule at all"
        for bad in who.unparsable:
            text += f"; CIDR {bad!r} cannot be parsed, so it is treated as public"
        parts.append(text)
    return "; ".join(parts)


def _message(
    app: Application,
    port: PortRange,
    *,
    row: CatalogRow,
    names: list[str],
    exposure: Exposure,
    syntax: ExposureSyntax,
) -> str:
    """What reaches the port, in every case the input leaves open, and what the catalog says of it."""
    verb = "opens" if len(names) == 1 else "open"
    who = describe_units(names)
    what = f"{row.service}'s {row.description} ({port})"
    cases = exposure.cases
    if len(cases) == 1:
        message = f"{who} {verb} {port} {opened_text(cases[0].endpoint)}; {_case_text(app, cases[0], syntax)}"
    elif all(case.rules == cases[0].rules for case in cases):
        message = (
            f"{who} {verb} {port} on an endpoint this input does not say, and wherever it is opened "
            f"{_case_text(app, cases[0], syntax)}"
        )
    else:
        worst = min(cases, key=lambda case: rank(case.reach))
        best = max(cases, key=lambda case: rank(case.reach))
        message = (
            f"{who} {verb} {port}, and this input does not say on which endpoint. "
            f"If it is opened {opened_text(worst.endpoint)}, {_case_text(app, worst, syntax)}"
        )
        message += f"; if it is opened {opened_text(best.endpoint)}, {_case_text(app, best, syntax)}"
    if exposure.reach == "public":
        message += f", but the catalog says {what} is not exposed externally"
    else:
        message += _verdict(exposure, what)
    if row.exposure_note and any(
        case.reach == "public" and any(rule == "" for rule, _ in case.rules) for case in cases
    ):
        message += f". {row.exposure_note}"
    return message


def _verdict(exposure: Exposure, what: str) -> str:
    if exposure.reach == "unknown":
        return (
            ". Juju opens a port exposed to a space to that space's subnets, and a space is only "
            f"as private as its subnets; the catalog says {what} is not exposed externally"
        )
    return (
        ": private networks only, which is fine inside the deployment, though the catalog "
        f"keeps {what} internal"
    )


def _fix(
    app: Application,
    model: Model,
    port: PortRange,
    *,
    endpoint: str,
    units: list[str],
    external_endpoints: list[str],
    exposure: Exposure,
    syntax: ExposureSyntax,
) -> str:
    reaching = {rule for case in exposure.cases for rule, who in case.rules if who.reach != "none"}
    actions: list[str] = []
    if endpoint == "":
        actions.append(
            f"open {port} on a named internal endpoint (`open-port {port} --endpoints <endpoint>`)"
        )
    if "" in reaching:
        targets = ",".join(external_endpoints) or "<endpoints of its external ports>"
        actions.append(f"replace {expose_fix(syntax, app)} with {expose_fix(syntax, app, endpoints=targets)}")
    if (endpoint and endpoint in reaching) or not actions:
        # Opened on a named endpoint that has its own rule: only that rule reaches it.
        actions.append(
            f"stop exposing endpoint {endpoint} ({expose_fix(syntax, app, endpoints=endpoint, unexpose=True)})"
        )
    fix = " and ".join(actions)
    tells: list[str] = []
    if not exposure.certain:
        targets = " ".join(f"--unit {name}" for name in units[:3])
        tells.append(f"`{_juju(model, 'exec')} {targets} -- opened-ports --endpoints` says which endpoint")
    unlisted = sorted(
        {space for case in exposure.cases for _, who in case.rules for space in who.unlisted_spaces}
    )
    if unlisted:
        tells.append(
            f"`{_juju(model, 'spaces')} --format=json` lists the subnets of space"
            f"{'s' if len(unlisted) > 1 else ''} {join_and(unlisted)} (give it to the check as an "
            "INPUT, or `--space NAME=CIDR,...`)"
        )
    if not exposure.certain and unlisted:
        fix = f"{join_and(tells)}; if they show {port} exposed beyond private networks, {fix}"
    elif not exposure.certain:
        fix = f"{join_and(tells)}; if it shows {port} (*) or on an exposed endpoint, {fix}"
    elif tells:
        fix = f"{join_and(tells)}; if they reach beyond private networks, {fix}"
    if exposure.reach == "private":
        return f"nothing to do if those networks are yours; otherwise {fix}"
    return fix + f"; or limit the rules to private networks ({expose_fix(syntax, app, cidrs='10.0.0.0/8')})"


def _juju(model: Model, command: str) -> str:
    """A juju command line aimed at the finding's model when the input holds several."""
    return f"juju {command} -m {model.name}" if model.label and model.name else f"juju {command}"


def _rules_unknown(
    index: Index, app: Application, model: Model, held: AppClaims, internal: list[ClaimKind]
) -> Iterator[Finding]:
    """`juju status` says `exposed: true` and never to whom (docs/juju-facts.md#status-formats)."""
    groups = _by(internal, lambda kind: (kind.claim.port, kind.row))
    for (port, row), kinds in sorted(groups.items(), key=lambda item: item[0][0]):
        positions = merged(kinds)
        names = sorted_units(index.keys_of(held, positions))
        verb = "opens" if len(names) == 1 else "open"
        where = f" {model.name}" if model.name else " MODEL"
        yield Finding(
            rule=ID,
            severity="warning",
            message=(
                f"{describe_units(names)} {verb} {port} and {app.name} is exposed, but this input "
                "does not say to whom: juju status prints `exposed: true` without the expose rules. "
                f"A plain `juju expose {app.name}` exposes every opened port to 0.0.0.0/0 and ::/0; "
                f"`--endpoints` or `--to-cidrs` may limit it. The catalog says {row.service}'s "
                f"{row.description} ({port}) is not exposed externally."
            ),
            hosts=index.hosts_of(held, positions),
            units=tuple(names),
            ports=(port,),
            fix=(
                f"See the rules with `{_juju(model, 'show-application')} {app.name} --format=json` and "
                "give that dump to the check after the status (`anbox-ports check STATUS "
                f"SHOW-APPLICATION`), or run `anbox-ports check --model{where}`; if they "
                f"expose {port} beyond private networks, open it on a named internal endpoint and "
                f"expose only the endpoints of the external ports (`juju expose {app.name} "
                "--endpoints ...`)."
            ),
            location=_location(held, positions, app),
        )


def _sidecar(
    index: Index, app: Application, model: Model, held: AppClaims, internal: list[ClaimKind]
) -> Finding:
    """On Kubernetes, `juju expose` has no effect on sidecar charms (docs/juju-facts.md#expose).

    The opened ports go to the application's Service, which Juju creates as ClusterIP.
    """
    ports = sorted({kind.claim.port for kind in internal})
    positions = merged(internal)
    units = held.units_at(positions)
    names = sorted_units(index.keys_of(held, positions))
    where = f"Kubernetes model {model.name}" if model.name else "a Kubernetes model"
    return Finding(
        rule=ID,
        severity="info",
        message=(
            f"{app.name} is exposed in {where}, where `juju expose` has no effect on sidecar charms: "
            f"the ports a sidecar charm opens go to its Kubernetes Service {app.name} whatever `juju "
            f"expose` says, so {', '.join(str(p) for p in ports)} (internal in the catalog) are on "
            "that Service either way. Juju creates it as a ClusterIP Service, reachable inside the "
            "cluster; beyond it only if something else changes its type or puts an ingress in front."
        ),
        hosts=tuple(sorted(dict.fromkeys(map(_HOST, units)))),
        units=tuple(names),
        ports=tuple(ports),
        fix=(
            f"Check the type of Service {app.name} and what routes to it (`kubectl get service "
            f"{app.name}`); `juju unexpose {app.name}` changes nothing there."
        ),
        location=app.location,
    )


def _applies(deployment: Deployment) -> bool:
    # Relation data cannot see `juju expose`: judging exposure there would only guess.
    return deployment.exposure_known


RULE = Rule(
    id=ID,
    severity="error",
    description="A port the catalog marks not exposed externally is reachable through an expose rule.",
    remediation=(
        "Open internal ports on a named internal endpoint and expose only the endpoints of external "
        "ports (`juju expose APP --endpoints ...`), or limit the rule to private networks."
    ),
    check=check,
    applies=_applies,
)
