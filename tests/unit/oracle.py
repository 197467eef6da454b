"""The brute-force oracle for port conflicts: every pair of claims, Juju's rules written out literally.

The engine sweeps per (host, protocol) and merges a unit's claims per range; this module does neither.
It compares every claim with every other claim in the deployment, so it is quadratic and obviously
right, and the property tests and the bench hold the engine to it.

The rules (docs/juju-facts.md#open-port-conflicts), the same for Juju 3.x and 4.x since the hook tool
(`checkForConflict`) decides first in both:

* juju: two claims whose ranges `ConflictsWith` each other (same protocol, inclusive overlap; two icmp
  always) on one host, held by two units (identical ranges included), or by one unit as two ranges
  that are not identical;
* bind: the overlap holds a port other than 0 (binding 0 takes any free port; icmp binds nothing),
  and two processes hold it: two units, or one unit's two catalog services (two different rows).
"""

from __future__ import annotations

from anbox_cloud_ports.findings import View
from anbox_cloud_ports.model import Deployment
from anbox_cloud_ports.ports import PortRange

ConflictPair = tuple[str, PortRange, str, PortRange, View]


def oracle_pairs(deployment: Deployment) -> set[ConflictPair]:
    """Every (unit_a, range_a, unit_b, range_b, view) that objects, with (unit_a, range_a) <= (unit_b, range_b)."""
    host_of = {unit.key: unit.host for unit in deployment.units}
    claims = [claim for claim in deployment.claims if claim.unit in host_of]
    result: set[ConflictPair] = set()
    for i, x in enumerate(claims):
        for y in claims[i + 1 :]:
            if host_of[x.unit] != host_of[y.unit]:
                continue  # scope: one machine (Juju 3) / one net node (Juju 4) / one network namespace
            rx, ry = x.port, y.port
            if rx.protocol != ry.protocol:
                continue
            # Inclusive bounds, as juju core/network/portrange.go ConflictsWith; icmp is 0..0 here
            # (-1..-1 in Juju), so two icmp claims always "overlap".
            if not (rx.start <= ry.end and ry.start <= rx.end):
                continue
            same_unit = x.unit == y.unit
            views: list[View] = []
            two_processes = not same_unit or (x.row is not None and y.row is not None and x.row != y.row)
            shares_a_real_port = max(rx.start, ry.start, 1) <= min(rx.end, ry.end)
            if rx.protocol != "icmp" and shares_a_real_port and two_processes:
                views.append("bind")
            if not same_unit or rx != ry:
                views.append("juju")
            (ua, ra), (ub, rb) = sorted([(x.unit, rx), (y.unit, ry)])
            for view in views:
                result.add((ua, ra, ub, rb, view))
    return result
