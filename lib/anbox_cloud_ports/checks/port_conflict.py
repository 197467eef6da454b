"""port-conflict: two claims on one host overlap, so the services cannot both bind, or Juju refuses one.

Two questions are kept apart because they differ: can the services *bind* their sockets (the kernel's
question), and will *Juju* accept the `open-port` calls (its bookkeeping). A layout can pass one and
fail the other: one unit opening overlapping ranges binds fine but fails its hook; icmp binds nothing
but two units cannot both open it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from ..catalog import CatalogRow, ConfigOption
from ..findings import Finding, JujuVersion, View
from ..model import Deployment, Host, Location, Socket
from ..names import unit_sort_key
from ..ports import PortRange, Protocol, merge
from ..text import describe_units, join_and
from .index import Index
from .rule import Rule
from .sweep import Key, clashing_keys, count_overlapping, involved, overlapping

ID = "port-conflict"

# Most pair findings reported per (host, protocol). Beyond it one summary finding gives the count
# and the units involved: a person fixes the layout from the first few pairs, and a model where
# thousands of units share a range must not turn into millions of lines (or millions of steps).
# Read at call time, so tests can lower it.
PAIR_CAP = 50

# One conflicting pair of claims as the raw sweep reports it, ordered so that
# (unit_a, range_a) < (unit_b, range_b); one tuple per view that objects.
ConflictPair = tuple[str, PortRange, str, PortRange, View]


def views(a: Key, b: Key, juju: JujuVersion) -> tuple[View, ...]:
    """Which judgements object to two overlapping keys on one host (never the same unit and range)."""
    same_unit = a.unit == b.unit
    found: list[View] = []
    # Sockets: two processes cannot listen on one port; one unit's claims are one process's sockets,
    # and icmp has no ports to bind.
    if not same_unit and a.port.protocol != "icmp":
        found.append("bind")
    if juju == "3":
        # docs/juju-facts.md#open-port-conflicts: another unit's overlapping range always conflicts;
        # the unit's own conflicts unless identical (then only the endpoint differs, and keys already
        # merge those). icmp overlaps like any range.
        found.append("juju")
    elif a.port != b.port:
        # juju domain/port/service/service.go verifyNoPortRangeConflicts: over every range on the net
        # node, the unit's own included, ranges that overlap but are not equal conflict.
        found.append("juju")
    return tuple(found)


def conflict_pairs(deployment: Deployment, *, juju: JujuVersion = "3") -> set[ConflictPair]:
    """Every conflicting pair with the views that object, uncapped: what the oracle tests compare."""
    from ..catalog import Catalog

    index = Index(deployment, Catalog.builtin(), juju)
    result: set[ConflictPair] = set()
    for _, _, group in index.groups():
        keys = clashing_keys(group)
        if keys is None:
            continue
        for i, j in overlapping(keys):
            a, b = _pair_order(keys[i], keys[j])
            for view in views(a, b, juju):
                result.add((a.unit, a.port, b.unit, b.port, view))
    return result


def check(index: Index) -> Iterator[Finding]:
    if index.deployment.conflict_scope == "taken":
        yield from _taken_ports(index)
        return
    yield from _Pairs(index).findings()


def _pair_order(x: Key, y: Key) -> tuple[Key, Key]:
    return (x, y) if (x.unit, x.port) < (y.unit, y.port) else (y, x)


class _Pairs:
    def __init__(self, index: Index):
        self.index = index
        self.juju: JujuVersion = index.juju
        self.juju_managed = index.deployment.juju_managed

    def findings(self) -> Iterator[Finding]:
        cap = PAIR_CAP
        for host, protocol, group in self.index.groups():
            if protocol == "icmp" and (self.juju == "4" or not self.juju_managed):
                # Juju 4 lets identical ranges share a net node and every icmp claim is identical;
                # nothing binds icmp either: no view can object.
                continue
            keys = clashing_keys(group)
            if keys is None:
                continue
            shown_views: set[View] = set()
            for reported, (i, j) in enumerate(overlapping(keys)):
                if reported == cap:
                    # Stop walking: counting the rest is O(n log n), listing it could be O(n^2).
                    yield self._summary(host, protocol, keys, reported, shown_views)
                    break
                a, b = _pair_order(keys[i], keys[j])
                found: tuple[View, ...] = views(a, b, self.juju)
                if not self.juju_managed:
                    found = tuple(v for v in found if v == "bind")
                    if not found:
                        continue
                shown_views.update(found)
                yield self._pair_finding(host, a, b, found)

    # -- one pair ---------------------------------------------------------------------------------

    def _pair_finding(self, host: Host, a: Key, b: Key, found: tuple[View, ...]) -> Finding:
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
        elif "juju" not in found:
            # juju domain/port/service/service.go verifyNoPortRangeConflicts skips equal ranges: Juju 4
            # records both, and the clash only shows when the second service fails to bind.
            reasons.append(
                "Juju 4 stays quiet (it accepts an identical range from co-located units), but the two "
                f"services still cannot both bind {overlap}: the second to start fails"
            )
        else:
            if "bind" in found:
                reasons.append(f"the two services cannot both bind {overlap}")
            if self.juju == "3":
                # The error text of juju's hook context (docs/juju-facts.md#open-port-conflicts).
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
            rule=ID,
            severity="error",
            message=message,
            hosts=(host,),
            units=units,
            ports=ports,
            fix=self._pair_fix(host, first, second, same_unit),
            location=self._location(second) or self._location(first),
            views=tuple(v for v in ("bind", "juju") if v in found),
        )

    def _pair_fix(self, host: Host, first: Key, second: Key, same_unit: bool) -> str:
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

    def _mover(self, first: Key, second: Key) -> Key:
        """The unit to suggest moving: a principal before a subordinate, else the later unit."""
        if self.index.units[second.unit].subordinate and not self.index.units[first.unit].subordinate:
            return first
        return second

    def _option_move(self, host: Host, key: Key) -> str | None:
        """`set <app> option <name> to <value>` for a key a config option can move, with a value checked free."""
        if key.port.protocol == "icmp":
            return None
        unit = self.index.units[key.unit]
        row: CatalogRow | None = None
        option: ConfigOption | None = None
        for claim in key.claims:
            row = self.index.row_of(claim, unit.charm)
            if claim.option is not None:
                option = self.index.option(unit.charm, claim.option)
            elif row is not None:
                option = row.option_for(unit.charm)
            if option is not None:
                break
        if option is None:
            return None
        protocols: set[Protocol] = {key.port.protocol}
        if row is not None:
            # An option moves every protocol of its row (ams-lxd exposed_instance_ports: UDP & TCP).
            protocols.update(p.protocol for p in row.claims if p.protocol != "icmp")
        free = self.index.free_range(host, frozenset(protocols), key.port.size, key.port.end + 1)
        if free is None:
            return None
        where = "/".join(sorted(protocols))
        return (
            f"set {unit.application} option {option.name} to {option.value_for(free)} "
            f"(checked free for {where} on {host})"
        )

    def _location(self, key: Key) -> Location | None:
        for claim in key.claims:
            if claim.location is not None:
                return claim.location
        return self.index.units[key.unit].location

    # -- too many pairs ---------------------------------------------------------------------------

    def _summary(
        self, host: Host, protocol: Protocol, keys: Sequence[Key], reported: int, shown: set[View]
    ) -> Finding:
        total = count_overlapping(keys)
        among = involved(keys)
        names = sorted({k.unit for k in among}, key=unit_sort_key)
        more = total - reported
        message = (
            f"{total} conflicting pairs of {protocol} claims on {host}, among {describe_units(names, limit=5)}: "
            f"{reported} are reported as findings of their own and the other {more} are collapsed into this one."
        )
        fix = (
            f"Spread these units over more machines or containers (e.g. `--to lxd:{host.machine.split('/', 1)[0]}`) "
            "or give each its own ports; fix the pairs listed one by one first, then check again."
        )
        return Finding(
            rule=ID,
            severity="error",
            message=message,
            hosts=(host,),
            units=tuple(names),
            ports=tuple(merge(k.port for k in among)),
            fix=fix,
            views=tuple(v for v in ("bind", "juju") if v in shown),
        )


# -- ports already taken (a preflight of this machine) --------------------------------------------


def _taken_ports(index: Index) -> Iterator[Finding]:
    """One finding per port a listening socket holds that a candidate service needs.

    A holder on any address counts, loopback included: the Anbox services bind the wildcard address
    (0.0.0.0, or [::] dual-stack), and Linux refuses a wildcard bind while any socket holds the port
    on any local address (docs/kernel-facts.md#bind-conflicts).
    """
    for host, protocol, group in index.groups():
        keys = clashing_keys(group)
        if keys is None:
            continue
        # listener port -> (needed ranges, services, sockets)
        taken: dict[int, tuple[list[PortRange], list[str], list[Socket]]] = {}
        for i, j in overlapping(keys):
            for held, wanted in ((keys[i], keys[j]), (keys[j], keys[i])):
                sockets = [c.socket for c in held.claims if c.origin == "listener" and c.socket is not None]
                if not sockets or any(c.origin == "listener" for c in wanted.claims):
                    continue
                ranges, services, holders = taken.setdefault(held.start, ([], [], []))
                if wanted.port not in ranges:
                    ranges.append(wanted.port)
                for claim in wanted.claims:
                    service = claim.row.service if claim.row is not None else wanted.unit
                    if service not in services:
                        services.append(service)
                for socket in sockets:
                    if socket not in holders:
                        holders.append(socket)
        for port, (ranges, services, holders) in taken.items():
            yield _taken_finding(PortRange(protocol, port, port), ranges, services, holders, host)


def _taken_finding(
    taken: PortRange, ranges: list[PortRange], services: list[str], holders: list[Socket], host: Host
) -> Finding:
    within = [r for r in ranges if r != taken]
    port_text = str(taken) + (f" (in {', '.join(map(str, within))})" if within else "")
    # Group by owner so `nginx (pid 1) on 0.0.0.0 and [::]` reads as one holder.
    by_owner: dict[tuple[int | None, str | None], list[str]] = {}
    for socket in sorted(holders, key=lambda x: (x.pid is None, x.pid or 0, x.address)):
        addresses = by_owner.setdefault((socket.pid, socket.process), [])
        shown = f"[{socket.address}]" if ":" in socket.address else socket.address
        if shown not in addresses:
            addresses.append(shown)
    parts = [f"{_owner(pid, process)} on {' and '.join(addrs)}" for (pid, process), addrs in by_owner.items()]
    message = f"{port_text} needed by {join_and(services)} is taken by {', and by '.join(parts)}"
    if not any(ipaddress.ip_address(x.address).is_unspecified for x in holders):
        message += "; a listener on one address still blocks the wildcard bind the service makes"
    names = [process for (pid, process) in by_owner if process is not None and pid is not None]
    if names and len(names) == len(by_owner):
        unique = list(dict.fromkeys(names))
        fix = f"stop {join_and(unique)} or move {'it' if len(unique) == 1 else 'them'} off {taken}"
    else:
        flag = "t" if taken.protocol == "tcp" else "u"
        fix = f"find the owner with `sudo ss -{flag}lnp sport = :{taken.start}` and stop it or move it off {taken}"
    return Finding(
        rule=ID,
        severity="error",
        message=message,
        hosts=(host,),
        ports=(taken,),
        fix=fix,
        views=("bind",),
    )


def _owner(pid: int | None, process: str | None) -> str:
    if pid is None:
        return "an unnamed owner (a kernel socket, or a process only root may inspect)"
    return f"{process or 'process'} (pid {pid})"


RULE = Rule(
    id=ID,
    severity="error",
    description="Two claims on one host overlap: the services cannot both bind, or Juju refuses the open-port.",
    remediation=(
        "Move one unit to another machine or a container of its own, or move its port with the config "
        "option the fix names (checked free on that host)."
    ),
    check=check,
)
