"""The deployment regrouped once, so that every rule is a pass over the parts it needs.

Built for a million claims, where a Python step per claim costs about as much as the sort-and-sweep a
conflict check is at heart. So claims are gathered unit by unit with slices when a source wrote them
unit by unit (every source does), and each application's units are compared column by column with
C-level iteration: when all of them hold claims of the same ranges, rows and endpoints, in the same
order (the units of one application usually do), an application's claims are judged once for all
of its units, and only the findings list every unit. Sources share PortRange and CatalogRow objects
between claims, so claims are compared by those objects' identity first; claims whose objects differ
but whose values are equal are merged kind by kind, so the result is that of grouping by value.

Each regrouping is built the first time a rule asks for it: `app_claims` (an application's claims by
kind, for the exposure rules), `conflict_groups` (only the hosts where two claims share a port),
`groups` (every host, for the oracle tests and a preflight), `claims_by_unit` and `units`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, compress, cycle, groupby, pairwise, repeat
from operator import attrgetter, eq, is_, itemgetter
from typing import NamedTuple, TypeVar, cast

from ..catalog import Catalog, CatalogRow, ConfigOption, Profile
from ..model import Claim, Deployment, Host, Unit
from ..ports import MAX_PORT, PortRange, Protocol
from .sweep import Group

# Where a moved port is looked for when nothing is free above the old one: the first unprivileged port.
_FALLBACK_FIRST_PORT = 1024

# Above this many patterns (see `Index.conflict_groups`), hosts are checked one by one instead.
_MANY_PATTERNS = 256

# Above this many kinds of claim in one application, positions are collected in one Python pass
# instead of one C-level pass per kind.
_FEW_KINDS = 12

# Up to this many applications, each one's units are found by C-level passes over all of them.
_FEW_APPS = 16

# From this many hosts, `sorted_hosts` sorts one model's hosts by their machines' text.
_FAST_SORT_FROM = 64

_NO_CLAIMS: tuple[Claim, ...] = ()

_K = TypeVar("_K")

# Fields of the model's NamedTuples read by position: an itemgetter is about a fifth cheaper than the
# field's own descriptor, over a million claims (tests/unit/checks/test_index.py holds them to it).
_UNIT = itemgetter(Claim._fields.index("unit"))
_PORT = itemgetter(Claim._fields.index("port"))
_ROW = itemgetter(Claim._fields.index("row"))
_ENDPOINT = itemgetter(Claim._fields.index("endpoint"))
_OPTION = itemgetter(Claim._fields.index("option"))
_ORIGIN = itemgetter(Claim._fields.index("origin"))
_NAME = itemgetter(Unit._fields.index("name"))
_UNIT_MODEL = itemgetter(Unit._fields.index("model"))
_HOST = itemgetter(Unit._fields.index("host"))
_CHARM = itemgetter(Unit._fields.index("charm"))
_APPLICATION = itemgetter(Unit._fields.index("application"))
_ENDPOINTS_KNOWN = itemgetter(Unit._fields.index("endpoints_known"))
_MACHINE = itemgetter(Host._fields.index("machine"))
_HOST_MODEL = itemgetter(Host._fields.index("model"))
_KEY = attrgetter("key")
_SPAN = attrgetter("_key")  # a PortRange as (protocol, start, end)
# What the rules read of a claim, its unit and location aside: port, endpoint, origin, option and row,
# Claim's fields 1 to 5, as one slice (cheaper than five attributes).
_KIND = itemgetter(slice(1, 6))

Positions = Sequence[int]


class ClaimKind(NamedTuple):
    """Claims of one application alike in all a rule reads but the unit and the location.

    `claim` is the first of them (its port, endpoint and option stand for all), `row` their catalog
    row, `known` whether their units say which endpoint each port is opened on, and `positions`
    where they are in the application's `AppClaims`, in order.
    """

    claim: Claim
    row: CatalogRow | None
    known: bool
    positions: Positions


class AppClaims:
    """The claims of one application's units, in unit order, then in each unit's own order.

    Position `p` is a claim of that order. When every unit holds claims of the same kinds in the same
    order (`width` of them), position `p` is claim `p % width` of unit `p // width`, and the kinds are
    read off the first unit; otherwise the claims are laid out flat.
    """

    __slots__ = ("_claims", "_held", "_owners", "app_key", "kinds", "units", "width")

    def __init__(
        self,
        app_key: str,
        units: list[Unit],
        held: list[Sequence[Claim]],
        width: int | None,
        kinds: list[ClaimKind],
    ):
        self.app_key = app_key
        self.units = units
        self._held = held
        self.width = width
        self.kinds = kinds
        self._claims: list[Claim] | None = None
        self._owners: list[Unit] | None = None

    def each_unit_once(self, positions: Positions) -> bool:
        """Whether `positions` are one kind of a uniform application: each unit's one claim of it."""
        width = self.width
        return (
            width is not None
            and isinstance(positions, range)
            and positions.step == width
            and positions.start < width
        )

    def units_at(self, positions: Positions) -> list[Unit]:
        """The unit holding the claim at each of `positions`."""
        width = self.width
        if width is not None:
            if self.each_unit_once(positions):
                return self.units
            units = self.units
            return [units[p // width] for p in positions]
        return list(map(self._flat()[1].__getitem__, positions))

    def claims_at(self, positions: Positions) -> list[Claim]:
        """The claim at each of `positions`."""
        width = self.width
        if width is not None:
            if self.each_unit_once(positions):
                return list(map(itemgetter(positions[0]), self._held))
            held = self._held
            return [held[p // width][p % width] for p in positions]
        return list(map(self._flat()[0].__getitem__, positions))

    def iter_claims_at(self, positions: Positions) -> Iterator[Claim]:
        """The claim at each of `positions`, one at a time (a search for the first of something)."""
        if self.each_unit_once(positions):
            return map(itemgetter(positions[0]), self._held)
        return iter(self.claims_at(positions))

    def held(self, positions: Positions) -> list[tuple[Unit, Claim]]:
        """(unit, claim) at each of `positions`."""
        return list(zip(self.units_at(positions), self.claims_at(positions), strict=True))

    def _flat(self) -> tuple[list[Claim], list[Unit]]:
        if self._claims is None or self._owners is None:
            self._claims = list(chain.from_iterable(self._held))
            self._owners = list(chain.from_iterable(map(repeat, self.units, map(len, self._held))))
        return self._claims, self._owners


def merged(kinds: Sequence[ClaimKind]) -> Positions:
    """The positions of several kinds, in order."""
    if len(kinds) == 1:
        return kinds[0].positions
    return sorted(chain.from_iterable(kind.positions for kind in kinds))


class Index:
    """Units by key and by application, claims by unit, and the regroupings rules ask for."""

    def __init__(self, deployment: Deployment, catalog: Catalog):
        self.deployment = deployment
        self.catalog = catalog
        self.profile: Profile = deployment.profile
        units = deployment.units
        modelled = any(map(_UNIT_MODEL, units))
        self.keys_are_names = not modelled
        """No unit carries a model, so each unit's key is its name."""
        self.unit_key: Callable[[Unit], str] = _KEY if modelled else _NAME
        """A unit's key (`Unit.key`), at C speed when it is the name."""
        self._keys = [unit.key for unit in units] if modelled else list(map(_NAME, units))
        self._hosts_of_units = list(map(_HOST, units))
        self._hosts: list[Host] | None = None
        self._knows_held: bool | None = None
        self._host_count: int | None = None
        app_keys = [unit.application_key for unit in units] if modelled else list(map(_APPLICATION, units))
        self._app_keys = app_keys
        self._app_units = positions_by_app(app_keys)
        """Each application's units, as positions in `deployment.units`."""
        distinct = len(set(self._keys)) == len(self._keys)
        self._held, self._by_unit = _claims_of_units(self._keys, deployment.claims, distinct)
        self._units_of: dict[str, list[Unit]] = {}
        self._hosts_apart: dict[str, bool] = {}  # application -> no two of its units share a host
        self.distinct_keys = self._by_unit is None
        """No two units share a key (else claims were gathered one by one, by key)."""
        self._units: dict[str, Unit] | None = None
        self._near: dict[str, Unit] = {}  # the units of the hosts regrouped so far
        self._host_group_cache: dict[Host, dict[Protocol, Group]] = {}
        self._host_ids: dict[Host, int] | None = None
        self._groups: dict[tuple[int, Protocol], Group] | None = None
        self._units_on_host: dict[Host, list[int]] | None = None
        self._all_on_host = False
        self._app_claims: dict[str, AppClaims] = {}
        self._rows: dict[tuple[str, int], CatalogRow | None] = {}
        self._occupied: dict[tuple[Host, frozenset[Protocol]], tuple[list[int], list[tuple[int, int]]]] = {}

    # -- units and their claims -------------------------------------------------------------------

    def units_of(self, app_key: str) -> list[Unit]:
        """The units of one application, in the input's order (none for an unknown key)."""
        found = self._units_of.get(app_key)
        if found is None:
            where = self._app_units.get(app_key, [])
            found = self._units_of[app_key] = list(map(self.deployment.units.__getitem__, where))
        return found

    @property
    def units_by_app(self) -> dict[str, list[Unit]]:
        """Units by application key, each application in the order its first unit comes."""
        return {app_key: self.units_of(app_key) for app_key in self._app_units}

    @property
    def units(self) -> dict[str, Unit]:
        """Units by key (a key named twice is its last unit)."""
        if self._units is None:
            self._units = dict(zip(self._keys, self.deployment.units, strict=True))
        return self._units

    @property
    def claims_by_unit(self) -> dict[str, Sequence[Claim]]:
        """Each placed unit's claims, in the input's order; units without claims are absent.

        A claim of a unit no source placed has no host and is left out (sources report such units
        as unchecked).
        """
        if self._by_unit is None:
            self._by_unit = {key: held for key, held in zip(self._keys, self._held, strict=True) if held}
        return self._by_unit

    def held_by_apps(self) -> Iterator[tuple[list[Unit], list[Sequence[Claim]], bool]]:
        """Each application's units, each unit's claims, and whether all its units hold alike claims.

        When they do (and share a charm), what a rule computes from one unit's claims holds for all
        of them: computed once, an answer with nothing to report skips the application whole.
        """
        held = self._held
        for app_key, where in self._app_units.items():
            alike = self.app_claims(app_key).width is not None if len(where) > 1 else False
            yield self.units_of(app_key), list(map(held.__getitem__, where)), alike

    def keys_of(self, held: AppClaims, positions: Positions) -> list[str]:
        """The keys of the units holding the claims at `positions`: each once, in order."""
        keys = map(self.unit_key, held.units_at(positions))
        if self.distinct_keys and held.each_unit_once(positions):
            return list(keys)
        return list(dict.fromkeys(keys))

    def hosts_of(self, held: AppClaims, positions: Positions) -> tuple[Host, ...]:
        """The hosts of the units holding the claims at `positions`: each once, sorted."""
        hosts = list(map(_HOST, held.units_at(positions)))
        if not (held.each_unit_once(positions) and self._hosts_apart.get(held.app_key)):
            hosts = list(dict.fromkeys(hosts))  # two units of the application may share a host
        return sorted_hosts(hosts)

    def unit(self, key: str) -> Unit:
        """The unit called `key` (its last, if two share it); the units of a conflict are at hand."""
        found = self._near.get(key)
        return found if found is not None else self.units[key]

    def find_unit(self, key: str) -> Unit | None:
        """`units.get(key)`: the units of a conflict are at hand, without every unit by key."""
        found = self._near.get(key)
        return found if found is not None else self.units.get(key)

    @property
    def knows_held(self) -> bool:
        """Whether any claim is one its unit is known to hold (observed, or published on a relation)."""
        if self._knows_held is None:
            from .required_port_missing import KNOWING_ORIGINS, knows_held

            if self.distinct_keys:
                # Every claim is placed (claims are gathered by key only when one is not: see
                # `_claims_of_units`): an application grouped by kind already says its origins.
                origins: set[str] = set()
                for app_key, where in self._app_units.items():
                    app = self._app_claims.get(app_key)
                    if app is not None:
                        origins.update(kind.claim.origin for kind in app.kinds)
                    else:
                        origins.update(map(_ORIGIN, chain.from_iterable(map(self._held.__getitem__, where))))
                self._knows_held = not KNOWING_ORIGINS.isdisjoint(origins)
            else:
                self._knows_held = knows_held(self.deployment)
        return self._knows_held

    # -- rows --------------------------------------------------------------------------------------

    def row_of(self, claim: Claim, charm: str) -> CatalogRow | None:
        if claim.row is not None:
            return claim.row
        return self.catalog.row_for(charm, claim.port, self.profile)

    def option(self, charm: str, name: str) -> ConfigOption | None:
        """The charm's catalog option called `name`, if the catalog knows it."""
        for option in self.catalog.options_for(charm, self.profile):
            if option.name == name:
                return option
        return None

    def _row_for(self, charm: str, port: PortRange) -> CatalogRow | None:
        key = (charm, id(port))
        if key not in self._rows:
            self._rows[key] = self.catalog.row_for(charm, port, self.profile)
        return self._rows[key]

    # -- an application's claims by kind ----------------------------------------------------------

    def app_claims(self, app_key: str) -> AppClaims:
        """The claims of an application's units, grouped by kind (built once per application)."""
        found = self._app_claims.get(app_key)
        if found is None:
            found = self._app_claims[app_key] = self._build_app_claims(app_key)
        return found

    def _build_app_claims(self, app_key: str) -> AppClaims:
        units = self.units_of(app_key)
        held: list[Sequence[Claim]] = list(map(self._held.__getitem__, self._app_units.get(app_key, ())))
        uniform = self._uniform(app_key, units, held)
        if uniform is not None:
            return uniform
        claims: list[Claim] = list(chain.from_iterable(held))
        owners: list[Unit] = list(chain.from_iterable(map(repeat, units, map(len, held))))
        rows: list[CatalogRow | None] = list(map(_ROW, claims))
        for i in compress(range(len(rows)), map(is_, rows, repeat(None))):
            rows[i] = self._row_for(owners[i].charm, claims[i].port)
        known = (
            list(map(_ENDPOINTS_KNOWN, owners)) if self.deployment.endpoints_known else [False] * len(claims)
        )
        keys = list(
            zip(
                map(id, map(_PORT, claims)),
                map(_ENDPOINT, claims),
                map(id, rows),
                known,
                map(_OPTION, claims),
                map(_ORIGIN, claims),
                strict=True,
            )
        )
        distinct = dict.fromkeys(keys)
        wheres: list[list[int]]
        if len(distinct) > _FEW_KINDS:  # many kinds: one Python pass
            positions: dict[tuple[int, str, int, bool, str | None, str], list[int]] = {
                key: [] for key in distinct
            }
            for i, key in enumerate(keys):
                positions[key].append(i)
            wheres = list(positions.values())
        else:  # a few kinds, as in any real application: one C-level pass per kind
            everywhere = range(len(keys))
            wheres = [list(compress(everywhere, map(key.__eq__, keys))) for key in distinct]
        kinds = [ClaimKind(claims[where[0]], rows[where[0]], known[where[0]], where) for where in wheres]
        app = AppClaims(app_key, units, held, None, kinds)
        app._claims, app._owners = claims, owners
        return app

    def _uniform(self, app_key: str, units: list[Unit], held: list[Sequence[Claim]]) -> AppClaims | None:
        """The application's claims if every unit holds the same kinds, in the same order; else None."""
        if not units:
            return AppClaims(app_key, units, held, 0, [])
        template = held[0]
        width = len(template)
        if not width or not all(map(width.__eq__, map(len, held))):
            return None
        charm = units[0].charm
        if not all(map(eq, map(_CHARM, units), repeat(charm))):
            return None
        if self.deployment.endpoints_known:
            first = units[0].endpoints_known
            if not all(map(is_, map(_ENDPOINTS_KNOWN, units), repeat(first))):
                return None
            known = first
        else:
            known = False
        # Claim by claim against the first unit's: equal ranges, endpoints, options and rows (the same
        # objects, as a rule, which compare at once).
        if not all(map(eq, map(_KIND, chain.from_iterable(held)), cycle(list(map(_KIND, template))))):
            return None
        count = len(units) * width
        kinds = [
            ClaimKind(
                claim,
                claim.row if claim.row is not None else self._row_for(charm, claim.port),
                known,
                range(i, count, width),
            )
            for i, claim in enumerate(template)
        ]
        return AppClaims(app_key, units, held, width, kinds)

    # -- hosts and their groups -------------------------------------------------------------------

    def conflict_groups(self) -> Iterator[tuple[Host, Protocol, Group]]:
        """The (host, protocol) groups of every host where two claims share a port, in host order.

        Only there can two claims conflict, and which hosts those are is found without regrouping
        any claim: units that hold the same ranges form a pattern (every unit of an application
        whose units all hold the same ranges, else each unit on its own); two claims meet on a host
        only within one unit, between two units of one pattern, or between units of two patterns
        whose ranges overlap, which is decided once per pattern and per pair of patterns, and the
        hosts where it happens are the intersection of the patterns' hosts. Only those hosts are
        regrouped.
        """
        clashing = self._clashing_hosts()
        for host in sorted(clashing, key=lambda host: clashing[host][0]):
            for protocol, group in self._host_groups(host).items():
                yield host, protocol, group

    def _clashing_hosts(self) -> dict[Host, list[int]]:
        """Each host where two claims share a port, with the units on it (positions, in unit order)."""
        hosts, held = self._hosts_of_units, self._held
        patterns: list[tuple[list[PortRange], Sequence[int]]] = []
        apps: list[str | None] = []  # the application of each pattern that is one
        for app_key, where in self._app_units.items():
            app = self.app_claims(app_key) if len(where) > 1 else None
            if app is not None and app.width is not None:
                patterns.append(([kind.claim.port for kind in app.kinds], where))
                apps.append(app_key)
            else:
                patterns.extend((list(map(_PORT, held[i])), [i]) for i in where)
                apps.extend([None] * len(where))
        if len(patterns) > _MANY_PATTERNS:
            return self._clashing_hosts_one_by_one()
        on = [set(map(hosts.__getitem__, where)) for _, where in patterns]
        decided: dict[tuple[int, ...], bool] = {}
        found: set[Host] = set()
        shared = [False] * len(patterns)  # shares a host with another pattern
        for p, (ports, where) in enumerate(patterns):
            apart = len(on[p]) == len(where)
            if apps[p] is not None:
                self._hosts_apart[cast(str, apps[p])] = apart
            if ports and _decide(decided, ports):  # within each unit
                found.update(on[p])
            if ports and not apart:  # two units of the pattern on one host hold the same ranges
                found.update(host for host, n in Counter(map(hosts.__getitem__, where)).items() if n > 1)
            for q in range(p + 1, len(patterns)):
                if on[p].isdisjoint(on[q]):
                    continue
                shared[p] = shared[q] = True
                other = patterns[q][0]
                if ports and other and _decide(decided, ports + other):
                    found.update(on[p] & on[q])
        # Hosts counted without putting every host in one set: patterns alone on theirs add theirs.
        alone = sum(len(there) for there, meets in zip(on, shared, strict=True) if not meets)
        self._host_count = alone + len(set().union(*compress(on, shared)))
        if not found:
            return {}
        clashing: dict[Host, list[int]] = {}
        for (_, where), there in zip(patterns, on, strict=True):
            if there.isdisjoint(found):
                continue
            for i in where:
                if hosts[i] in found:
                    clashing.setdefault(hosts[i], []).append(i)
        for where in clashing.values():
            where.sort()
        if self.distinct_keys:  # every key names one unit: these are the units on each host
            self._units_on_host = {**clashing, **(self._units_on_host or {})}
        return clashing

    def _clashing_hosts_one_by_one(self) -> dict[Host, list[int]]:
        """`_clashing_hosts` when units differ too much to form patterns: host by host."""
        hosts = self._hosts_of_units
        decided: dict[tuple[int, ...], bool] = {}
        on_host = positions_of(hosts)
        self._host_count = len(on_host)
        clashing: dict[Host, list[int]] = {}
        for host, where in on_host.items():
            ports = list(map(_PORT, chain.from_iterable(map(self._held.__getitem__, where))))
            if len(ports) > 1 and _decide(decided, ports):
                clashing[host] = where
        if self.distinct_keys:
            self._units_on_host = {**clashing, **(self._units_on_host or {})}
        return clashing

    @property
    def host_count(self) -> int:
        """How many distinct hosts the units are on (as `Deployment.hosts()` counts them)."""
        if self._host_count is None:
            self._host_count = len(set(self._hosts_of_units))
        return self._host_count

    @property
    def hosts(self) -> list[Host]:
        """The distinct hosts, in the order units name them."""
        if self._hosts is None:
            self._hosts = list(dict.fromkeys(self._hosts_of_units))
        return self._hosts

    def host_ids(self) -> dict[Host, int]:
        """Each host's number: the order in which units name them."""
        if self._host_ids is None:
            self._host_ids = dict(zip(self.hosts, range(len(self.hosts)), strict=True))
        return self._host_ids

    def groups(self) -> Iterator[tuple[Host, Protocol, Group]]:
        """Every (host, protocol) group: (unit, start, end) -> the claims (one per endpoint) behind it."""
        if self._groups is None:
            self._groups = {}
            for hid, host in enumerate(self.hosts):
                for protocol, group in self._host_groups(host).items():
                    self._groups[(hid, protocol)] = group
        for (hid, protocol), group in self._groups.items():
            yield self.hosts[hid], protocol, group

    def _host_groups(self, host: Host) -> dict[Protocol, Group]:
        """A host's claims by protocol, then by (unit, start, end); built once per host."""
        found = self._host_group_cache.get(host)
        if found is None:
            found = self._host_group_cache[host] = self._regroup(host)
        return found

    def _regroup(self, host: Host) -> dict[Protocol, Group]:
        groups: dict[Protocol, Group] = {}
        keys, held, units, near = self._keys, self._held, self.deployment.units, self._near
        for i in self.units_on_host(host):
            name = keys[i]
            near[name] = units[i]
            for claim in held[i]:
                port = claim.port
                group = groups.get(port.protocol)
                if group is None:
                    group = groups[port.protocol] = {}
                key = (name, port.start, port.end)
                same = group.get(key)
                if same is None:
                    group[key] = [claim]
                else:
                    same.append(claim)
        return groups

    def units_on_host(self, host: Host) -> list[int]:
        """The units on `host` (positions in `deployment.units`), a key named twice on its last unit's host."""
        if self._units_on_host is not None and host in self._units_on_host:
            return self._units_on_host[host]
        if not self._all_on_host:
            self._all_on_host = True
            self._units_on_host = {}
            last = dict(zip(self._keys, range(len(self._keys)), strict=True))
            for i in last.values():
                self._units_on_host.setdefault(self._hosts_of_units[i], []).append(i)
        assert self._units_on_host is not None  # noqa: S101 - just built
        return self._units_on_host.get(host, [])

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
        groups = self._host_groups(host)
        for protocol in protocols:
            raw.extend((start, end) for _, start, end in groups.get(protocol, {}))
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


def positions_by_app(app_keys: list[str]) -> dict[str, Sequence[int]]:
    """Where each application's units are in `app_keys`, in order; applications by their first unit.

    Sources write an application's units in one block, or its units alternating with those of its
    subordinates at a fixed stride: then each application's positions are a range, found by a few
    C-level passes (a count of each, then per application an index and a strided slice) instead of a Python step per unit.
    Other orders, or more than a few applications, take that Python pass.
    """
    periodic = _periodic_positions(app_keys)
    if periodic is not None:
        return periodic
    counts = Counter(app_keys)  # in order of first appearance, as dicts are
    if len(counts) <= _FEW_APPS:
        found: dict[str, Sequence[int]] = {}
        for app_key, count in counts.items():
            first = app_keys.index(app_key)
            step = app_keys.index(app_key, first + 1) - first if count > 1 else 1
            stop = first + (count - 1) * step + 1
            # `count` found among `count` places (fewer when past the end) are every one of them.
            if app_keys[first:stop:step].count(app_key) != count:
                break
            found[app_key] = range(first, stop, step)
        else:
            return found
    return dict(positions_of(app_keys))


def positions_of(keys: Sequence[_K]) -> dict[_K, list[int]]:
    """Where each key is in `keys`, in order; keys by their first place. One Python step per key."""
    listed: dict[_K, list[int]] = {}
    for i, key in enumerate(keys):
        where = listed.get(key)
        if where is None:
            listed[key] = [i]
        else:
            where.append(i)
    return listed


def _periodic_positions(app_keys: list[str]) -> dict[str, Sequence[int]] | None:
    """`positions_by_app` when the units come region by region, each region listing the same applications.

    Then `app_keys` repeats with a period (checked by one C-level comparison of the list with itself
    shifted), each application's units sit at the same offsets in every period, and its positions are
    made of ranges, one per block of adjacent offsets and per period, without a Python step per unit.
    None when the list does not repeat at least twice, whole periods only.
    """
    count = len(app_keys)
    if count < 2:
        return None
    try:
        period = app_keys.index(app_keys[0], 1)
    except ValueError:
        return None
    if count % period or period > count // 2 or app_keys[period:] != app_keys[:-period]:
        return None
    blocks: dict[str, list[list[int]]] = {}  # application -> [start, stop] of its blocks in a period
    for offset, app_key in enumerate(app_keys[:period]):
        found = blocks.get(app_key)
        if found is None:
            blocks[app_key] = [[offset, offset + 1]]
        elif found[-1][1] == offset:
            found[-1][1] = offset + 1
        else:
            found.append([offset, offset + 1])
    positions: dict[str, Sequence[int]] = {}
    for app_key, spans in blocks.items():
        if len(spans) == 1 and spans[0][1] - spans[0][0] == 1:
            positions[app_key] = range(spans[0][0], count, period)
            continue
        # Period by period, each block in turn: the blocks' starts (and stops) interleaved.
        starts = chain.from_iterable(zip(*(range(start, count, period) for start, _ in spans), strict=True))
        stops = chain.from_iterable(
            zip(*(range(stop, count + stop, period) for _, stop in spans), strict=True)
        )
        positions[app_key] = list(chain.from_iterable(map(range, starts, stops)))
    return positions


def _claims_of_units(
    keys: list[str], claims: Sequence[Claim], distinct: bool
) -> tuple[list[Sequence[Claim]], dict[str, Sequence[Claim]] | None]:
    """Each unit's claims (aligned with `keys`), and claims by unit key when that had to be built.

    Every source writes a unit's claims together, unit after unit: then each unit's claims are one
    run, cut at C speed. Otherwise (or when two units share a key) claims are gathered one by one.
    """
    if not claims:
        return [_NO_CLAIMS] * len(keys), (None if distinct else {})
    runs: list[Sequence[Claim]] = []
    # Each run's unit as groupby names it (its first claim's), while the run is kept: one pass, no
    # second walk over the runs for their first claims (a quarter of the cost for 400k units).
    add_run = runs.append
    names: list[str] = [unit for unit, run in groupby(claims, _UNIT) if not add_run(tuple(run))]
    if names == keys:
        # Every unit holds claims, one run each, in unit order: the common case, all at C speed.
        if distinct:
            return runs, None
    else:
        held: list[Sequence[Claim]] = []
        pending = zip(names, runs, strict=True)
        name: str | None
        name, run = next(pending)
        for key in keys:
            if key == name:
                held.append(run)
                name, run = next(pending, (None, ()))
                if name is None:  # every run placed: the units left hold nothing
                    held.extend([_NO_CLAIMS] * (len(keys) - len(held)))
                    break
            else:
                held.append(_NO_CLAIMS)
        if name is None and distinct:
            return held, None
    # Claims out of unit order, claims of a unit no source placed, or a key named twice.
    by_unit: dict[str, list[Claim]] = {key: [] for key in keys}
    for claim in claims:
        listed = by_unit.get(claim.unit)
        if listed is not None:
            listed.append(claim)
    return [by_unit[key] or _NO_CLAIMS for key in keys], {key: held for key, held in by_unit.items() if held}


def sorted_hosts(hosts: list[Host]) -> tuple[Host, ...]:
    """`tuple(sorted(hosts))`; hosts of one model (no model named) by their machine's text alone.

    Then the two orders are one, and a list of a hundred thousand hosts sorts at C speed: strings
    compare without a Python call, where a NamedTuple compares through tuple comparison.
    """
    if len(hosts) >= _FAST_SORT_FROM and not any(map(_HOST_MODEL, hosts)):
        return tuple(sorted(hosts, key=_MACHINE))
    return tuple(sorted(hosts))


def _decide(decided: dict[tuple[int, ...], bool], ports: list[PortRange]) -> bool:
    """Whether two of `ports` share a port, decided once per list of the same PortRange objects."""
    sig = tuple(map(id, ports))
    clash = decided.get(sig)
    if clash is None:
        clash = decided[sig] = _any_overlap(ports)
    return clash


def _any_overlap(ports: Sequence[PortRange]) -> bool:
    """Whether two of these ranges share a port (same protocol; identical ranges and icmp included).

    Sorted by (protocol, start, end), a first overlap is always between neighbours: if range j meets
    an earlier range i, it meets every range between them too.
    """
    spans: list[tuple[str, int, int]] = sorted(map(_SPAN, ports))
    return any(a[0] == b[0] and b[1] <= a[2] for a, b in pairwise(spans))
