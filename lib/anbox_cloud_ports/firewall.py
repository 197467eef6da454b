"""Firewall rules that admit exactly what a profile's table says, for the tool the operator has.

The seed's "Exposed externally" column is a firewall policy: those ports from anywhere, the others
from nowhere but the operator's own networks. Writing that policy by hand for ufw, nftables,
iptables and three clouds is where mistakes happen (an internal port opened to the world, a relay
range typed wrong), so it is rendered from the catalog, with ranges merged (`ports.merge`) and each
rule naming the services it serves, so a reviewer can trace every line back to a table row.

Every output is text an operator reviews and then runs or loads; each starts with a comment line
saying the profile and what it admits. Nothing here touches the machine.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from .catalog import Catalog, CatalogRow, Profile, parse_profile
from .errors import InputError
from .ports import PortRange, merge
from .text import join_and, quote

Format = Literal["ufw", "nftables", "iptables", "aws", "gcp", "azure"]
FORMATS: tuple[Format, ...] = ("ufw", "nftables", "iptables", "aws", "gcp", "azure")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# A comment every rule carries, so `ufw status`, `nft list ruleset` and a cloud console show which
# rules this tool wrote (and an operator can find them again to remove them).
TAG = "anbox-cloud"
NFT_TABLE = "anbox_cloud"
IPTABLES_CHAIN = "ANBOX-CLOUD"
AZURE_FIRST_PRIORITY = 1000
AZURE_PRIORITY_STEP = 10


@dataclass(frozen=True, slots=True)
class Rule:
    """One merged port range to admit, and the catalog services it serves (for the rule's comment)."""

    port: PortRange
    services: tuple[str, ...]

    @property
    def comment(self) -> str:
        return f"{TAG}: {', '.join(self.services)}"


@dataclass(frozen=True, slots=True)
class Plan:
    """What to admit: external rules from anywhere, internal rules from `networks` only.

    `closed` are the internal rules when no network was named: reported in the header, admitted nowhere.
    """

    profile: Profile
    external: tuple[Rule, ...]
    internal: tuple[Rule, ...]
    networks: tuple[Network, ...]
    services: tuple[str, ...] | None

    @property
    def closed(self) -> tuple[Rule, ...]:
        return () if self.networks else self.internal

    @property
    def admitted_internal(self) -> tuple[Rule, ...]:
        return self.internal if self.networks else ()

    def v4(self) -> tuple[ipaddress.IPv4Network, ...]:
        return tuple(n for n in self.networks if isinstance(n, ipaddress.IPv4Network))

    def v6(self) -> tuple[ipaddress.IPv6Network, ...]:
        return tuple(n for n in self.networks if isinstance(n, ipaddress.IPv6Network))


def firewall_rules(
    profile: str,
    fmt: str,
    *,
    catalog: Catalog | None = None,
    services: Sequence[str] | None = None,
    internal: Sequence[str] = (),
    allow_public: bool = False,
) -> str:
    """The rules for `fmt` admitting the profile's exposed ports, and its internal ports from `internal`.

    Raises InputError (one line, naming the bad value and the choices) for an unknown format, profile
    or service, or a network that is not a CIDR, is public (unless `allow_public`) or, with the
    others, is every address.
    """
    if fmt not in FORMATS:
        raise InputError("--format", f'unknown firewall format "{fmt}": expected one of {", ".join(FORMATS)}')
    plan = firewall_plan(
        profile, catalog=catalog, services=services, internal=internal, allow_public=allow_public
    )
    return _RENDERERS[fmt](plan)


def firewall_plan(
    profile: str,
    *,
    catalog: Catalog | None = None,
    services: Sequence[str] | None = None,
    internal: Sequence[str] = (),
    allow_public: bool = False,
) -> Plan:
    """The format-free decision behind `firewall_rules`, for callers that render their own way."""
    chosen = parse_profile(profile)
    rows = (Catalog.builtin() if catalog is None else catalog).select(chosen, services)
    networks = parse_networks(internal, allow_public=allow_public)
    exposed = [row for row in rows if row.exposed]
    unexposed = [row for row in rows if not row.exposed]
    external_ports = merge(p for row in exposed for p in row.claims if p.protocol != "icmp")
    # A port both tables need (charmed 443/tcp: HAProxy exposed, Stream Agent internal) is already
    # open to everyone; admitting it again from the internal networks would only add noise.
    internal_ports = _subtract(
        merge(p for row in unexposed for p in row.claims if p.protocol != "icmp"), external_ports
    )
    return Plan(
        profile=chosen,
        external=tuple(Rule(p, _services(exposed, p)) for p in external_ports),
        internal=tuple(Rule(p, _services(unexposed, p)) for p in internal_ports),
        networks=networks,
        services=None if services is None else tuple(services),
    )


def parse_networks(
    texts: Sequence[str], source: str = "--internal", *, allow_public: bool = False
) -> tuple[Network, ...]:
    """Operator-named networks as CIDRs, IPv4 first, overlapping and adjacent ones collapsed.

    Strict on purpose: `10.0.0.1/8` is refused rather than widened to 10.0.0.0/8, since the operator
    may have meant 10.0.0.1/32. The internal ports must stay off the internet, so a network holding
    public addresses is refused unless `allow_public` says the operator means it, and networks that
    together are every address (0.0.0.0/1 with 128.0.0.0/1) are refused always: the union is what a
    firewall admits, so the union is what is judged.
    """
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for text in texts:
        network = _network(text, source)
        if network.prefixlen == 0:
            raise InputError(
                source, f"{quote(text)} is every address: internal ports must not be open to everyone"
            )
        if not allow_public and not _is_private(network):
            raise InputError(
                source,
                f"{quote(text)} holds public addresses: the internal ports would be open to them; name "
                "private networks (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7), or pass "
                "--allow-public-internal if those addresses are your own",
            )
        if isinstance(network, ipaddress.IPv4Network):
            v4.append(network)
        else:
            v6.append(network)
    networks: tuple[Network, ...] = (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))
    for merged in networks:
        if merged.prefixlen == 0:
            parts = [str(n) for n in (*v4, *v6) if n.version == merged.version]
            shown = (
                join_and(parts) if len(parts) <= 4 else f"{', '.join(parts[:3])} and {len(parts) - 3} more"
            )
            raise InputError(
                source,
                f"{shown} together are every IPv{merged.version} address ({merged}): internal ports must "
                "not be open to everyone",
            )
    return networks


