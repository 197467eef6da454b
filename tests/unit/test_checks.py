"""The engine: Anbox layouts, Juju's own test vectors, and the sweep held to a brute-force oracle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog, CatalogRow, Profile
from anbox_cloud_ports.checks import ConflictPair, check, conflict_pairs, port_conflict, sweep
from anbox_cloud_ports.checks.index import Index
from anbox_cloud_ports.findings import Finding, JujuVersion, Report, ordered
from anbox_cloud_ports.model import (
    Application,
    Claim,
    ClaimOrigin,
    Deployment,
    ExposeTarget,
    Host,
    Location,
    Problem,
    Unit,
)
from anbox_cloud_ports.ports import ICMP, PortRange
from tests.unit.oracle import oracle_pairs

CATALOG = Catalog.builtin()
BOTH: tuple[JujuVersion, ...] = ("3", "4")

# -- builders ----------------------------------------------------------------------------------------


def P(text: str) -> PortRange:
    return PortRange.parse(text)


def unit(name: str, machine: str | Host, charm: str | None = None, *, subordinate: bool = False) -> Unit:
    app = name.split("/", maxsplit=1)[0]
    host = machine if isinstance(machine, Host) else Host(machine)
    return Unit(name, app, charm or app, host, subordinate=subordinate)


def claim(
    unit_name: str,
    port: str | PortRange,
    endpoint: str = "",
    *,
    origin: ClaimOrigin = "catalog",
    option: str | None = None,
    row: CatalogRow | None = None,
    location: Location | None = None,
) -> Claim:
    rng = port if isinstance(port, PortRange) else P(port)
    return Claim(unit_name, rng, endpoint, origin, option, row, location)


def everyone() -> ExposeTarget:
    return ExposeTarget()


def build(
    units: Iterable[Unit],
    claims: Iterable[Claim],
    *,
    exposed: Mapping[str, Mapping[str, ExposeTarget]] | None = None,
    observed: bool = False,
    profile: Profile = "charmed",
    problems: tuple[Problem, ...] = (),
) -> Deployment:
    units = tuple(units)
    apps: dict[str, Application] = {}
    for u in units:
        rules = MappingProxyType(dict((exposed or {}).get(u.application, {})))
        apps.setdefault(
            u.application_key,
            Application(u.application, u.charm, rules, subordinate=u.subordinate, model=u.model),
        )
    return Deployment(
        input="test",
        applications=MappingProxyType(apps),
        units=units,
        claims=tuple(claims),
        profile=profile,
        observed=observed,
        problems=problems,
        juju_managed=profile != "appliance",
    )


def catalog_claims(u: Unit, endpoints: Mapping[str, str] | None = None, **options: object) -> list[Claim]:
    """What a bundle source would claim for a unit: its charm's catalog rows, moved by options."""
    out: list[Claim] = []
    for row in CATALOG.for_charm(u.charm):
        for port, option in row.claims_for(u.charm, options or None):
            endpoint = (endpoints or {}).get(str(port), "")
            out.append(Claim(u.name, port, endpoint, "config" if option else "catalog", option, row))
    return out


def layout(
    placement: Mapping[str, str],
    *,
    exposed: Mapping[str, Mapping[str, ExposeTarget]] | None = None,
    endpoints: Mapping[str, Mapping[str, str]] | None = None,
    options: Mapping[str, Mapping[str, object]] | None = None,
) -> Deployment:
    units = [unit(name, machine, CHARMS[name.split("/")[0]]) for name, machine in placement.items()]
    claims = [
        c
        for u in units
        for c in catalog_claims(
            u, (endpoints or {}).get(u.application), **(options or {}).get(u.application, {})
        )
    ]
    return build(units, claims, exposed=exposed)


CHARMS = {
    "nats": "nats",
    "anbox-stream-gateway": "anbox-stream-gateway",
    "anbox-cloud-dashboard": "anbox-cloud-dashboard",
    "anbox-stream-gateway-lb": "haproxy",
    "ams": "ams",
    "anbox-stream-agent": "anbox-stream-agent",
    "coturn": "coturn",
    "etcd": "etcd",
    "lxd": "ams-lxd",
    "other": "other",
}

# The reference layout: a control plane on 0, AMS with its agent and TURN on 1, etcd on 2, LXD on 3 and 4.
REFERENCE = {
    "nats/0": "0",
    "anbox-stream-gateway/0": "0",
    "anbox-cloud-dashboard/0": "0",
    "anbox-stream-gateway-lb/0": "0",
    "ams/0": "1",
    "anbox-stream-agent/0": "1",
    "coturn/0": "1",
    "etcd/0": "2",
    "lxd/0": "3",
    "lxd/1": "4",
}
REFERENCE_EXPOSED = {"coturn": {"": everyone()}, "anbox-stream-gateway-lb": {"": everyone()}}


