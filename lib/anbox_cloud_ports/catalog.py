"""Both seed tables ("Network ports", Anbox Cloud and Anbox Cloud Appliance) as data.

This module is the single source of truth: the charm library opens these ports, the engine judges
deployments against them, `anbox-ports catalog` prints them back as the seed's own tables (and a test
parses the seed to prove the two agree row by row).
"""

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, NamedTuple

from .errors import InputError, OptionError, PortRangeError
from .ports import PortRange, Protocol, parse_port_option, parse_ports_cell, parse_range_option
from .text import quote

Profile = Literal["charmed", "appliance"]
PROFILES: tuple[Profile, ...] = ("charmed", "appliance")
Required = Literal["yes", "no", "conditional"]
OptionKind = Literal["port", "range"]

_ROW_FIELDS = (
    "profile",
    "service",
    "charms",
    "ports",
    "protocol",
    "exposed",
    "required",
    "description",
    "condition",
    "options",
    "exposure_note",
    "subordinate",
)

# The seed's headings, in the seed's order.
PROFILE_HEADINGS: Mapping[Profile, str] = MappingProxyType(
    {"charmed": "Anbox Cloud", "appliance": "Anbox Cloud Appliance"}
)

PORT_RULE = "must be a port number 1-65535"
SINGLE_PORT_RULE = "must be a single port 1-65535, not a range"
RANGE_RULE = "must be a port range <from>-<to> of ports 1-65535, e.g. 10000-11000"
RANGE_ORDER_RULE = "must be a port range <from>-<to> with <from> not above <to>"
_LOOKS_LIKE_RANGE = re.compile(r"\s*\d+\s*-\s*\d+\s*(?:/\s*[A-Za-z]*)?\s*")


class ConfigOption(NamedTuple):
    """A charm config option that holds a port or a range: the one truth for reading, checking, suggesting.

    The CLI reads a bundle's options with it, the charm library validates `juju config` with it (its
    pydantic models are derived from these), and a fix suggests a value in its format. `default` is
    the value the charm declares (Juju hands every option to the charm with its default), so a value
    equal to it moves nothing. docs/juju-facts.md#charm-options lists where each one comes from.
    """

    charm: str
    name: str
    kind: OptionKind
    default: int | str | None = None
    description: str = ""

    @property
    def rule(self) -> str:
        """What a valid value is, in the words every message uses."""
        return PORT_RULE if self.kind == "port" else RANGE_RULE

    def parse(self, value: object, protocol: Protocol = "tcp") -> PortRange:
        """The value as the PortRange it stands for; OptionError (one line: `name=value: rule`) if it cannot."""
        try:
            if self.kind == "port":
                if isinstance(value, str) and _LOOKS_LIKE_RANGE.fullmatch(value):
                    raise OptionError(self.name, value, SINGLE_PORT_RULE)
                return parse_port_option(value, protocol)
            return parse_range_option(value, protocol)
        except OptionError:
            raise
        except PortRangeError as err:
            rule = RANGE_ORDER_RULE if "start is greater than end" in str(err) else self.rule
            raise OptionError(self.name, value, rule) from None

    def value_for(self, port: PortRange) -> int | str:
        """The option value that puts the service on `port`: what a fix tells the operator to set."""
        if self.kind == "port":
            return port.start
        return f"{port.start}-{port.end}"

    def is_default(self, value: object) -> bool:
        """True when `value` is the charm's own default: Juju passes it, but it moves nothing."""
        if value is None or self.default is None:
            return value is None
        try:
            return self.parse(value) == self.parse(self.default)
        except PortRangeError:
            return False


