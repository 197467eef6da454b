"""FakeHookTools applies Juju 3.x's port rules; the helpers give a charm author a test in a few lines."""

from __future__ import annotations

import ops
import pytest
from ops import testing

from anbox_cloud_ports.catalog import PROFILES, Catalog
from anbox_cloud_ports.charm import PortConflictError
from anbox_cloud_ports.charm.testing import FakeHookTools, FakeMachine, expected_claims, fake_hook_tools
from anbox_cloud_ports.ports import PortRange
from tests.example_charm.src.charm import PortsExampleCharm


def _example_charm() -> type[ops.CharmBase]:
    return PortsExampleCharm


def P(text: str) -> PortRange:
    return PortRange.parse(text)


def _two_units(endpoints: tuple[str, ...] = ("internal", "public")) -> tuple[FakeHookTools, FakeHookTools]:
    machine = FakeMachine({"a": endpoints, "b": endpoints})
    return FakeHookTools("a/0", machine=machine), FakeHookTools("b/0", machine=machine)


# -- what a charm author writes -------------------------------------------------------------------


def test_the_few_lines_a_charm_author_writes() -> None:
    ctx = testing.Context(_example_charm())
    with fake_hook_tools() as tools:
        ctx.run(ctx.on.install(), testing.State(config={"service": "coturn"}))
    assert tools.opened == expected_claims("coturn")


def test_expected_claims_for_every_catalog_service() -> None:
    catalog = Catalog.builtin()
    for profile in PROFILES:
        for service in catalog.charms(profile):
            rows = catalog.for_charm(service, profile)
            assert expected_claims(service, profile) == {
                (claim, "public" if row.exposed else "internal") for row in rows for claim in row.claims
            }
    assert expected_claims("nats", config={"client-port": 5222}) == {(P("5222/tcp"), "internal")}
    assert expected_claims("coturn", public_endpoint="turn") == {
        (P("5349/tcp"), "turn"),
        (P("5349/udp"), "turn"),
        (P("50000-51000/udp"), "turn"),
    }
    with pytest.raises(ValueError, match="unknown charmed service 'coturnd'"):
        expected_claims("coturnd")


def test_bind_adopts_the_charms_unit_and_endpoints_and_commits_between_hooks() -> None:
    ctx = testing.Context(_example_charm(), app_name="turn", unit_id=3)
    with fake_hook_tools() as tools:
        state = ctx.run(ctx.on.install(), testing.State(config={"service": "coturn"}))
        assert tools.unit == "turn/3"
        assert tools.machine.endpoints["turn"] == frozenset({"public", "internal", "ports"})
        assert tools.machine.opened("turn/3") == frozenset()  # still this hook's pending changes
        ctx.run(ctx.on.update_status(), state)
        assert tools.machine.opened("turn/3") == expected_claims("coturn")


def test_one_fake_per_unit() -> None:
    ctx = testing.Context(_example_charm(), app_name="turn")
    with fake_hook_tools("other/0"), pytest.raises(testing.errors.UncaughtCharmError) as info:
        ctx.run(ctx.on.install(), testing.State(config={"service": "coturn"}))
    assert "belongs to other/0" in str(info.value.__cause__)


def test_seeded_ports_and_neighbours() -> None:
    machine = FakeMachine()
    machine.hold("haproxy/0", "443/tcp", "public")
    tools = FakeHookTools("agent/0", machine=machine, opened=[("8000/tcp", "internal"), "icmp"])
    assert tools.opened_ports() == [(P("icmp"), ()), (P("8000/tcp"), ("internal",))]
    with pytest.raises(PortConflictError):
        machine.hold("agent/1", "443/tcp")


def test_calls_are_recorded_as_argument_lists() -> None:
    tools = FakeHookTools("a/0")
    tools.opened_ports()
    tools.open_port(P("10000-11000/udp"), ["public"])
    tools.close_port(P("80/tcp"), [])
    assert tools.calls == [
        ["opened-ports", "--endpoints", "--format=json"],
        ["open-port", "--endpoints", "public", "10000-11000/udp"],
        ["close-port", "80/tcp"],
    ]
    assert tools.calls_to("close-port") == [["close-port", "80/tcp"]]
    tools.reset_calls()
    assert tools.calls == []


# -- Juju's rules ---------------------------------------------------------------------------------


def test_another_unit_on_the_machine_conflicts_with_jujus_text() -> None:
    a, b = _two_units()
    a.open_port(P("10-20/tcp"), ["public"])
    a.commit()
    with pytest.raises(PortConflictError) as info:
        b.open_port(P("10-20/tcp"), ["public"])
    error = info.value
    assert (
        error.message
        == 'cannot open 10-20/tcp (unit "b/0"): port range conflicts with 10-20/tcp (unit "a/0")'
    )
    assert (error.port, error.other_unit, error.other_port, error.unit) == (
        P("10-20/tcp"),
        "a/0",
        P("10-20/tcp"),
        "b/0",
    )
    assert isinstance(error, ops.ModelError)