def rules(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def pairs(units: list[Unit], claims: list[Claim], juju: JujuVersion) -> set[ConflictPair]:
    return conflict_pairs(build(units, claims), juju=juju)


# -- the reference layout and its variations ---------------------------------------------------------


@pytest.mark.parametrize("juju", BOTH)
def test_reference_layout_is_clean(juju: JujuVersion):
    report = check(layout(REFERENCE, exposed=REFERENCE_EXPOSED), juju=juju)
    assert report.findings == ()
    assert report.summary.errors == report.summary.warnings == report.summary.infos == 0
    assert report.summary.hosts == 5
    assert report.summary.units == 10
    assert report.juju == juju
    assert report.input == "test"


def test_agent_and_haproxy_colocated_conflict_on_443_in_both_views_juju3():
    placement = {**REFERENCE, "anbox-stream-gateway-lb/0": "1"}
    report = check(layout(placement, exposed=REFERENCE_EXPOSED), juju="3")
    [finding] = rules(report, "port-conflict")
    assert finding.severity == "error"
    assert finding.views == ("bind", "juju")
    assert finding.units == ("anbox-stream-agent/0", "anbox-stream-gateway-lb/0")
    assert finding.ports == (P("443/tcp"),)
    assert finding.hosts == (Host("1"),)
    assert finding.message.startswith(
        "anbox-stream-agent/0 and anbox-stream-gateway-lb/0 both need 443/tcp on machine 1:"
    )
    assert "the two services cannot both bind 443/tcp" in finding.message
    # Juju 3's own error text (worker/uniter/runner/context/ports.go).
    assert (
        'cannot open 443/tcp (unit "anbox-stream-gateway-lb/0"): port range conflicts with '
        '443/tcp (unit "anbox-stream-agent/0")'
    ) in finding.message
    assert finding.fix is not None
    assert "Move anbox-stream-gateway-lb/0 to another machine" in finding.fix
    assert "--to lxd:1" in finding.fix
    assert report.summary.errors == 1


def test_agent_and_haproxy_colocated_juju4_only_bind_objects():
    placement = {**REFERENCE, "anbox-stream-gateway-lb/0": "1"}
    [finding] = rules(check(layout(placement, exposed=REFERENCE_EXPOSED), juju="4"), "port-conflict")
    assert finding.views == ("bind",)
    # Juju stays quiet while the services still cannot both bind.
    assert "Juju 4 stays quiet" in finding.message
    assert "still cannot both bind 443/tcp" in finding.message


@pytest.mark.parametrize("juju", BOTH)
def test_coturn_and_lxd_on_one_host_do_not_overlap(juju: JujuVersion):
    placement = {"coturn/0": "5", "lxd/0": "5"}
    report = check(layout(placement, exposed={"coturn": {"": everyone()}}), juju=juju)
    assert report.findings == ()


def test_lxd_exposed_wildcard_leaks_8443():
    report = check(layout(REFERENCE, exposed={**REFERENCE_EXPOSED, "lxd": {"": everyone()}}))
    [finding] = rules(report, "internal-port-exposed")
    assert finding.severity == "error"
    assert finding.ports == (P("8443/tcp"),)
    assert finding.units == ("lxd/0", "lxd/1")
    assert finding.hosts == (Host("3"), Host("4"))
    assert "open 8443/tcp for all endpoints" in finding.message
    assert "`juju expose lxd` (wildcard) exposes it to 0.0.0.0/0 and ::/0" in finding.message
    assert "Anbox Cloud docs' own `juju expose lxd`" in finding.message
    assert finding.fix is not None
    assert "--endpoints" in finding.fix
    # 10000-11000 is meant to be exposed: no finding for it.
    assert all(f.ports == (P("8443/tcp"),) for f in report.findings)


def test_lxd_single_unit_message_reads_naturally():
    report = check(layout({"lxd/0": "3"}, exposed={"lxd": {"": everyone()}}))
    [finding] = rules(report, "internal-port-exposed")
    assert finding.message.startswith(
        "lxd/0 opens 8443/tcp for all endpoints; `juju expose lxd` (wildcard) exposes it to 0.0.0.0/0 and ::/0"
    )


def test_lxd_internal_endpoint_and_public_endpoint_exposed_is_clean():
    endpoints = {"lxd": {"8443/tcp": "internal", "10000-11000/tcp": "public", "10000-11000/udp": "public"}}
    deployment = layout(
        REFERENCE, exposed={**REFERENCE_EXPOSED, "lxd": {"public": everyone()}}, endpoints=endpoints
    )
    assert check(deployment).findings == ()


def test_lxd_8443_on_wildcard_endpoint_leaks_through_a_named_rule():
    # DESIGN fact 7: a rule for endpoint X also reaches the ports opened for all endpoints.
    endpoints = {"lxd": {"10000-11000/tcp": "public", "10000-11000/udp": "public"}}
    deployment = layout({"lxd/0": "3"}, exposed={"lxd": {"public": everyone()}}, endpoints=endpoints)
    [finding] = rules(check(deployment), "internal-port-exposed")
    assert finding.severity == "error"
    assert "`juju expose lxd --endpoints public`" in finding.message
    assert "also reaches every port opened for all endpoints" in finding.message
    assert "Anbox Cloud docs" not in finding.message  # that remark is about the wildcard step
    assert finding.fix is not None
    assert "open-port 8443/tcp --endpoints" in finding.fix


@pytest.mark.parametrize(
    "cidrs", [("10.0.0.0/8",), ("172.16.0.0/12", "192.168.1.0/24"), ("fd00::/8",), ("127.0.0.1/32",)]
)
def test_nats_client_exposed_to_private_networks_is_info(cidrs: tuple[str, ...]):
    deployment = layout(
        {"nats/0": "0"},
        exposed={"nats": {"client": ExposeTarget(cidrs=cidrs)}},
        endpoints={"nats": {"4222/tcp": "client"}},
    )
    [finding] = check(deployment).findings
    assert finding.rule == "internal-port-exposed"
    assert finding.severity == "info"
    assert "private networks only" in finding.message
    assert cidrs[0] in finding.message


def test_exposure_to_named_spaces_only_is_info():
    deployment = layout(
        {"nats/0": "0"},
        exposed={"nats": {"client": ExposeTarget(spaces=("internal",))}},
        endpoints={"nats": {"4222/tcp": "client"}},
    )
    [finding] = check(deployment).findings
    assert finding.severity == "info"
    assert "space internal" in finding.message


@pytest.mark.parametrize(
    "cidrs", [("0.0.0.0/0",), ("10.0.0.0/8", "8.8.8.0/24"), ("::/0",), ("100.64.0.0/10",)]
)
def test_exposure_beyond_private_networks_is_an_error(cidrs: tuple[str, ...]):
    deployment = layout({"nats/0": "0"}, exposed={"nats": {"": ExposeTarget(cidrs=cidrs)}})
    [finding] = check(deployment).findings
    assert finding.severity == "error"


def test_unparseable_cidr_is_treated_as_public_and_says_so():
    deployment = layout({"nats/0": "0"}, exposed={"nats": {"": ExposeTarget(cidrs=("10.0.0.0/8", "bogus"))}})
    [finding] = check(deployment).findings
    assert finding.severity == "error"
    assert "CIDR 'bogus' cannot be parsed, so it is treated as public" in finding.message


def test_coturn_not_exposed_warns():
    report = check(layout({"coturn/0": "1"}))
    [finding] = report.findings
    assert finding.rule == "external-port-unexposed"
    assert finding.severity == "warning"
    assert finding.ports == (P("5349/tcp"), P("5349/udp"))
    assert finding.units == ("coturn/0",)
    assert "coturn is not exposed" in finding.message
    assert finding.fix is not None
    assert "juju expose coturn" in finding.fix


def test_coturn_exposed_on_another_endpoint_warns_but_wildcard_opened_ports_are_reached():
    on_turn = {"coturn": {"5349/tcp": "turn", "5349/udp": "turn"}}
    elsewhere = layout({"coturn/0": "1"}, exposed={"coturn": {"metrics": everyone()}}, endpoints=on_turn)
    [finding] = check(elsewhere).findings
    assert finding.rule == "external-port-unexposed"
    assert "exposes only metrics" in finding.message
    assert finding.fix == "Run `juju expose coturn --endpoints turn`."
    # Opened for all endpoints: any endpoint rule reaches them (fact 7).
    assert check(layout({"coturn/0": "1"}, exposed={"coturn": {"metrics": everyone()}})).findings == ()


def test_exposure_rules_stay_silent_when_the_source_cannot_see_expose():
    deployment = layout({"coturn/0": "1", "lxd/0": "3"}, exposed={"lxd": {"": everyone()}})
    assert {f.rule for f in check(deployment).findings} == {
        "external-port-unexposed",
        "internal-port-exposed",
    }
    blind = Deployment(
        deployment.input, deployment.applications, deployment.units, deployment.claims, exposure_known=False
    )
    assert check(blind).findings == ()


def test_unexposed_app_without_required_external_rows_is_fine():
    # LXD's 10000-11000 is exposed-externally but not required: not exposing lxd is a choice.
    assert check(layout({"lxd/0": "3"})).findings == ()


# -- fixes that move a port by config ----------------------------------------------------------------


def test_fix_suggests_a_config_option_with_a_checked_free_port():
    units = [unit("nats/0", "0"), unit("other/0", "0")]
    row = CATALOG.row_for("nats", P("4222/tcp"))
    claims = [
        claim("nats/0", "4222/tcp", row=row),
        claim("other/0", "4222/tcp"),
        claim("other/0", "4223/tcp"),  # the next port up is taken: the engine must skip it
    ]
    [finding] = rules(check(build(units, claims)), "port-conflict")
    assert finding.fix is not None
    assert "set nats option client-port to 4224 (checked free for tcp on machine 0)" in finding.fix
    assert "Move other/0" in finding.fix


def test_fix_uses_the_claims_own_option_when_config_moved_it():
    units = [unit("ams/0", "1"), unit("anbox-stream-agent/0", "1")]
    claims = [
        claim("ams/0", "443/tcp", origin="config", option="port"),
        claim("anbox-stream-agent/0", "443/tcp"),
    ]
    [finding] = rules(check(build(units, claims)), "port-conflict")
    assert finding.fix is not None
    assert "set ams option port to 444" in finding.fix


def test_fix_for_a_range_option_checks_every_protocol_it_moves():
    lxd = unit("lxd/0", "3", "ams-lxd")
    units = [lxd, unit("other/0", "3")]
    claims = [*catalog_claims(lxd), claim("other/0", "10500/tcp"), claim("other/0", "11500/udp")]
    findings = rules(check(build(units, claims)), "port-conflict")
    [finding] = findings
    assert finding.fix is not None
    # 11001-12001 is free for tcp but not for udp (11500/udp): the next span free in both is used.
    assert "set lxd option exposed_instance_ports to 11501-12501 (checked free for tcp/udp" in finding.fix


def test_suggested_free_port_is_really_free():
    units = [unit("nats/0", "0"), unit("other/0", "0")]
    row = CATALOG.row_for("nats", P("4222/tcp"))
    claims = [claim("nats/0", "4222/tcp", row=row), claim("other/0", "4000-65535/tcp")]
    [finding] = rules(check(build(units, claims)), "port-conflict")
    assert finding.fix is not None
    # Nothing is free above 4222: the search wraps to the first unprivileged port.
    assert "set nats option client-port to 1024" in finding.fix


def test_location_comes_from_the_claim_or_the_unit():
    where = Location("bundle.yaml", 12)
    units = [unit("a/0", "0"), Unit("b/0", "b", "b", Host("0"), location=Location("bundle.yaml", 20))]
    claims = [claim("a/0", "80/tcp", location=where), claim("b/0", "80/tcp")]
    [finding] = check(build(units, claims)).findings
    assert finding.location == Location("bundle.yaml", 20)
    claims = [claim("a/0", "80/tcp"), claim("b/0", "80/tcp", location=where)]
    [finding] = check(build(units, claims)).findings
    assert finding.location == where


def test_subordinate_conflicts_on_its_principals_host_and_the_principal_is_moved():
    units = [
        unit("ams/0", "1"),
        unit("telegraf/0", "1", subordinate=True),
        unit("nats/0", "1"),
    ]
    claims = [claim("telegraf/0", "4222/tcp"), claim("nats/0", "4222/tcp")]
    [finding] = rules(check(build(units, claims)), "port-conflict")
    assert finding.units == ("nats/0", "telegraf/0")
    assert finding.fix is not None
    assert finding.fix.startswith("Move nats/0 ")


# -- Juju's own test vectors ----------------------------------------------------------------------------

# juju core/network/portrange_test.go PortRangeSuite.TestConflictsWith: (first, second, conflict).
CONFLICTS_WITH = [
    ("80/tcp", "80/tcp", True),  # identical ports
    ("80/tcp", "90/tcp", False),  # different ports
    ("100-200/tcp", "201-240/tcp", False),  # touching ranges
    ("100-200/tcp", "200-240/tcp", True),  # touching ranges with overlap
    ("80/udp", "80/tcp", False),  # different protocols
    ("100-200/tcp", "80/tcp", False),  # outside range
    ("100-200/tcp", "80-120/tcp", True),  # overlap end
    ("100-200/tcp", "120-140/tcp", True),  # complete overlap
]


@pytest.mark.parametrize(("first", "second", "conflict"), CONFLICTS_WITH)
@pytest.mark.parametrize("juju", BOTH)
def test_juju_conflicts_with_vectors_between_two_units(
    first: str, second: str, conflict: bool, juju: JujuVersion
):
    units = [unit("u/0", "0"), unit("other/0", "0")]
    got = pairs(units, [claim("u/0", first), claim("other/0", second)], juju)
    views = {p[4] for p in got}
    if not conflict:
        assert got == set()
    elif first == second and juju == "4":
        assert views == {"bind"}  # Juju 4 lets identical ranges share a net node
    else:
        assert views == {"bind", "juju"}


# juju worker/uniter/runner/context/ports_test.go PortRangeChangeRecorderSuite.TestOpenPortRange.
def test_juju3_open_range_conflicting_with_another_unit():
    units = [unit("u/0", "0"), unit("other/0", "0")]
    claims = [claim("other/0", "10-20/tcp"), claim("u/0", "10-20/tcp")]
    [finding] = check(build(units, claims), juju="3").findings
    assert finding.views == ("bind", "juju")
    assert 'cannot open 10-20/tcp (unit "u/0"): port range conflicts with 10-20/tcp (unit "other/0")' in (
        finding.message
    )


def test_juju3_same_unit_identical_range_on_another_endpoint_is_accepted():
    # "open an existing range - same unit; different endpoint (accepted)"
    units = [unit("u/0", "0")]
    assert pairs(units, [claim("u/0", "10-20/tcp", ""), claim("u/0", "10-20/tcp", "foo")], "3") == set()
    assert pairs(units, [claim("u/0", "10-20/tcp", ""), claim("u/0", "10-20/tcp", "")], "3") == set()


def test_juju3_same_unit_overlapping_range_conflicts():
    # "open a range conflicting with the same unit": 10-20/tcp held, 1-200/tcp refused.
    units = [unit("u/0", "0")]
    report = check(build(units, [claim("u/0", "10-20/tcp"), claim("u/0", "1-200/tcp")]), juju="3")
    [finding] = report.findings
    assert finding.views == ("juju",)
    assert finding.units == ("u/0",)
    assert finding.ports == (P("1-200/tcp"), P("10-20/tcp"))
    assert "u/0 opens both" in finding.message
    assert finding.fix is not None
    assert finding.fix.startswith("Open only 1-200/tcp (it already covers 10-20/tcp)")


# juju internal/worker/uniter/runner/context/flush_test.go FlushContextSuite.TestRunHookOpensAndClosesPendingPorts:
# u/0 holds 100-200/tcp and u/1 holds 200-300/udp on one machine; u/0 then tries more ranges.
@pytest.mark.parametrize(
    ("extra", "conflicts_with"),
    [
        ("200-300/udp", ("u/1", "200-300/udp")),
        ("100-200/udp", ("u/1", "200-300/udp")),
        ("10-20/udp", None),
        ("50-100/tcp", ("u/0", "100-200/tcp")),
        ("50-80/tcp", None),
    ],
)
def test_juju3_flush_context_vectors(extra: str, conflicts_with: tuple[str, str] | None):
    units = [unit("u/0", "0"), unit("u/1", "0")]
    base = [claim("u/0", "100-200/tcp"), claim("u/1", "200-300/udp")]
    got = {(p[0], p[1], p[2], p[3]) for p in pairs(units, [*base, claim("u/0", extra)], "3")}
    if conflicts_with is None:
        assert got == set()
    else:
        expected = tuple(sorted([("u/0", P(extra)), (conflicts_with[0], P(conflicts_with[1]))]))
        assert got == {(expected[0][0], expected[0][1], expected[1][0], expected[1][1])}


def test_juju3_flush_context_pending_ranges_conflict_with_each_other():
    # Same test: 50-80/tcp accepted, then 40-90/tcp "conflicts with 50-80/tcp (unit "u/0") requested earlier".
    units = [unit("u/0", "0")]
    got = pairs(units, [claim("u/0", "50-80/tcp"), claim("u/0", "40-90/tcp")], "3")
    assert got == {("u/0", P("40-90/tcp"), "u/0", P("50-80/tcp"), "juju")}


# juju state/machine_ports_test.go MachinePortsDocSuite.TestOpenAndCloseMachinePorts (two units, one machine).
@pytest.mark.parametrize(
    ("held", "opened", "conflict"),
    [
        ("100-200/tcp", "100-300/tcp", True),  # an overlapping port range with different unit
        ("100-200/tcp", "100-200/tcp", True),  # an identical port range with different unit
        ("100-200/tcp", "100-200/udp", False),  # a port range with different protocol
        ("100-200/tcp", "300-400/tcp", False),  # a non-overlapping port range
    ],
)
def test_juju3_machine_ports_vectors(held: str, opened: str, conflict: bool):
    units = [unit("wordpress/0", "0"), unit("wordpress/1", "0")]
    got = pairs(units, [claim("wordpress/0", held), claim("wordpress/1", opened)], "3")
    assert ("juju" in {p[4] for p in got}) is conflict


# juju domain/port/state/updateunitports_test.go (Juju 4).
def test_juju4_identical_range_across_colocated_units_is_accepted():
    # TestUpdateUnitPortRangesOpenAlreadyOpenAcrossUnits: both units open 1000-1500/udp on one net node.
    units = [unit("app-zero/0", "0"), unit("app-zero/1", "0")]
    claims = [claim("app-zero/0", "1000-1500/udp", "ep0"), claim("app-zero/1", "1000-1500/udp", "ep0")]
    assert {p[4] for p in pairs(units, claims, "4")} == {"bind"}


def test_juju4_matching_range_across_endpoints_and_adjacent_ranges_are_accepted():
    # TestUpdateUnitPortsMatchingRangeAcrossEndpoints and TestUpdateUnitPortsOpenPortRangeAdjacent.
    units = [unit("app-zero/0", "0")]
    claims = [
        claim("app-zero/0", "1000-1500/udp", "ep0"),
        claim("app-zero/0", "1000-1500/udp", "ep2"),
        claim("app-zero/0", "1501-2000/udp", "ep0"),
        claim("app-zero/0", "80/tcp", "ep0"),
        claim("app-zero/0", "8080/tcp", "ep1"),
        claim("app-zero/0", ICMP, "ep0"),  # TestUpdateUnitPortsOpenCloseICMP
    ]
    assert pairs(units, claims, "4") == set()


def test_juju4_overlapping_ranges_on_colocated_units_conflict():
    # TestUpdateUnitPortsOpenPortConflictColocated: 150-250/tcp held, 100-200/tcp refused.
    units = [unit("app-zero/0", "0"), unit("app-zero/1", "0")]
    claims = [claim("app-zero/1", "150-250/tcp", "ep0"), claim("app-zero/0", "100-200/tcp", "ep1")]
    report = check(build(units, claims), juju="4")
    [finding] = report.findings
    assert finding.views == ("bind", "juju")
    assert "Juju 4 refuses the open-port with 'port range conflict" in finding.message


def test_juju4_units_on_other_net_nodes_do_not_interact():
    # TestGetColocatedOpenedPortsMultipleUnitsOnNetNodes.
    units = [unit("app-zero/0", "0"), unit("app-zero/1", "1")]
    claims = [claim("app-zero/0", "80/tcp"), claim("app-zero/1", "80/tcp")]
    assert pairs(units, claims, "4") == set()
    assert pairs(units, claims, "3") == set()


def test_juju4_same_unit_overlap_conflicts():
    # domain/port/service/service.go verifyNoPortRangeConflicts runs over the unit's own ranges too.
    units = [unit("u/0", "0")]
    got = pairs(units, [claim("u/0", "100-200/tcp", "ep0"), claim("u/0", "150-250/tcp", "ep1")], "4")
    assert got == {("u/0", P("100-200/tcp"), "u/0", P("150-250/tcp"), "juju")}


# -- icmp -------------------------------------------------------------------------------------------------


def test_icmp_two_units_conflict_in_juju3_only_and_never_bind():
    units = [unit("a/0", "0"), unit("b/0", "0")]
    claims = [claim("a/0", ICMP), claim("b/0", ICMP)]
    assert pairs(units, claims, "3") == {("a/0", ICMP, "b/0", ICMP, "juju")}
    assert pairs(units, claims, "4") == set()
    [finding] = check(build(units, claims), juju="3").findings
    assert finding.views == ("juju",)
    assert "a/0 and b/0 both open icmp on machine 0" in finding.message
    assert "icmp has no ports" in finding.message
    assert check(build(units, claims), juju="4").findings == ()


def test_icmp_same_unit_on_two_endpoints_is_fine():
    units = [unit("a/0", "0")]
    assert pairs(units, [claim("a/0", ICMP, ""), claim("a/0", ICMP, "ep")], "3") == set()


def test_icmp_never_meets_tcp_or_udp():
    units = [unit("a/0", "0"), unit("b/0", "0")]
    assert (
        pairs(units, [claim("a/0", ICMP), claim("b/0", "1-65535/tcp"), claim("b/0", "1-65535/udp")], "3")
        == set()
    )


# -- hosts and models ------------------------------------------------------------------------------------


def test_same_machine_id_in_two_models_is_two_hosts():
    units = [unit("a/0", Host("0", "m1")), unit("b/0", Host("0", "m2"))]
    assert pairs(units, [claim("a/0", "80/tcp"), claim("b/0", "80/tcp")], "3") == set()


def test_containers_are_hosts_of_their_own():
    units = [unit("a/0", "0"), unit("b/0", "0/lxd/1")]
    assert pairs(units, [claim("a/0", "80/tcp"), claim("b/0", "80/tcp")], "3") == set()


def test_container_fix_points_at_its_root_machine():
    units = [unit("a/0", "0/lxd/1"), unit("b/0", "0/lxd/1")]
    [finding] = check(build(units, [claim("a/0", "80/tcp"), claim("b/0", "80/tcp")])).findings
    assert finding.fix is not None
    assert "--to lxd:0" in finding.fix


def test_claims_of_unplaced_units_are_ignored():
    units = [unit("a/0", "0")]
    claims = [claim("a/0", "80/tcp"), claim("ghost/0", "80/tcp")]
    assert check(build(units, claims)).findings == ()


# -- capping ----------------------------------------------------------------------------------------------


def test_too_many_pairs_are_collapsed_into_one_summary(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(port_conflict, "PAIR_CAP", 3)
    units = [unit(f"a/{i}", "0") for i in range(5)]
    claims = [claim(f"a/{i}", "1-65535/tcp") for i in range(5)]
    findings = check(build(units, claims)).findings
    assert len(findings) == 4
    [summary] = [f for f in findings if "collapsed" in f.message]
    assert summary.message.startswith("10 conflicting pairs of tcp claims on machine 0")
    assert "3 are reported as findings of their own and the other 7 are collapsed" in summary.message
    assert summary.units == tuple(f"a/{i}" for i in range(5))
    assert summary.ports == (P("1-65535/tcp"),)
    assert summary.views == ("bind", "juju")


def test_adversarial_host_stays_bounded():
    n = 3000
    units = [unit(f"a/{i}", "0") for i in range(n)]
    claims = [claim(f"a/{i}", "1-65535/tcp") for i in range(n)]
    conflicts = rules(check(build(units, claims)), "port-conflict")
    assert len(conflicts) == port_conflict.PAIR_CAP + 1
    assert f"{n * (n - 1) // 2} conflicting pairs" in conflicts[-1].message or any(
        f"{n * (n - 1) // 2} conflicting pairs" in f.message for f in conflicts
    )


def test_uninvolved_claims_stay_out_of_the_summary(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(port_conflict, "PAIR_CAP", 1)
    units = [unit("a/0", "0"), unit("b/0", "0"), unit("c/0", "0"), unit("d/0", "0")]
    claims = [
        claim("a/0", "10-20/tcp"),
        claim("b/0", "15/tcp"),
        claim("c/0", "20-30/tcp"),
        claim("d/0", "99/tcp"),
    ]
    [summary] = [f for f in check(build(units, claims)).findings if "collapsed" in f.message]
    assert summary.units == ("a/0", "b/0", "c/0")
    assert summary.ports == (P("10-30/tcp"),)


# -- what units hold (observed sources) -------------------------------------------------------------------


def test_required_port_missing_only_when_observed():
    units = [unit("ams/0", "1")]
    claims = [claim("ams/0", "20002/tcp", origin="observed")]
    [finding] = check(build(units, claims, observed=True)).findings
    assert finding.rule == "required-port-missing"
    assert finding.severity == "warning"
    assert finding.ports == (P("8444/tcp"),)
    assert "ams/0 does not hold 8444/tcp (AMS HTTPS API)" in finding.message
    # A bundle's claims are intentions: nothing to say.
    assert check(build(units, [claim("ams/0", "20002/tcp")])).findings == ()


def test_required_port_missing_from_relation_data():
    units = [unit("nats/0", "0")]
    claims = [claim("nats/0", "8222/tcp", origin="relation")]
    found = {f.rule for f in check(build(units, claims)).findings}
    assert found == {"required-port-missing", "uncatalogued-port"}


def test_required_port_moved_by_config_counts_as_held():
    row = CATALOG.row_for("ams", P("8444/tcp"))
    units = [unit("ams/0", "1")]
    claims = [claim("ams/0", "9444/tcp", origin="observed", row=row)]
    assert check(build(units, claims, observed=True)).findings == ()


def test_required_rows_are_matched_per_protocol():
    units = [unit("coturn/0", "1")]
    claims = [claim("coturn/0", "5349/udp", origin="observed")]
    deployment = build(units, claims, observed=True, exposed={"coturn": {"": everyone()}})
    [finding] = check(deployment).findings
    assert finding.rule == "required-port-missing"
    assert finding.ports == (P("5349/tcp"),)


def test_required_port_missing_skips_subordinates_and_unknown_charms():
    units = [unit("ams/0", "1", subordinate=True), unit("mystery/0", "1")]
    assert check(build(units, [], observed=True)).findings == ()


def test_uncatalogued_observed_port_is_info():
    units = [unit("ams/0", "1"), unit("mystery/0", "1")]
    claims = [
        claim("ams/0", "8444/tcp", origin="observed"),
        claim("ams/0", "9999/tcp", origin="observed"),
        claim("mystery/0", "1234/tcp", origin="observed"),  # not a catalogued charm: not judged
    ]
    [finding] = check(build(units, claims, observed=True)).findings
    assert finding.rule == "uncatalogued-port"
    assert finding.severity == "info"
    assert finding.ports == (P("9999/tcp"),)
    assert "no charmed catalog row of charm ams" in finding.message


def test_declared_ports_are_not_uncatalogued():
    units = [unit("ams/0", "1")]
    assert check(build(units, [claim("ams/0", "9999/tcp", origin="declared")])).findings == ()


# -- report plumbing ---------------------------------------------------------------------------------------


def test_source_problems_pass_through_in_order():
    problem = Problem('option port: invalid port "x"', units=("ams/0",))
    units = [unit("coturn/0", "1")]
    report = check(build(units, [], problems=(problem,)))
    assert [f.rule for f in report.findings] == ["invalid-port", "external-port-unexposed"]
    assert report.summary.errors == 1
    assert report.summary.warnings == 1
    assert list(report.findings) == ordered(report.findings)


def test_unknown_juju_version_is_refused():
    with pytest.raises(ValueError, match="unknown Juju version"):
        check(build([], []), juju="5")  # type: ignore[arg-type]


def test_appliance_profile_selects_appliance_rows():
    units = [unit("ui-and-api/0", "0"), unit("coturn/0", "0")]
    deployment = build(units, [claim("coturn/0", "5349/udp")], profile="appliance")
    [finding] = check(deployment).findings
    # Appliance Coturn is not required, the UI and API is: only it must be exposed.
    assert finding.rule == "external-port-unexposed"
    assert finding.units == ("ui-and-api/0",)
    assert finding.ports == (P("443/tcp"),)


def test_summary_counts_unchecked_units():
    deployment = build([unit("a/0", "0")], [])
    deployment = Deployment(
        deployment.input, deployment.applications, deployment.units, (), unchecked=("b/0", "c/0")
    )
    assert check(deployment).summary.unchecked == 2


def test_findings_are_deterministic():
    units = [unit(f"a/{i}", str(i % 2)) for i in range(8)]
    claims = [claim(f"a/{i}", f"{100 + i}-{110 + i}/tcp") for i in range(8)]
    first = check(build(units, claims)).findings
    second = check(build(list(reversed(units)), list(reversed(claims)))).findings
    assert first == second


# -- the sweep against the brute-force oracle -------------------------------------------------------------

EDGES = (1, 2, 99, 100, 101, 199, 200, 201, 65534, 65535)
ENDPOINTS = ("", "a", "b")


@st.composite
def port_ranges(draw: st.DrawFn) -> PortRange:
    protocol = draw(st.sampled_from(("tcp", "udp", "icmp")))
    if protocol == "icmp":
        return ICMP
    ports = st.one_of(st.integers(1, 30), st.sampled_from(EDGES))
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
    )
    claims = draw(st.lists(claim_strategy, max_size=14))
    return build(units, claims)


def _pairs_from_findings(findings: Iterable[Finding]) -> set[ConflictPair]:
    """Rebuild raw pairs from port-conflict findings, to hold check() to the oracle as well."""
    out: set[ConflictPair] = set()
    for f in findings:
        if f.rule != "port-conflict":
            continue
        if len(f.units) == 1:
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
@given(deployments(), st.sampled_from(BOTH))
def test_sweep_equals_oracle(deployment: Deployment, juju: JujuVersion):
    assert conflict_pairs(deployment, juju=juju) == oracle_pairs(deployment, juju)


@FAST
@given(deployments(ranges=nested_ranges(), one_host=True), st.sampled_from(BOTH))
def test_sweep_equals_oracle_on_one_host_with_nested_and_touching_ranges(
    deployment: Deployment, juju: JujuVersion
):
    assert conflict_pairs(deployment, juju=juju) == oracle_pairs(deployment, juju)


@FAST
@given(
    deployments(
        ranges=st.sampled_from([P("1-65535/tcp"), P("1/tcp"), P("65535/tcp"), P("2-65534/tcp"), ICMP]),
        one_host=True,
    ),
    st.sampled_from(BOTH),
)
def test_sweep_equals_oracle_on_full_range_claims(deployment: Deployment, juju: JujuVersion):
    assert conflict_pairs(deployment, juju=juju) == oracle_pairs(deployment, juju)


@FAST
@given(deployments(), st.sampled_from(BOTH))
def test_check_reports_exactly_the_oracles_pairs(deployment: Deployment, juju: JujuVersion):
    expected = oracle_pairs(deployment, juju)
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


def _lxd_status(exposed_endpoints: dict[str, object] | None) -> str:
    import json

    app: dict[str, object] = {
        "charm": "ams-lxd",
        "exposed": True,
        "units": {
            "lxd/0": {"machine": "0", "open-ports": ["8443/tcp", "10000-11000/tcp", "10000-11000/udp"]}
        },
    }
    if exposed_endpoints is not None:
        app["exposed-endpoints"] = exposed_endpoints
    return json.dumps({"model": {"name": "anbox"}, "machines": {"0": {}}, "applications": {"lxd": app}})


def test_status_cannot_see_endpoints_so_a_named_expose_only_warns():
    from anbox_cloud_ports.sources import load

    named = load(_lxd_status({"public": {"expose-to-cidrs": ["0.0.0.0/0"]}}), input="status.json")
    [leak] = [f for f in check(named).findings if f.rule == "internal-port-exposed"]
    assert (leak.severity, [str(p) for p in leak.ports]) == ("warning", ["8443/tcp"])
    assert "does not say on which endpoint" in leak.message
    assert "opened-ports --endpoints" in (leak.fix or "")
    wildcard = load(_lxd_status(None), input="status.json")
    [leak] = [f for f in check(wildcard).findings if f.rule == "internal-port-exposed"]
    assert leak.severity == "error"
