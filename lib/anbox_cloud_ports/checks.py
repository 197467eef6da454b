"""The engine: one Deployment in, every port problem out, each with the units, ports and a fix.

Every source (bundle, `juju status`, relation data) ends here, so a rule written once judges them all.
Two questions run through the port-conflict rule and are kept apart because they differ: can the
services *bind* their sockets (the kernel's question), and will *Juju* accept the `open-port` calls
(Juju's bookkeeping, which changed between 3.x and 4.x). A layout can pass one and fail the other.

Conflicts are found by a sweep per (host, protocol), never by comparing all pairs: sorting costs
O(n log n) and each conflicting pair costs O(1) more, so a clean 100k-claim model is cheap and a
pathological one (every unit opening 1-65535 on one machine) is bounded by `PAIR_CAP`.
"""

from __future__ import annotations

import heapq
import ipaddress
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from operator import itemgetter, le
from typing import Literal, NamedTuple

from .catalog import Catalog, CatalogRow, Profile
from .deployment import Application, Claim, Deployment, ExposeTarget, Host, Unit, unit_sort_key
from .findings import Finding, Location, Summary, View, ordered
from .gcpause import gc_paused
from .ports import MAX_PORT, PortRange, Protocol, merge

JujuVersion = Literal["3", "4"]
JUJU_VERSIONS: tuple[JujuVersion, ...] = ("3", "4")

# One conflicting pair of claims as the raw sweep reports it, ordered so that
# (unit_a, range_a) < (unit_b, range_b); one tuple per view that objects.
ConflictPair = tuple[str, PortRange, str, PortRange, View]

# Most pair findings reported per (host, protocol). Beyond it one summary finding gives the count
# and the units involved: a person fixes the layout from the first few pairs, and a model where
# thousands of units share a range must not turn into millions of lines (or millions of steps).
# Read at call time, so tests can lower it.
PAIR_CAP = 50

# Where a moved port is looked for when nothing is free above the old one: the first unprivileged port.
_FALLBACK_FIRST_PORT = 1024


@dataclass(frozen=True, slots=True)
class Report:
    """What one check run says about one input; renderers and exit codes read only this."""

    input: str
    juju: JujuVersion
    findings: tuple[Finding, ...]
    summary: Summary
    deployment: Deployment


def check(deployment: Deployment, *, catalog: Catalog | None = None, juju: JujuVersion = "3") -> Report:
    """Judge a deployment against the catalog; `juju` picks whose open-port rules apply (3.x or 4.x)."""
    if juju not in JUJU_VERSIONS:
        raise ValueError(f"unknown Juju version {juju!r}: expected one of {', '.join(JUJU_VERSIONS)}")
    catalog = catalog if catalog is not None else Catalog.builtin()
    with gc_paused():
        index = _Index(deployment, catalog)
        found: list[Finding] = list(deployment.problems)
        found.extend(_ConflictRule(index, juju).findings())
        if deployment.exposure_known:
            # Relation data cannot see `juju expose`: judging exposure there would only guess.
            found.extend(_internal_port_exposed(index))
            found.extend(_external_port_unexposed(index))
        found.extend(_required_port_missing(index))
        found.extend(_uncatalogued_port(index))
        findings = tuple(ordered(found))
    summary = Summary.of(
        findings,
        hosts=len(index.hosts),  # the distinct hosts of the units, as Deployment.hosts() counts them
        units=len(deployment.units),
        unchecked=len(deployment.unchecked),
    )
    return Report(deployment.input, juju, findings, summary, deployment)


def report_of(findings: Iterable[Finding], *, input: str, hosts: int, units: int = 0) -> Report:
    """A Report for findings judged outside a Deployment, so the same renderers and exit codes serve them.

    Preflight reads sockets, not Juju: its findings come from the host, not from a deployment.
    """
    ordered_findings = tuple(ordered(findings))
    summary = Summary.of(ordered_findings, hosts=hosts, units=units)
    return Report(input, "3", ordered_findings, summary, Deployment(input, {}, (), ()))


