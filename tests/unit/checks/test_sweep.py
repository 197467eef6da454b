"""The overlap sweep held to a brute-force oracle (hypothesis), with the summary counts and free ranges."""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.checks import ConflictPair, check, conflict_pairs, sweep
from anbox_cloud_ports.checks.index import Index
from anbox_cloud_ports.findings import Finding, JujuVersion
from anbox_cloud_ports.model import (
    Claim,
    Deployment,
    Host,
    Unit,
)
from anbox_cloud_ports.ports import ICMP, PortRange
from tests.unit.checks.builders import (
    BOTH,
    CATALOG,
    P,
    build,
)
from tests.unit.oracle import oracle_pairs

# -- the sweep against the brute-force oracle -------------------------------------------------------------

EDGES = (0, 1, 2, 99, 100, 101, 199, 200, 201, 65534, 65535)
ENDPOINTS = ("", "a", "b")
# Two services of one charm (ams: its API and its Prometheus endpoint), or no row at all: one unit's
# claims from two rows are two listeners.
ROWS = (None, *CATALOG.for_charm("ams"))


@st.composite
def port_ranges(draw: st.DrawFn) -> PortRange:
    protocol = draw(st.sampled_from(("tcp", "udp", "icmp")))
    if protocol == "icmp":
        return ICMP
    ports = st.one_of(st.integers(0, 30), st.sampled_from(EDGES))
    a, b = sorted((draw(ports), draw(ports)))
    return PortRange(protocol, a, b)


@st.composite
def nested_ranges(draw: st.DrawFn) -> PortRange:
    """Ranges around one centre, and blocks that touch end to end: where off-by-ones live."""
    protocol = draw(st.sampled_from(("tcp", "udp")))
    if draw(st.booleans()):
        half = draw(st.integers(0, 8))
        return PortRange(protocol, 100 - half, 100 + half)
    block = draw(st.integers(0, 6))
    return PortRange(protocol, 100 + 10 * block, 109 + 10 * block + draw(st.integers(0, 1)))


@st.composite
def deployments(
    draw: st.DrawFn, ranges: st.SearchStrategy[PortRange] | None = None, one_host: bool = False
) -> Deployment:
    n_hosts = 1 if one_host else draw(st.integers(1, 3))
    hosts = [Host(str(i), draw(st.sampled_from(("", "m")))) for i in range(n_hosts)]
    n_units = draw(st.integers(1, 6))
    units = [
        Unit(f"app{i % 3}/{i}", f"app{i % 3}", f"app{i % 3}", draw(st.sampled_from(hosts)))
        for i in range(n_units)
    ]
    names = [u.key for u in units] + ["ghost/0"]
    claim_strategy = st.builds(
        Claim,
        unit=st.sampled_from(names),
        port=ranges if ranges is not None else port_ranges(),
        endpoint=st.sampled_from(ENDPOINTS),
        row=st.sampled_from(ROWS),
    )
    claims = draw(st.lists(claim_strategy, max_size=14))
    return build(units, claims)


def _pairs_from_findings(findings: Iterable[Finding]) -> set[ConflictPair]:
    """Rebuild raw pairs from port-conflict findings, to hold check() to the oracle as well."""
    out: set[ConflictPair] = set()
    for f in findings:
        if f.rule != "port-conflict":
            continue
        if len(f.units) == 1 and len(f.ports) == 1:  # two services of one unit on one range
            a, b = (f.units[0], f.ports[0]), (f.units[0], f.ports[0])
        elif len(f.units) == 1:
            a, b = (f.units[0], f.ports[0]), (f.units[0], f.ports[1])
        elif len(f.ports) == 1:
            a, b = (f.units[0], f.ports[0]), (f.units[1], f.ports[0])
        else:
            a, b = (f.units[0], f.ports[0]), (f.units[1], f.ports[1])
        (ua, ra), (ub, rb) = sorted([a, b])
        out.update((ua, ra, ub, rb, view) for view in f.views)
    return out


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(deployments())
def test_sweep_equals_oracle(deployment: Deployment):
    assert conflict_pairs(deployment) == oracle_pairs(deployment)


@FAST
@given(deployments(ranges=nested_ranges(), one_host=True))
def test_sweep_equals_oracle_on_one_host_with_nested_and_touching_ranges(deployment: Deployment):
    assert conflict_pairs(deployment) == oracle_pairs(deployment)


@FAST
@given(
    deployments(
        ranges=st.sampled_from(
            [
                P("1-65535/tcp"),
                P("0-65535/tcp"),
                P("0/tcp"),
                P("1/tcp"),
                P("65535/tcp"),
                P("2-65534/tcp"),
                ICMP,
            ]
        ),
        one_host=True,
    )
)
def test_sweep_equals_oracle_on_full_range_claims(deployment: Deployment):
    assert conflict_pairs(deployment) == oracle_pairs(deployment)


@FAST
@given(deployments(), st.sampled_from(BOTH))
def test_check_reports_exactly_the_oracles_pairs(deployment: Deployment, juju: JujuVersion):
    """Whatever `juju` says (kept for callers), the verdict is the same: Juju 3.x and 4.x agree."""
    expected = oracle_pairs(deployment)
    report = check(deployment, juju=juju)
    # 14 claims make at most 91 pairs; a (host, protocol) holding more than PAIR_CAP is summarised.
    summaries = [f for f in report.findings if f.rule == "port-conflict" and "collapsed" in f.message]
    listed = [f for f in report.findings if f.rule == "port-conflict" and f not in summaries]
    got = _pairs_from_findings(listed)
    if summaries:
        assert got <= expected
    else:
        assert got == expected
    assert all(f.severity == "error" and f.views for f in listed)
    # One finding per pair: the views of a pair are never split over two findings.
    keys = [(f.units, f.ports, f.hosts) for f in listed]
    assert len(keys) == len(set(keys))


@FAST
@given(deployments(ranges=nested_ranges(), one_host=True))
def test_count_and_quick_reject_match_enumeration(deployment: Deployment):
    index = Index(deployment, CATALOG)
    for _, _, group in index.groups():
        order = sorted(group, key=lambda k: (k[1], k[2], k[0]))
        keys = [sweep.Key(start, end, unit, group[(unit, start, end)]) for unit, start, end in order]
        listed = list(sweep.overlapping(keys))
        assert (sweep.clashing_keys(group) is None) == (not listed)
        assert sweep.count_overlapping(keys) == len(listed)
        involved = {(k.unit, k.port) for k in sweep.involved(keys)}
        assert involved == {(keys[i].unit, keys[i].port) for pair in listed for i in pair}


@FAST
@given(deployments(ranges=nested_ranges(), one_host=True), st.integers(1, 300), st.integers(1, 40))
def test_free_range_is_free(deployment: Deployment, after: int, size: int):
    index = Index(deployment, CATALOG)
    host = Host("0", deployment.units[0].host.model)
    span = index.free_range(host, frozenset({"tcp", "udp"}), size, after)
    assert span is not None
    assert span.size == size
    held = [c.port for c in deployment.claims if c.unit in index.units and c.port.protocol != "icmp"]
    assert not any(span.start <= p.end and p.start <= span.end for p in held)
