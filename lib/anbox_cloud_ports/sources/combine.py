"""Several inputs, one Deployment: status dumps of several models, completed by what status omits.

`juju status` decides the models, hosts, units and the ports each unit holds. What it leaves unknown
(docs/juju-facts.md#status-formats) the other dumps set exactly: `juju show-application` the expose
rules of the applications it names, `opened-ports --endpoints` output (through `juju exec`) the
endpoint of each port of the units it names, `juju spaces` (or `--space`) the subnets of each space.
A dump that names an application or unit the status does not have, or that disagrees with it on
what both say, was taken of another model or at another time: it is refused, never half-used.

Each status dump is one model. A host is (model, machine), so with several models every host, unit
and application is labelled with its model's name (`Host.model`, `Unit.model`, `Application.model`);
with one model the label is empty and findings read as they do for that model alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..catalog import Catalog
from ..errors import InputError
from ..model import Application, Claim, Deployment, Host, Model, Problem, Unit, qualified
from ..ports import PortRange
from ..text import join_and, plain

if TYPE_CHECKING:
    from .opened_ports import UnitPorts
    from .show_application import ApplicationExposure


def merge_models(deployments: Sequence[Deployment]) -> Deployment:
    """Status dumps of different models as one Deployment, each model labelled by its name.

    Two dumps of one model (same name, same controller, or a controller not said) are refused: which
    one is true cannot be told. Two models of one name on different controllers are labelled
    `controller:model`, as `juju -m` names them.
    """
    if len(deployments) == 1:
        return deployments[0]
    models = [deployment.model("") for deployment in deployments]
    seen: dict[str, list[tuple[Model, Deployment]]] = {}
    for model, deployment in zip(models, deployments, strict=True):
        if not model.name:
            raise InputError(deployment.input, "names no model (no model.name), so it cannot be combined")
        for other, first in seen.get(model.name, ()):
            if not other.controller or not model.controller or other.controller == model.controller:
                raise InputError(
                    deployment.input,
                    f"is a second juju status dump of model {model.name} (the first is "
                    f"{plain(first.input)}): give one dump per model",
                )
        seen.setdefault(model.name, []).append((model, deployment))
    labelled = [
        relabel(deployment, model.name if len(seen[model.name]) == 1 else f"{model.controller}:{model.name}")
        for model, deployment in zip(models, deployments, strict=True)
    ]
    return Deployment(
        input=", ".join(d.input for d in deployments),
        applications=MappingProxyType({k: a for d in labelled for k, a in d.applications.items()}),
        units=tuple(u for d in labelled for u in d.units),
        claims=tuple(c for d in labelled for c in d.claims),
        profile=deployments[0].profile,
        observed=all(d.observed for d in deployments),
        problems=tuple(p for d in labelled for p in d.problems),
        unchecked=tuple(name for d in labelled for name in d.unchecked),
        exposure_known=all(d.exposure_known for d in deployments),
        endpoints_known=all(d.endpoints_known for d in deployments),
        juju_managed=all(d.juju_managed for d in deployments),
        conflict_scope=deployments[0].conflict_scope,
        models=MappingProxyType({label: m for d in labelled for label, m in d.models.items()}),
    )


def relabel(deployment: Deployment, label: str) -> Deployment:
    """A one-model Deployment with every host, unit, claim and application labelled `label`."""

    def host(h: Host) -> Host:
        return h._replace(model=label)

    def key(name: str) -> str:
        return qualified(label, name)

    units = tuple(u._replace(model=label, host=host(u.host)) for u in deployment.units)
    apps = (a._replace(model=label) for a in deployment.applications.values())
    return deployment._replace(
        applications=MappingProxyType({a.key: a for a in apps}),
        units=units,
        claims=tuple(c._replace(unit=key(c.unit)) for c in deployment.claims),
        problems=tuple(
            p._replace(units=tuple(map(key, p.units)), hosts=tuple(map(host, p.hosts)))
            for p in deployment.problems
        ),
        unchecked=tuple(map(key, deployment.unchecked)),
        models=MappingProxyType({label: deployment.model("")._replace(label=label)}),
    )


class Merger:
    """A status Deployment being completed, one dump at a time; `deployment()` is the result."""

    def __init__(self, base: Deployment, catalog: Catalog):
        self.base = base
        self.catalog = catalog
        self.inputs = [base.input]
        self.models: dict[str, Model] = dict(base.models) or {"": Model("")}
        self.applications: dict[str, Application] = dict(base.applications)
        self.units: dict[str, Unit] = {u.key: u for u in base.units}
        self.claims: dict[str, list[Claim]] = {}
        for claim in base.claims:
            self.claims.setdefault(claim.unit, []).append(claim)
        self.problems: list[Problem] = list(base.problems)
        self._apps_by_name: dict[str, list[str]] = {}
        for app in base.applications.values():
            self._apps_by_name.setdefault(app.name, []).append(app.key)
        self._units_by_name: dict[str, list[str]] = {}
        for unit in base.units:
            self._units_by_name.setdefault(unit.name, []).append(unit.key)
        self._set_by: dict[str, str] = {}  # what a dump set ("app ...", "unit ...", "spaces") -> its input

    def note(self, input: str) -> None:
        if input not in self.inputs:
            self.inputs.append(input)

    def _once(self, what: str, input: str, line: int | None) -> None:
        first = self._set_by.get(what)
        if first is not None:
            raise InputError(input, f"{what} is given twice (also in {plain(first)})", line=line)
        self._set_by[what] = input

    def _find(
        self, kind: str, name: str, index: Mapping[str, list[str]], input: str, line: int | None
    ) -> str:
        keys = index.get(name, [])
        if not keys:
            raise InputError(
                input, f"{kind} {name} is not in the juju status ({plain(self.base.input)})", line=line
            )
        if len(keys) > 1:
            labels = join_and(sorted(key.rpartition(":")[0] for key in keys))
            raise InputError(
                input,
                f"{kind} {name} is in models {labels}, and this dump does not say which: give it with "
                "the status of its model alone",
                line=line,
            )
        return keys[0]

    def set_exposure(self, info: ApplicationExposure, input: str) -> None:
        """show-application's rules for an application of the status (docs/juju-facts.md#show-application)."""
        self.note(input)
        line = info.location.line
        key = self._find("application", info.name, self._apps_by_name, input, line)
        self._once(f"application {info.name}", input, line)
        app = self.applications[key]
        if app.is_exposed != info.exposed:
            state = "exposed" if info.exposed else "not exposed"
            raise InputError(
                input,
                f"application {info.name} is {state} here but not in {plain(self.base.input)}: "
                "the dumps were taken at different times; take them again",
                line=line,
            )
        rules = info.rules
        self.applications[key] = app._replace(
            exposed=rules if rules is not None else MappingProxyType({}),
            expose_rules_known=rules is not None,
        )

    def set_opened_ports(self, found: UnitPorts, input: str) -> None:
        """A unit's ports with their endpoints (opened-ports --endpoints), replacing status's list."""
        self.note(input)
        line = found.location.line
        key = self._find("unit", found.unit, self._units_by_name, input, line)
        self._once(f"unit {found.unit}", input, line)
        unit = self.units[key]
        if found.failure is not None:
            self.problems.append(_failed(unit, found))
            return
        for text, why in found.bad:
            self.problems.append(
                Problem(
                    message=f"opened-ports on unit {unit.key} lists a port Juju would not print: {plain(why, 200)}",
                    units=(unit.key,),
                    hosts=(unit.host,),
                    location=found.location,
                    fix=f"check {plain(text)} with `juju exec --unit {unit.name} -- opened-ports --endpoints`",
                )
            )
        held = self.claims.get(key, [])
        before = {c.port for c in held if c.origin == "observed"}
        after = {port for port, _ in found.ports}
        # docs/juju-facts.md#port-syntax: on Kubernetes, 3.6's status lists the pod's container ports,
        # not what the charm opened, so only machine models must agree.
        if before != after and self.models.get(unit.model, Model("")).kind != "caas":
            raise InputError(
                input,
                f"unit {found.unit}: opened-ports lists {_ports(after)}, but the juju status lists "
                f"{_ports(before)}: the dumps were taken at different times; take them again",
                line=line,
            )
        claims = [c for c in held if c.origin != "observed"]
        for port, endpoints in found.ports:
            row = self.catalog.row_for(unit.charm, port, self.base.profile)
            claims.extend(
                Claim(key, port, endpoint, "observed", None, row, found.location) for endpoint in endpoints
            )
        self.claims[key] = claims
        self.units[key] = unit._replace(endpoints_known=True)

    def set_spaces(self, spaces: Mapping[str, tuple[str, ...]], input: str, *, complete: bool) -> None:
        """Each model's space subnets: a `juju spaces` dump replaces the list, `--space` adds to it."""
        self.note(input)
        if complete:
            self._once("the list of spaces", input, None)
            if len(self.models) > 1:
                raise InputError(
                    input,
                    "juju spaces does not say which model it lists, and the status dumps hold "
                    f"{len(self.models)} models: check each model on its own, or give the subnets with --space",
                )
        for label, model in self.models.items():
            known = dict(spaces) if complete else {**(model.spaces or {}), **spaces}
            self.models[label] = model._replace(spaces=MappingProxyType(known))

    def deployment(self) -> Deployment:
        units = tuple(self.units.values())
        claims = tuple(c for unit in units for c in self.claims.get(unit.key, ()))
        orphans = tuple(c for key, held in self.claims.items() if key not in self.units for c in held)
        return self.base._replace(
            input=", ".join(self.inputs),
            applications=MappingProxyType(self.applications),
            units=units,
            claims=claims + orphans,
            problems=tuple(self.problems),
            models=MappingProxyType(self.models),
        )


def _failed(unit: Unit, found: UnitPorts) -> Problem:
    return Problem(
        message=(
            f"opened-ports failed on unit {unit.key} ({found.failure}), so which endpoint its ports are "
            "opened on stays unknown"
        ),
        severity="info",
        rule="internal-port-exposed",
        units=(unit.key,),
        hosts=(unit.host,),
        location=found.location,
        fix=f"See why with `juju show-task {found.task}`, then check again." if found.task else None,
    )


def _ports(ports: set[PortRange]) -> str:
    return ", ".join(str(p) for p in sorted(ports)) or "no ports"