class CatalogRow:
    """One row of a seed table. `ports` and `protocol` keep the table's own cell text.

    Immutable and compared by every field but `claims` (which the cells determine), as a frozen
    dataclass would be; written out so that defining the catalog costs nothing at start-up, and so
    that its hash, taken whenever a rule groups claims by row, is computed once.
    """

    __slots__ = (
        "_hash",
        "_key",
        "charms",
        "claims",
        "condition",
        "description",
        "exposed",
        "exposure_note",
        "options",
        "ports",
        "profile",
        "protocol",
        "required",
        "service",
        "subordinate",
    )

    profile: Profile
    service: str
    charms: tuple[str, ...]
    ports: str
    protocol: str
    exposed: bool
    required: Required
    description: str
    condition: str
    options: tuple[ConfigOption, ...]
    # Said beside a finding that a wildcard expose rule leaks this row: what people get wrong about it.
    exposure_note: str
    # The charms' metadata says `subordinate: true` (an operator's row for nrpe, telegraf...).
    subordinate: bool
    claims: tuple[PortRange, ...]
    _key: tuple[object, ...]
    _hash: int

    def __init__(  # noqa: PLR0917 - the seed table's columns, in the table's order
        self,
        profile: Profile,
        service: str,
        charms: tuple[str, ...],
        ports: str,
        protocol: str,
        exposed: bool,
        required: Required,
        description: str,
        condition: str = "",
        options: tuple[ConfigOption, ...] = (),
        exposure_note: str = "",
        subordinate: bool = False,
    ) -> None:
        key = (
            profile,
            service,
            charms,
            ports,
            protocol,
            exposed,
            required,
            description,
            condition,
            options,
            exposure_note,
            subordinate,
        )
        for name, value in zip(_ROW_FIELDS, key, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "claims", parse_ports_cell(ports, protocol))
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_hash", hash(key))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a CatalogRow is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a CatalogRow is immutable")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is CatalogRow:
            return self is other or self._key == other._key  # pyright: ignore[reportAttributeAccessIssue]
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if other.__class__ is CatalogRow:
            return self is not other and self._key != other._key  # pyright: ignore[reportAttributeAccessIssue]
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(_ROW_FIELDS, self._key, strict=True))
        return f"CatalogRow({fields})"

    def __reduce__(self) -> "tuple[type[CatalogRow], tuple[object, ...]]":
        return (CatalogRow, self._key)

    def replace(self, **changes: object) -> "CatalogRow":
        """This row with some fields changed (what `dataclasses.replace` does for a dataclass)."""
        values: dict[str, object] = dict(zip(_ROW_FIELDS, self._key, strict=True))
        unknown = changes.keys() - values.keys()
        if unknown:
            raise TypeError(f"CatalogRow has no field {', '.join(sorted(unknown))}")
        values.update(changes)
        return CatalogRow(**values)  # pyright: ignore[reportArgumentType]

    @property
    def required_cell(self) -> str:
        """The table's Required cell: `yes`, `no`, or `no (unless TURN is required)`."""
        if self.required == "conditional":
            return f"no ({self.condition})"
        return self.required

    @property
    def exposed_cell(self) -> str:
        return "yes" if self.exposed else "no"

    def option_for(self, charm: str) -> ConfigOption | None:
        for option in self.options:
            if option.charm == charm:
                return option
        return None

    def claims_for(
        self, charm: str, options: Mapping[str, object] | None = None
    ) -> list[tuple[PortRange, str | None]]:
        """The row's claims for a charm, where that charm's option puts them.

        Each claim comes with the name of the option that moved it off the catalog's port, or None
        when it is on the catalog's port. Juju hands a charm every option, defaults included, so a
        value is blamed only for a port it actually moves: `port=8444` on ams is the catalog's port,
        not a move. A charm whose own option defaults to another port than the catalog (a bound
        option, `Catalog.bind`) is on that port at its default, and the option is named.
        Raises OptionError for a value that cannot be a port; the caller decides whether that is a
        finding (bundle) or a blocked status (charm).
        """
        option = self.option_for(charm)
        value = None if option is None or options is None else options.get(option.name)
        if option is None or value is None:
            return [(claim, None) for claim in self.claims]
        claims: list[tuple[PortRange, str | None]] = []
        for claim in self.claims:
            port = option.parse(value, claim.protocol)
            claims.append((port, None if port == claim else option.name))
        return claims


