"""Builders for engine tests: units, claims and deployments in a few words, and the reference layout."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from anbox_cloud_ports.catalog import Catalog, CatalogRow, Profile
from anbox_cloud_ports.checks import ConflictPair, conflict_pairs
from anbox_cloud_ports.findings import Finding, JujuVersion, Report
from anbox_cloud_ports.model import (
    Application,
    Claim,
    ClaimOrigin,
    Deployment,
    ExposeTarget,
    Host,
    Location,
    Problem,
    Unit,
)
from anbox_cloud_ports.ports import PortRange

CATALOG = Catalog.builtin()
BOTH: tuple[JujuVersion, ...] = ("3", "4")

# -- builders ----------------------------------------------------------------------------------------


def P(text: str) -> PortRange:
    return PortRange.parse(text)


def unit(name: str, machine: str | Host, charm: str | None = None, *, subordinate: bool = False) -> Unit:
    app = name.split("/", maxsplit=1)[0]
    host = machine if isinstance(machine, Host) else Host(machine)
    return Unit(name, app, charm or app, host, subordinate=subordinate)


def claim(
    unit_name: str,
    port: str | PortRange,
    endpoint: str = "",
    *,
    origin: ClaimOrigin = "catalog",
    option: str | None = None,
    row: CatalogRow | None = None,
    location: Location | None = None,
) -> Claim:
    rng = port if isinstance(port, PortRange) else P(port)
    return Claim(unit_name, rng, endpoint, origin, option, row, location)


def everyone() -> ExposeTarget:
    return ExposeTarget()


def build(
    units: Iterable[Unit],
    claims: Iterable[Claim],
    *,
    exposed: Mapping[str, Mapping[str, ExposeTarget]] | None = None,
    observed: bool = False,
    profile: Profile = "charmed",
    problems: tuple[Problem, ...] = (),
) -> Deployment:
    units = tuple(units)
    apps: dict[str, Application] = {}
    for u in units:
        rules = MappingProxyType(dict((exposed or {}).get(u.application, {})))
        apps.setdefault(
            u.application_key,
            Application(u.application, u.charm, rules, subordinate=u.subordinate, model=u.model),
        )
    return Deployment(
        input="test",
        applications=MappingProxyType(apps),
        units=units,
        claims=tuple(claims),
        profile=profile,
        observed=observed,
        problems=problems,
        juju_managed=profile != "appliance",
    )


def catalog_claims(u: Unit, endpoints: Mapping[str, str] | None = None, **options: object) -> list[Claim]:
    """What a bundle source would claim for a unit: its charm's catalog rows, moved by options."""
    out: list[Claim] = []
    for row in CATALOG.for_charm(u.charm):
        for port, option in row.claims_for(u.charm, options or None):
            endpoint = (endpoints or {}).get(str(port), "")
            out.append(Claim(u.name, port, endpoint, "config" if option else "catalog", option, row))
    return out


def layout(
    placement: Mapping[str, str],
    *,
    exposed: Mapping[str, Mapping[str, ExposeTarget]] | None = None,
    endpoints: Mapping[str, Mapping[str, str]] | None = None,
    options: Mapping[str, Mapping[str, object]] | None = None,
) -> Deployment:
    units = [unit(name, machine, CHARMS[name.split("/")[0]]) for name, machine in placement.items()]
    claims = [
        c
        for u in units
        for c in catalog_claims(
            u, (endpoints or {}).get(u.application), **(options or {}).get(u.application, {})
        )
    ]
    return build(units, claims, exposed=exposed)


CHARMS = {
    "nats": "nats",
    "anbox-stream-gateway": "anbox-stream-gateway",
    "anbox-cloud-dashboard": "anbox-cloud-dashboard",
    "anbox-stream-gateway-lb": "haproxy",
    "ams": "ams",
    "anbox-stream-agent": "anbox-stream-agent",
    "coturn": "coturn",
    "etcd": "etcd",
    "lxd": "ams-lxd",
    "other": "other",
}

# The reference layout: a control plane on 0, AMS with its agent and TURN on 1, etcd on 2, LXD on 3 and 4.
REFERENCE = {
    "nats/0": "0",
    "anbox-stream-gateway/0": "0",
    "anbox-cloud-dashboard/0": "0",
    "anbox-stream-gateway-lb/0": "0",
    "ams/0": "1",
    "anbox-stream-agent/0": "1",
    "coturn/0": "1",
    "etcd/0": "2",
    "lxd/0": "3",
    "lxd/1": "4",
}
REFERENCE_EXPOSED = {"coturn": {"": everyone()}, "anbox-stream-gateway-lb": {"": everyone()}}


def rules(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def pairs(units: list[Unit], claims: list[Claim]) -> set[ConflictPair]:
    return conflict_pairs(build(units, claims))
