"""The deployment regrouped once, so that every rule is a pass over the parts it needs."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from ..catalog import Catalog, CatalogRow, ConfigOption, Profile
from ..model import Claim, Deployment, Host, Unit
from ..ports import MAX_PORT, PortRange, Protocol
from .sweep import Group

# Where a moved port is looked for when nothing is free above the old one: the first unprivileged port.
_FALLBACK_FIRST_PORT = 1024


class Index:
    """Units by key and by application, claims by unit and by (host, protocol), built in one pass."""

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
            host_of_unit[unit.key] = hid
        self.claims_by_unit: dict[str, list[Claim]] = {}
        # (host id, protocol) -> group; a claim of a unit no source placed has no host and is left out
        # (sources report such units as unchecked).
        self._groups: dict[tuple[int, Protocol], Group] = {}
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
            self.units_by_app.setdefault(unit.application_key, []).append(unit)
        self._occupied: dict[tuple[Host, frozenset[Protocol]], tuple[list[int], list[tuple[int, int]]]] = {}

    def groups(self) -> Iterator[tuple[Host, Protocol, Group]]:
        for (hid, protocol), group in self._groups.items():
            yield self.hosts[hid], protocol, group

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