def conflict_pairs(deployment: Deployment, *, juju: JujuVersion = "3") -> set[ConflictPair]:
    """Every conflicting pair with the views that object, uncapped: what the oracle tests compare."""
    index = _Index(deployment, Catalog.builtin())
    result: set[ConflictPair] = set()
    for _, _, group in index.groups():
        keys = _clashing_keys(group)
        if keys is None:
            continue
        for i, j in _overlapping(keys):
            a, b = _pair_order(keys[i], keys[j])
            for view in _views(a, b, juju):
                result.add((a.unit, a.port, b.unit, b.port, view))
    return result


# -- the shared index ---------------------------------------------------------------------------------


# Within one (host, protocol) group: (unit, start, end) -> the claims (one per endpoint) behind it.
_Group = dict[tuple[str, int, int], list[Claim]]


class _Key(NamedTuple):
    """One unit holding one range on one host: claims differing only by endpoint are one socket.

    A tuple, not a dataclass: up to one per claim is built in a check, and a tuple is cheap to build.
    """

    start: int
    end: int
    unit: str
    claims: list[Claim]

    @property
    def port(self) -> PortRange:
        return self.claims[0].port


class _Index:
    """The deployment regrouped once, so that every rule is a pass over the parts it needs."""

    def __init__(self, deployment: Deployment, catalog: Catalog):
        self.deployment = deployment
        self.catalog = catalog
        self.profile: Profile = deployment.profile
        self.units: dict[str, Unit] = deployment.unit_map()
        # Hosts are numbered once: hashing a Host per claim would dominate a 100k-claim check.
        self.hosts: list[Host] = []
        self._host_ids: dict[Host, int] = {}
        host_of_unit: dict[str, int] = {}
        for unit in deployment.units:
            hid = self._host_ids.get(unit.host)
            if hid is None:
                hid = self._host_ids[unit.host] = len(self.hosts)
                self.hosts.append(unit.host)
            host_of_unit[unit.name] = hid
        self.claims_by_unit: dict[str, list[Claim]] = {}
        # (host id, protocol) -> group; a claim of a unit no source placed has no host and is left out
        # (sources report such units as unchecked).
        self._groups: dict[tuple[int, Protocol], _Group] = {}
        by_unit = self.claims_by_unit
        groups = self._groups
        for claim in deployment.claims:
            name = claim.unit
            hid = host_of_unit.get(name)
            if hid is None:
                continue
            held = by_unit.get(name)
            if held is None:
                by_unit[name] = [claim]
            else:
                held.append(claim)
            port = claim.port
            group = groups.get((hid, port.protocol))
            if group is None:
                group = groups[(hid, port.protocol)] = {}
            key = (name, port.start, port.end)
            same = group.get(key)
            if same is None:
                group[key] = [claim]
            else:
                same.append(claim)
        self.units_by_app: dict[str, list[Unit]] = {}
        for unit in deployment.units:
            self.units_by_app.setdefault(unit.application, []).append(unit)
        self._occupied: dict[tuple[Host, frozenset[Protocol]], tuple[list[int], list[tuple[int, int]]]] = {}

    def groups(self) -> Iterator[tuple[Host, Protocol, _Group]]:
        for (hid, protocol), group in self._groups.items():
            yield self.hosts[hid], protocol, group

    def row_of(self, claim: Claim, charm: str) -> CatalogRow | None:
        if claim.row is not None:
            return claim.row
        return self.catalog.row_for(charm, claim.port, self.profile)

    def free_range(
        self, host: Host, protocols: frozenset[Protocol], size: int, after: int
    ) -> PortRange | None:
        """The first span of `size` ports at or above `after` that nothing on `host` holds in any protocol.

        Checked against every claim on the host, the moved one included, so the suggestion is safe
        whichever way the operator applies it.
        """
        ends, spans = self._occupied_spans(host, protocols)
        for first in (after, _FALLBACK_FIRST_PORT):
            candidate = first
            i = bisect_left(ends, candidate)
            while candidate + size - 1 <= MAX_PORT:
                if i >= len(spans) or spans[i][0] > candidate + size - 1:
                    protocol = min(protocols)
                    return PortRange(protocol, candidate, candidate + size - 1)
                candidate = max(candidate, spans[i][1] + 1)
                i += 1
        return None

    def _occupied_spans(
        self, host: Host, protocols: frozenset[Protocol]
    ) -> tuple[list[int], list[tuple[int, int]]]:
        cached = self._occupied.get((host, protocols))
        if cached is not None:
            return cached
        raw: list[tuple[int, int]] = []
        hid = self._host_ids[host]
        for protocol in protocols:
            raw.extend((start, end) for _, start, end in self._groups.get((hid, protocol), {}))
        raw.sort()
        spans: list[tuple[int, int]] = []
        for start, end in raw:
            if spans and start <= spans[-1][1] + 1:
                if end > spans[-1][1]:
                    spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        result = ([end for _, end in spans], spans)
        self._occupied[(host, protocols)] = result
        return result


