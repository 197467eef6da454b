"""FakeHookTools applies Juju 3.x's port rules; the helpers give a charm author a test in a few lines."""

from __future__ import annotations

import dataclasses

import ops
import pytest
from ops import testing

from anbox_cloud_ports.catalog import PROFILES, Catalog
from anbox_cloud_ports.charm import PortConflictError, ServicePorts
from anbox_cloud_ports.charm.testing import (
    TEST_MODEL_UUID,
    FakeHookTools,
    FakeMachine,
    expected_claims,
    fake_hook_tools,
    provider_relation,
    published,
    validator_relation,
    validator_report,
)
from anbox_cloud_ports.databag import DecodedUnit, decode_unit
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


def test_opened_ports_shows_this_hooks_changes_and_the_machine_gets_them_at_the_end() -> None:
    # docs/juju-facts.md#opened-ports-output: OpenedUnitPortRanges merges the pending changes.
    a, b = _two_units()
    a.open_port(P("80/tcp"), ["public"])
    assert a.opened_ports() == [(P("80/tcp"), ("public",))]
    assert a.machine.opened("a/0") == frozenset()
    b.open_port(P("443/tcp"), ())  # another unit sees only what was committed
    assert a.opened == {(P("80/tcp"), "public")}
    a.commit()
    assert a.machine.opened("a/0") == {(P("80/tcp"), "public")}
    assert a.opened_ports() == [(P("80/tcp"), ("public",))]


def test_open_then_close_in_one_hook_cancels() -> None:
    a, b = _two_units()
    b.open_port(P("443/tcp"), ())
    b.commit()  # the machine has ports, so a close is recorded, not a no-op
    a.open_port(P("80/tcp"), ["public"])
    a.close_port(P("80/tcp"), ["public"])
    assert a.opened_ports() == []
    a.commit()
    assert a.opened == frozenset()


def test_a_wildcard_range_closed_on_one_endpoint_shows_star_until_the_hook_commits() -> None:
    a, _ = _two_units(("admin", "internal", "public"))
    a.open_port(P("80/tcp"), ())
    a.commit()
    a.close_port(P("80/tcp"), ["internal"])
    assert a.opened_ports() == [(P("80/tcp"), ())]
    a.commit()
    assert a.opened_ports() == [(P("80/tcp"), ("admin", "public"))]


def test_discard_drops_a_failed_hooks_changes() -> None:
    a, _ = _two_units()
    a.open_port(P("80/tcp"), ["public"])
    a.discard()
    a.commit()
    assert a.opened == frozenset()


# -- co-located units in ops.testing --------------------------------------------------------------


def test_each_units_block_commits_when_it_exits_so_the_next_unit_sees_a_conflict() -> None:
    machine = FakeMachine()
    first = testing.Context(_example_charm(), app_name="turn-a")
    second = testing.Context(_example_charm(), app_name="turn-b")
    coturn = testing.State(config={"service": "coturn"})
    with fake_hook_tools(machine=machine):
        first.run(first.on.install(), coturn)
    assert machine.opened("turn-a/0") == expected_claims("coturn")
    with fake_hook_tools(machine=machine):
        out = second.run(second.on.install(), coturn)
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert out.unit_status.message.startswith("cannot open 5349/tcp: turn-a/0 holds 5349/tcp on this machine")


def test_a_block_left_by_an_exception_commits_nothing() -> None:
    machine = FakeMachine()
    ctx = testing.Context(_example_charm(), app_name="turn")

    def a_failing_test() -> None:
        with fake_hook_tools(machine=machine):
            ctx.run(ctx.on.install(), testing.State(config={"service": "coturn"}))
            raise RuntimeError("the test failed here")

    with pytest.raises(RuntimeError):
        a_failing_test()
    assert machine.opened("turn/0") == frozenset()


# -- ops' own port calls beside ServicePorts -------------------------------------------------------


class _MixedCharm(ops.CharmBase):
    """ServicePorts for coturn, plus whatever the test asks of ops' own port API in config-changed."""

    CALL: tuple[str, tuple[object, ...]] = ("open_port", ("tcp", 9641))

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = ServicePorts(self, "coturn")
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        name, args = self.CALL
        getattr(self.unit, name)(*args)


_MIXED_META = {"name": "turn", "extra-bindings": {"public": None, "internal": None}}


