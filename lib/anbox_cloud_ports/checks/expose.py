"""Who an expose rule lets in, and which rules reach a port: what both exposure rules ask.

docs/juju-facts.md#expose: the wildcard rule reaches every opened port; a rule for endpoint X reaches
the ports opened for X and those opened for all endpoints.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..model import Application, ExposeTarget, ExposureSyntax

# Where an expose rule can only be reached from inside: RFC 1918, RFC 4193, loopback, link-local.
_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")
)
_PRIVATE_V6 = tuple(ipaddress.IPv6Network(net) for net in ("fc00::/7", "::1/128", "fe80::/10"))


def is_private(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if isinstance(network, ipaddress.IPv4Network):
        return any(network.subnet_of(private) for private in _PRIVATE_V4)
    return any(network.subnet_of(private) for private in _PRIVATE_V6)


@dataclass(frozen=True, slots=True)
class Audience:
    public: bool
    text: str
    unparsable: tuple[str, ...] = ()


def audience(target: ExposeTarget) -> Audience:
    """Who an expose rule lets in, and whether that reaches beyond private networks."""
    # docs/juju-facts.md#expose: no CIDRs and no spaces means 0.0.0.0/0 and ::/0.
    if target.everyone:
        return Audience(True, "0.0.0.0/0 and ::/0")
    public = False
    bad: list[str] = []
    for cidr in target.cidrs:
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            bad.append(cidr)
            public = True
            continue
        if not is_private(network):
            public = True
    parts: list[str] = []
    if target.cidrs:
        parts.append(", ".join(target.cidrs))
    if target.spaces:
        parts.append("space" + ("s " if len(target.spaces) > 1 else " ") + ", ".join(target.spaces))
    return Audience(public, " and ".join(parts), tuple(bad))


def exposing_rules(app: Application, endpoint: str) -> list[tuple[str, ExposeTarget]]:
    """The expose rules that reach a port opened for `endpoint` (`""`: opened for all endpoints)."""
    exposed = app.exposed
    if not exposed:
        return []
    rules: list[tuple[str, ExposeTarget]] = []
    if "" in exposed:
        rules.append(("", exposed[""]))
    if endpoint:
        if endpoint in exposed:
            rules.append((endpoint, exposed[endpoint]))
    else:
        rules.extend((name, target) for name, target in sorted(exposed.items()) if name)
    return rules


def rule_text(app: str, rule: str, syntax: ExposureSyntax = "juju") -> str:
    """An expose rule as the input writes it, for messages."""
    if syntax == "terraform":
        return (
            f"the expose block of {app} (all endpoints)"
            if rule == ""
            else f"the expose block of {app} (endpoint {rule})"
        )
    return f"`juju expose {app}` (wildcard)" if rule == "" else f"`juju expose {app} --endpoints {rule}`"


def opened_text(endpoint: str) -> str:
    return "for all endpoints" if endpoint == "" else f"on endpoint {endpoint}"


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