def test_an_overlap_in_another_protocol_is_no_conflict() -> None:
    a, b = _two_units()
    a.open_port(P("10-20/tcp"), ())
    a.commit()
    b.open_port(P("15/udp"), ())
    b.commit()
    assert b.opened == {(P("15/udp"), "")}


def test_any_two_icmp_claims_on_a_machine_conflict() -> None:
    a, b = _two_units()
    a.open_port(P("icmp"), ())
    a.commit()
    with pytest.raises(
        PortConflictError, match=r'cannot open icmp \(unit "b/0"\): port range conflicts with icmp'
    ):
        b.open_port(P("icmp"), ())


def test_one_unit_may_hold_the_same_range_on_several_endpoints() -> None:
    a, _ = _two_units()
    a.open_port(P("10-20/tcp"), ["public"])
    a.commit()
    a.open_port(P("10-20/tcp"), ["internal"])
    a.commit()
    assert a.opened_ports() == [(P("10-20/tcp"), ("internal", "public"))]


def test_but_not_an_overlapping_different_range() -> None:
    a, _ = _two_units()
    a.open_port(P("10-20/tcp"), ["public"])
    with pytest.raises(
        PortConflictError, match=r"conflicts with 10-20/tcp \(unit \"a/0\"\) requested earlier"
    ):
        a.open_port(P("15-25/tcp"), ["internal"])
    a.commit()
    with pytest.raises(PortConflictError, match=r'conflicts with 10-20/tcp \(unit "a/0"\)$'):
        a.open_port(P("15-25/tcp"), ["internal"])


def test_opening_what_is_open_is_a_no_op() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["public"])
    a.open_port(P("80/tcp"), ["public"])
    a.commit()
    a.open_port(P("80/tcp"), ["public"])
    assert a.opened == {(P("80/tcp"), "public")}


def test_a_hooks_changes_show_only_after_it_ends() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["public"])
    assert a.opened_ports() == []
    assert a.opened == {(P("80/tcp"), "public")}
    a.commit()
    assert a.opened_ports() == [(P("80/tcp"), ("public",))]


def test_close_and_open_overlapping_ranges_in_one_hook_is_refused() -> None:
    # Why ServicePorts defers such a move to the next hook.
    a, _ = _two_units()
    a.open_port(P("10000-11000/tcp"), ["public"])
    a.commit()
    a.close_port(P("10000-11000/tcp"), ["public"])
    with pytest.raises(PortConflictError, match=r"conflicts with 10000-11000/tcp \(unit \"a/0\"\)"):
        a.open_port(P("10500-11500/tcp"), ["public"])


def test_closing_the_wildcard_and_reopening_named_in_one_hook_loses_the_port() -> None:
    # Why ServicePorts narrows a wildcard range by closing the other endpoints instead.
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ())
    a.commit()
    a.close_port(P("80/tcp"), ())
    a.open_port(P("80/tcp"), ["public"])
    a.commit()
    assert a.opened == frozenset()


def test_closing_a_wildcard_range_on_one_endpoint_keeps_it_on_the_others() -> None:
    a, _ = _two_units(("admin", "internal", "public"))
    a.open_port(P("80/tcp"), ())
    a.commit()
    a.close_port(P("80/tcp"), ["internal"])
    a.commit()
    assert a.opened == {(P("80/tcp"), "admin"), (P("80/tcp"), "public")}


def test_the_wildcard_subsumes_named_entries() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["public"])
    a.commit()
    a.open_port(P("80/tcp"), ())
    a.commit()
    assert a.opened == {(P("80/tcp"), "")}
    a.open_port(P("80/tcp"), ["internal"])
    a.commit()
    assert a.opened == {(P("80/tcp"), "")}
    assert a.opened_ports() == [(P("80/tcp"), ())]


def test_closing_what_is_not_open_is_a_no_op() -> None:
    a, b = _two_units()
    a.close_port(P("80/tcp"), ())  # no ports on the machine at all
    a.commit()
    b.open_port(P("443/tcp"), ())
    b.commit()
    a.close_port(P("80/tcp"), ["public"])
    a.commit()
    assert a.opened == frozenset()
    assert b.opened == {(P("443/tcp"), "")}


def test_closing_another_units_range_is_a_conflict() -> None:
    a, b = _two_units()
    b.open_port(P("443/tcp"), ())
    b.commit()
    with pytest.raises(PortConflictError, match=r'cannot close 443/tcp \(unit "a/0"\)'):
        a.close_port(P("443/tcp"), ())


def test_an_unknown_endpoint_fails_the_hook_at_commit() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["nope"])
    with pytest.raises(ops.ModelError, match=r'open port range: endpoint "nope" for unit "a/0" not found'):
        a.commit()
    assert a.opened == frozenset()


def test_an_open_cancels_a_pending_close_of_the_same_range() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["public"])
    a.commit()
    a.close_port(P("80/tcp"), ["public"])
    a.open_port(P("80/tcp"), ["public"])
    a.commit()
    assert a.opened == {(P("80/tcp"), "public")}


def test_open_port_with_several_endpoints_is_one_call() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["public", "internal"])
    a.commit()
    assert len(a.calls) == 1
    assert a.opened == {(P("80/tcp"), "public"), (P("80/tcp"), "internal")}
