"""The one model every source produces and the engine judges: hosts, units, port claims, exposure.

A bundle, a `juju status` dump, a show-unit dump, relation data, the appliance table and this machine's
listening sockets all become a `Deployment`, so one engine and one set of renderers serve them all.
This module imports nothing but the port type: sources, rules and renderers depend on it, never the
other way round.

Every type is an immutable `NamedTuple`: a source builds one Unit and one Claim per unit and port of
a 20,000-unit model, the engine hashes and sorts Hosts by the hundred thousand, and `anbox-ports`
starts by importing this module. A named tuple is built, hashed, compared and ordered at C speed and
costs a fraction of a dataclass to define; `_replace` is its `dataclasses.replace`. Its annotations are
evaluated at import (no `from __future__ import annotations`, here and in catalog.py and findings.py):
a NamedTuple compiles a ForwardRef for each annotation left as text, so only names the type checker
alone imports are quoted (tests/unit/test_model.py).
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple

from .ports import PortRange

if TYPE_CHECKING:
    from .catalog import CatalogRow, Profile

ClaimOrigin = Literal["catalog", "config", "observed", "relation", "declared", "listener"]
"""Why a unit holds a claim: the catalog's default port, a config option that moved it, a port Juju
reports as open, relation data a unit published, an operator's declaration, or a socket this machine
already listens on."""

Severity = Literal["error", "warning", "info"]

HOST_PREFIX = "machine "
"""How a host is named (`str(Host)`): `machine 0`, and `machine 0 of model m` when a model is named."""

_NOTHING_EXPOSED: "Mapping[str, ExposeTarget]" = MappingProxyType({})
_NO_MODELS: "Mapping[str, Model]" = MappingProxyType({})


class Host(NamedTuple):
    """Where sockets live: one Juju machine in one model.

    Each LXD container is a machine of its own (`0/lxd/1`) with its own network namespace, so it is a
    host of its own (docs/juju-facts.md#open-port-conflicts). A machine belongs to one model: machine
    `0` of two models is two hosts. `model` is empty when the input holds one model only.
    """

    machine: str
    model: str = ""

    def __str__(self) -> str:
        where = HOST_PREFIX + self.machine
        return f"{where} of model {self.model}" if self.model else where


class Location(NamedTuple):
    """Where in an input the offending entry sits (1-based line), for editors and SARIF."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


def qualified(model: str, name: str) -> str:
    """A unit's or application's name, prefixed by its model when the input holds several models.

    `model:name` reads as Juju's own `[controller:]model` prefix; neither model nor application names
    may hold a colon (juju/names), so the form is unambiguous.
    """
    return f"{model}:{name}" if model else name


class Unit(NamedTuple):
    """A unit as Juju names it (`app/N`), on one host; a subordinate shares its principal's host.

    `model` qualifies the unit's name where names could repeat across the input's models (several
    `juju status` dumps, a Terraform plan): empty when every unit name is unique already, as on the
    validator's relation, where Juju gives each related application its own name.
    `endpoints_known` is false when the input lists the unit's ports without the endpoint each is
    opened on (`juju status`, docs/juju-facts.md#status-formats): its claims then carry `""`, which
    means "unknown" rather than "all endpoints"; `opened-ports --endpoints` output makes it true.
    """

    name: str
    application: str
    charm: str
    host: Host
    subordinate: bool = False
    location: Location | None = None
    model: str = ""
    endpoints_known: bool = True

    @property
    def key(self) -> str:
        """The unit's identity in a Deployment: its name, qualified by its model when it must be."""
        return qualified(self.model, self.name)

    @property
    def application_key(self) -> str:
        return qualified(self.model, self.application)


class Socket(NamedTuple):
    """What the kernel says holds a port: the address it is bound to and the process, when visible."""

    address: str
    pid: int | None = None
    process: str | None = None


class Claim(NamedTuple):
    """One unit holding one PortRange for one endpoint (`""` = all endpoints, Juju's wildcard).

    `unit` is the unit's key (`Unit.key`). `option` names the config option that moved the port,
    `row` the catalog row the claim realises (the exposure rules need it), `socket` the listening
    socket behind a `listener` claim. `source` and `held` are what a provider said on the
    anbox_ports relation (its own `default`/`extra`/`option:<name>`, and whether it holds the port),
    kept as published for listings.
    """

    unit: str
    port: PortRange
    endpoint: str = ""
    origin: ClaimOrigin = "catalog"
    option: str | None = None
    row: "CatalogRow | None" = None
    location: Location | None = None
    socket: Socket | None = None
    source: str | None = None
    held: bool | None = None


class ExposeTarget(NamedTuple):
    """Who may reach an exposed endpoint; no CIDRs and no spaces means everyone (0.0.0.0/0, ::/0).

    docs/juju-facts.md#expose: `juju expose` without `--to-cidrs`/`--to-spaces` opens to 0.0.0.0/0
    and ::/0.
    """

    cidrs: tuple[str, ...] = ()
    spaces: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not self.cidrs and not self.spaces


class Application(NamedTuple):
    """An application's charm and exposure.

    `exposed` maps endpoint names to who may reach them; the key `""` is the wildcard (`juju expose
    app`, bundle `expose: true`); a named entry overrides the wildcard for the ports opened on that
    endpoint (docs/juju-facts.md#expose). Empty, with `expose_rules_known`: not exposed.
    `expose_rules_known` is false when the input says the application is exposed but not to whom:
    `juju status` prints `exposed: true` and never the rules (docs/juju-facts.md#status-formats);
    `exposed` is then empty and `is_exposed` true. `exposure_known` is false when the input cannot
    even say whether the application is exposed (a Terraform expose block whose content is known
    only after apply): the exposure rules then stay silent about it, and the source says why.
    """

    name: str
    charm: str
    exposed: Mapping[str, ExposeTarget] = _NOTHING_EXPOSED
    subordinate: bool = False
    location: Location | None = None
    model: str = ""
    expose_rules_known: bool = True
    exposure_known: bool = True

    @property
    def key(self) -> str:
        return qualified(self.model, self.name)

    @property
    def is_exposed(self) -> bool:
        """Exposed at all, whether or not the input says to whom."""
        return bool(self.exposed) or not self.expose_rules_known


class Problem(NamedTuple):
    """Something a source found wrong while reading an input it could still use.

    A bad option value, a unit with junk relation data, a port Juju would not print: the source keeps
    going and records it here; the `invalid-port` rule (or the rule named) reports it beside the
    engine's own findings, so one bad unit never hides the others.
    """

    message: str
    severity: Severity = "error"
    fix: str | None = None
    units: tuple[str, ...] = ()
    hosts: tuple[Host, ...] = ()
    ports: tuple[PortRange, ...] = ()
    location: Location | None = None
    rule: str = "invalid-port"


ModelKind = Literal["iaas", "caas", "unknown"]


class Model(NamedTuple):
    """A Juju model an input names: what `Host.model`, `Unit.model` and `Application.model` refer to.

    `label` is how hosts and units name it (`Host.model`): empty when the input holds one model, so
    findings read as `juju status` of that model reads; the model's name (or a short uuid prefix)
    when there are several. `kind` matters to exposure: on a Kubernetes (caas) model `juju expose`
    has no effect (docs/juju-facts.md#expose). `controller` is the client-side controller name a
    `juju status` dump prints (it tells apart two models of the same name).
    """

    label: str
    name: str = ""
    kind: ModelKind = "unknown"
    controller: str = ""
    spaces: Mapping[str, tuple[str, ...]] | None = None
    """Each space's subnet CIDRs, when the input lists them (`juju spaces`, `--space`): the firewaller
    turns an expose rule's spaces into exactly these (docs/juju-facts.md#expose). None: not listed."""


ExposureSyntax = Literal["juju", "terraform"]
"""How a fix words a change of exposure: `juju expose` commands, or a Terraform `expose` block."""

ConflictScope = Literal["all", "taken"]
"""Which overlapping pairs are conflicts: `all` of them, or only those where a port is already
`taken` (a listener claim): what a preflight asks, since the services it checks for are candidates for
this machine, not all installed on it."""


class Deployment(NamedTuple):
    """Everything one input says about where ports are claimed.

    `observed` is true when claims are what Juju reports as open (so a missing required port is a
    fact, not a guess). `exposure_known` is false when the source cannot see `juju expose` (relation
    data: a hook is not told whether its application is exposed), so exposure rules stay silent
    instead of guessing. `endpoints_known` is false when the source cannot say which endpoint any port
    is opened on (a bundle says nothing of them): its claims carry `""`, and a per-endpoint expose rule
    may or may not reach them; `Unit.endpoints_known` says the same of one unit (`juju status` lists
    ports without endpoints, `opened-ports --endpoints` output tells them unit by unit). `juju_managed` is false where
    no Juju opens the ports (the appliance, this machine's sockets): only the sockets can object there.
    `exposure_syntax` says how fixes word exposure: a Terraform plan is changed in its `expose` blocks,
    not with `juju expose`, which Terraform would undo.
    """

    input: str
    applications: Mapping[str, Application]
    units: tuple[Unit, ...]
    claims: tuple[Claim, ...]
    profile: "Profile" = "charmed"
    observed: bool = False
    problems: tuple[Problem, ...] = ()
    unchecked: tuple[str, ...] = ()
    exposure_known: bool = True
    endpoints_known: bool = True
    juju_managed: bool = True
    conflict_scope: ConflictScope = "all"
    models: Mapping[str, Model] = _NO_MODELS
    exposure_syntax: ExposureSyntax = "juju"

    def model(self, label: str) -> Model:
        """The model a host or unit label refers to (an unknown kind when the input did not say)."""
        return self.models.get(label) or Model(label)

    def endpoints_known_for(self, unit: Unit) -> bool:
        """Whether a unit's claims say exactly which endpoint each port is opened on."""
        return self.endpoints_known and unit.endpoints_known

    def hosts(self) -> tuple[Host, ...]:
        return tuple(sorted({unit.host for unit in self.units}))

    def unit_map(self) -> dict[str, Unit]:
        return {unit.key: unit for unit in self.units}
