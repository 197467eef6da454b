"""From error findings to the smallest set of changes that removes them, whatever the input.

One change per cause, not per finding: a unit moved away from a host resolves every conflict it had
there; an option moved to a free value resolves every clash of the port it holds. What the planner
prefers, in order, and why:

* a port moved by an option the operator set (`origin == "config"`) that collides: that value is
  the cause, so move the value (to one checked free on every host of the application);
* two principal units that collide: move one to a new LXD container on the same machine (its own
  network namespace, so its own ports; docs/juju-facts.md#open-port-conflicts), which keeps every
  port where the catalog says it is and needs no new machine. A subordinate cannot be moved on its
  own: it runs beside its principal (docs/juju-facts.md#bundles, Subordinates);
* a catalog port an option can move: move it;
* an expose rule that reaches an internal port: keep only the rules that reach external ports, with
  the same CIDRs and spaces; where the input cannot say on which endpoint a port is opened (bundles,
  `juju status`), an application whose every port is internal is unexposed, one that also has
  optional external ports is unexposed with the loss said, and one with required external ports is
  left to the charm (only it can open the internal port on an endpoint of its own);
* an option value that is not a port: the catalog default when free, else a free value.

Anything else is `Unresolved`, with what does resolve it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType

from ..catalog import Catalog, CatalogRow, ConfigOption
from ..checks.index import Index
from ..errors import PortRangeError
from ..findings import Finding, Report
from ..model import Application, Claim, ExposeTarget, Host, Unit
from ..ports import PortRange, Protocol
from ..text import join_and
from .changes import Change, Destination, MoveUnit, Plan, SetExposure, SetOption, Unresolved
from .occupancy import Occupancy

OptionValues = Callable[[str], Mapping[str, object]]
"""An application's option values as the input sets them (by application key); empty if unknown."""


def plan(
    report: Report,
    *,
    catalog: Catalog,
    into: Destination = "container",
    option_values: OptionValues | None = None,
    no_move: frozenset[frozenset[str]] = frozenset(),
) -> Plan:
    """The changes that remove the report's error findings, and the errors no change can remove.

    `no_move` lists pairs of units the target found it cannot separate by moving either (a bundle
    where others are placed beside both): an option is tried instead.
    """
    return _Planner(report, catalog, into, option_values, no_move).run()