class ServiceList(NamedTuple):
    """An option listing every service a charm opens a port for: haproxy's `services`.

    The value is a YAML list of mappings; each entry's `port_key` is a port the charm opens for all
    endpoints, so these ports replace the charm's catalog claims. `switch`/`switch_port` name a
    boolean option that, when true, makes the charm open one more port, held by another option
    (haproxy's monitoring stanza). YAML is read by the sources, not here: this is only the shape.
    docs/juju-facts.md#companion-charms.
    """

    name: str
    port_key: str
    name_key: str = ""
    switch: str = ""
    switch_port: str = ""
    switch_port_default: int = 0
    protocol: Protocol = "tcp"


class CharmFacts(NamedTuple):
    """What the catalog knows of a charm besides its seed rows, read from the charm's own source.

    `opens` is false for a charm that never calls open-port (charmed-etcd): it still listens, so its
    claims count for conflicts, but exposing it exposes nothing and `juju status` never lists its
    ports. `subordinate` is the charm's metadata flag: a Terraform plan or bundle does not carry it,
    and a subordinate's units live on its principals' machines. `services` is an option whose entries
    are the ports the charm opens (haproxy). docs/juju-facts.md#companion-charms gives the sources.
    """

    charm: str
    opens: bool = True
    subordinate: bool = False
    services: ServiceList | None = None
    note: str = ""


def _opt(charm: str, name: str, default: int | str, kind: OptionKind = "port") -> tuple[ConfigOption, ...]:
    return (ConfigOption(charm, name, kind, default),)


_AMS = ("ams",)
_DASHBOARD = ("anbox-cloud-dashboard",)
_AGENT = ("anbox-stream-agent",)
_GATEWAY = ("anbox-stream-gateway",)
_COTURN = ("coturn",)
_ETCD = ("etcd", "charmed-etcd")
_HAPROXY = ("haproxy",)
_LXD = ("ams-lxd", "lxd")
_NATS = ("nats",)

_CHARMED: tuple[CatalogRow, ...] = (
    CatalogRow(
        "charmed", "AMS", _AMS, "8444", "TCP", False, "yes", "HTTPS API", options=_opt("ams", "port", 8444)
    ),
    CatalogRow(
        "charmed",
        "AMS",
        _AMS,
        "20002",
        "TCP",
        False,
        "no",
        "HTTPS Prometheus endpoint",
        options=_opt("ams", "prometheus_target_port", 20002),
    ),
    CatalogRow("charmed", "Anbox Cloud Dashboard", _DASHBOARD, "5000", "TCP", False, "no", "HTTPS website"),
    CatalogRow("charmed", "Anbox Stream Agent", _AGENT, "443", "TCP", False, "yes", "HTTPS API"),
    CatalogRow("charmed", "Anbox Stream Gateway", _GATEWAY, "4000", "TCP", False, "yes", "HTTPS API"),
    CatalogRow("charmed", "Anbox Stream Gateway", _GATEWAY, "7000", "TCP", False, "yes", "Dqlite HA and API"),
    CatalogRow("charmed", "Coturn", _COTURN, "5349", "TCP", True, "yes", "STUN/TURN"),
    CatalogRow("charmed", "Coturn", _COTURN, "5349", "UDP", True, "yes", "STUN/TURN"),
    CatalogRow(
        "charmed",
        "Coturn",
        _COTURN,
        "50000-51000",
        "UDP",
        True,
        "conditional",
        "TURN relay ports",
        condition="unless TURN is required",
    ),
    CatalogRow("charmed", "etcd", _ETCD, "2379", "TCP", False, "yes", "gRPC API"),
    CatalogRow(
        "charmed", "HAProxy", _HAPROXY, "80", "TCP", True, "no", "HTTP (redirects to HTTPS on port 443)"
    ),
    CatalogRow("charmed", "HAProxy", _HAPROXY, "443", "TCP", True, "no", "Redirects to HTTPS website"),
    CatalogRow(
        "charmed",
        "LXD",
        _LXD,
        "8443",
        "TCP",
        False,
        "yes",
        "HTTPS API",
        exposure_note=(
            "The Anbox Cloud docs' own `juju expose lxd` step does exactly this: it publishes LXD's API on "
            "8443 to the internet"
        ),
    ),
    CatalogRow(
        "charmed",
        "LXD",
        _LXD,
        "10000-11000",
        "UDP & TCP",
        True,
        "no",
        "Instance service ports",
        options=_opt("ams-lxd", "exposed_instance_ports", "10000-11000", "range"),
    ),
    CatalogRow(
        "charmed",
        "NATS",
        _NATS,
        "4222",
        "TCP",
        False,
        "yes",
        "NATS API",
        options=_opt("nats", "client-port", 4222),
    ),
)

