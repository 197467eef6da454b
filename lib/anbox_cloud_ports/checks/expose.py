"""Which expose rules reach a port, and whom they let in: what both exposure rules ask.

The firewaller's rule (docs/juju-facts.md#expose; juju internal/worker/firewaller/firewaller.go
`ingressRulesForExposedMachineUnit`, `hasExposeOverride`), for one port range of an exposed unit:

- opened for all endpoints (`""`): the wildcard entry's sources and every named entry's sources;
- opened on endpoint `x` that has an entry of its own: `x`'s sources only, the wildcard overridden;
- opened on endpoint `x` without an entry: the wildcard's sources, if there is a wildcard entry;
- otherwise: not opened to anyone.

An entry's sources are its CIDRs plus the subnets of its spaces; an entry whose sources come out
empty makes no rule at all. Where the input does not say on which endpoint a port is opened, every
place it could be opened is judged, and a verdict is certain only when all of them agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal, NamedTuple

from ..model import Application, ExposeTarget, ExposureSyntax
from ..text import join_and, plain

if TYPE_CHECKING:
    from ipaddress import IPv4Network, IPv6Network

Reach = Literal["public", "unknown", "private", "none"]
"""Who a set of rules lets in: beyond private networks, a space whose subnets the input does not list,
private networks only, or nobody (no rule, or a rule whose sources come out empty)."""

_ORDER: Mapping[Reach, int] = {"public": 0, "unknown": 1, "private": 2, "none": 3}

OTHER_ENDPOINT: None = None
"""A place a port may be opened when the input does not say which: an endpoint with no expose entry."""


# Where an expose rule can only be reached from inside: RFC 1918, RFC 4193, loopback, link-local.
_PRIVATE_V4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")
_PRIVATE_V6 = ("fc00::/7", "::1/128", "fe80::/10")


def is_private(network: IPv4Network | IPv6Network) -> bool:
    # ipaddress is imported here, not at start-up: only a CIDR in an expose rule needs it.
    import ipaddress

    if isinstance(network, ipaddress.IPv4Network):
        return any(network.subnet_of(ipaddress.IPv4Network(private)) for private in _PRIVATE_V4)
    return any(network.subnet_of(ipaddress.IPv6Network(private)) for private in _PRIVATE_V6)


def rank(reach: Reach) -> int:
    """0 for the widest audience (public), 3 for nobody."""
    return _ORDER[reach]


def widest(reaches: Iterable[Reach]) -> Reach:
    """The widest of several audiences: public beats unknown beats private beats nobody."""
    found: list[Reach] = list(reaches)
    return min(found, key=rank) if found else "none"


class Audience(NamedTuple):
    """Who one expose entry lets in, worded for a finding."""

    reach: Reach
    text: str
    unparsable: tuple[str, ...] = ()
    unlisted_spaces: tuple[str, ...] = ()

    @property
    def public(self) -> bool:
        return self.reach == "public"


def _cidr_reach(cidr: str) -> Reach | None:
    import ipaddress

    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    reach: Reach = "private" if is_private(network) else "public"
    return reach


def audience(target: ExposeTarget, spaces: Mapping[str, tuple[str, ...]] | None = None) -> Audience:
    """Who an expose entry lets in: its CIDRs plus the subnets of its spaces (when `spaces` lists them).

    docs/juju-facts.md#expose: no CIDRs and no spaces means 0.0.0.0/0 and ::/0; a space stands for
    its subnets' CIDRs, which only the firewaller resolves, so a space the input does not list is an
    unknown audience, never "private" by itself.
    """
    if target.everyone:
        return Audience("public", "0.0.0.0/0 and ::/0")
    reaches: list[Reach] = []
    bad: list[str] = []
    for cidr in target.cidrs:
        reach = _cidr_reach(cidr)
        if reach is None:
            bad.append(cidr)
            reach = "public"
        reaches.append(reach)
    parts = [", ".join(plain(c) for c in target.cidrs)] if target.cidrs else []
    unlisted: list[str] = []
    for space in target.spaces:
        subnets = None if spaces is None else spaces.get(space)
        if subnets is None:
            unlisted.append(space)
            reaches.append("unknown")
            parts.append(f"space {plain(space)} (whose subnets this input does not list)")
            continue
        for cidr in subnets:
            reaches.append(_cidr_reach(cidr) or "public")
        listed = ", ".join(plain(c) for c in subnets) if subnets else "no subnets"
        parts.append(f"space {plain(space)} ({listed})")
    return Audience(widest(reaches), join_and(parts), tuple(bad), tuple(unlisted))


def exposing_rules(app: Application, endpoint: str | None) -> list[tuple[str, ExposeTarget]]:
    """The expose entries whose sources reach a port opened for `endpoint`.

    `""` is "opened for all endpoints"; None (OTHER_ENDPOINT) an endpoint without an entry of its own.
    docs/juju-facts.md#expose (firewaller.go `ingressRulesForExposedMachineUnit`): a named entry
    overrides the wildcard for ports opened on its endpoint (`hasExposeOverride`); a port opened for
    all endpoints gets the wildcard's sources and every named entry's.
    """
    exposed = app.exposed
    if endpoint == "":
        wildcard = [("", exposed[""])] if "" in exposed else []
        return wildcard + [(name, target) for name, target in sorted(exposed.items()) if name]
    if endpoint is not None and endpoint in exposed:
        return [(endpoint, exposed[endpoint])]
    return [("", exposed[""])] if "" in exposed else []


class Case(NamedTuple):
    """One place a port may be opened, the entries that then reach it, and whom they let in."""

    endpoint: str | None
    rules: tuple[tuple[str, Audience], ...]
    reach: Reach


class Exposure(NamedTuple):
    """What the expose rules do to one opened port, over every place the input lets it be opened.

    With the endpoint known there is one case. Without it there are: opened for all endpoints, on
    each endpoint with an entry of its own, and on an endpoint without one. The verdict is certain
    only when every case agrees.
    """

    cases: tuple[Case, ...]

    @property
    def certain(self) -> bool:
        return len({case.reach for case in self.cases}) == 1

    @property
    def reach(self) -> Reach:
        """The widest audience over every case: who may get in."""
        return widest(case.reach for case in self.cases)

    @property
    def narrowest(self) -> Reach:
        """The narrowest audience over every case: who surely gets in."""
        reaches: list[Reach] = [case.reach for case in self.cases]
        return max(reaches, key=rank) if reaches else "none"


def judge(
    app: Application,
    endpoint: str,
    *,
    endpoint_known: bool,
    spaces: Mapping[str, tuple[str, ...]] | None = None,
) -> Exposure:
    """The exposure of a port an exposed application's unit opened for `endpoint` (`""`: all)."""
    if endpoint_known:
        places: list[str | None] = [endpoint]
    else:
        places = ["", *sorted(name for name in app.exposed if name), OTHER_ENDPOINT]
    cases: list[Case] = []
    for place in places:
        rules = tuple((name, audience(target, spaces)) for name, target in exposing_rules(app, place))
        cases.append(Case(place, rules, widest(a.reach for _, a in rules)))
    return Exposure(tuple(cases))


