"""port-conflict: Anbox layouts, Juju's own test vectors, fixes, icmp, hosts, capping."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.checks import check, port_conflict
from anbox_cloud_ports.findings import JujuVersion
from anbox_cloud_ports.model import (
    Host,
    Location,
    Unit,
)
from anbox_cloud_ports.ports import ICMP
from tests.unit.checks.builders import (
    BOTH,
    CATALOG,
    REFERENCE,
    REFERENCE_EXPOSED,
    P,
    build,
    catalog_claims,
    claim,
    everyone,
    layout,
    pairs,
    rules,
    unit,
)

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


@pytest.mark.parametrize("juju", BOTH)
def test_agent_and_haproxy_colocated_conflict_on_443_in_both_views(juju: JujuVersion):
    """The same verdict for Juju 3.x and 4.x: the hook tool refuses the second open-port in both."""
    placement = {**REFERENCE, "anbox-stream-gateway-lb/0": "1"}
    report = check(layout(placement, exposed=REFERENCE_EXPOSED), juju=juju)
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
    # The hook tool's own error text, 3.6 and main (internal/worker/uniter/runner/context/ports.go).
    assert ("Juju refuses whichever open-port runs second") in finding.message
    assert "Juju 3" not in finding.message
    assert "Juju 4" not in finding.message
    assert (
        'cannot open 443/tcp (unit "anbox-stream-gateway-lb/0"): port range conflicts with '
        '443/tcp (unit "anbox-stream-agent/0")'
    ) in finding.message
    assert finding.fix is not None
    assert "Move anbox-stream-gateway-lb/0 to another machine" in finding.fix
    assert "--to lxd:1" in finding.fix
    assert report.summary.errors == 1


def test_an_observed_identical_range_on_two_units_says_how_juju_4_let_it_in():
    """docs/juju-facts.md#open-port-conflicts: Juju 4's controller accepts an identical range from
    another co-located unit, so a status can show both units holding it when their hooks committed at
    once; the hook tool refuses it otherwise. Explained, never a different verdict."""
    units = [unit("anbox-stream-agent/0", "1"), unit("anbox-stream-gateway-lb/0", "1", "haproxy")]
    claims = [claim("anbox-stream-agent/0", "443/tcp"), claim("anbox-stream-gateway-lb/0", "443/tcp")]
    [finding] = rules(check(build(units, claims, observed=True)), "port-conflict")
    assert finding.views == ("bind", "juju")
    assert "committed at once on Juju 4, whose controller lets an identical range through" in finding.message
    [planned] = rules(check(build(units, claims)), "port-conflict")
    assert "committed at once" not in planned.message


@pytest.mark.parametrize("juju", BOTH)
def test_coturn_and_lxd_on_one_host_do_not_overlap(juju: JujuVersion):
    placement = {"coturn/0": "5", "lxd/0": "5"}
    report = check(layout(placement, exposed={"coturn": {"": everyone()}}), juju=juju)
    assert report.findings == ()


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
def test_juju_conflicts_with_vectors_between_two_units(first: str, second: str, conflict: bool):
    units = [unit("u/0", "0"), unit("other/0", "0")]
    got = pairs(units, [claim("u/0", first), claim("other/0", second)])
    views = {p[4] for p in got}
    if not conflict:
        assert got == set()
    else:
        assert views == {"bind", "juju"}  # identical ranges included, in 3.x and 4.x alike


# juju worker/uniter/runner/context/ports_test.go PortRangeChangeRecorderSuite.TestOpenPortRange.
@pytest.mark.parametrize("juju", BOTH)
def test_open_range_conflicting_with_another_unit(juju: JujuVersion):
    """The same file on main (Juju 4): `checkForConflict` is unchanged there."""
    units = [unit("u/0", "0"), unit("other/0", "0")]
    claims = [claim("other/0", "10-20/tcp"), claim("u/0", "10-20/tcp")]
    [finding] = check(build(units, claims), juju=juju).findings
    assert finding.views == ("bind", "juju")
    assert 'cannot open 10-20/tcp (unit "u/0"): port range conflicts with 10-20/tcp (unit "other/0")' in (
        finding.message
    )


def test_same_unit_identical_range_on_another_endpoint_is_accepted():
    # "open an existing range - same unit; different endpoint (accepted)"
    units = [unit("u/0", "0")]
    assert pairs(units, [claim("u/0", "10-20/tcp", ""), claim("u/0", "10-20/tcp", "foo")]) == set()
    assert pairs(units, [claim("u/0", "10-20/tcp", ""), claim("u/0", "10-20/tcp", "")]) == set()


def test_same_unit_overlapping_range_conflicts():
    # "open a range conflicting with the same unit": 10-20/tcp held, 1-200/tcp refused.
    units = [unit("u/0", "0")]
    report = check(build(units, [claim("u/0", "10-20/tcp"), claim("u/0", "1-200/tcp")]))
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
def test_flush_context_vectors(extra: str, conflicts_with: tuple[str, str] | None):
    units = [unit("u/0", "0"), unit("u/1", "0")]
    base = [claim("u/0", "100-200/tcp"), claim("u/1", "200-300/udp")]
    got = {(p[0], p[1], p[2], p[3]) for p in pairs(units, [*base, claim("u/0", extra)])}
    if conflicts_with is None:
        assert got == set()
    else:
        expected = tuple(sorted([("u/0", P(extra)), (conflicts_with[0], P(conflicts_with[1]))]))
        assert got == {(expected[0][0], expected[0][1], expected[1][0], expected[1][1])}


def test_flush_context_pending_ranges_conflict_with_each_other():
    # Same test: 50-80/tcp accepted, then 40-90/tcp "conflicts with 50-80/tcp (unit "u/0") requested earlier".
    units = [unit("u/0", "0")]
    got = pairs(units, [claim("u/0", "50-80/tcp"), claim("u/0", "40-90/tcp")])
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
    got = pairs(units, [claim("wordpress/0", held), claim("wordpress/1", opened)])
    assert ("juju" in {p[4] for p in got}) is conflict


# juju domain/port/state/updateunitports_test.go (Juju 4's controller).
def test_juju4_identical_range_across_colocated_units_is_refused_by_the_hook_tool():
    # TestUpdateUnitPortRangesOpenAlreadyOpenAcrossUnits: the controller accepts both units opening
    # 1000-1500/udp on one net node; but the hook tool of the second unit (ports.go checkForConflict,
    # fed every co-located unit's ranges by GetIAASUnitContext) refuses it before it reaches the
    # controller. Only two hooks committing at once get past it: the verdict is Juju 3's.
    units = [unit("app-zero/0", "0"), unit("app-zero/1", "0")]
    claims = [claim("app-zero/0", "1000-1500/udp", "ep0"), claim("app-zero/1", "1000-1500/udp", "ep0")]
    assert {p[4] for p in pairs(units, claims)} == {"bind", "juju"}


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
    assert pairs(units, claims) == set()


def test_juju4_overlapping_ranges_on_colocated_units_conflict():
    # TestUpdateUnitPortsOpenPortConflictColocated: 150-250/tcp held, 100-200/tcp refused.
    units = [unit("app-zero/0", "0"), unit("app-zero/1", "0")]
    claims = [claim("app-zero/1", "150-250/tcp", "ep0"), claim("app-zero/0", "100-200/tcp", "ep1")]
    report = check(build(units, claims), juju="4")
    [finding] = report.findings
    assert finding.views == ("bind", "juju")
    assert (
        'cannot open 150-250/tcp (unit "app-zero/1"): port range conflicts with 100-200/tcp (unit "app-zero/0")'
        in finding.message
    )


def test_juju4_units_on_other_net_nodes_do_not_interact():
    # TestGetColocatedOpenedPortsMultipleUnitsOnNetNodes.
    units = [unit("app-zero/0", "0"), unit("app-zero/1", "1")]
    claims = [claim("app-zero/0", "80/tcp"), claim("app-zero/1", "80/tcp")]
    assert pairs(units, claims) == set()


def test_juju4_same_unit_overlap_conflicts():
    # domain/port/service/service.go verifyNoPortRangeConflicts runs over the unit's own ranges too.
    units = [unit("u/0", "0")]
    got = pairs(units, [claim("u/0", "100-200/tcp", "ep0"), claim("u/0", "150-250/tcp", "ep1")])
    assert got == {("u/0", P("100-200/tcp"), "u/0", P("150-250/tcp"), "juju")}


# -- icmp -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("juju", BOTH)
def test_icmp_two_units_conflict_and_never_bind(juju: JujuVersion):
    """Two icmp ranges ConflictsWith each other (-1..-1), and the hook tool refuses another unit's
    identical range in 3.x and 4.x alike (docs/juju-facts.md#open-port-conflicts, summary table)."""
    units = [unit("a/0", "0"), unit("b/0", "0")]
    claims = [claim("a/0", ICMP), claim("b/0", ICMP)]
    assert pairs(units, claims) == {("a/0", ICMP, "b/0", ICMP, "juju")}
    [finding] = check(build(units, claims), juju=juju).findings
    assert finding.views == ("juju",)
    assert "a/0 and b/0 both open icmp on machine 0" in finding.message
    assert 'cannot open icmp (unit "b/0"): port range conflicts with icmp (unit "a/0")' in finding.message
    assert "icmp has no ports" in finding.message


def test_port_0_on_two_units_conflicts_for_juju_but_binds_nothing():
    """Juju opens 0/tcp like any range (docs/juju-facts.md#port-syntax); a socket bound to port 0
    gets any free port, so two of them never collide in the kernel."""
    units = [unit("a/0", "0"), unit("b/0", "0")]
    claims = [claim("a/0", "0/tcp"), claim("b/0", "0/tcp"), claim("b/0", "0-10/udp"), claim("a/0", "0/udp")]
    assert pairs(units, claims) == {
        ("a/0", P("0/tcp"), "b/0", P("0/tcp"), "juju"),
        ("a/0", P("0/udp"), "b/0", P("0-10/udp"), "juju"),
    }
    findings = check(build(units, claims)).findings
    assert all(f.views == ("juju",) for f in findings)
    assert all("binding port 0 takes any free port" in f.message for f in findings)
    assert pairs(units, [claim("a/0", "0-10/tcp"), claim("b/0", "10/tcp")]) == {
        ("a/0", P("0-10/tcp"), "b/0", P("10/tcp"), "bind"),
        ("a/0", P("0-10/tcp"), "b/0", P("10/tcp"), "juju"),
    }


# -- two services of one unit ---------------------------------------------------------------------------


def test_ams_port_on_its_own_prometheus_port_is_two_services_on_one_port():
    """ams `port` set to 20002 (its prometheus_target_port's default): Juju accepts one unit opening one
    range, but the API and the exporter cannot both bind it; the charm library blocks it too."""
    ams = unit("ams/0", "1")
    claims = catalog_claims(ams, port=20002)
    assert pairs([ams], claims) == {("ams/0", P("20002/tcp"), "ams/0", P("20002/tcp"), "bind")}
    [finding] = rules(check(build([ams], claims)), "port-conflict")
    assert finding.views == ("bind",)
    assert finding.units == ("ams/0",)
    assert finding.ports == (P("20002/tcp"),)
    assert finding.message == (
        "ams/0 needs 20002/tcp on machine 1 for both AMS's HTTPS API (option port) and AMS's HTTPS "
        "Prometheus endpoint: two services of one unit cannot both bind 20002/tcp (Juju accepts the one "
        "range and says nothing)."
    )
    assert finding.fix == "Set ams option port to 20003 (checked free for tcp on machine 1)."


def test_two_services_beside_a_port_of_the_units_own_are_still_two_services():
    """A claim without a catalog row on the same range is no service: the finding names the two
    services (it was an AssertionError, found by the oracle test's hypothesis)."""
    ams = unit("ams/0", "1")
    api, prom = CATALOG.for_charm("ams")
    claims = [
        claim("ams/0", "9000/tcp"),
        claim("ams/0", "9000/tcp", row=api),
        claim("ams/0", "9000/tcp", row=prom),
    ]
    [finding] = rules(check(build([ams], claims)), "port-conflict")
    assert finding.views == ("bind",)
    assert "for both AMS's HTTPS API and AMS's HTTPS Prometheus endpoint" in finding.message


def test_both_ams_options_on_one_port_name_both_options():
    ams = unit("ams/0", "1")
    [finding] = rules(
        check(build([ams], catalog_claims(ams, port=9000, prometheus_target_port=9000))), "port-conflict"
    )
    assert finding.fix == (
        "Set ams option port to 9001 (checked free for tcp on machine 1), or set ams option "
        "prometheus_target_port to 9001 (checked free for tcp on machine 1)."
    )


def test_a_range_option_over_another_services_port_binds_too():
    """ams-lxd exposed_instance_ports over LXD's own 8443: one unit, two services, overlapping ranges."""
    lxd = unit("lxd/0", "3", "ams-lxd")
    [finding] = rules(
        check(build([lxd], catalog_claims(lxd, exposed_instance_ports="8000-9000"))), "port-conflict"
    )
    assert finding.views == ("bind", "juju")
    assert finding.message.startswith("lxd/0 opens both 8000-9000/tcp and 8443/tcp on machine 3")


def test_icmp_same_unit_on_two_endpoints_is_fine():
    units = [unit("a/0", "0")]
    assert pairs(units, [claim("a/0", ICMP, ""), claim("a/0", ICMP, "ep")]) == set()


def test_icmp_never_meets_tcp_or_udp():
    units = [unit("a/0", "0"), unit("b/0", "0")]
    assert (
        pairs(units, [claim("a/0", ICMP), claim("b/0", "0-65535/tcp"), claim("b/0", "0-65535/udp")]) == set()
    )


# -- hosts and models ------------------------------------------------------------------------------------


def test_same_machine_id_in_two_models_is_two_hosts():
    units = [unit("a/0", Host("0", "m1")), unit("b/0", Host("0", "m2"))]
    assert pairs(units, [claim("a/0", "80/tcp"), claim("b/0", "80/tcp")]) == set()


def test_containers_are_hosts_of_their_own():
    units = [unit("a/0", "0"), unit("b/0", "0/lxd/1")]
    assert pairs(units, [claim("a/0", "80/tcp"), claim("b/0", "80/tcp")]) == set()


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