# Options that hold ports but move no seed row: checked alike wherever they are read.
_UNBOUND_OPTIONS: tuple[ConfigOption, ...] = (
    # ams `port_range`: the ports AMS hands out to instances on the LXD nodes.
    ConfigOption("ams", "port_range", "range", "10000-11000", "instance service ports AMS assigns"),
    # anbox-stream-gateway `prometheus_port`: unset unless metrics are wanted (no default).
    ConfigOption("anbox-stream-gateway", "prometheus_port", "port", None, "Prometheus metrics"),
)

# Charms the Anbox Cloud Terraform plan deploys beside the seed's (or whose behaviour the seed rows do
# not capture), as their sources say: docs/juju-facts.md#companion-charms.
_FACTS: tuple[CharmFacts, ...] = (
    CharmFacts(
        "haproxy",
        services=ServiceList(
            "services",
            "service_port",
            name_key="service_name",
            switch="enable_monitoring",
            switch_port="monitoring_port",
            switch_port_default=10000,
        ),
        note="opens every service_port of its services option, for all endpoints",
    ),
    CharmFacts("charmed-etcd", opens=False, note="listens on 2379 (clients) and 2380 (peers), opens neither"),
    CharmFacts("self-signed-certificates", opens=False, note="opens nothing"),
    CharmFacts("grafana-agent", opens=False, subordinate=True, note="a subordinate; listens, opens nothing"),
    CharmFacts(
        "opentelemetry-collector", opens=False, subordinate=True, note="a subordinate; listens, opens nothing"
    ),
)

# The appliance is one snap on one machine, not a set of charms: each row's "charm" is the name the
# service goes by inside the appliance, so every service can still be looked up, opened and checked
# on its own.
_APPLIANCE: tuple[CatalogRow, ...] = (
    CatalogRow(
        "appliance",
        "AMS node controller",
        ("ams-node-controller",),
        "10000-11000",
        "UDP & TCP",
        True,
        "no",
        "Instance service ports",
    ),
    CatalogRow("appliance", "Coturn", _COTURN, "5349", "UDP", True, "no", "STUN/TURN"),
    CatalogRow("appliance", "Coturn", _COTURN, "60000-60100", "UDP", True, "no", "TURN relay ports"),
    CatalogRow(
        "appliance",
        "UI and API",
        ("ui-and-api",),
        "443",
        "TCP",
        True,
        "yes",
        "Reverse proxy providing access to UI and subset of API endpoints",
    ),
    CatalogRow("appliance", "AMS API", _AMS, "8444", "TCP", False, "yes", "API endpoint for the AMS service"),
    CatalogRow(
        "appliance",
        "NATS",
        _NATS,
        "4004",
        "TCP",
        False,
        "yes",
        "API endpoint for the [NATS](https://nats.io) message queue",
    ),
    CatalogRow(
        "appliance",
        "Anbox Stream Gateway",
        _GATEWAY,
        "9031",
        "TCP",
        False,
        "yes",
        "API endpoint for the Anbox Stream Gateway",
    ),
    CatalogRow(
        "appliance",
        "Anbox Stream Agent",
        _AGENT,
        "9033",
        "TCP",
        False,
        "yes",
        "API endpoint for the Anbox Stream Agent",
    ),
    CatalogRow(
        "appliance",
        "Anbox Cloud Dashboard",
        _DASHBOARD,
        "5000",
        "TCP",
        False,
        "yes",
        "Endpoint providing access to the UI",
    ),
)


