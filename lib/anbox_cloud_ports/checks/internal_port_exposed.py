"""internal-port-exposed: an expose rule reaches a port the catalog marks not exposed externally."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import CatalogRow
from ..findings import Finding
from ..model import Application, Claim, Deployment, ExposureSyntax, Unit
from ..names import unit_sort_key
from ..ports import PortRange
from ..text import describe_units, sentence
from .expose import Audience, audience, expose_fix, exposing_rules, opened_text, rule_text
from .index import Index
from .rule import Rule

ID = "internal-port-exposed"


def check(index: Index) -> Iterator[Finding]:
    deployment = index.deployment
    for app_key in sorted(deployment.applications):
        app = deployment.applications[app_key]
        # A charm that never calls open-port (charmed-etcd) has nothing an expose rule can reach.
        if (
            not app.exposed
            or not app.exposure_known
            or not index.catalog.opens_ports(app.charm, index.profile)
        ):
            continue
        # (port, endpoint, row) -> units: one finding per leaked port of an application, not per unit.
        leaks: dict[tuple[PortRange, str, CatalogRow], list[tuple[Unit, Claim]]] = {}
        # Only a wildcard rule surely reaches a port whose endpoint the source does not know.
        certain = deployment.endpoints_known or "" in app.exposed
        external_endpoints: set[str] = set()
        for unit in index.units_by_app.get(app_key, ()):
            for claim in index.claims_by_unit.get(unit.key, ()):
                row = index.row_of(claim, unit.charm)
                if row is None:
                    continue
                if row.exposed:
                    if claim.endpoint:
                        external_endpoints.add(claim.endpoint)
                    continue
                if exposing_rules(app, claim.endpoint):
                    leaks.setdefault((claim.port, claim.endpoint, row), []).append((unit, claim))
        for (port, endpoint, row), held in sorted(leaks.items(), key=lambda item: (item[0][0], item[0][1])):
            yield _leak_finding(
                deployment.exposure_syntax,
                app,
                port,
                endpoint,
                row,
                held=held,
                external_endpoints=sorted(external_endpoints),
                certain=certain,
            )


def _leak_finding(
    syntax: ExposureSyntax,
    app: Application,
    port: PortRange,
    endpoint: str,
    row: CatalogRow,
    *,
    held: list[tuple[Unit, Claim]],
    external_endpoints: list[str],
    certain: bool = True,
) -> Finding:
    rules = exposing_rules(app, endpoint)
    audiences = [(rule, audience(target)) for rule, target in rules]
    public = any(a.public for _, a in audiences)
    wildcard = any(rule == "" for rule, _ in rules)
    names = sorted({unit.key for unit, _ in held}, key=unit_sort_key)
    location = next((c.location for _, c in held if c.location is not None), None) or app.location
    return Finding(
        rule=ID,
        severity=("error" if certain else "warning") if public else "info",
        message=_message(
            syntax, app, port, endpoint=endpoint, row=row, names=names, audiences=audiences, certain=certain
        )
        + ".",
        hosts=tuple(sorted({unit.host for unit, _ in held})),
        units=tuple(names),
        ports=(port,),
        fix=sentence(
            _fix(
                syntax,
                app,
                port,
                endpoint=endpoint,
                names=names,
                external_endpoints=external_endpoints,
                wildcard=wildcard,
                public=public,
                certain=certain,
            )
        ),
        location=location,
    )


def _message(
    syntax: ExposureSyntax,
    app: Application,
    port: PortRange,
    *,
    endpoint: str,
    row: CatalogRow,
    names: list[str],
    audiences: list[tuple[str, Audience]],
    certain: bool,
) -> str:
    verb = "opens" if len(names) == 1 else "open"
    reach: list[str] = []
    for rule, who in audiences:
        text = f"{rule_text(app.name, rule, syntax)} exposes it to {who.text}"
        if rule and endpoint == "":
            text += f" (a rule for {rule} also reaches every port opened for all endpoints)"
        for bad in who.unparsable:
            text += f"; CIDR {bad!r} cannot be parsed, so it is treated as public"
        reach.append(text)
    what = f"{row.service}'s {row.description} ({port})"
    if certain:
        message = f"{describe_units(names)} {verb} {port} {opened_text(endpoint)}; {'; '.join(reach)}"
    else:
        message = (
            f"{describe_units(names)} {verb} {port} and this input does not say on which endpoint; "
            f"if it is opened for all endpoints, {'; '.join(reach)}"
        )
    if any(a.public for _, a in audiences):
        message += f", but the catalog says {what} is not exposed externally"
    else:
        message += f": private networks only, which is fine inside the deployment, though the catalog keeps {what} internal"
    if row.exposure_note and any(rule == "" for rule, _ in audiences):
        message += f". {row.exposure_note}"
    return message


def _fix(
    syntax: ExposureSyntax,
    app: Application,
    port: PortRange,
    *,
    endpoint: str,
    names: list[str],
    external_endpoints: list[str],
    wildcard: bool,
    public: bool,
    certain: bool,
) -> str:
    actions: list[str] = []
    if endpoint == "":
        actions.append(
            f"open {port} on a named internal endpoint (`open-port {port} --endpoints <endpoint>`)"
        )
    if wildcard:
        targets = ",".join(external_endpoints) if external_endpoints else "<endpoints of its external ports>"
        actions.append(f"replace {expose_fix(syntax, app)} with {expose_fix(syntax, app, endpoints=targets)}")
    if not actions:
        # Opened on a named endpoint that a rule names: only that rule reaches it.
        actions.append(
            f"stop exposing endpoint {endpoint} ({expose_fix(syntax, app, endpoints=endpoint, unexpose=True)})"
        )
    fix = " and ".join(actions)
    if not certain:
        model = f"-m {app.model} " if app.model else ""
        units = " ".join(f"--unit {n.rpartition(':')[2]}" for n in names[:3])
        fix = f"check with `juju exec {model}{units} -- opened-ports --endpoints`; if it shows {port} (*), {fix}"
    if public:
        return (
            fix + f"; or limit the rules to private networks ({expose_fix(syntax, app, cidrs='10.0.0.0/8')})"
        )
    return f"nothing to do if those networks are yours; otherwise {fix}"


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
