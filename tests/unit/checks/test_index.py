"""The Index's fast paths held to the plain computations they stand for (hypothesis).

The Index finds each unit's claims as slices, judges an application once when all its units hold
claims alike, and regroups only the hosts where two claims meet. Each of those is compared here with
the obvious per-claim computation, over deployments built to hit both sides of every shortcut:
claims in and out of unit order, a key named twice, claims of unplaced units, applications whose
units hold equal but distinct PortRange objects, and hosts shared by units of several applications.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.checks.index import Index, merged, positions_by_app
from anbox_cloud_ports.checks.required_port_missing import knows_held
from anbox_cloud_ports.checks.sweep import Group, clashing_keys
from anbox_cloud_ports.findings import Finding, ordered
from anbox_cloud_ports.model import Application, Claim, ClaimOrigin, Deployment, Host, Location, Unit
from anbox_cloud_ports.ports import ICMP, PortRange

CATALOG = Catalog.builtin()
TEXTS = ("80/tcp", "443/tcp", "8443/tcp", "10000-11000/udp", "10000-11000/tcp", "10500/tcp", "0/tcp")
CHARMS = ("ams-lxd", "haproxy", "anbox-stream-agent", "other")


def _port(rng: random.Random, fresh: bool) -> PortRange:
    if rng.random() < 0.1:
        return ICMP
    port = PortRange.parse(rng.choice(TEXTS))
    return PortRange(port.protocol, port.start, port.end) if fresh else port


def _deployment(seed: int) -> Deployment:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    hosts = [Host(str(i), rng.choice(("", "", "m"))) for i in range(rng.randint(1, 6))]
    units: list[Unit] = []
    claims: list[Claim] = []
    apps: dict[str, Application] = {}
    for a in range(rng.randint(1, 4)):
        name, charm = f"app{a}", rng.choice(CHARMS)
        model = rng.choice(("", "", "m"))
        apps.setdefault(Application(name, charm, model=model).key, Application(name, charm, model=model))
        template = [(_port(rng, False), rng.choice(("", "", "x"))) for _ in range(rng.randint(0, 3))]
        alike = rng.random() < 0.6
        for n in range(rng.randint(1, 70 if rng.random() < 0.2 else 6)):
            unit = Unit(
                f"{name}/{n}", name, charm, rng.choice(hosts), model=model, endpoints_known=rng.random() < 0.9
            )
            units.append(unit)
            held = (
                template
                if alike
                else [(_port(rng, rng.random() < 0.5), "") for _ in range(rng.randint(0, 3))]
            )
            for port, endpoint in held:
                row = CATALOG.row_for(charm, port) if rng.random() < 0.7 else None
                location = Location("f", rng.randint(1, 9)) if rng.random() < 0.3 else None
                claims.append(Claim(unit.key, port, endpoint, "catalog", None, row, location))
    if rng.random() < 0.2:
        units.append(rng.choice(units))  # a key named twice
    if rng.random() < 0.2:
        rng.shuffle(claims)
    if rng.random() < 0.2:
        claims.append(Claim("ghost/0", PortRange.parse("80/tcp")))  # a unit no source placed
    return Deployment(
        "t", MappingProxyType(apps), tuple(units), tuple(claims), endpoints_known=rng.random() < 0.8
    )


seeds = st.integers(0, 2**32 - 1)


def _by_unit(deployment: Deployment) -> dict[str, list[Claim]]:
    placed = {unit.key for unit in deployment.units}
    found: dict[str, list[Claim]] = {}
    for claim in deployment.claims:
        if claim.unit in placed:
            found.setdefault(claim.unit, []).append(claim)
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(seeds)
def test_claims_by_unit_are_the_claims_of_each_placed_unit_in_order(seed: int) -> None:
    deployment = _deployment(seed)
    index = Index(deployment, CATALOG)
    assert {k: list(v) for k, v in index.claims_by_unit.items()} == _by_unit(deployment)
    assert index.host_count == len(deployment.hosts())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(seeds)
def test_kinds_hold_every_claim_of_an_application_once_grouped_by_value(seed: int) -> None:
    deployment = _deployment(seed)
    index = Index(deployment, CATALOG)
    by_unit = _by_unit(deployment)
    for app_key, units in index.units_by_app.items():
        expected = [(unit, claim) for unit in units for claim in by_unit.get(unit.key, ())]
        held = index.app_claims(app_key)
        seen: list[tuple[int, tuple[Unit, Claim]]] = []
        values: set[tuple[object, ...]] = set()
        for kind in held.kinds:
            pairs = held.held(kind.positions)
            for (unit, claim), position in zip(pairs, kind.positions, strict=True):
                assert (claim.port, claim.endpoint, claim.option) == (
                    kind.claim.port,
                    kind.claim.endpoint,
                    kind.claim.option,
                )
                assert index.row_of(claim, unit.charm) == kind.row
                assert deployment.endpoints_known_for(unit) == kind.known
                seen.append((position, (unit, claim)))
            values.add((kind.claim.port, kind.claim.endpoint, kind.claim.option, kind.row, kind.known))
        assert [pair for _, pair in sorted(seen, key=lambda item: item[0])] == expected
        positions = merged(held.kinds) if held.kinds else []
        assert list(positions) == sorted(position for position, _ in seen)


def _clashing(group: Group) -> bool:
    return clashing_keys(group) is not None or any(len(claims) > 1 for claims in group.values())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(seeds)
def test_conflict_groups_are_every_group_where_two_claims_meet(seed: int) -> None:
    deployment = _deployment(seed)
    every = {(host, protocol): group for host, protocol, group in Index(deployment, CATALOG).groups()}
    found = {
        (host, protocol): group for host, protocol, group in Index(deployment, CATALOG).conflict_groups()
    }
    hosts = {host for (host, _), group in every.items() if _clashing(group)}
    regrouped = {host for host, _ in found}
    # Every host where two claims meet, each with all its groups as `groups()` has them; a host it
    # cannot rule out without regrouping (a key named twice) may come too, and then finds nothing.
    assert regrouped >= hosts
    assert found == {key: group for key, group in every.items() if key[0] in regrouped}
    assert not any(_clashing(group) for (host, _), group in found.items() if host not in hosts)


def _finding(rng: random.Random) -> Finding:
    hosts = tuple(Host(str(rng.randint(0, 3)), rng.choice(("", "m"))) for _ in range(rng.randint(0, 2)))
    return Finding(
        rule=rng.choice(("a", "b")),
        severity=rng.choice(("error", "warning", "info")),
        message=rng.choice(("x", "y")),
        hosts=hosts,
        units=tuple(rng.sample(("u/0", "u/1", "v/0"), rng.randint(0, 2))),
        ports=tuple(PortRange.parse(t) for t in rng.sample(TEXTS, rng.randint(0, 2))),
        fix=str(rng.random()),
    )


def _plainly_ordered(findings: Sequence[Finding]) -> list[Finding]:
    unique = {(f.rule, f.message, f.units, f.ports, f.hosts): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


@given(seeds)
def test_ordered_is_one_sort_of_the_deduplicated_findings(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    findings = [_finding(rng) for _ in range(rng.randint(0, 30))]
    assert ordered(findings) == _plainly_ordered(findings)


def _plain_positions(app_keys: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, app_key in enumerate(app_keys):
        found.setdefault(app_key, []).append(i)
    return found


# Applications as sources write them: blocks, units alternating with their subordinates', and any order.
_app_orders = st.one_of(
    st.lists(st.sampled_from("abcd"), max_size=30),
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(1, 5)), max_size=8).map(
        lambda blocks: [app for app, n in blocks for _ in range(n)]
    ),
    st.tuples(st.lists(st.sampled_from("xyz"), min_size=1, max_size=3), st.integers(1, 6)).map(
        lambda cycle: [app + str(k) for _ in range(cycle[1]) for k, app in enumerate(cycle[0])]
    ),
    st.lists(st.text("ab", max_size=2), max_size=40, unique=True),
)


@given(_app_orders, st.lists(st.sampled_from("pq"), max_size=6))
def test_positions_by_app_are_where_each_application_is(app_keys: list[str], extra: list[str]) -> None:
    for keys in (app_keys, app_keys + extra, extra + app_keys):
        found = positions_by_app(keys)
        assert list(found) == list(_plain_positions(keys))
        assert {app: list(where) for app, where in found.items()} == _plain_positions(keys)


def test_positions_by_app_take_ranges_for_blocks_and_strides_and_a_pass_else() -> None:
    strided = ["lxd", "exporter"] * 4 + ["ams"] * 3
    assert positions_by_app(strided) == {
        "lxd": range(0, 8, 2),
        "exporter": range(1, 8, 2),
        "ams": range(8, 11),
    }
    assert positions_by_app(["a", "b", "a", "a"]) == {"a": [0, 2, 3], "b": [1]}
    many = [str(i) for i in range(40)] * 2
    assert positions_by_app(many) == {str(i): range(i, 80, 40) for i in range(40)}  # two regions
    many = [str(i) for i in range(40)] * 2 + ["0"]
    assert positions_by_app(many) == {"0": [0, 40, 80], **{str(i): [i, i + 40] for i in range(1, 40)}}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(seeds)
def test_units_are_found_by_key_and_by_application_as_listed(seed: int) -> None:
    deployment = _deployment(seed)
    index = Index(deployment, CATALOG)
    list(index.conflict_groups())  # the units of conflicts at hand, as when a rule asks
    last = {unit.key: unit for unit in deployment.units}
    for key in [*last, "ghost/0"]:
        assert index.find_unit(key) is last.get(key)
    by_app: dict[str, list[Unit]] = {}
    for unit in deployment.units:
        by_app.setdefault(unit.application_key, []).append(unit)
    assert index.units_by_app == by_app


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(seeds)
def test_a_kept_index_changes_no_finding(seed: int) -> None:
    deployment = _deployment(seed)
    kept: list[object] = []
    assert check(deployment, catalog=CATALOG, keep=kept) == check(deployment, catalog=CATALOG)
    assert [type(one) for one in kept] == [Index]


@given(
    st.lists(st.sampled_from("abcd"), min_size=1, max_size=12),
    st.integers(1, 6),
    st.lists(st.sampled_from("abe"), max_size=3),
)
def test_positions_by_app_of_units_listed_region_by_region(
    region: list[str], regions: int, extra: list[str]
) -> None:
    # Each region lists the same applications (the periodic path); a unit more breaks the period.
    for keys in (region * regions, region * regions + extra, extra + region * regions):
        found = positions_by_app(keys)
        assert list(found) == list(_plain_positions(keys))
        assert {app: list(where) for app, where in found.items()} == _plain_positions(keys)


def test_positions_by_app_of_regions_are_ranges_of_each_block() -> None:
    regions = ["ams", "lxd", "lxd", "nats", "lxd"] * 3
    found = positions_by_app(regions)
    assert found["ams"] == range(0, 15, 5)
    assert found["nats"] == range(3, 15, 5)
    assert found["lxd"] == [1, 2, 4, 6, 7, 9, 11, 12, 14]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(seeds, st.sampled_from(("catalog", "observed", "relation")), st.booleans())
def test_knows_held_is_whether_any_claim_is_known_held(seed: int, origin: ClaimOrigin, grouped: bool) -> None:
    deployment = _deployment(seed)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    claims = tuple(
        claim._replace(origin=origin) if rng.random() < 0.1 else claim for claim in deployment.claims
    )
    deployment = deployment._replace(claims=claims)
    index = Index(deployment, CATALOG)
    if grouped:  # the applications grouped by kind first, as the exposure rules do
        for app_key in index.units_by_app:
            index.app_claims(app_key)
    assert index.knows_held == knows_held(deployment)


def test_the_field_getters_read_the_fields_they_are_named_for() -> None:
    """The index reads model fields by position: each getter is the attribute of its name."""
    from anbox_cloud_ports.checks import index as module

    port = PortRange("tcp", 1, 2)
    claim = Claim("a/0", port, "ep", "observed", "opt", None, Location("f", 3))
    unit = Unit("a/0", "a", "c", Host("0", "m"), False, Location("g", 4), "m", True)
    getters = {
        "_UNIT": (claim, "unit"),
        "_PORT": (claim, "port"),
        "_ROW": (claim, "row"),
        "_ENDPOINT": (claim, "endpoint"),
        "_OPTION": (claim, "option"),
        "_ORIGIN": (claim, "origin"),
        "_NAME": (unit, "name"),
        "_UNIT_MODEL": (unit, "model"),
        "_HOST": (unit, "host"),
        "_CHARM": (unit, "charm"),
        "_APPLICATION": (unit, "application"),
        "_ENDPOINTS_KNOWN": (unit, "endpoints_known"),
        "_MACHINE": (unit.host, "machine"),
        "_HOST_MODEL": (unit.host, "model"),
    }
    for name, (value, field) in getters.items():
        assert getattr(module, name)(value) == getattr(value, field), name
    assert module._KIND(claim) == (claim.port, claim.endpoint, claim.origin, claim.option, claim.row)
