"""Which ports are free on a set of hosts at once: where an option that moves a whole application can go.

An option applies to every unit of an application, so a new value must be free on every host the
application has a unit on, in every protocol the option moves (ams-lxd `exposed_instance_ports`
moves UDP and TCP). `checks/index.py` `free_range` answers for one host; this answers for several,
leaves out the claims the option itself moves (an invalid value falls back to the catalog default,
which must not count as taken by the very option being repaired), and remembers what earlier changes
of the same fix took, so two options moved in one fix never land on the same port.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..catalog import CatalogRow
from ..model import Deployment, Host
from ..ports import MAX_PORT, PortRange, Protocol

# Where the search starts over when nothing is free above the old port: the first unprivileged port,
# as checks/index.py does.
FALLBACK_FIRST_PORT = 1024

_Span = tuple[int, int]
# (host, protocol) -> spans with their owner: (application key, catalog row) or None for a reservation
_Owned = tuple[int, int, str, CatalogRow | None]


class Occupancy:
    def __init__(self, deployment: Deployment):
        self._held: dict[tuple[Host, str], list[_Owned]] = {}
        units = deployment.unit_map()
        for claim in deployment.claims:
            unit = units.get(claim.unit)
            if unit is None:
                continue
            port = claim.port
            self._held.setdefault((unit.host, port.protocol), []).append(
                (port.start, port.end, unit.application_key, claim.row)
            )
        self._reserved: dict[tuple[Host, str], list[_Span]] = {}

    def find(
        self,
        hosts: Iterable[Host],
        protocols: Iterable[Protocol],
        size: int,
        after: int,
        *,
        moving: tuple[str, CatalogRow | None] | None = None,
        prefer: PortRange | None = None,
    ) -> PortRange | None:
        """The first span of `size` ports at or above `after` free on every host in every protocol.

        `moving` (application key, row) names the claims the change moves: they do not count as taken.
        `prefer`, when free, wins (an invalid option is best set back to the catalog default).
        """
        busy = self._busy(tuple(hosts), tuple(protocols), moving)
        protocol = min(protocols)
        if prefer is not None and prefer.size == size and _fits(busy, prefer.start, size):
            return PortRange(protocol, prefer.start, prefer.end)
        for first in (after, FALLBACK_FIRST_PORT):
            start = _first_gap(busy, max(first, 1), size)
            if start is not None:
                return PortRange(protocol, start, start + size - 1)
        return None

    def reserve(self, hosts: Iterable[Host], protocols: Iterable[Protocol], port: PortRange) -> None:
        for host in hosts:
            for protocol in protocols:
                self._reserved.setdefault((host, protocol), []).append((port.start, port.end))

    def _busy(
        self,
        hosts: tuple[Host, ...],
        protocols: tuple[Protocol, ...],
        moving: tuple[str, CatalogRow | None] | None,
    ) -> list[_Span]:
        spans: list[_Span] = []
        for host in hosts:
            for protocol in protocols:
                for start, end, app, row in self._held.get((host, protocol), ()):
                    if moving is not None and (app, row) == moving:
                        continue
                    spans.append((start, end))
                spans.extend(self._reserved.get((host, protocol), ()))
        spans.sort()
        merged: list[_Span] = []
        for start, end in spans:
            if merged and start <= merged[-1][1] + 1:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return merged


def _fits(busy: list[_Span], start: int, size: int) -> bool:
    end = start + size - 1
    return end <= MAX_PORT and not any(s <= end and start <= e for s, e in busy)


def _first_gap(busy: list[_Span], start: int, size: int) -> int | None:
    candidate = start
    for s, e in busy:
        if e < candidate:
            continue
        if s > candidate + size - 1:
            break
        candidate = e + 1
    return candidate if candidate + size - 1 <= MAX_PORT else None