def rule_text(app: str, rule: str, syntax: ExposureSyntax = "juju") -> str:
    """An expose rule as the input writes it, for messages."""
    if syntax == "terraform":
        return (
            f"the expose block of {app} (all endpoints)"
            if rule == ""
            else f"the expose block of {app} (endpoint {rule})"
        )
    return f"`juju expose {app}` (wildcard)" if rule == "" else f"`juju expose {app} --endpoints {rule}`"


def expose_fix(
    syntax: ExposureSyntax, app: Application, *, endpoints: str = "", cidrs: str = "", unexpose: bool = False
) -> str:
    """The change of exposure a fix asks for, in the input's own terms.

    `juju expose` (with `-m MODEL` when the input holds several models), or for a Terraform plan the
    application's `expose` block (docs/juju-facts.md#terraform-provider: comma-separated strings), since
    Terraform would undo a `juju expose` on its next apply.
    """
    if syntax == "terraform":
        if unexpose:
            return f"remove {endpoints} from `endpoints` in the expose block of {app.name}"
        fields = [
            f'{name} = "{value}"' for name, value in (("endpoints", endpoints), ("cidrs", cidrs)) if value
        ]
        return (
            f"`expose {{ {' '.join(fields)} }}` in {app.name}" if fields else f"`expose {{}}` in {app.name}"
        )
    command = "juju unexpose" if unexpose else "juju expose"
    if app.model:
        command += f" -m {app.model}"
    command += f" {app.name}"
    if endpoints:
        command += f" --endpoints {endpoints}"
    if cidrs:
        command += f" --to-cidrs {cidrs}"
    return f"`{command}`"


def opened_text(endpoint: str | None) -> str:
    if endpoint is None:
        return "on an endpoint without an expose rule of its own"
    return "for all endpoints" if endpoint == "" else f"on endpoint {endpoint}"