def test_unit_open_port_beside_the_library_survives_the_next_reconcile() -> None:
    ctx = testing.Context(_MixedCharm, meta=_MIXED_META)
    with fake_hook_tools() as tools:
        state = ctx.run(ctx.on.install(), testing.State())
        state = ctx.run(ctx.on.config_changed(), state)  # Unit.open_port("tcp", 9641)
        assert ["open-port", "9641/tcp"] in tools.calls
        ctx.run(ctx.on.update_status(), state)
    assert (P("9641/tcp"), "") in tools.opened  # left alone, not closed
    assert tools.opened == expected_claims("coturn") | {(P("9641/tcp"), "")}


def test_unit_set_ports_beside_the_library_fails_the_hook_on_its_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ops reads a range as its first port and closes 50000/udp, which Juju refuses against the
    # unit's own 50000-51000/udp: the rule the README states (never set_ports beside ServicePorts).
    monkeypatch.setattr(_MixedCharm, "CALL", ("set_ports", (9641,)))
    ctx = testing.Context(_MixedCharm, meta=_MIXED_META)
    with fake_hook_tools() as tools:
        state = ctx.run(ctx.on.install(), testing.State())
        with pytest.raises(testing.errors.UncaughtCharmError) as info:
            ctx.run(ctx.on.config_changed(), state)
        tools.discard()
    error = info.value.__cause__
    assert isinstance(error, PortConflictError)
    assert error.message == (
        'cannot close 50000/udp (unit "turn/0"): port range conflicts with 50000-51000/udp (unit "turn/0")'
    )


def test_ops_opened_ports_reads_ranges_as_their_first_port() -> None:
    ctx = testing.Context(_MixedCharm, meta=_MIXED_META)
    with fake_hook_tools(), ctx(ctx.on.update_status(), testing.State()) as manager:
        assert manager.charm.unit.opened_ports() == {
            ops.Port("tcp", 5349),
            ops.Port("udp", 5349),
            ops.Port("udp", 50000),
        }


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


# -- the anbox_ports relation builders ------------------------------------------------------------


def test_a_provider_charm_tested_against_the_validator() -> None:
    ctx = testing.Context(_example_charm(), app_name="coturn", machine_id="1")
    to_validator = validator_relation()
    state = testing.State(
        relations=[to_validator], config={"service": "coturn"}, model=testing.Model(uuid=TEST_MODEL_UUID)
    )
    with fake_hook_tools():
        out = ctx.run(ctx.on.install(), state)
    mine = published(out, to_validator, unit="coturn/0")
    assert (mine.service, mine.machine, mine.model) == ("coturn", "1", TEST_MODEL_UUID)
    assert {(c.port, c.endpoint, c.held) for c in mine.claims} == {
        (port, endpoint, True) for port, endpoint in expected_claims("coturn")
    }
    # Alone on its machine: the validator is content.
    assert validator_report(out, to_validator, unit="coturn/0").summary.errors == 0
    # Beside a second coturn on machine 1, the validator names the conflict.
    neighbour = provider_relation("coturn", {0: "1"}, app="turn-b")
    report = validator_report(out, to_validator, neighbour, unit="coturn/0")
    conflicts = [f for f in report.findings if f.rule == "port-conflict"]
    assert {tuple(f.units) for f in conflicts} == {("coturn/0", "turn-b/0")}
    assert all([str(h) for h in f.hosts] == ["machine 1"] for f in conflicts)


def test_published_refuses_what_the_validator_would_refuse() -> None:
    relation = validator_relation()
    out = testing.State(relations=[dataclasses.replace(relation, local_unit_data={"claims": "[]"})])
    with pytest.raises(
        AssertionError, match="the validator would refuse this unit's anbox_ports data: unit unit/0: missing"
    ):
        published(out, relation)


def test_provider_relation_builds_what_service_ports_publishes() -> None:
    relation = provider_relation(
        "ams-lxd", {0: "3", 1: "3/lxd/0"}, app="lxd", config={"exposed_instance_ports": "20000-21000"}
    )
    assert relation.remote_app_name == "lxd"
    assert relation.interface == "anbox_ports"
    for n, machine in ((0, "3"), (1, "3/lxd/0")):
        data = relation.remote_units_data[n]
        assert data["ingress-address"]  # Juju's own keys are there, as in a real databag
        decoded = decode_unit(f"lxd/{n}", data, app="lxd")
        assert isinstance(decoded, DecodedUnit)
        assert decoded.machine == machine
        moved = {c.port: c for c in decoded.claims}[P("20000-21000/udp")]
        assert (moved.origin, moved.moved_from, moved.held) == (
            "option:exposed_instance_ports",
            P("10000-11000/udp"),
            True,
        )