def _network(text: str, source: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as err:
        loose = _loose_network(text)
        if loose is not None:
            raise InputError(
                source,
                f"{quote(text)} has host bits set: did you mean {loose} (or {text.split('/', maxsplit=1)[0]})?",
            ) from None
        raise InputError(
            source, f"{quote(text)} is not an IPv4 or IPv6 network (e.g. 10.0.0.0/8): {err}"
        ) from None


# Address blocks no internet host can send from: private use (RFC 1918, RFC 4193), shared address
# space (RFC 6598, carrier-grade NAT and overlay networks), loopback, link-local (RFC 3927, RFC 4291)
# and documentation (RFC 5737, RFC 3849). `ipaddress`'s own is_private does not answer this for a
# network: before Python 3.13 it looks at the first and last address only, so 0.0.0.0/1 is "private".
_NOT_PUBLIC: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
        "fc00::/7", "fe80::/10", "::1/128", "2001:db8::/32",
    )
)  # fmt: skip


def _is_private(network: Network) -> bool:
    """True when every address of `network` lies in one of the blocks no internet host sends from."""
    return any(
        network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]
        for block in _NOT_PUBLIC
    )


def _loose_network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _services(rows: Sequence[CatalogRow], port: PortRange) -> tuple[str, ...]:
    return tuple(dict.fromkeys(row.service for row in rows if any(c.overlaps(port) for c in row.claims)))


def _subtract(ranges: Sequence[PortRange], minus: Sequence[PortRange]) -> list[PortRange]:
    out: list[PortRange] = []
    for r in ranges:
        pieces = [(r.start, r.end)]
        for m in minus:
            if m.protocol != r.protocol:
                continue
            next_pieces: list[tuple[int, int]] = []
            for start, end in pieces:
                if m.end < start or end < m.start:
                    next_pieces.append((start, end))
                    continue
                if start < m.start:
                    next_pieces.append((start, m.start - 1))
                if m.end < end:
                    next_pieces.append((m.end + 1, end))
            pieces = next_pieces
        out.extend(PortRange(r.protocol, start, end) for start, end in pieces)
    return out


# -- the header every format shares -------------------------------------------------------------