# -- port-conflict: the sweep -------------------------------------------------------------------------


_BY_RANGE = itemgetter(1, 2, 0)
_START = itemgetter(1)
_END = itemgetter(2)


def _clashing_keys(group: _Group) -> list[_Key] | None:
    """The group's keys by (start, end, unit), or None when no two overlap (most groups, in a sane model).

    Sorting on the unit too makes the sweep's order, and so the pairs listed before `PAIR_CAP`, the same
    for any input order.

    The test runs at C speed (sorted, map, accumulate): a range overlaps an earlier one exactly when
    it starts at or before the furthest end seen so far.
    """
    if len(group) < 2:
        return None
    order = sorted(group, key=_BY_RANGE)
    reach = accumulate(map(_END, order), max)
    if not any(map(le, islice(map(_START, order), 1, None), reach)):
        return None
    return [_Key(k[1], k[2], k[0], group[k]) for k in order]


def _overlapping(keys: Sequence[_Key]) -> Iterator[tuple[int, int]]:
    """Every pair of keys (indices into `keys`, sorted by start) whose ranges share a port.

    An active heap ordered by end holds the keys that reach the current start; each of them overlaps
    the current key, so the walk costs O(n log n) plus O(1) per pair it yields.
    """
    active: list[tuple[int, int]] = []
    for j, key in enumerate(keys):
        start = key.start
        while active and active[0][0] < start:
            heapq.heappop(active)
        for _, i in active:
            yield i, j
        heapq.heappush(active, (key.end, j))


def _count_overlapping(keys: Sequence[_Key]) -> int:
    """How many pairs `_overlapping` would yield, in O(n log n): all pairs minus the disjoint ones.

    A pair is disjoint exactly when one range ends before the other starts, and that can hold one way
    round only, so counting, per key, the keys that end before it starts counts each disjoint pair once.
    """
    ends = sorted(k.end for k in keys)
    disjoint = sum(bisect_left(ends, k.start) for k in keys)
    n = len(keys)
    return n * (n - 1) // 2 - disjoint


def _involved(keys: Sequence[_Key]) -> list[_Key]:
    """The keys that overlap at least one other key (keys sorted by start), in O(n)."""
    result: list[_Key] = []
    reach = -1  # the furthest end among the keys before the current one
    for i, key in enumerate(keys):
        before = reach >= key.start
        after = i + 1 < len(keys) and keys[i + 1].start <= key.end
        if before or after:
            result.append(key)
        reach = max(reach, key.end)
    return result


def _pair_order(x: _Key, y: _Key) -> tuple[_Key, _Key]:
    return (x, y) if (x.unit, x.port) < (y.unit, y.port) else (y, x)


def _views(a: _Key, b: _Key, juju: JujuVersion) -> tuple[View, ...]:
    """Which judgements object to two overlapping keys on one host (never the same unit and range)."""
    same_unit = a.unit == b.unit
    views: list[View] = []
    # Sockets: two processes cannot listen on one port; one unit's claims are one process's sockets,
    # and icmp has no ports to bind.
    if not same_unit and a.port.protocol != "icmp":
        views.append("bind")
    if juju == "3":
        # juju worker/uniter/runner/context/ports.go checkForConflict: another unit's overlapping range
        # always conflicts; the unit's own conflicts unless identical (then only the endpoint differs,
        # and keys already merge those). icmp parses to -1..-1, which ConflictsWith
        # (core/network/portrange.go) overlaps like any range.
        views.append("juju")
    elif a.port != b.port:
        # juju domain/port/service/service.go verifyNoPortRangeConflicts: over every range on the net
        # node, the unit's own included, ranges that overlap but are not equal conflict.
        views.append("juju")
    return tuple(views)


