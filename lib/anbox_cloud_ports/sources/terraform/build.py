"""A `JujuPlan` as the one model: hosts per (model, machine), units, claims, exposure, problems.

A host is a `juju_machine` instance of a model, named by its address within the model's module
(`juju_machine.lxd_node[0]` of model `anbox-subcluster-a`), or a machine id the configuration writes
literally, or the new machine Juju adds for a unit placed nowhere (`new:aar/0`): never a guessed id.
Units are numbered in the order of their machines; Juju numbers them in the order it adds them, so
`lxd/0` here may be `lxd/1` there, but each unit's host is the one the plan gives it.

Exposure follows the provider (docs/juju-facts.md#terraform-provider): an `expose` block with no
endpoints is the wildcard rule, one with endpoints a rule per endpoint, all with the block's CIDRs and
spaces; no CIDRs and no spaces means 0.0.0.0/0 and ::/0, but `cidrs = "0.0.0.0/0"` is IPv4 only (the
provider adds no `::/0`, unlike the juju CLI). A plan names no endpoint for a charm's ports, so every
claim is on the wildcard endpoint and `endpoints_known` is false, as for bundles.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ...catalog import Catalog, Profile
from ...model import Application, Claim, Deployment, ExposeTarget, Host, Model, Problem, Unit, qualified
from ...names import is_application, is_endpoint, is_model, is_space
from ...text import plain, quote
from ..claims import AppOptions, option_claims
from .plan import JujuPlan, PlannedApplication, PlannedExpose

RULE_UNRESOLVED = "unresolved-value"
RULE_INVALID_NAME = "invalid-name"
_NAME_FIX = "use a name juju/names accepts (lower-case letters, digits and hyphens; docs/juju-facts.md#names)"


class _Builder:
    def __init__(self, plan: JujuPlan, catalog: Catalog, profile: Profile, hint: str) -> None:
        self.plan = plan
        self.catalog = catalog
        self.profile: Profile = profile
        self.hint = hint
        self.labels = model_labels(plan)
        self.units: list[Unit] = []
        self.claims: list[Claim] = []
        self.problems: list[Problem] = []
        self.applications: dict[str, Application] = {}
        self.unchecked: list[str] = []
        self.units_of: dict[tuple[str, str], list[Unit]] = {}  # (model key, app name) -> units
        self.machine_model = {m.address: m.model for m in plan.machines}
        self.refused_models = {
            key for key in plan.models if (name := self._model_name(key)) is not None and not is_model(name)
        }

    def host(self, app: PlannedApplication, machine: str) -> Host:
        if machine.startswith("id:"):
            return Host(machine[3:], self.labels[app.model])
        # Named within the module that creates its model: `juju_machine.lxd_node[0]` of that model.
        model = self.machine_model.get(machine, app.model)
        prefix = model.rsplit("juju_model.", 1)[0]
        short = machine[len(prefix) :] if prefix and machine.startswith(prefix) else machine
        return Host(short, self.labels[model])

    def build(self) -> Deployment:
        principals = [a for a in self.plan.applications if not self._subordinate(a.charm)]
        for app in principals:
            self.place(app)
        for app in self.plan.applications:
            if self._subordinate(app.charm):
                self.follow(app)
        for key in sorted(self.refused_models):
            model = self.plan.models[key]
            self.problems.append(
                Problem(
                    message=(
                        f"{plain(key, 120)}: Juju refuses the model name {quote(model.name)}, so nothing "
                        "is deployed into it; not checked"
                    ),
                    fix=_NAME_FIX,
                    location=model.location,
                    rule=RULE_INVALID_NAME,
                )
            )
        for item in self.plan.unresolved:
            self.problems.append(
                Problem(
                    message=f"{plain(item.subject, 120)}: {plain(item.reason, 240)}; not checked",
                    severity="warning",
                    fix=self.hint,
                    location=item.location,
                    rule=RULE_UNRESOLVED,
                )
            )
        # A model Juju refuses to create holds nothing: it is reported above, not part of what is checked.
        models = {
            label: Model(label, self.plan.models[key].name)
            for key, label in self.labels.items()
            if key not in self.refused_models
        }
        return Deployment(
            input=self.plan.input,
            applications=MappingProxyType(self.applications),
            units=tuple(self.units),
            claims=tuple(self.claims),
            profile=self.profile,
            problems=tuple(self.problems),
            unchecked=tuple(self.unchecked),
            endpoints_known=False,
            models=MappingProxyType(models),
            exposure_syntax="terraform",
        )

    def _model_name(self, key: str) -> str | None:
        """The model's name, or None where it is not known (then it is labelled by its address)."""
        model = self.plan.models[key]
        return None if model.name == model.key else model.name

    def _valid_names(self, app: PlannedApplication) -> bool:
        """Names Juju refuses (juju/names, docs/juju-facts.md#names): the application is not deployed."""
        if app.model in self.refused_models:
            return False  # reported once, for the model
        checks = (
            (is_application(app.name), f"application name {quote(app.name)}"),
            (is_application(app.charm), f"charm name {quote(app.charm)}"),
            *(
                (is_endpoint(e), f"endpoint {quote(e)} in its expose block")
                for e in (app.expose.endpoints if app.expose else ())
            ),
            *(
                (is_space(s), f"space {quote(s)} in its expose block")
                for s in (app.expose.spaces if app.expose else ())
            ),
        )
        bad = [what for valid, what in checks if not valid]
        if bad:
            self.problems.append(
                Problem(
                    message=f"{plain(app.address, 120)}: Juju refuses the {bad[0]}, so this application is not deployed; not checked",
                    fix=_NAME_FIX,
                    location=app.location,
                    rule=RULE_INVALID_NAME,
                )
            )
        return not bad

    def _subordinate(self, charm: str) -> bool:
        facts = self.catalog.facts(charm, self.profile)
        return facts is not None and facts.subordinate

    def place(self, app: PlannedApplication) -> None:
        if not self._valid_names(app):
            return
        label = self.labels[app.model]
        if app.machines is not None:
            hosts = [self.host(app, m) for m in app.machines]
        else:
            hosts = [Host(f"new:{app.name}/{i}", label) for i in range(app.units)]
        units = [
            Unit(f"{app.name}/{i}", app.name, app.charm, host, False, app.location, label)
            for i, host in enumerate(hosts)
        ]
        self.add(app, units, subordinate=False)

    def follow(self, app: PlannedApplication) -> None:
        """A subordinate: one unit beside each unit of every principal it is integrated with in its model."""
        if not self._valid_names(app):
            return
        label = self.labels[app.model]
        hosts: list[Host] = []
        for integration in self.plan.integrations:
            if integration.model != app.model or app.name not in integration.applications:
                continue
            for other in integration.applications:
                if other != app.name:
                    hosts.extend(u.host for u in self.units_of.get((app.model, other), ()))
        units = [
            Unit(f"{app.name}/{i}", app.name, app.charm, host, True, app.location, label)
            for i, host in enumerate(dict.fromkeys(hosts))
        ]
        self.add(app, units, subordinate=True)

    def add(self, app: PlannedApplication, units: list[Unit], *, subordinate: bool) -> None:
        label = self.labels[app.model]
        application = Application(
            app.name,
            app.charm,
            _exposure(app.expose),
            subordinate=subordinate,
            location=app.location,
            model=label,
            exposure_known=app.exposure_known,
        )
        self.applications[application.key] = application
        self.units.extend(units)
        self.units_of[(app.model, app.name)] = units
        if not self.catalog.knows(app.charm, self.profile):
            self.unchecked.append(qualified(label, app.name))
            return
        options = AppOptions(
            application=qualified(label, app.name),
            charm=app.charm,
            values=app.config,
            name_option=lambda option, address=app.address: f"{option} in the config of {address}",
            location=app.location,
            locations={name: app.config_location for name in app.config if app.config_location is not None},
        )
        self._unknown_options(app, units)
        self.claims.extend(option_claims(options, units, self.catalog, self.profile, self.problems))

    def _unknown_options(self, app: PlannedApplication, units: list[Unit]) -> None:
        """A port option whose value is not known before apply: checked with its default, and said so."""
        if not app.unknown_options:
            return
        names = {o.name for o in self.catalog.options_for(app.charm, self.profile)}
        facts = self.catalog.facts(app.charm, self.profile)
        if facts is not None and facts.services is not None:
            names.add(facts.services.name)
        hit = sorted(names if "*" in app.unknown_options else names.intersection(app.unknown_options))
        for name in hit:
            self.problems.append(
                Problem(
                    message=(
                        f"{plain(app.address, 120)}: option {name} is not known before apply, "
                        "so its units are checked with the catalog's default ports"
                    ),
                    severity="warning",
                    fix=self.hint,
                    units=tuple(u.key for u in units),
                    location=app.config_location or app.location,
                    rule=RULE_UNRESOLVED,
                )
            )


def model_labels(plan: JujuPlan) -> dict[str, str]:
    """Each model's label: empty when the plan holds one model (as one `juju status` reads), else its name."""
    used = {app.model for app in plan.applications} | {m.model for m in plan.machines} | set(plan.models)
    if len(used) <= 1:
        return dict.fromkeys(used, "")
    return {key: plan.models[key].name for key in used}


def _exposure(expose: PlannedExpose | None) -> Mapping[str, ExposeTarget]:
    if expose is None:
        return MappingProxyType({})
    target = ExposeTarget(expose.cidrs, expose.spaces)
    return MappingProxyType(dict.fromkeys(expose.endpoints or ("",), target))


def build(plan: JujuPlan, catalog: Catalog, profile: Profile, hint: str) -> Deployment:
    """Place every unit of the plan and claim its ports; `hint` is the fix said for what is unresolved."""
    return _Builder(plan, catalog, profile, hint).build()
