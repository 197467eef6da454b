"""A plan applied to a Deployment: the model a running deployment has once the changes are made.

Used where the input is what Juju already runs (a `juju status` dump): there is no document to merge
the fix into, so the proof is the same engine judging the model with the changes made to it. What the
changes do is what Juju does with the commands that make them:

* `juju add-unit APP --to lxd:M` puts the new unit in a new container on machine M, a host of its own
  (docs/juju-facts.md#open-port-conflicts); `juju remove-unit` removes the old one. The moved unit
  keeps its name here: only its host matters to the engine.
* `juju config APP option=value` moves the ports of that option's catalog row on every unit.
* `juju unexpose` / `juju expose --endpoints` replace the application's expose rules.
"""

from __future__ import annotations

from types import MappingProxyType

from ..catalog import Catalog
from ..model import Application, Claim, Deployment, Host, Unit
from ..names import natural_key
from .changes import MoveUnit, Plan, SetExposure, SetOption


def apply_plan(deployment: Deployment, plan: Plan, catalog: Catalog) -> Deployment:
    units = list(deployment.units)
    claims = list(deployment.claims)
    applications = dict(deployment.applications)
    for change in plan.changes:
        if isinstance(change, MoveUnit):
            units = _move(units, change)
        elif isinstance(change, SetOption):
            claims = _set_option(deployment, claims, change, catalog)
        else:
            applications[change.application] = _expose(applications[change.application], change)
    return deployment._replace(
        units=tuple(units), claims=tuple(claims), applications=MappingProxyType(applications)
    )


def new_host(taken: list[Host], near: Host, into: str) -> Host:
    """The host Juju creates: the next container on the same machine, or the next machine."""
    base = near.machine.split("/", 1)[0]
    same_model = [h for h in taken if h.model == near.model]
    if into == "container" and base.isdigit():
        prefix = f"{base}/lxd/"
        numbers = [int(h.machine[len(prefix) :]) for h in same_model if h.machine.startswith(prefix)]
        numbers = [n for n in numbers if n >= 0]
        return Host(f"{prefix}{max(numbers, default=-1) + 1}", near.model)
    machines = [int(h.machine.split("/", 1)[0]) for h in same_model if h.machine.split("/", 1)[0].isdigit()]
    return Host(str(max(machines, default=-1) + 1), near.model)


def _move(units: list[Unit], change: MoveUnit) -> list[Unit]:
    taken = sorted({u.host for u in units}, key=lambda h: natural_key(h.machine))
    target = new_host(taken, change.host, change.into)
    return [u._replace(host=target) if u.key == change.unit else u for u in units]


def _set_option(
    deployment: Deployment, claims: list[Claim], change: SetOption, catalog: Catalog
) -> list[Claim]:
    app = deployment.applications[change.application]
    option = next(
        (o for o in catalog.options_for(app.charm, deployment.profile) if o.name == change.option), None
    )
    if option is None:
        return claims
    names = {u.key for u in deployment.units if u.application_key == change.application}
    out: list[Claim] = []
    for claim in claims:
        row = claim.row or catalog.row_for(app.charm, claim.port, deployment.profile)
        moved = claim.option == change.option or (row is not None and row.option_for(app.charm) == option)
        if claim.unit in names and moved and claim.port.protocol != "icmp":
            port = option.parse(change.value, claim.port.protocol)
            out.append(claim._replace(port=port, origin="config", option=option.name, row=row))
        else:
            out.append(claim)
    return out


def _expose(app: Application, change: SetExposure) -> Application:
    return app._replace(exposed=MappingProxyType(dict(change.exposed)))