class _Planner:
    def __init__(
        self,
        report: Report,
        catalog: Catalog,
        into: Destination,
        option_values: OptionValues | None,
        no_move: frozenset[frozenset[str]],
    ):
        self.no_move = no_move
        self.report = report
        self.deployment = report.deployment
        self.catalog = catalog
        self.into: Destination = into
        self.option_values = option_values
        self.index = Index(self.deployment, catalog)
        self.occupancy = Occupancy(self.deployment)
        self.moves: dict[str, MoveUnit] = {}
        self.options: dict[tuple[str, str], SetOption] = {}
        self.exposures: dict[str, SetExposure] = {}
        self.unresolved: list[Unresolved] = []
        self.deferred: list[Finding] = []

    def run(self) -> Plan:
        for finding in self.report.findings:
            if finding.severity != "error":
                continue
            if finding.rule == "port-conflict":
                self._conflict(finding)
            elif finding.rule == "internal-port-exposed":
                self._leak(finding)
            elif finding.rule == "invalid-port":
                self._invalid(finding)
            else:
                self._unresolved(finding, f"no automatic fix for {finding.rule}")
        changes: list[Change] = [*self.moves.values(), *self.options.values(), *self.exposures.values()]
        if not changes:
            # A crowded host's summary finding is only deferred while pairs are being fixed.
            for finding in self.deferred:
                self._unresolved(finding, "too many conflicting pairs on one host to fix at once")
        return Plan(tuple(changes), tuple(self.unresolved))

    def _unresolved(self, finding: Finding, reason: str) -> None:
        self.unresolved.append(Unresolved(finding, reason))

    # -- port conflicts ---------------------------------------------------------------------------

    def _conflict(self, finding: Finding) -> None:
        if len(finding.hosts) != 1 or not finding.units:
            self._unresolved(finding, "a conflict not tied to one host")
            return
        if len(finding.units) > 2:
            self.deferred.append(finding)
            return
        host = finding.hosts[0]
        if self._already_resolved(finding, host):
            return
        units = [self.index.units[name] for name in finding.units if name in self.index.units]
        if len(units) != len(finding.units):
            self._unresolved(finding, "a unit of this finding is not in the input")
            return
        if len(units) == 1:
            self._same_unit(finding, units[0])
            return
        first, second = units
        held = {
            first.key: self._claims(first, finding.ports[0]),
            second.key: self._claims(second, finding.ports[-1]),
        }
        # Two units of one application: an option moves both alike, only moving one separates them.
        movers = () if first.application_key == second.application_key else (second, first)
        # 1. an option value the operator chose is the cause: move it
        for unit in movers:
            for claim in held[unit.key]:
                if claim.origin == "config" and self._move_option(finding, unit, claim):
                    return
        # 2. two principals: one goes to a host of its own
        pair = frozenset((first.key, second.key))
        if not first.subordinate and not second.subordinate and pair not in self.no_move:
            self.moves[second.key] = MoveUnit(
                unit=second.key,
                application=second.application_key,
                host=host,
                into=self.into,
                apart_from=first.key,
                alternative=first.key,
                resolves=(finding,),
            )
            return
        # 3. a catalog port an option can move
        for unit in movers:
            for claim in held[unit.key]:
                if self._move_option(finding, unit, claim):
                    return
        if not first.subordinate and not second.subordinate:
            why = (
                "neither unit's machine can be replaced in its application's `machines` (they are declared "
                "in another module than the application)"
                if self.deployment.exposure_syntax == "terraform"
                else "moving either unit would move other units placed beside it (`to: [app/N]`)"
            )
            self._unresolved(finding, f"{why}, and no option moves the port: place one of them elsewhere")
            return
        sub = first if first.subordinate else second
        self._unresolved(
            finding,
            f"{sub.key} is a subordinate: it runs on every unit of its principal, so it cannot be moved "
            "on its own and no option moves its port; relate it to a principal on another machine, or "
            "change the charm's port",
        )

    def _already_resolved(self, finding: Finding, host: Host) -> bool:
        """A unit already moving off this host, or an option already moving this port, resolves it too."""
        for name in finding.units:
            move = self.moves.get(name)
            if move is not None and move.host == host:
                self.moves[name] = replace(move, resolves=(*move.resolves, finding))
                return True
        for name, port in zip(finding.units, (finding.ports[0], finding.ports[-1]), strict=False):
            unit = self.index.units.get(name)
            if unit is None:
                continue
            for claim in self._claims(unit, port):
                option = self._option_of(unit, claim)
                if option is None:
                    continue
                change = self.options.get((unit.application_key, option.name))
                if change is not None:
                    self.options[(unit.application_key, option.name)] = replace(
                        change, resolves=(*change.resolves, finding)
                    )
                    return True
        return False

    def _same_unit(self, finding: Finding, unit: Unit) -> None:
        claims = [c for p in finding.ports for c in self._claims(unit, p)]
        claims.sort(key=lambda c: c.origin != "config")  # an operator's value first
        for claim in claims:
            if self._move_option(finding, unit, claim):
                return
        self._unresolved(
            finding,
            f"{unit.key}'s own ports overlap and no option moves either: only its charm can change that",
        )

    def _claims(self, unit: Unit, port: PortRange) -> list[Claim]:
        return [c for c in self.index.claims_by_unit.get(unit.key, ()) if c.port == port]

    # -- options ----------------------------------------------------------------------------------

    def _option_of(self, unit: Unit, claim: Claim) -> ConfigOption | None:
        if claim.port.protocol == "icmp":
            return None
        if claim.option is not None:
            return self.index.option(unit.charm, claim.option)
        row = self.index.row_of(claim, unit.charm)
        return row.option_for(unit.charm) if row is not None else None

    def _move_option(self, finding: Finding, unit: Unit, claim: Claim) -> bool:
        option = self._option_of(unit, claim)
        if option is None:
            return False
        key = (unit.application_key, option.name)
        if key in self.options:
            self.options[key] = replace(self.options[key], resolves=(*self.options[key].resolves, finding))
            return True
        row = self.index.row_of(claim, unit.charm)
        values = self.option_values(unit.application_key) if self.option_values is not None else {}
        change = self._option_change(
            unit.application_key, option, row, claim.port, finding, was=values.get(option.name)
        )
        if change is None:
            return False
        self.options[key] = change
        return True

    def _option_change(
        self,
        app_key: str,
        option: ConfigOption,
        row: CatalogRow | None,
        current: PortRange,
        finding: Finding,
        *,
        was: object = None,
        prefer: PortRange | None = None,
    ) -> SetOption | None:
        protocols: set[Protocol] = {current.protocol}
        if row is not None:
            # An option moves every protocol of its row (ams-lxd exposed_instance_ports: UDP & TCP).
            protocols.update(p.protocol for p in row.claims if p.protocol != "icmp")
        hosts = tuple(sorted({u.host for u in self.index.units_by_app.get(app_key, ())}))
        free = self.occupancy.find(
            hosts, protocols, current.size, current.end + 1, moving=(app_key, row), prefer=prefer
        )
        if free is None:
            return None
        self.occupancy.reserve(hosts, protocols, free)
        return SetOption(
            application=app_key,
            option=option.name,
            value=option.value_for(free),
            port=free,
            protocols=tuple(sorted(protocols)),
            hosts=hosts,
            was=was,
            resolves=(finding,),
        )

    def _invalid(self, finding: Finding) -> None:
        apps = sorted({self.index.units[u].application_key for u in finding.units if u in self.index.units})
        if len(apps) != 1 or self.option_values is None:
            self._unresolved(finding, "no automatic fix: " + (finding.fix or "correct the value"))
            return
        app = self.deployment.applications[apps[0]]
        values = self.option_values(app.key)
        fixed = False
        for row in self.catalog.for_charm(app.charm, self.deployment.profile):
            option = row.option_for(app.charm)
            if option is None or option.name not in values or (app.key, option.name) in self.options:
                continue
            value = values[option.name]
            try:
                option.parse(value)
                continue
            except PortRangeError:
                pass
            default = row.claims[0] if option.default is None else option.parse(option.default)
            change = self._option_change(app.key, option, row, default, finding, was=value, prefer=default)
            if change is not None:
                self.options[(app.key, option.name)] = change
                fixed = True
        if not fixed:
            self._unresolved(finding, "no free value found for the option: " + (finding.fix or ""))

    # -- exposure ---------------------------------------------------------------------------------

    def _leak(self, finding: Finding) -> None:
        units = [self.index.units[u] for u in finding.units if u in self.index.units]
        if not units:
            self._unresolved(finding, "its units are not in the input")
            return
        app = self.deployment.applications[units[0].application_key]
        if app.key in self.exposures:
            change = self.exposures[app.key]
            self.exposures[app.key] = replace(change, resolves=(*change.resolves, finding))
            return
        if self.deployment.endpoints_known:
            self._narrow_to_endpoints(finding, app)
        else:
            self._unexpose(finding, app)

    def _app_claims(self, app: Application) -> list[tuple[Claim, CatalogRow]]:
        out: list[tuple[Claim, CatalogRow]] = []
        for unit in self.index.units_by_app.get(app.key, ()):
            for claim in self.index.claims_by_unit.get(unit.key, ()):
                row = self.index.row_of(claim, unit.charm)
                if row is not None:
                    out.append((claim, row))
        return out

    def _unexpose(self, finding: Finding, app: Application) -> None:
        """Without endpoints, the only narrower rule that keeps internal ports in is none at all."""
        external = [(c, r) for c, r in self._app_claims(app) if r.exposed]
        required = sorted({f"{r.service} {r.description}" for _, r in external if r.required == "yes"})
        if required:
            self._unresolved(
                finding,
                f"{app.name} also serves {join_and(required)}, which must stay exposed, and this input cannot "
                "say which endpoint a port is opened on: the charm must open the internal port on an "
                f"endpoint of its own (`open-port PORT --endpoints ENDPOINT`), then expose only the "
                f"endpoints of the external ports ({self._expose_endpoints(app)})",
            )
            return
        lost = tuple(sorted({c.port for c, _ in external}))
        note = ""
        if lost:
            what = join_and(sorted({f"{r.service} {r.description}" for _, r in external}))
            note = (
                f"{', '.join(map(str, lost))} ({what}) are no longer exposed by Juju: open them to clients "
                "with a firewall rule, or have the charm open them on an endpoint of their own and expose "
                "only that endpoint"
            )
        self.exposures[app.key] = SetExposure(app.key, MappingProxyType({}), lost, note, (finding,))

    def _expose_endpoints(self, app: Application) -> str:
        """How the input exposes only some endpoints: a Terraform expose block, or `juju expose`."""
        if self.deployment.exposure_syntax == "terraform":
            return f'`expose {{ endpoints = "..." }}` in {app.name}'
        return f"`juju expose {app.name} --endpoints ...`"

    def _narrow_to_endpoints(self, finding: Finding, app: Application) -> None:
        """Endpoints known: keep the rules for the endpoints the external ports are opened on."""
        claims = self._app_claims(app)
        external = {c.endpoint for c, r in claims if r.exposed}
        internal = {c.endpoint for c, r in claims if not r.exposed}
        if "" in internal or "" in external or external & internal:
            shared = sorted(
                {c.port for c, r in claims if not r.exposed and (c.endpoint in external or not c.endpoint)}
            )
            self._unresolved(
                finding,
                f"{app.name} opens {', '.join(map(str, shared))} on an endpoint an external port also uses (or "
                "for all endpoints), so every rule that reaches the external ports reaches it too: the charm "
                "must open it on an endpoint of its own",
            )
            return
        rules: dict[str, ExposeTarget] = {}
        for endpoint in sorted(external):
            target = app.exposed.get(endpoint) or app.exposed.get("")
            if target is not None:
                rules[endpoint] = target
        self.exposures[app.key] = SetExposure(app.key, MappingProxyType(rules), resolves=(finding,))