class _ConflictRule:
    def __init__(self, index: _Index, juju: JujuVersion):
        self.index = index
        self.juju: JujuVersion = juju
        # The appliance is a snap on one machine, not Juju units: only the sockets can object there.
        self.juju_managed = index.deployment.profile != "appliance"

    def findings(self) -> Iterator[Finding]:
        cap = PAIR_CAP
        for host, protocol, group in self.index.groups():
            if protocol == "icmp" and self.juju == "4":
                # Juju 4 lets identical ranges share a net node and every icmp claim is identical;
                # nothing binds icmp either: no view can object.
                continue
            keys = _clashing_keys(group)
            if keys is None:
                continue
            shown_views: set[View] = set()
            for reported, (i, j) in enumerate(_overlapping(keys)):
                if reported == cap:
                    # Stop walking: counting the rest is O(n log n), listing it could be O(n^2).
                    yield self._summary(host, protocol, keys, reported, shown_views)
                    break
                a, b = _pair_order(keys[i], keys[j])
                views: tuple[View, ...] = _views(a, b, self.juju)
                if not self.juju_managed:
                    views = tuple(v for v in views if v != "juju")
                    if not views:
                        continue
                shown_views.update(views)
                yield self._pair_finding(host, a, b, views)

    # -- one pair ---------------------------------------------------------------------------------

    def _pair_finding(self, host: Host, a: _Key, b: _Key, views: tuple[View, ...]) -> Finding:
        same_unit = a.unit == b.unit
        pa, pb = a.port, b.port
        overlap = PortRange(pa.protocol, max(pa.start, pb.start), min(pa.end, pb.end))
        first, second = sorted((a, b), key=lambda k: (unit_sort_key(k.unit), k.port))
        if pa.protocol == "icmp":
            head = f"{first.unit} and {second.unit} both open icmp on {host}"
        elif same_unit:
            head = f"{a.unit} opens both {pa} and {pb} on {host}, which overlap on {overlap}"
        elif pa == pb:
            head = f"{first.unit} and {second.unit} both need {pa} on {host}"
        else:
            head = (
                f"{first.unit} needs {first.port} and {second.unit} needs {second.port} on {host}, "
                f"which overlap on {overlap}"
            )
        reasons: list[str] = []
        if not self.juju_managed:
            reasons.append(f"the two services cannot both bind {overlap}: the second to start fails")
        elif "juju" not in views:
            # juju domain/port/service/service.go verifyNoPortRangeConflicts skips equal ranges: Juju 4
            # records both, and the clash only shows when the second service fails to bind.
            reasons.append(
                "Juju 4 stays quiet (it accepts an identical range from co-located units), but the two "
                f"services still cannot both bind {overlap}: the second to start fails"
            )
        else:
            if "bind" in views:
                reasons.append(f"the two services cannot both bind {overlap}")
            if self.juju == "3":
                # The error text of juju worker/uniter/runner/context/ports.go OpenPortRange.
                reasons.append(
                    "Juju 3 refuses whichever open-port runs second: "
                    f'\'cannot open {second.port} (unit "{second.unit}"): port range conflicts with '
                    f'{first.port} (unit "{first.unit}")\''
                )
            else:
                # juju domain/port: ErrPortRangeConflict reads "port range conflict", then the pair.
                reasons.append(
                    f"Juju 4 refuses the open-port with 'port range conflict: [{second.port}, {first.port}]'"
                )
        if pa.protocol == "icmp":
            reasons.append("icmp has no ports, so nothing fails to bind, but the hook fails all the same")
        message = f"{head}: {'; '.join(reasons)}."
        units = (first.unit,) if same_unit else (first.unit, second.unit)
        ports = (first.port,) if first.port == second.port else (first.port, second.port)
        return Finding(
            rule="port-conflict",
            severity="error",
            message=message,
            hosts=(host,),
            units=units,
            ports=ports,
            fix=self._pair_fix(host, first, second, same_unit),
            location=self._location(second) or self._location(first),
            views=tuple(v for v in ("bind", "juju") if v in views),
        )

    def _pair_fix(self, host: Host, first: _Key, second: _Key, same_unit: bool) -> str:
        if same_unit:
            big, small = (first, second) if first.port.contains(second.port) else (second, first)
            if big.port.contains(small.port):
                return (
                    f"Open only {big.port} (it already covers {small.port}), or make the two ranges disjoint."
                )
            joined = PortRange(
                first.port.protocol,
                min(first.port.start, second.port.start),
                max(first.port.end, second.port.end),
            )
            return f"Open one range, {joined}, instead of both, or make the two ranges disjoint."
        mover = self._mover(first, second)
        unit = self.index.units[mover.unit]
        if not self.juju_managed:
            free = self.index.free_range(
                host, frozenset({mover.port.protocol}), mover.port.size, mover.port.end + 1
            )
            moved = f" (e.g. {free}, checked free on this host)" if free is not None else ""
            return (
                f"Configure {unit.application} to listen on another port than {mover.port}{moved}, "
                "or run it on another machine."
            )
        root = host.machine.split("/", 1)[0]
        subject = f"the principal of {mover.unit}" if unit.subordinate else mover.unit
        if first.port.protocol == "icmp":
            parts = [
                f"Open icmp from only one of the units on {host}, or move {subject} to another "
                f"machine or a container of its own (e.g. `--to lxd:{root}`)"
            ]
        else:
            parts = [f"Move {subject} to another machine or a container of its own (e.g. `--to lxd:{root}`)"]
        for key in (mover, first if mover is second else second):
            option = self._option_move(host, key)
            if option:
                parts.append(option)
        return ", or ".join(parts) + "."

    def _mover(self, first: _Key, second: _Key) -> _Key:
        """The unit to suggest moving: a principal before a subordinate, else the later unit."""
        if self.index.units[second.unit].subordinate and not self.index.units[first.unit].subordinate:
            return first
        return second

    def _option_move(self, host: Host, key: _Key) -> str | None:
        """`set <app> option <name> to <port>` for a key a config option can move, with a port checked free."""
        if key.port.protocol == "icmp":
            return None
        unit = self.index.units[key.unit]
        name: str | None = None
        row: CatalogRow | None = None
        for claim in key.claims:
            row = self.index.row_of(claim, unit.charm)
            if claim.option:
                name = claim.option
                break
            if row is not None:
                option = row.option_for(unit.charm)
                if option is not None:
                    name = option.name
                    break
        if name is None:
            return None
        protocols: set[Protocol] = {key.port.protocol}
        if row is not None:
            # An option moves every protocol of its row (ams-lxd exposed_instance_ports: UDP & TCP).
            protocols.update(p.protocol for p in row.claims if p.protocol != "icmp")
        free = self.index.free_range(host, frozenset(protocols), key.port.size, key.port.end + 1)
        if free is None:
            return None
        value = str(free.start) if free.size == 1 else f"{free.start}-{free.end}"
        where = "/".join(sorted(protocols))
        return f"set {unit.application} option {name} to {value} (checked free for {where} on {host})"

    def _location(self, key: _Key) -> Location | None:
        for claim in key.claims:
            if claim.location is not None:
                return claim.location
        return self.index.units[key.unit].location

    # -- too many pairs ---------------------------------------------------------------------------

    def _summary(
        self, host: Host, protocol: Protocol, keys: Sequence[_Key], reported: int, views: set[View]
    ) -> Finding:
        total = _count_overlapping(keys)
        involved = _involved(keys)
        names = sorted({k.unit for k in involved}, key=unit_sort_key)
        more = total - reported
        message = (
            f"{total} conflicting pairs of {protocol} claims on {host}, among {_describe_units(names, limit=5)}: "
            f"{reported} are reported as findings of their own and the other {more} are collapsed into this one."
        )
        fix = (
            f"Spread these units over more machines or containers (e.g. `--to lxd:{host.machine.split('/', 1)[0]}`) "
            "or give each its own ports; fix the pairs listed one by one first, then check again."
        )
        return Finding(
            rule="port-conflict",
            severity="error",
            message=message,
            hosts=(host,),
            units=tuple(names),
            ports=tuple(merge(k.port for k in involved)),
            fix=fix,
            views=tuple(v for v in ("bind", "juju") if v in views),
        )


