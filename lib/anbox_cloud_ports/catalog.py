"""Both seed tables ("Network ports", Anbox Cloud and Anbox Cloud Appliance) as data.

This module is the single source of truth: the charm library opens these ports, the engine judges
deployments against them, `anbox-ports catalog` prints them back as the seed's own tables (and a test
parses the seed to prove the two agree row by row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .errors import PortRangeError
from .ports import PortRange, parse_port_option, parse_ports_cell, parse_range_option

Profile = Literal["charmed", "appliance"]
PROFILES: tuple[Profile, ...] = ("charmed", "appliance")
Required = Literal["yes", "no", "conditional"]
OptionKind = Literal["port", "range"]

# The seed's headings, in the seed's order.
PROFILE_HEADINGS: Mapping[Profile, str] = MappingProxyType(
    {"charmed": "Anbox Cloud", "appliance": "Anbox Cloud Appliance"}
)


@dataclass(frozen=True, slots=True)
class ConfigOption:
    """A charm config option that moves a catalog row's ports (DESIGN fact 11, from the charms' config)."""

    charm: str
    name: str
    kind: OptionKind

    def parse(self, value: object, protocol: Literal["tcp", "udp", "icmp"]) -> PortRange:
        """The option's value as the PortRange it puts in place of the catalog default."""
        try:
            if self.kind == "port":
                return parse_port_option(value, protocol)
            return parse_range_option(value, protocol)
        except PortRangeError as err:
            raise PortRangeError(f"option {self.name}: {err}") from None


@dataclass(frozen=True, slots=True)
class CatalogRow:
    """One row of a seed table. `ports` and `protocol` keep the table's own cell text."""

    profile: Profile
    service: str
    charms: tuple[str, ...]
    ports: str
    protocol: str
    exposed: bool
    required: Required
    description: str
    condition: str = ""
    options: tuple[ConfigOption, ...] = ()
    claims: tuple[PortRange, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", parse_ports_cell(self.ports, self.protocol))

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


def _opt(charm: str, name: str, kind: OptionKind = "port") -> tuple[ConfigOption, ...]:
    return (ConfigOption(charm, name, kind),)


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
    CatalogRow("charmed", "AMS", _AMS, "8444", "TCP", False, "yes", "HTTPS API", options=_opt("ams", "port")),
    CatalogRow(
        "charmed",
        "AMS",
        _AMS,
        "20002",
        "TCP",
        False,
        "no",
        "HTTPS Prometheus endpoint",
        options=_opt("ams", "prometheus_target_port"),
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
    CatalogRow("charmed", "LXD", _LXD, "8443", "TCP", False, "yes", "HTTPS API"),
    CatalogRow(
        "charmed",
        "LXD",
        _LXD,
        "10000-11000",
        "UDP & TCP",
        True,
        "no",
        "Instance service ports",
        options=_opt("ams-lxd", "exposed_instance_ports", "range"),
    ),
    CatalogRow(
        "charmed", "NATS", _NATS, "4222", "TCP", False, "yes", "NATS API", options=_opt("nats", "client-port")
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


class Catalog:
    """An ordered, immutable set of rows with lookups by charm and profile.

    The built-in catalog holds the seed; `extend` returns a new catalog with an operator's own rows
    (monitoring agents, proxies) appended, so the same engine checks them too.
    """

    __slots__ = ("_by_charm", "rows")

    def __init__(self, rows: Iterable[CatalogRow]):
        self.rows: tuple[CatalogRow, ...] = tuple(rows)
        by_charm: dict[tuple[Profile, str], list[CatalogRow]] = {}
        for row in self.rows:
            for charm in row.charms:
                by_charm.setdefault((row.profile, charm), []).append(row)
        self._by_charm = {key: tuple(value) for key, value in by_charm.items()}

    @classmethod
    def builtin(cls) -> Catalog:
        return _BUILTIN

    def extend(self, rows: Iterable[CatalogRow]) -> Catalog:
        return Catalog((*self.rows, *rows))

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
        return (profile, charm) in self._by_charm

    def charms(self, profile: Profile = "charmed") -> tuple[str, ...]:
        """Every charm name of a profile, in table order, each once."""
        seen: dict[str, None] = {}
        for row in self.profile(profile):
            for charm in row.charms:
                seen.setdefault(charm, None)
        return tuple(seen)

    def row_for(self, charm: str, port: PortRange, profile: Profile = "charmed") -> CatalogRow | None:
        """The row of `charm` whose default claims include `port` (how an observed port is recognised)."""
        for row in self.for_charm(charm, profile):
            if port in row.claims:
                return row
        return None


_BUILTIN = Catalog((*_CHARMED, *_APPLIANCE))