def _header(plan: Plan, fmt: str) -> list[str]:
    scope = f"the {plan.profile} profile"
    if plan.services is not None:
        scope += f" (services: {', '.join(plan.services)})"
    admits = f"{_list(plan.external)} from anywhere"
    if plan.admitted_internal:
        admits += f"; {_list(plan.admitted_internal)} from {', '.join(map(str, plan.networks))} only"
    lines = [f"# anbox-cloud-ports {fmt} rules for {scope}: admit {admits}."]
    if plan.closed:
        lines.append(
            f"# Not admitted: the internal ports {_list(plan.closed)}; name the internal networks to admit "
            "them from there only."
        )
    return lines


def _list(rules: Sequence[Rule]) -> str:
    return ", ".join(str(rule.port) for rule in rules) if rules else "nothing"


def _dash(port: PortRange) -> str:
    return str(port.start) if port.start == port.end else f"{port.start}-{port.end}"


def _colon(port: PortRange) -> str:
    return str(port.start) if port.start == port.end else f"{port.start}:{port.end}"


# -- ufw ----------------------------------------------------------------------------------------


def _ufw(plan: Plan) -> str:
    # ufw writes each rule for IPv4 and IPv6 itself (with IPV6=yes, its default); a `from` network
    # limits the rule to that network's family. Ranges need the protocol, which every rule names.
    lines = _header(plan, "ufw")
    lines.append(
        "# Run as root with `sh FILE`. The rules act once ufw is enabled: allow SSH before `ufw enable`."
    )
    for rule in plan.external:
        lines.append(
            f"ufw allow {_colon(rule.port)}/{rule.port.protocol} comment {shlex.quote(rule.comment)}"
        )
    for network in plan.networks:
        for rule in plan.admitted_internal:
            lines.append(
                f"ufw allow from {network} to any port {_colon(rule.port)} proto {rule.port.protocol} "
                f"comment {shlex.quote(rule.comment)}"
            )
    return "\n".join(lines) + "\n"


# -- nftables -----------------------------------------------------------------------------------


def _nftables(plan: Plan) -> str:
    lines = _header(plan, "nftables")
    lines += [
        "#",
        "# Load with `nft -f FILE`; loading it again replaces the table (declaring and deleting it",
        "# first makes that work whether or not it exists).",
        "#",
        "# The policy stays accept: a drop policy here would also cut SSH and everything else this file",
        "# does not know about. nftables runs every base chain on a hook and a drop in any of them wins, so",
        "# an accept here does not override another firewall's drop: admit these ports there, or make this",
        "# the host's firewall by adding your own way in (see the SSH line) and setting `policy drop`.",
        f"table inet {NFT_TABLE}",
        f"delete table inet {NFT_TABLE}",
        f"table inet {NFT_TABLE} {{",
        "\tchain input {",
        "\t\ttype filter hook input priority filter; policy accept;",
        "\t\tct state established,related accept",
        '\t\tiif "lo" accept',
        "\t\tmeta l4proto { icmp, ipv6-icmp } accept",
        '\t\t# tcp dport 22 accept comment "ssh"',
    ]
    for protocol in ("tcp", "udp"):
        rules = [r for r in plan.external if r.port.protocol == protocol]
        if rules:
            lines.append(f"\t\t{protocol} dport {_nft_set(rules)} accept comment {_nft_comment(rules)}")
    for family, networks in (("ip", plan.v4()), ("ip6", plan.v6())):
        if not networks:
            continue
        saddr = _nft_elements([str(n) for n in networks])
        for protocol in ("tcp", "udp"):
            rules = [r for r in plan.admitted_internal if r.port.protocol == protocol]
            if rules:
                lines.append(
                    f"\t\t{family} saddr {saddr} {protocol} dport {_nft_set(rules)} accept "
                    f"comment {_nft_comment(rules)}"
                )
    lines += ["\t}", "}"]
    return "\n".join(lines) + "\n"


def _nft_set(rules: Sequence[Rule]) -> str:
    return _nft_elements([_dash(r.port) for r in rules])


