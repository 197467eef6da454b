"""Host, Unit, Claim, Deployment: what every source produces and the engine judges.

A bundle, a `juju status` dump, a `juju show-unit` dump and the validator charm's relation data all
become this one model, so one engine and one report serve them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .catalog import CatalogRow, Profile
from .findings import Finding, Location
from .ports import PortRange

ClaimSource = Literal["catalog", "config", "observed", "relation", "declared"]


@dataclass(frozen=True, order=True, slots=True)
class Host:
    """Where sockets live: one Juju machine in one model.

    Each LXD container is a machine of its own (`0/lxd/1`), with its own network namespace, so it is a
    Host of its own (DESIGN facts 5 and 8). The model matters because Anbox relates across models
    (NATS is offered cross-model): `0` in two models are two hosts (DESIGN fact 10).
    """

    machine: str
    model: str = ""

    def __str__(self) -> str:
        where = f"machine {self.machine}"
        return f"{where} of model {self.model}" if self.model else where


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as Juju names it (`app/N`), on one host; a subordinate shares its principal's host."""

    name: str
    application: str
    charm: str
    host: Host
    subordinate: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One unit holding one PortRange for one endpoint (`""` = all endpoints, Juju's wildcard).

    `source` says why the unit holds it: the catalog's default, a config option that moved it
    (`option` names it), a port Juju reports as open, relation data, or an operator's declaration.
    `row` is the catalog row the claim realises, when known: the exposure rules need it.
    """

    unit: str
    port: PortRange
    endpoint: str = ""
    source: ClaimSource = "catalog"
    option: str | None = None
    row: CatalogRow | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class ExposeTarget:
    """Who may reach an exposed endpoint; no CIDRs and no spaces means everyone (0.0.0.0/0, ::/0).

    Juju: `juju expose` without `--to-cidrs`/`--to-spaces` opens to 0.0.0.0/0 and ::/0
    (juju apiserver/facades/client/application `Expose`).
    """

    cidrs: tuple[str, ...] = ()
    spaces: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not self.cidrs and not self.spaces


@dataclass(frozen=True, slots=True)
class Application:
    """An application's charm and exposure.

    `exposed` maps endpoint names to who may reach them; the key `""` is the wildcard (`juju expose
    app`, bundle `expose: true`), which exposes every opened port (DESIGN fact 7). Empty: not exposed.
    """

    name: str
    charm: str
    exposed: Mapping[str, ExposeTarget] = field(default_factory=lambda: MappingProxyType({}))
    subordinate: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    """Everything one input says about where ports are claimed.

    `problems` are findings a source raised while reading (a bad option value, a unit with junk relation
    data): the input stays usable and the engine reports them beside its own. `observed` is true when
    claims are what Juju reports as open (so a missing required port is a fact, not a guess).
    `exposure_known` is false when the source cannot see `juju expose` (relation data: a hook is not
    told whether its application is exposed), so exposure rules stay silent instead of guessing.
    `endpoints_known` is false when the source cannot say which endpoint a port is opened on (`juju
    status` lists ports without endpoints; a bundle says nothing of them): its claims carry `""`, and
    a per-endpoint expose rule may or may not reach them.
    """

    input: str
    applications: Mapping[str, Application]
    units: tuple[Unit, ...]
    claims: tuple[Claim, ...]
    profile: Profile = "charmed"
    observed: bool = False
    problems: tuple[Finding, ...] = ()
    unchecked: tuple[str, ...] = ()
    exposure_known: bool = True
    endpoints_known: bool = True

    def hosts(self) -> tuple[Host, ...]:
        return tuple(sorted({unit.host for unit in self.units}))

    def unit_map(self) -> dict[str, Unit]:
        return {unit.name: unit for unit in self.units}


def unit_sort_key(name: str) -> tuple[str, int, str]:
    """Order `app/10` after `app/9`, as Juju lists units."""
    app, _, number = name.rpartition("/")
    return (app, int(number), "") if number.isdigit() else (name, -1, "")


def claims_for_row(
    row: CatalogRow, charm: str, options: Mapping[str, object] | None = None
) -> list[tuple[PortRange, str | None]]:
    """A catalog row's claims for a charm, moved by that charm's config option when one is set.

    Raises PortRangeError (naming the option) for a value that cannot be a port; the caller decides
    whether that is a finding (bundle) or a blocked status (charm).
    """
    option = row.option_for(charm)
    value = None if option is None or options is None else options.get(option.name)
    if option is None or value is None:
        return [(claim, None) for claim in row.claims]
    return [(option.parse(value, claim.protocol), option.name) for claim in row.claims]
