"""port-conflict: two claims on one host overlap, so the services cannot both bind, or Juju refuses one.

Two questions are kept apart because they differ: can the services *bind* their sockets (the kernel's
question), and will *Juju* accept the `open-port` calls (its bookkeeping). A layout can pass one and
fail the other: one unit opening overlapping ranges binds fine but fails its hook; icmp (and port 0)
binds nothing in particular but two units cannot both open it; two services of one unit on one port
cannot both bind while Juju, seeing one unit open one range twice, says nothing.

Juju 3.x and 4.x judge alike: the hook tool decides first, with the same code in both
(docs/juju-facts.md#open-port-conflicts, `checkForConflict`), and refuses any overlap with another
co-located unit, identical ranges and icmp included. Juju 4's controller lets identical ranges through,
which matters only when two hooks commit at once: it is never a verdict, only an explanation when a
`juju status` shows both units holding one range.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..catalog import CatalogRow, ConfigOption
from ..findings import Finding, View
from ..model import Claim, Deployment, Host, Location, Socket
from ..names import is_machine, unit_sort_key
from ..ports import PortRange, Protocol, merge
from ..text import describe_units, join_and, sentence
from .index import Index
from .rule import Rule
from .sweep import Group, Key, clashing_keys, count_overlapping, involved, overlapping

ID = "port-conflict"

# Most pair findings reported per (host, protocol). Beyond it one summary finding gives the count
# and the units involved: a person fixes the layout from the first few pairs, and a model where
# thousands of units share a range must not turn into millions of lines (or millions of steps).
# Read at call time, so tests can lower it.
PAIR_CAP = 50

# One conflicting pair of claims as the raw sweep reports it, ordered so that
# (unit_a, range_a) < (unit_b, range_b); one tuple per view that objects.
ConflictPair = tuple[str, PortRange, str, PortRange, View]


def views(a: Key, b: Key) -> tuple[View, ...]:
    """Which judgements object to two overlapping keys on one host (Juju 3.x and 4.x alike).

    `a` and `b` are two keys, or one key twice when its claims are two services of one unit on one
    range (`same_key_rows`).
    """
    found: list[View] = []
    if _bind(a, b):
        found.append("bind")
    if a.unit != b.unit or a.port != b.port:
        # docs/juju-facts.md#open-port-conflicts: the hook tool (`checkForConflict`, the same in 3.6
        # and main) refuses any range that ConflictsWith another unit's, identical ranges and icmp
        # included, and the unit's own unless identical (then only the endpoint differs, and keys
        # already merge those).
        found.append("juju")
    return tuple(found)


def _bind(a: Key, b: Key) -> bool:
    """Two sockets would share a port: two processes holding one port other than 0.

    Not icmp (nothing to bind), not port 0 alone (binding 0 takes any free port); two processes are
    two units, or two catalog services of one unit.
    """
    if a.port.protocol == "icmp" or max(a.start, b.start, 1) > min(a.end, b.end):
        return False
    return a.unit != b.unit or _two_services(a, b)


def _two_services(a: Key, b: Key) -> bool:
    """Whether one unit's claims are two services: claims of two catalog rows, each binding its port.

    ams `port` and `prometheus_target_port` are two listeners; claims without a row are the unit's own
    business, never a second process.
    """
    rows_a = {c.row for c in a.claims if c.row is not None}
    if not rows_a:
        return False
    if a is b:
        return len(rows_a) > 1
    rows_b = {c.row for c in b.claims if c.row is not None}
    return bool(rows_b) and len(rows_a | rows_b) > 1


def conflict_pairs(deployment: Deployment) -> set[ConflictPair]:
    """Every conflicting pair with the views that object, uncapped: what the oracle tests compare."""
    from ..catalog import Catalog

    index = Index(deployment, Catalog.builtin())
    result: set[ConflictPair] = set()
    for _, _, group in index.groups():
        for key in same_key_rows(group):
            for view in views(key, key):
                result.add((key.unit, key.port, key.unit, key.port, view))
        keys = clashing_keys(group)
        if keys is None:
            continue
        for i, j in overlapping(keys):
            a, b = _pair_order(keys[i], keys[j])
            for view in views(a, b):
                result.add((a.unit, a.port, b.unit, b.port, view))
    return result


def same_key_rows(group: Group) -> Iterator[Key]:
    """Keys (one unit, one range) whose claims realise more than one catalog row.

    Two services of one unit on one port (not icmp, not port 0 alone: those bind nothing). The common
    case, one claim per key, costs a length test.
    """
    for (unit, start, end), claims in group.items():
        if len(claims) > 1:
            key = Key(start, end, unit, claims)
            if _bind(key, key):
                yield key


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
        self.juju_managed = index.deployment.juju_managed
        self.observed = index.deployment.observed

    def findings(self) -> Iterator[Finding]:
        cap = PAIR_CAP
        for host, protocol, group in self.index.conflict_groups():
            if protocol == "icmp" and not self.juju_managed:
                continue  # nothing binds icmp, and no Juju opens it here: no view can object
            for key in same_key_rows(group):
                yield self._two_services_finding(host, key)
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
                found: tuple[View, ...] = views(a, b)
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
        message = f"{head}: {'; '.join(self._reasons(first, second, overlap, found))}."
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

    def _reasons(self, first: Key, second: Key, overlap: PortRange, found: tuple[View, ...]) -> list[str]:
        """Why each view objects, in the words of the layer that refuses."""
        if not self.juju_managed:
            return [f"the two services cannot both bind {overlap}: the second to start fails"]
        reasons: list[str] = []
        if "bind" in found:
            reasons.append(f"the two services cannot both bind {overlap}")
        # The hook tool's error text, the same in Juju 3.6 and 4 (docs/juju-facts.md#open-port-conflicts).
        reasons.append(
            "Juju refuses whichever open-port runs second: "
            f'\'cannot open {second.port} (unit "{self._juju_name(second)}"): port range conflicts with '
            f'{first.port} (unit "{self._juju_name(first)}")\''
        )
        if first.unit != second.unit and first.port == second.port and self.observed:
            # docs/juju-facts.md#open-port-conflicts, controller check: only Juju 4's controller
            # accepts an identical range, so a status showing both took two hooks committing at once.
            reasons.append(
                "both units hold it only because their hooks committed at once on Juju 4, whose "
                "controller lets an identical range through"
            )
        if "bind" not in found and first.unit != second.unit:
            if overlap.protocol == "icmp":
                reasons.append("icmp has no ports, so nothing fails to bind, but the hook fails all the same")
            else:
                reasons.append(
                    "binding port 0 takes any free port, so nothing fails to bind, but the hook fails "
                    "all the same"
                )
        return reasons

    # -- two services of one unit on one range ----------------------------------------------------

    def _two_services_finding(self, host: Host, key: Key) -> Finding:
        """ams `port` set to its own `prometheus_target_port`: one unit, one range, two listeners.

        Juju sees the unit open one range (twice at most, on two endpoints) and accepts it; the
        second service fails to bind. The charm library blocks such a config (`ServicePorts` refuses
        claims that overlap); this says the same before deploying.
        """
        unit = self.index.unit(key.unit)
        services: list[str] = []
        moved: list[Claim] = []
        for claim in key.claims:
            row = claim.row
            if row is None:
                continue  # the unit's own port beside its services' (no catalog row): not a service
            name = f"{row.service}'s {row.description}"
            if claim.option is not None:
                name += f" (option {claim.option})"
                moved.append(claim)
            if name not in services:
                services.append(name)
        after = (
            "Juju accepts the one range and says nothing"
            if self.juju_managed
            else "the second to start fails"
        )
        message = (
            f"{key.unit} needs {key.port} on {host} for both {join_and(services)}: two services of one "
            f"unit cannot both bind {key.port} ({after})."
        )
        return Finding(
            rule=ID,
            severity="error",
            message=message,
            hosts=(host,),
            units=(key.unit,),
            ports=(key.port,),
            fix=self._two_services_fix(host, unit.application, unit.charm, key, moved),
            location=self._location(key),
            views=("bind",),
        )

    def _two_services_fix(
        self, host: Host, application: str, charm: str, key: Key, moved: Sequence[Claim]
    ) -> str:
        """Name the option that put a service on the other's port, with a value checked free."""
        choices: list[str] = []
        for claim in moved or key.claims:
            option = self.index.option(charm, claim.option) if claim.option else None
            if option is None and claim.row is not None:
                option = claim.row.option_for(charm)
            if option is None or any(option.name in c for c in choices):
                continue
            free = self.index.free_range(
                host, frozenset({key.port.protocol}), key.port.size, key.port.end + 1
            )
            if free is None:
                choices.append(f"set {application} option {option.name} to a port nothing else uses")
            else:
                choices.append(
                    f"set {application} option {option.name} to {option.value_for(free)} "
                    f"(checked free for {key.port.protocol} on {host})"
                )
        if not choices:
            return f"Give one of the services of {key.unit} another port."
        return sentence(", or ".join(choices))

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
        unit = self.index.unit(mover.unit)
        if not self.juju_managed:
            free = self.index.free_range(
                host, frozenset({mover.port.protocol}), mover.port.size, mover.port.end + 1
            )
            moved = f" (e.g. {free}, checked free on this host)" if free is not None else ""
            return (
                f"Configure {unit.application} to listen on another port than {mover.port}{moved}, "
                "or run it on another machine."
            )
        example = self._container_example(host)
        subject = f"the principal of {mover.unit}" if unit.subordinate else mover.unit
        if first.port.protocol == "icmp":
            parts = [
                f"Open icmp from only one of the units on {host}, or move {subject} to another "
                f"machine or a container of its own ({example})"
            ]
        else:
            parts = [f"Move {subject} to another machine or a container of its own ({example})"]
        for key in (mover, first if mover is second else second):
            option = self._option_move(host, key)
            if option:
                parts.append(option)
        return ", or ".join(parts) + "."

    def _container_example(self, host: Host) -> str:
        """How the input itself puts a unit into a container of the host's machine."""
        if self.index.deployment.exposure_syntax == "terraform":
            # docs/juju-facts.md#terraform-provider: a container is a juju_machine with placement lxd:<id>
            machine = host.machine.split("/", 1)[0]
            target = machine if is_machine(machine) else f"${{{host.machine}.machine_id}}"
            return f'e.g. a `juju_machine` with `placement = "lxd:{target}"` in the application\'s `machines`'
        return f"e.g. `--to lxd:{host.machine.split('/', 1)[0]}`"

    def _juju_name(self, key: Key) -> str:
        """The unit as Juju names it in its own error (no model prefix: Juju speaks within a model)."""
        unit = self.index.find_unit(key.unit)
        return unit.name if unit is not None else key.unit

    def _mover(self, first: Key, second: Key) -> Key:
        """The unit to suggest moving: a principal before a subordinate, else the later unit."""
        if self.index.unit(second.unit).subordinate and not self.index.unit(first.unit).subordinate:
            return first
        return second

    def _option_move(self, host: Host, key: Key) -> str | None:
        """`set <app> option <name> to <value>` for a key a config option can move, with a value checked free."""
        if key.port.protocol == "icmp":
            return None
        unit = self.index.unit(key.unit)
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
        return self.index.unit(key.unit).location

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
            f"Spread these units over more machines or containers ({self._container_example(host)}) "
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
    import ipaddress  # only a preflight gets here

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
