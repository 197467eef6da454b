"""The overlap sweep: every pair of overlapping ranges in one (host, protocol) group, in O(n log n + pairs).

One mechanism for every rule and tool that asks "which of these ranges share a port": never all pairs,
so a clean 100k-claim model is cheap and a pathological one (every unit opening 1-65535 on one
machine) costs only the pairs it reports, which the caller caps.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate, islice
from operator import itemgetter, le
from typing import NamedTuple

from ..model import Claim
from ..ports import PortRange

# Within one (host, protocol) group: (unit, start, end) -> the claims (one per endpoint) behind it.
Group = dict[tuple[str, int, int], list[Claim]]


class Key(NamedTuple):
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


_BY_RANGE = itemgetter(1, 2, 0)
_START = itemgetter(1)
_END = itemgetter(2)


def clashing_keys(group: Group) -> list[Key] | None:
    """The group's keys by (start, end, unit), or None when no two overlap (most groups, in a sane model).

    Sorting on the unit too makes the sweep's order, and so the pairs listed before a cap, the same
    for any input order. The test runs at C speed (sorted, map, accumulate): a range overlaps an
    earlier one exactly when it starts at or before the furthest end seen so far.
    """
    if len(group) < 2:
        return None
    order = sorted(group, key=_BY_RANGE)
    reach = accumulate(map(_END, order), max)
    if not any(map(le, islice(map(_START, order), 1, None), reach)):
        return None
    return [Key(k[1], k[2], k[0], group[k]) for k in order]


def overlapping(keys: Sequence[Key]) -> Iterator[tuple[int, int]]:
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


def count_overlapping(keys: Sequence[Key]) -> int:
    """How many pairs `overlapping` would yield, in O(n log n): all pairs minus the disjoint ones.

    A pair is disjoint exactly when one range ends before the other starts, and that can hold one way
    round only, so counting, per key, the keys that end before it starts counts each disjoint pair once.
    """
    ends = sorted(k.end for k in keys)
    disjoint = sum(bisect_left(ends, k.start) for k in keys)
    n = len(keys)
    return n * (n - 1) // 2 - disjoint


def involved(keys: Sequence[Key]) -> list[Key]:
    """The keys that overlap at least one other key (keys sorted by start), in O(n)."""
    result: list[Key] = []
    reach = -1  # the furthest end among the keys before the current one
    for i, key in enumerate(keys):
        before = reach >= key.start
        after = i + 1 < len(keys) and keys[i + 1].start <= key.end
        if before or after:
            result.append(key)
        reach = max(reach, key.end)
    return result