def _nft_elements(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _nft_comment(rules: Sequence[Rule]) -> str:
    # nft keeps at most 128 bytes of a rule comment (NFT_USERDATA_MAXLEN); the text is ours, plain ASCII.
    names = tuple(dict.fromkeys(s for r in rules for s in r.services))
    text = f"{TAG}: {', '.join(names)}"
    if len(text) > 120:
        text = text[:117] + "..."
    return '"' + text.replace('"', "'") + '"'


# -- iptables -----------------------------------------------------------------------------------


def _iptables(plan: Plan) -> str:
    # iptables-restore input (atomic, checked with `iptables-restore --test`), wrapped in a script so
    # one file covers both families: iptables knows IPv4 only, ip6tables IPv6 only.
    lines = _header(plan, "iptables")
    lines += [
        "#",
        f"# Run as root with `sh FILE`. The rules live in their own chain, {IPTABLES_CHAIN}, which INPUT",
        "# jumps to first; running it again replaces the chain's rules (iptables-restore --noflush",
        "# flushes a chain it declares) and adds the jump only once. Persist them your usual way",
        "# (e.g. iptables-persistent's `netfilter-persistent save`).",
        "set -e",
    ]
    for tool, networks in (("iptables", plan.v4()), ("ip6tables", plan.v6())):
        lines += [f"{tool}-restore --noflush <<'EOF'", "*filter", f":{IPTABLES_CHAIN} - [0:0]"]
        for rule in plan.external:
            lines.append(_iptables_rule(rule, None))
        for network in networks:
            for rule in plan.admitted_internal:
                lines.append(_iptables_rule(rule, network))
        lines += [
            "COMMIT",
            "EOF",
            f"{tool} -C INPUT -j {IPTABLES_CHAIN} 2>/dev/null || {tool} -I INPUT -j {IPTABLES_CHAIN}",
        ]
    return "\n".join(lines) + "\n"


def _iptables_rule(rule: Rule, network: Network | None) -> str:
    source = f"-s {network} " if network is not None else ""
    proto = rule.port.protocol
    comment = rule.comment.replace('"', "'")
    return (
        f"-A {IPTABLES_CHAIN} {source}-p {proto} -m {proto} --dport {_colon(rule.port)} "
        f'-m comment --comment "{comment}" -j ACCEPT'
    )


# -- AWS ----------------------------------------------------------------------------------------


def _aws(plan: Plan) -> str:
    lines = _header(plan, "aws")
    permissions: list[dict[str, object]] = []
    for rule in plan.external:
        permissions.append(
            _aws_permission(rule, [ipaddress.IPv4Network("0.0.0.0/0")], [ipaddress.IPv6Network("::/0")])
        )
    for rule in plan.admitted_internal:
        permissions.append(_aws_permission(rule, plan.v4(), plan.v6()))
    if not permissions:
        lines.append("# Nothing to admit.")
        return "\n".join(lines) + "\n"
    # --ip-permissions takes this JSON; one call adds every permission, atomically.
    body = "[\n  " + ",\n  ".join(json.dumps(p) for p in permissions) + "\n]"
    lines += [
        "# Set SECURITY_GROUP_ID to the security group of the instance, then run with `sh FILE`.",
        "aws ec2 authorize-security-group-ingress \\",
        '  --group-id "${SECURITY_GROUP_ID:?set SECURITY_GROUP_ID to the security group id}" \\',
        f"  --ip-permissions {shlex.quote(body)}",
    ]
    return "\n".join(lines) + "\n"


def _aws_permission(
    rule: Rule, v4: Sequence[ipaddress.IPv4Network], v6: Sequence[ipaddress.IPv6Network]
) -> dict[str, object]:
    # Descriptions allow only a-zA-Z0-9. _-:/()#,@[]+=&;{}!$* (EC2 IpRange.Description): ours do.
    permission: dict[str, object] = {
        "IpProtocol": rule.port.protocol,
        "FromPort": rule.port.start,
        "ToPort": rule.port.end,
    }
    if v4:
        permission["IpRanges"] = [{"CidrIp": str(n), "Description": rule.comment} for n in v4]
    if v6:
        permission["Ipv6Ranges"] = [{"CidrIpv6": str(n), "Description": rule.comment} for n in v6]
    return permission


# -- Google Cloud -------------------------------------------------------------------------------


def _gcp(plan: Plan) -> str:
    # A VPC firewall rule holds IPv4 or IPv6 source ranges, never both (Google Cloud "Use VPC
    # firewall rules"), so each set of ports is one rule per family. Without a target tag a rule
    # applies to every instance of the network, so the rules target a tag the instance must carry.
    lines = _header(plan, "gcp")
    lines += [
        "# Tag the instance first: gcloud compute instances add-tags INSTANCE --tags=anbox-cloud",
        "# (or set TARGET_TAG), and set NETWORK if it is not `default`. Run with `sh FILE`.",
    ]
    commands: list[tuple[str, Sequence[Rule], Sequence[str], str]] = []
    if plan.external:
        commands.append(("ipv4", plan.external, ["0.0.0.0/0"], "from anywhere"))
        commands.append(("ipv6", plan.external, ["::/0"], "from anywhere"))
    if plan.admitted_internal:
        if plan.v4():
            commands.append(
                ("internal-ipv4", plan.admitted_internal, [str(n) for n in plan.v4()], "internal")
            )
        if plan.v6():
            commands.append(
                ("internal-ipv6", plan.admitted_internal, [str(n) for n in plan.v6()], "internal")
            )
    for suffix, rules, sources, what in commands:
        allow = ",".join(f"{r.port.protocol}:{_dash(r.port)}" for r in rules)
        services = ", ".join(dict.fromkeys(s for r in rules for s in r.services))
        lines += [
            f"gcloud compute firewall-rules create {TAG}-{plan.profile}-{suffix} \\",
            '  --network="${NETWORK:-default}" --direction=INGRESS \\',
            f"  --allow={allow} \\",
            f"  --source-ranges={','.join(sources)} \\",
            '  --target-tags="${TARGET_TAG:-anbox-cloud}" \\',
            f"  --description={shlex.quote(f'Anbox Cloud {plan.profile}, {what}: {services}')}",
        ]
    return "\n".join(lines) + "\n"


# -- Azure --------------------------------------------------------------------------------------


def _azure(plan: Plan) -> str:
    # One NSG rule per protocol (a rule has one protocol, many port ranges); internal rules one per
    # address family, as mixing the families in one rule is not something every API version takes.
    lines = _header(plan, "azure")
    lines += [
        "# Set RESOURCE_GROUP and NSG_NAME (the network security group of the VM), then run with",
        f"# `sh FILE`. Priorities from {AZURE_FIRST_PRIORITY} up, in steps of {AZURE_PRIORITY_STEP}, must be free in that NSG.",
    ]
    commands: list[tuple[str, list[Rule], list[str]]] = []
    for protocol in ("tcp", "udp"):
        rules = [r for r in plan.external if r.port.protocol == protocol]
        if rules:
            commands.append((protocol, rules, ["'*'"]))
    for family, networks in (("ipv4", plan.v4()), ("ipv6", plan.v6())):
        for protocol in ("tcp", "udp"):
            rules = [r for r in plan.admitted_internal if r.port.protocol == protocol]
            if rules and networks:
                commands.append((f"internal-{protocol}-{family}", rules, [str(n) for n in networks]))
    for index, (suffix, rules, sources) in enumerate(commands):
        protocol = rules[0].port.protocol
        services = ", ".join(dict.fromkeys(s for r in rules for s in r.services))
        description = f"{TAG} {plan.profile}: {services}"
        if len(description) > 140:  # the NSG rule description limit
            description = description[:137] + "..."
        lines += [
            "az network nsg rule create \\",
            '  --resource-group "${RESOURCE_GROUP:?set RESOURCE_GROUP}" --nsg-name "${NSG_NAME:?set NSG_NAME}" \\',
            f"  --name {TAG}-{plan.profile}-{suffix} "
            f"--priority {AZURE_FIRST_PRIORITY + index * AZURE_PRIORITY_STEP} \\",
            f"  --direction Inbound --access Allow --protocol {protocol.capitalize()} \\",
            f"  --source-address-prefixes {' '.join(sources)} --source-port-ranges '*' \\",
            f"  --destination-address-prefixes '*' --destination-port-ranges {' '.join(_dash(r.port) for r in rules)} \\",
            f"  --description {shlex.quote(description)}",
        ]
    return "\n".join(lines) + "\n"


_RENDERERS: dict[str, Callable[[Plan], str]] = {
    "ufw": _ufw,
    "nftables": _nftables,
    "iptables": _iptables,
    "aws": _aws,
    "gcp": _gcp,
    "azure": _azure,
}