# -- exposure ------------------------------------------------------------------------------------------

# Where an expose rule can only be reached from inside: RFC 1918, RFC 4193, loopback, link-local.
_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")
)
_PRIVATE_V6 = tuple(ipaddress.IPv6Network(net) for net in ("fc00::/7", "::1/128", "fe80::/10"))


def _is_private(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if isinstance(network, ipaddress.IPv4Network):
        return any(network.subnet_of(private) for private in _PRIVATE_V4)
    return any(network.subnet_of(private) for private in _PRIVATE_V6)


@dataclass(frozen=True, slots=True)
class _Audience:
    public: bool
    text: str
    unparsable: tuple[str, ...] = ()


def _audience(target: ExposeTarget) -> _Audience:
    """Who an expose rule lets in, and whether that reaches beyond private networks."""
    # juju apiserver/facades/client/application Expose: no CIDRs and no spaces means 0.0.0.0/0 and ::/0.
    if target.everyone:
        return _Audience(True, "0.0.0.0/0 and ::/0")
    public = False
    bad: list[str] = []
    for cidr in target.cidrs:
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            bad.append(cidr)
            public = True
            continue
        if not _is_private(network):
            public = True
    parts: list[str] = []
    if target.cidrs:
        parts.append(", ".join(target.cidrs))
    if target.spaces:
        parts.append("space" + ("s " if len(target.spaces) > 1 else " ") + ", ".join(target.spaces))
    return _Audience(public, " and ".join(parts), tuple(bad))


def _exposing_rules(app: Application, endpoint: str) -> list[tuple[str, ExposeTarget]]:
    """The expose rules that reach a port opened for `endpoint` (`""`: opened for all endpoints).

    juju worker/firewaller/firewaller.go ingressRulesForExposedMachineUnit: the wildcard rule reaches every
    opened port; a rule for endpoint X reaches the ports opened for X and those opened for all endpoints.
    """
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


def _rule_text(app: str, rule: str) -> str:
    return f"`juju expose {app}` (wildcard)" if rule == "" else f"`juju expose {app} --endpoints {rule}`"


def _opened_text(endpoint: str) -> str:
    return "for all endpoints" if endpoint == "" else f"on endpoint {endpoint}"


def _is_lxd_api(row: CatalogRow) -> bool:
    return row.service == "LXD" and PortRange.single(8443) in row.claims


def _internal_port_exposed(index: _Index) -> Iterator[Finding]:
    deployment = index.deployment
    for app_name in sorted(deployment.applications):
        app = deployment.applications[app_name]
        if not app.exposed:
            continue
        # (port, endpoint, row) -> units: one finding per leaked port of an application, not per unit.
        leaks: dict[tuple[PortRange, str, CatalogRow], list[tuple[Unit, Claim]]] = {}
        # Only a wildcard rule surely reaches a port whose endpoint the source does not know.
        certain = deployment.endpoints_known or "" in app.exposed
        external_endpoints: set[str] = set()
        for unit in index.units_by_app.get(app_name, ()):
            for claim in index.claims_by_unit.get(unit.name, ()):
                row = index.row_of(claim, unit.charm)
                if row is None:
                    continue
                if row.exposed:
                    if claim.endpoint:
                        external_endpoints.add(claim.endpoint)
                    continue
                if _exposing_rules(app, claim.endpoint):
                    leaks.setdefault((claim.port, claim.endpoint, row), []).append((unit, claim))
        for (port, endpoint, row), held in sorted(leaks.items(), key=lambda item: (item[0][0], item[0][1])):
            yield _leak_finding(
                app,
                port,
                endpoint,
                row,
                held=held,
                external_endpoints=sorted(external_endpoints),
                certain=certain,
            )


def _leak_finding(
    app: Application,
    port: PortRange,
    endpoint: str,
    row: CatalogRow,
    *,
    held: list[tuple[Unit, Claim]],
    external_endpoints: list[str],
    certain: bool = True,
) -> Finding:
    rules = _exposing_rules(app, endpoint)
    audiences = [(rule, _audience(target)) for rule, target in rules]
    public = any(a.public for _, a in audiences)
    names = sorted({unit.name for unit, _ in held}, key=unit_sort_key)
    hosts = tuple(sorted({unit.host for unit, _ in held}))
    verb = "opens" if len(names) == 1 else "open"
    reach: list[str] = []
    for rule, audience in audiences:
        text = f"{_rule_text(app.name, rule)} exposes it to {audience.text}"
        if rule and endpoint == "":
            text += f" (a rule for {rule} also reaches every port opened for all endpoints)"
        for bad in audience.unparsable:
            text += f"; CIDR {bad!r} cannot be parsed, so it is treated as public"
        reach.append(text)
    what = f"{row.service}'s {row.description} ({port})"
    if certain:
        message = f"{_describe_units(names)} {verb} {port} {_opened_text(endpoint)}; {'; '.join(reach)}"
    else:
        message = (
            f"{_describe_units(names)} {verb} {port} and this input does not say on which endpoint; "
            f"if it is opened for all endpoints, {'; '.join(reach)}"
        )
    if public:
        message += f", but the catalog says {what} is not exposed externally"
    else:
        message += f": private networks only, which is fine inside the deployment, though the catalog keeps {what} internal"
    if _is_lxd_api(row) and any(rule == "" for rule, _ in rules):
        message += (
            ". The Anbox Cloud docs' own `juju expose lxd` step does exactly this: it publishes LXD's API on "
            "8443 to the internet"
        )
    wildcard = any(rule == "" for rule, _ in rules)
    actions: list[str] = []
    if endpoint == "":
        actions.append(
            f"open {port} on a named internal endpoint (`open-port {port} --endpoints <endpoint>`)"
        )
    if wildcard:
        targets = ",".join(external_endpoints) if external_endpoints else "<endpoints of its external ports>"
        actions.append(
            f"replace `juju expose {app.name}` with `juju expose {app.name} --endpoints {targets}`"
        )
    if not actions:
        # Opened on a named endpoint that a rule names: only that rule reaches it.
        actions.append(
            f"stop exposing endpoint {endpoint} (`juju unexpose {app.name} --endpoints {endpoint}`)"
        )
    fix = " and ".join(actions)
    if not certain:
        units = " ".join(f"--unit {n}" for n in names[:3])
        fix = f"check with `juju exec {units} -- opened-ports --endpoints`; if it shows {port} (*), {fix}"
    if public:
        fix += f"; or limit the rules to private networks (`juju expose {app.name} --to-cidrs 10.0.0.0/8`)"
    else:
        fix = f"nothing to do if those networks are yours; otherwise {fix}"
    location = next((c.location for _, c in held if c.location is not None), None) or app.location
    return Finding(
        rule="internal-port-exposed",
        severity=("error" if certain else "warning") if public else "info",
        message=message + ".",
        hosts=hosts,
        units=tuple(names),
        ports=(port,),
        fix=_sentence(fix),
        location=location,
    )


def _external_port_unexposed(index: _Index) -> Iterator[Finding]:
    deployment = index.deployment
    for app_name in sorted(deployment.applications):
        app = deployment.applications[app_name]
        units = index.units_by_app.get(app_name, [])
        if not units or app.subordinate:
            continue
        rows = [
            row
            for row in index.catalog.for_charm(app.charm, index.profile)
            if row.required == "yes" and row.exposed
        ]
        if not rows:
            continue
        names = sorted((u.name for u in units), key=unit_sort_key)
        hosts = tuple(sorted({u.host for u in units}))
        if not app.exposed:
            # The units' own claims of those rows (moved by config, maybe), else the rows' defaults.
            held = sorted(
                {
                    c.port
                    for u in units
                    for c in index.claims_by_unit.get(u.name, ())
                    if index.row_of(c, u.charm) in rows
                }
            )
            ports = tuple(held) if held else tuple(p for row in rows for p in row.claims)
            what = _join_and(sorted({f"{row.service} {row.description}" for row in rows}))
            yield Finding(
                rule="external-port-unexposed",
                severity="warning",
                message=(
                    f"{app_name} is not exposed, so clients cannot reach {', '.join(str(p) for p in ports)} "
                    f"({what}), which the catalog marks required and exposed externally."
                ),
                hosts=hosts,
                units=tuple(names),
                ports=ports,
                fix=(
                    f"Run `juju expose {app_name}` (bundle: `expose: true`), or expose the endpoints "
                    "those ports are opened on."
                ),
                location=app.location,
            )
            continue
        # Exposed, but maybe not on the endpoint the external ports are opened for.
        unreached: dict[tuple[PortRange, str], list[str]] = {}
        for unit in units:
            for claim in index.claims_by_unit.get(unit.name, ()):
                row = index.row_of(claim, unit.charm)
                if row in rows and not _exposing_rules(app, claim.endpoint):
                    unreached.setdefault((claim.port, claim.endpoint), []).append(unit.name)
        if not unreached:
            continue
        rules = ", ".join(sorted(name or "(wildcard)" for name in app.exposed))
        parts = [
            f"{p} {_opened_text(ep)} by {_describe_units(sorted(us, key=unit_sort_key))}"
            for (p, ep), us in sorted(unreached.items())
        ]
        endpoints = sorted({ep for _, ep in unreached if ep})
        yield Finding(
            rule="external-port-unexposed",
            severity="warning",
            message=(
                f"{app_name} exposes only {rules}, which does not reach {'; '.join(parts)}; "
                "the catalog marks these required and exposed externally."
            ),
            hosts=hosts,
            units=tuple(names),
            ports=tuple(sorted({p for p, _ in unreached})),
            fix=f"Run `juju expose {app_name} --endpoints {','.join(endpoints)}`."
            if endpoints
            else f"Run `juju expose {app_name}`.",
            location=app.location,
        )


# -- what units hold ---------------------------------------------------------------------------------

_KNOWING_SOURCES = frozenset({"observed", "relation"})


def _required_port_missing(index: _Index) -> Iterator[Finding]:
    """Only where the source knows what is held: a bundle's claims are intentions, not facts."""
    deployment = index.deployment
    for unit in deployment.units:
        if unit.subordinate or not index.catalog.knows(unit.charm, index.profile):
            continue
        claims = index.claims_by_unit.get(unit.name, [])
        if not deployment.observed and not any(c.source in _KNOWING_SOURCES for c in claims):
            continue
        missing: list[tuple[CatalogRow, PortRange]] = []
        for row in index.catalog.for_charm(unit.charm, index.profile):
            if row.required != "yes":
                continue
            for default in row.claims:
                # Held as the row itself (moved by config) or as the row's default port, per protocol.
                if not any(
                    (c.row == row and c.port.protocol == default.protocol) or c.port == default
                    for c in claims
                ):
                    missing.append((row, default))
        if not missing:
            continue
        listed = ", ".join(f"{p} ({row.service} {row.description})" for row, p in missing)
        ports = tuple(p for _, p in missing)
        yield Finding(
            rule="required-port-missing",
            severity="warning",
            message=f"{unit.name} does not hold {listed}, which the catalog marks required.",
            hosts=(unit.host,),
            units=(unit.name,),
            ports=ports,
            fix=(
                f"Check that {unit.name}'s service is up and its charm opens "
                f"{', '.join(str(p) for p in ports)}; a port moved by a config option counts once the "
                "option's value is known."
            ),
            location=unit.location,
        )


def _uncatalogued_port(index: _Index) -> Iterator[Finding]:
    deployment = index.deployment
    for unit in deployment.units:
        if not index.catalog.knows(unit.charm, index.profile):
            continue
        strays = sorted(
            {
                c.port
                for c in index.claims_by_unit.get(unit.name, ())
                if c.source in _KNOWING_SOURCES and index.row_of(c, unit.charm) is None
            }
        )
        if not strays:
            continue
        listed = ", ".join(str(p) for p in strays)
        yield Finding(
            rule="uncatalogued-port",
            severity="info",
            message=f"{unit.name} holds {listed}, which no {index.profile} catalog row of charm {unit.charm} names.",
            hosts=(unit.host,),
            units=(unit.name,),
            ports=tuple(strays),
            fix=(
                "If the port is meant to be open, add a catalog row for it (Catalog.extend) so it is checked; "
                f"otherwise close it (`close-port {strays[0]}`)."
            ),
            location=unit.location,
        )


# -- wording -------------------------------------------------------------------------------------------


def _describe_units(names: Sequence[str], limit: int = 3) -> str:
    if len(names) <= limit:
        return _join_and(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more units"


def _join_and(parts: Iterable[str]) -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