# Charms whose metadata says `subordinate: true`, read from each charm's own metadata.yaml or
# charmcraft.yaml (docs/juju-facts.md#subordinate-charms). A bundle cannot say which applications are
# subordinates (it carries no charm metadata), so the bundle reader knows these by name; the Anbox
# charms are all principals.
SUBORDINATE_CHARMS = frozenset(
    {
        "filebeat",
        "grafana-agent",
        "landscape-client",
        "nrpe",
        "ntp",
        "opentelemetry-collector",
        "telegraf",
        "ubuntu-advantage",
        "ubuntu-pro",
    }
)


def parse_profile(text: object, input: str = "--profile") -> Profile:
    """A profile name from untyped input (a command line, config), or InputError naming the choices."""
    if text not in PROFILES:
        raise InputError(input, f"unknown profile {quote(str(text))}: expected {' or '.join(PROFILES)}")
    return text


class Catalog:
    """An ordered, immutable set of rows with lookups by charm and profile.

    The built-in catalog holds the seed; `extend` returns a new catalog with an operator's own rows
    (monitoring agents, proxies) appended, so the same engine checks them too.
    """

    __slots__ = ("_by_charm", "_facts", "_unbound", "rows")

    def __init__(
        self,
        rows: Iterable[CatalogRow],
        unbound_options: Iterable[ConfigOption] = (),
        facts: Iterable[CharmFacts] = (),
    ):
        self.rows: tuple[CatalogRow, ...] = tuple(rows)
        self._unbound: tuple[ConfigOption, ...] = tuple(unbound_options)
        self._facts: Mapping[str, CharmFacts] = MappingProxyType({f.charm: f for f in facts})
        by_charm: dict[tuple[Profile, str], list[CatalogRow]] = {}
        for row in self.rows:
            for charm in row.charms:
                by_charm.setdefault((row.profile, charm), []).append(row)
        self._by_charm = {key: tuple(value) for key, value in by_charm.items()}

    @classmethod
    def builtin(cls) -> "Catalog":
        return _BUILTIN

    def extend(self, rows: Iterable[CatalogRow]) -> "Catalog":
        return Catalog((*self.rows, *rows), self._unbound, self._facts.values())

    def facts(self, charm: str, profile: Profile = "charmed") -> CharmFacts | None:
        """What the charm's source says beyond the seed (charmed profile only: the appliance has no charms)."""
        return self._facts.get(charm) if profile == "charmed" else None

    def opens_ports(self, charm: str, profile: Profile = "charmed") -> bool:
        """Whether the charm calls open-port at all; only then can exposing it reach its ports."""
        facts = self.facts(charm, profile)
        return facts is None or facts.opens

    def bind(self, option: ConfigOption, port: PortRange, profile: Profile = "charmed") -> "Catalog":
        """A catalog where `option` (a charm's own) moves the row of `option.charm` that claims `port`.

        How a charm whose option names differ from the built-in ones (or a service the catalog
        knows no option for) says which option holds which row: the option replaces that charm's
        option on the row, every other charm's stays. Raises ValueError when the charm has no row
        claiming `port`, or when the option's kind cannot hold that row's ports (a range in a port
        option).
        """
        rows = self.for_charm(option.charm, profile)
        row = next((r for r in rows if port in r.claims), None)
        if row is None:
            held = ", ".join(str(c) for r in rows for c in r.claims) or "nothing"
            raise ValueError(
                f"{option.charm} has no {profile} catalog row claiming {port}: its rows claim {held}"
            )
        if option.kind == "port" and any(claim.start != claim.end for claim in row.claims):
            raise ValueError(
                f"option {option.name} holds one port, but {row.service} {row.description} is the range "
                f"{row.claims[0].start}-{row.claims[0].end}: a range needs a range option"
            )
        others = tuple(o for o in row.options if o.charm != option.charm)
        bound = row.replace(options=(*others, option))
        return Catalog((bound if r is row else r for r in self.rows), self._unbound)

    def options_for(self, charm: str, profile: Profile = "charmed") -> tuple[ConfigOption, ...]:
        """Every port-holding option of a charm: those that move its rows, then the others."""
        seen: dict[str, ConfigOption] = {}
        for row in self.for_charm(charm, profile):
            option = row.option_for(charm)
            if option is not None:
                seen.setdefault(option.name, option)
        if profile == "charmed":
            for option in self._unbound:
                if option.charm == charm:
                    seen.setdefault(option.name, option)
        return tuple(seen.values())

    def __iter__(self) -> Iterator[CatalogRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def profile(self, profile: Profile) -> tuple[CatalogRow, ...]:
        return tuple(row for row in self.rows if row.profile == profile)

    def for_charm(self, charm: str, profile: Profile = "charmed") -> tuple[CatalogRow, ...]:
        """The rows a charm (or appliance service) must hold; empty if the catalog does not know it."""
        return self._by_charm.get((profile, charm), ())

    def knows(self, charm: str, profile: Profile = "charmed") -> bool:
        """Whether the catalog can judge the charm: it has rows, or its source says what it opens."""
        return (profile, charm) in self._by_charm or self.facts(charm, profile) is not None

    def subordinate(self, charm: str, profile: Profile = "charmed") -> bool | None:
        """Whether a charm is a subordinate, as far as the catalog knows.

        True for a known subordinate (SUBORDINATE_CHARMS, or a row saying so), False for a catalog
        charm (a principal), None when nothing says.
        """
        rows = self.for_charm(charm, profile)
        if charm in SUBORDINATE_CHARMS or any(row.subordinate for row in rows):
            return True
        return False if rows else None

    def charms(self, profile: Profile = "charmed") -> tuple[str, ...]:
        """Every charm name of a profile, in table order, each once."""
        seen: dict[str, None] = {}
        for row in self.profile(profile):
            for charm in row.charms:
                seen.setdefault(charm, None)
        return tuple(seen)

    def select(
        self, profile: Profile, services: Sequence[str] | None, input: str = "--service"
    ) -> tuple[CatalogRow, ...]:
        """The profile's rows, or only those of the named services (None means all).

        A service is named by its catalog key (`coturn`, `ams-node-controller`, a charm name) or by the
        table's Service cell in any case (`Coturn`, `AMS node controller`); an unknown name is an
        InputError listing the keys, because a typo that silently selects nothing would pass every check.
        """
        rows = self.profile(profile)
        if services is None:
            return rows
        chosen: set[int] = set()
        for name in services:
            matched = [
                i
                for i, row in enumerate(rows)
                if name in row.charms or name.casefold() == row.service.casefold()
            ]
            if not matched:
                keys = ", ".join(self.charms(profile))
                raise InputError(
                    input, f"unknown service {quote(name)} in the {profile} profile: expected one of {keys}"
                )
            chosen.update(matched)
        return tuple(row for i, row in enumerate(rows) if i in chosen)

    def row_for(self, charm: str, port: PortRange, profile: Profile = "charmed") -> CatalogRow | None:
        """The row of `charm` whose default claims include `port` (how an observed port is recognised)."""
        for row in self.for_charm(charm, profile):
            if port in row.claims:
                return row
        return None


_BUILTIN = Catalog((*_CHARMED, *_APPLIANCE), _UNBOUND_OPTIONS, _FACTS)
