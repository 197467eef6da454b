"""ServicePorts under ops.testing with the example charm and FakeHookTools; the planner; the parser."""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from typing import Any

import ops
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ops import testing

from anbox_cloud_ports.catalog import PROFILES, Catalog, Profile
from anbox_cloud_ports.charm import (
    DeclarationError,
    MissingEndpointError,
    PortClaim,
    ServicePorts,
    desired_claims,
)
from anbox_cloud_ports.charm.hooktools import (
    EndpointNameError,
    HookToolOutputError,
    OpenedPorts,
    format_opened_entry,
    parse_opened_entry,
    parse_opened_ports,
    port_argv,
    validate_endpoint,
)
from anbox_cloud_ports.charm.opener import PortChange, plan_changes, use_hook_tools
from anbox_cloud_ports.charm.testing import FakeHookTools, FakeMachine, expected_claims, fake_hook_tools
from anbox_cloud_ports.ports import PortRange
from tests.example_charm.src.charm import PortsExampleCharm

READ = ["opened-ports", "--endpoints", "--format=json"]


CHARM: type[ops.CharmBase] = PortsExampleCharm


def P(text: str) -> PortRange:
    return PortRange.parse(text)


def catalog_expectation(service: str, profile: Profile = "charmed") -> set[tuple[PortRange, str]]:
    """Straight from the seed rows: every claim, exposed rows on public, others on internal."""
    rows = Catalog.builtin().for_charm(service, profile)
    return {(claim, "public" if row.exposed else "internal") for row in rows for claim in row.claims}


ALL_SERVICES = [(service, profile) for profile in PROFILES for service in Catalog.builtin().charms(profile)]


@pytest.fixture
def ctx() -> testing.Context[ops.CharmBase]:
    return testing.Context(CHARM)


@pytest.fixture
def tools() -> Generator[FakeHookTools]:
    with fake_hook_tools() as fake:
        yield fake


def _state(service: str, profile: str = "charmed", **options: str | int | float | bool) -> testing.State:
    return testing.State(config={"service": service, "profile": profile, **options})


# -- the catalog, service by service --------------------------------------------------------------


@pytest.mark.parametrize(("service", "profile"), ALL_SERVICES)
def test_first_reconcile_opens_exactly_the_catalog_claims(service: str, profile: Profile, ctx, tools) -> None:
    out = ctx.run(ctx.on.install(), _state(service, profile))

    expected = catalog_expectation(service, profile)
    assert tools.opened == expected
    opens = tools.calls_to("open-port")
    # One call per range, on its endpoint: never per port, never on all endpoints.
    assert sorted(opens) == sorted(["open-port", "--endpoints", ep, str(port)] for port, ep in expected)
    assert tools.calls == [READ, *opens]
    assert out.unit_status == testing.ActiveStatus()


@pytest.mark.parametrize(("service", "profile"), ALL_SERVICES)
def test_steady_state_costs_exactly_the_read(service: str, profile: Profile, ctx, tools) -> None:
    state = ctx.run(ctx.on.install(), _state(service, profile))
    tools.reset_calls()
    ctx.run(ctx.on.update_status(), state)
    assert tools.calls == [READ]
    assert tools.opened == catalog_expectation(service, profile)


def test_coturn_and_lxd_open_their_ranges_in_one_call_each(ctx, tools) -> None:
    ctx.run(ctx.on.install(), _state("coturn"))
    assert tools.calls == [
        READ,
        ["open-port", "--endpoints", "public", "5349/tcp"],
        ["open-port", "--endpoints", "public", "5349/udp"],
        ["open-port", "--endpoints", "public", "50000-51000/udp"],
    ]


MOVES = [
    ("ams", {"port": 9444}, [("8444/tcp", "9444/tcp", "internal")]),
    ("ams", {"prometheus_target_port": 20003}, [("20002/tcp", "20003/tcp", "internal")]),
    ("nats", {"client-port": 5222}, [("4222/tcp", "5222/tcp", "internal")]),
    (
        "ams-lxd",
        {"exposed_instance_ports": "20000-21000"},
        [("10000-11000/tcp", "20000-21000/tcp", "public"), ("10000-11000/udp", "20000-21000/udp", "public")],
    ),
]


@pytest.mark.parametrize(("service", "options", "moves"), MOVES)
def test_config_change_moves_exactly_the_affected_claim(service, options, moves, ctx, tools) -> None:
    state = ctx.run(ctx.on.install(), _state(service))
    tools.reset_calls()
    out = ctx.run(ctx.on.config_changed(), _state(service, **options))

    closes = [["close-port", old] for old, _, _ in moves]
    opens = [["open-port", "--endpoints", ep, new] for _, new, ep in moves]
    assert tools.calls == [READ, *closes, *opens]
    expected = catalog_expectation(service)
    for old, new, ep in moves:
        expected = (expected - {(P(old), ep)}) | {(P(new), ep)}
    assert tools.opened == expected
    assert out.unit_status == testing.ActiveStatus()
    del state


def test_a_move_onto_an_overlapping_range_finishes_on_the_next_hook(ctx, tools) -> None:
    ctx.run(ctx.on.install(), _state("ams-lxd"))
    tools.reset_calls()
    moved = _state("ams-lxd", exposed_instance_ports="10500-11500")
    out = ctx.run(ctx.on.config_changed(), moved)
    # Juju checks an open against the ports held when the hook started: it would refuse 10500-11500
    # while 10000-11000 is only pending close, so this hook closes and the next one opens.
    assert tools.calls_to("open-port") == []
    assert len(tools.calls_to("close-port")) == 2
    assert isinstance(out.unit_status, testing.MaintenanceStatus)
    assert "10500-11500" in out.unit_status.message

    tools.reset_calls()
    out = ctx.run(ctx.on.update_status(), moved)
    assert tools.calls == [
        READ,
        ["open-port", "--endpoints", "public", "10500-11500/tcp"],
        ["open-port", "--endpoints", "public", "10500-11500/udp"],
    ]
    assert tools.opened == {
        (P("8443/tcp"), "internal"),
        (P("10500-11500/tcp"), "public"),
        (P("10500-11500/udp"), "public"),
    }
    assert out.unit_status == testing.ActiveStatus()


# -- what is already there ------------------------------------------------------------------------


def test_ports_nobody_wants_are_closed_and_wanted_ones_kept(ctx) -> None:
    with fake_hook_tools(opened=[("9999/tcp", "internal"), ("5349/tcp", "public")]) as tools:
        ctx.run(ctx.on.install(), _state("coturn"))
    assert ["close-port", "9999/tcp"] in tools.calls
    assert not any(argv[-1] == "5349/tcp" for argv in tools.calls[1:])
    assert tools.opened == catalog_expectation("coturn")


def test_a_catalog_range_open_on_all_endpoints_is_narrowed_without_a_gap(ctx) -> None:
    # An older revision opened 5349/tcp without --endpoints: a wildcard port leaks through any
    # expose rule (docs/juju-facts.md#expose). Closing it on the other endpoints (internal, and the charm's
    # `ports` relation endpoint) keeps it open on public.
    with fake_hook_tools(opened=["5349/tcp"]) as tools:
        ctx.run(ctx.on.install(), _state("coturn"))
    assert tools.calls[:2] == [READ, ["close-port", "--endpoints", "internal,ports", "5349/tcp"]]
    assert (P("5349/tcp"), "public") in tools.opened
    assert tools.opened == catalog_expectation("coturn")


def test_a_port_open_on_all_endpoints_that_it_does_not_claim_is_left_alone_and_warned_once(
    ctx, caplog: pytest.LogCaptureFixture
) -> None:
    # ServicePorts never opens on all endpoints, so 80/tcp there was opened by something else.
    ports = testing.Relation("ports", remote_app_name="anbox-cloud-ports")
    with fake_hook_tools(opened=["80/tcp"]) as tools:
        out = ctx.run(ctx.on.install(), testing.State(relations=[ports], config={"service": "coturn"}))
        assert all(argv[-1] != "80/tcp" for argv in tools.calls)
        assert out.unit_status == testing.ActiveStatus()
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1
        assert "80/tcp is open on all endpoints, but ServicePorts did not open it" in warnings[0]
        assert "extra=[PortRange.parse('80/tcp')]" in warnings[0]
        caplog.clear()
        out = ctx.run(ctx.on.update_status(), out)
        assert [r for r in caplog.records if r.levelname == "WARNING"] == []  # once
    assert (P("80/tcp"), "") in tools.opened
    # The validator still sees it: the unit holds it.
    published = json.loads(out.get_relation(ports.id).local_unit_data["claims"])
    assert {"endpoint": "", "exposed": False, "port": "80/tcp", "source": "extra", "held": True} in published


def test_a_wildcard_range_every_endpoint_wants_is_left_alone() -> None:
    # 8443/tcp wanted on every endpoint the charm declares (public, internal, and its `ports`
    # relation): the wildcard entry already says exactly that, and replacing it would cost a hook
    # without the port (see plan_changes).
    extra = [(P("8443/tcp"), "public"), (P("8443/tcp"), "ports")]
    ctx = testing.Context(charm_with("ams-lxd", extra=extra), meta=META)
    with fake_hook_tools(opened=["8443/tcp"]) as tools:
        ctx.run(ctx.on.install(), testing.State())
    assert all(argv[-1] != "8443/tcp" for argv in tools.calls)
    assert (P("8443/tcp"), "") in tools.opened


def test_an_endpoint_switch_closes_one_and_opens_the_other(ctx) -> None:
    with fake_hook_tools(opened=[("5349/udp", "internal")]) as tools:
        ctx.run(ctx.on.install(), _state("coturn"))
    assert ["close-port", "--endpoints", "internal", "5349/udp"] in tools.calls
    assert ["open-port", "--endpoints", "public", "5349/udp"] in tools.calls
    assert tools.opened == catalog_expectation("coturn")


# -- conflicts, config, failures ------------------------------------------------------------------


def test_a_conflict_blocks_naming_the_other_unit_and_port_and_the_rest_opens(ctx) -> None:
    machine = FakeMachine()
    machine.hold("turn-b/0", "50000-50010/udp", "public")
    with fake_hook_tools(machine=machine) as tools:
        out = ctx.run(ctx.on.install(), _state("coturn"))
    assert out.unit_status == testing.BlockedStatus(
        "cannot open 50000-51000/udp: turn-b/0 holds 50000-50010/udp on this machine; "
        "move one of the units to another machine"
    )
    assert tools.opened == catalog_expectation("coturn") - {(P("50000-51000/udp"), "public")}


def test_a_conflict_on_a_port_an_option_moves_names_that_option(ctx) -> None:
    machine = FakeMachine()
    machine.hold("other/0", "4222/tcp", "internal")
    with fake_hook_tools(machine=machine):
        out = ctx.run(ctx.on.install(), _state("nats"))
    assert out.unit_status == testing.BlockedStatus(
        "cannot open 4222/tcp: other/0 holds 4222/tcp on this machine; set client-port to a free port or move a unit"
    )


def test_several_conflicts_are_counted(ctx) -> None:
    machine = FakeMachine()
    machine.hold("turn-b/0", "5349/tcp")
    machine.hold("turn-b/0", "5349/udp")
    with fake_hook_tools(machine=machine):
        out = ctx.run(ctx.on.install(), _state("coturn"))
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert out.unit_status.message.startswith("cannot open 5349/tcp: turn-b/0 holds 5349/tcp")
    assert out.unit_status.message.endswith("(and 1 more conflict, see juju debug-log)")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": 70000}, "Invalid config: port=70000: must be a port number 1-65535"),
        ({"client-port": 0}, "Invalid config: client-port=0: must be a port number 1-65535"),
        (
            {"exposed_instance_ports": "10000 - 110000"},
            'Invalid config: exposed_instance_ports="10000 - 110000": must be a port range '
            "<from>-<to> of ports 1-65535, e.g. 10000-11000",
        ),
        (
            {"exposed_instance_ports": "10000-11000 --endpoints x"},
            'Invalid config: exposed_instance_ports="10000-11000 --endpoints x": must be a port range '
            "<from>-<to> of ports 1-65535, e.g. 10000-11000",
        ),
    ],
)
def test_invalid_config_blocks_with_one_line_and_touches_nothing(options, message, ctx, tools) -> None:
    service = {"port": "ams", "client-port": "nats"}.get(next(iter(options)), "ams-lxd")
    out = ctx.run(ctx.on.config_changed(), _state(service, **options))
    assert out.unit_status == testing.BlockedStatus(message)
    assert tools.calls == []


def test_a_config_value_moved_onto_another_catalog_port_blocks(ctx, tools) -> None:
    out = ctx.run(ctx.on.config_changed(), _state("ams", port=20002))
    assert out.unit_status == testing.BlockedStatus(
        "Invalid config: port=20002: overlaps 20002/tcp (AMS HTTPS Prometheus endpoint)"
    )
    assert tools.calls == []


def test_any_other_hook_tool_failure_fails_the_hook(ctx) -> None:
    class Broken(FakeHookTools):
        def opened_ports(self) -> OpenedPorts:
            raise ops.ModelError("ERROR permission denied")

    broken = Broken()
    with use_hook_tools(lambda charm: broken), pytest.raises(testing.errors.UncaughtCharmError) as info:
        ctx.run(ctx.on.install(), _state("coturn"))
    assert isinstance(info.value.__cause__, ops.ModelError)
    assert "permission denied" in str(info.value.__cause__)


def test_reconcile_twice_in_one_hook_reads_once(ctx, tools) -> None:
    with ctx(ctx.on.install(), _state("coturn")) as manager:
        ports = manager.charm.ports
        assert ports is not None
        ports.reconcile()
        ports.reconcile()
        manager.run()
    assert tools.calls.count(READ) == 1


# -- construction errors --------------------------------------------------------------------------

META = {
    "name": "svc",
    "extra-bindings": {"public": None, "internal": None},
    "provides": {"ports": {"interface": "anbox_ports"}},
}
_CONFIG = {
    "options": {
        "service": {"type": "string", "default": "coturn"},
        "profile": {"type": "string", "default": "charmed"},
        "port": {"type": "int"},
        "exposed_instance_ports": {"type": "string"},
    }
}


def charm_with(service: str, **kwargs: object) -> type[ops.CharmBase]:
    """A charm whose only code is `ServicePorts(self, service, **kwargs)`."""

    class _Charm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.ports = ServicePorts(self, service, **kwargs)  # type: ignore[arg-type]

    return _Charm


def _declaration_error(
    charm: type[ops.CharmBase], meta: dict[str, Any] | None = None, config: dict[str, Any] | None = None
) -> str:
    ctx = testing.Context(charm, meta=meta or META, config=config)
    with fake_hook_tools(), pytest.raises(testing.errors.UncaughtCharmError) as info:
        ctx.run(ctx.on.install(), testing.State())
    error = info.value.__cause__
    assert isinstance(error, DeclarationError)
    assert not isinstance(error, ValueError)  # never mistaken for an operator's bad config
    return str(error)


def test_missing_endpoints_fail_at_construction_with_the_lines_to_add(tools) -> None:
    ctx = testing.Context(CHARM, meta={"name": "bare"}, config=_CONFIG)
    with pytest.raises(testing.errors.UncaughtCharmError) as info:
        ctx.run(ctx.on.install(), testing.State())
    error = info.value.__cause__
    assert isinstance(error, MissingEndpointError)
    assert 'declares no endpoint "public", "internal"' in str(error)
    assert str(error).endswith("extra-bindings:\n  public:\n  internal:")


def test_a_relation_endpoint_of_any_role_will_do(tools) -> None:
    meta = {
        "name": "rel",
        "provides": {"public": {"interface": "http"}, "ports": {"interface": "anbox_ports"}},
        "peers": {"internal": {"interface": "p"}},
    }
    ctx = testing.Context(CHARM, meta=meta, config=_CONFIG)
    out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.ActiveStatus()
    assert tools.opened == catalog_expectation("coturn")


def test_unknown_service_lists_the_known_ones() -> None:
    with pytest.raises(
        DeclarationError, match="unknown charmed service 'turnserver': the catalog knows ams, "
    ) as info:
        desired_claims("turnserver")
    assert "coturn" in str(info.value)
    message = _declaration_error(charm_with("turnserver"))
    assert message.startswith("unknown charmed service 'turnserver'")


def test_the_example_charm_blocks_on_an_unknown_service(ctx, tools) -> None:
    # The example charm takes its service from config, an operator's choice, so it blocks.
    out = ctx.run(ctx.on.install(), _state("turnserver"))
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert "unknown charmed service 'turnserver'" in out.unit_status.message
    assert tools.calls == []


@pytest.mark.parametrize("endpoint", ["x 80", "--endpoints", "a,", "a,b", "", "Public", "a--b", "pub lic"])
def test_endpoint_names_are_validated_before_any_hook_tool(endpoint: str) -> None:
    for charm in (
        charm_with("coturn", public_endpoint=endpoint),
        charm_with("coturn", extra=[(P("9000/tcp"), endpoint)]),
    ):
        with fake_hook_tools() as tools:
            assert "invalid endpoint name" in _declaration_error(charm)
        assert tools.calls == []
    with pytest.raises(EndpointNameError):
        validate_endpoint(endpoint)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            [P("10500/tcp")],
            r"10500/tcp \(extra port\) overlaps 10000-11000/tcp \(LXD Instance service ports\)",
        ),
        (
            [P("9000-9100/tcp"), P("9050/tcp")],
            r"9050/tcp \(extra port\) overlaps 9000-9100/tcp \(extra port\)",
        ),
    ],
)
def test_overlapping_extra_ports_are_a_clear_programming_error(extra, message: str) -> None:
    with pytest.raises(DeclarationError, match=message):
        desired_claims("ams-lxd", extra=extra)
    assert "give extra= ports that no catalog row of this service claims" in _declaration_error(
        charm_with("ams-lxd", extra=extra)
    )


def test_extra_ports_must_be_port_ranges() -> None:
    assert "is not a PortRange or (PortRange, endpoint)" in _declaration_error(
        charm_with("coturn", extra=["80/tcp"])
    )


def test_an_extra_port_an_operator_moves_a_catalog_port_onto_blocks() -> None:
    # The extra range is fine at the defaults; `port=9641` moves AMS into it: the operator's doing.
    meta_config = {"options": {"port": {"type": "int", "default": 8444}}}
    ctx = testing.Context(charm_with("ams", extra=[P("9640-9650/tcp")]), meta=META, config=meta_config)
    with fake_hook_tools() as tools:
        out = ctx.run(ctx.on.config_changed(), testing.State(config={"port": 9641}))
    assert out.unit_status == testing.BlockedStatus(
        "Invalid config: port=9641: overlaps 9640-9650/tcp (extra port)"
    )
    assert tools.calls == []


def test_only_one_service_ports_per_charm() -> None:
    class Two(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.ports = ServicePorts(self, "coturn")
            self.more = ServicePorts(self, "nats")

    assert "only one ServicePorts per charm" in _declaration_error(Two)


# -- claims, the record the relation publishes ----------------------------------------------------


def test_claims_carry_row_option_source_and_exposure(ctx, tools) -> None:
    with ctx(ctx.on.install(), _state("ams-lxd", exposed_instance_ports="20000-20100")) as manager:
        ports = manager.charm.ports
        assert ports is not None
        claims = {claim.port: claim for claim in ports.claims}
    moved = claims[P("20000-20100/udp")]
    assert (moved.endpoint, moved.option, moved.origin, moved.exposed) == (
        "public",
        "exposed_instance_ports",
        "option:exposed_instance_ports",
        True,
    )
    api = claims[P("8443/tcp")]
    assert (api.endpoint, api.option, api.origin, api.exposed) == ("internal", None, "default", False)
    core = moved.to_claim("lxd/0")
    assert (core.unit, core.port, core.endpoint, core.origin, core.option) == (
        "lxd/0",
        P("20000-20100/udp"),
        "public",
        "config",
        "exposed_instance_ports",
    )


def test_extra_ports_go_on_internal_unless_told(ctx, tools) -> None:
    claims = desired_claims("coturn", extra=[P("3478/udp"), (P("3478/tcp"), "public")])
    extra = {(c.port, c.endpoint, c.origin, c.exposed) for c in claims if c.row is None}
    assert extra == {(P("3478/udp"), "internal", "extra", False), (P("3478/tcp"), "public", "extra", True)}


def test_claims_raise_while_config_is_invalid(ctx, tools) -> None:
    with ctx(ctx.on.install(), _state("ams", port=0)) as manager:
        ports = manager.charm.ports
        assert ports is not None
        assert ports.config_error is not None
        with pytest.raises(ValueError, match="port=0"):
            _ = ports.claims


def test_config_overrides_can_be_ignored() -> None:
    config = {"options": {"port": {"type": "int", "default": 8444}}}
    ctx = testing.Context(charm_with("ams", config_overrides=False), meta=META, config=config)
    with fake_hook_tools() as tools, ctx(ctx.on.install(), testing.State(config={"port": 9444})) as manager:
        assert {c.port for c in manager.charm.ports.claims} == {P("8444/tcp"), P("20002/tcp")}  # type: ignore[attr-defined]
    assert tools.opened == expected_claims("ams")


# -- the planner, against the fake's rules --------------------------------------------------------

KNOWN = ("admin", "internal", "public")


def test_plan_is_empty_in_steady_state() -> None:
    claims = desired_claims("coturn")
    current: OpenedPorts = [(c.port, (c.endpoint,)) for c in claims]
    assert plan_changes(current, claims, KNOWN).changes == ()


def test_plan_closes_before_it_opens() -> None:
    claims = [PortClaim(P("20-30/tcp"), "public")]
    plan = plan_changes([(P("1-5/tcp"), ("internal",))], claims, KNOWN)
    assert plan.changes == (
        PortChange("close-port", P("1-5/tcp"), ()),
        PortChange("open-port", P("20-30/tcp"), ("public",)),
    )


def test_a_close_never_names_an_endpoint_the_charm_does_not_declare() -> None:
    # Juju fails the hook at commit for an unbound endpoint (validatePendingChanges); a range nobody
    # wants is closed on every endpoint at once, a wanted one keeps the stray name.
    claims = [PortClaim(P("80/tcp"), "public")]
    current: OpenedPorts = [(P("80/tcp"), ("old", "public")), (P("90/tcp"), ("old",))]
    assert plan_changes(current, claims, ("internal", "public")).changes == (
        PortChange("close-port", P("90/tcp"), ()),
    )


_PORTS = st.builds(
    lambda proto, lo, width: PortRange(proto, lo, lo + width),
    st.sampled_from(["tcp", "udp"]),
    st.integers(1, 40),
    st.sampled_from([0, 0, 1, 3, 10]),
)


def _legal(ports: Sequence[PortRange]) -> list[PortRange]:
    """Keep a set of ranges one unit may hold at once: identical or disjoint, never overlapping."""
    kept: list[PortRange] = []
    for port in ports:
        if all(port == other or not port.overlaps(other) for other in kept) and port not in kept:
            kept.append(port)
    return kept


@st.composite
def _scenarios(
    draw: st.DrawFn,
) -> tuple[list[tuple[PortRange, tuple[str, ...]]], list[PortClaim], tuple[str, ...]]:
    known = draw(st.sampled_from([KNOWN, ("internal", "public")]))
    held = _legal(draw(st.lists(_PORTS, max_size=6)))
    current = [
        (port, draw(st.sampled_from([(), *((name,) for name in known), tuple(sorted(known[:2]))])))
        for port in held
    ]
    kept = draw(st.lists(st.sampled_from(held), max_size=4)) if held else []
    wanted = _legal([*kept, *draw(st.lists(_PORTS, max_size=4))])
    claims = [
        PortClaim(port, endpoint)
        for port in wanted
        for endpoint in draw(st.sampled_from([("public",), ("internal",), ("internal", "public")]))
    ]
    return current, claims, known


def _run_hook(tools: FakeHookTools, claims: list[PortClaim], known: Sequence[str]) -> tuple[PortChange, ...]:
    plan = plan_changes(tools.opened_ports(), claims, known)
    for change in plan.changes:
        (tools.open_port if change.verb == "open-port" else tools.close_port)(change.port, change.endpoints)
    tools.commit()
    return plan.changes


def _expand(opened: frozenset[tuple[PortRange, str]], known: Sequence[str]) -> set[tuple[PortRange, str]]:
    return {(port, name) for port, ep in opened for name in ((ep,) if ep else known)}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_scenarios())
def test_plan_converges_under_jujus_rules_and_then_stays_quiet(scenario) -> None:
    current, claims, known = scenario
    tools = FakeHookTools("u/0", machine=FakeMachine({"u": known}))
    for port, endpoints in current:
        tools.machine.hold("u/0", port, endpoints)
    wanted = {(c.port, c.endpoint) for c in claims}

    first = _run_hook(tools, claims, known)  # Juju's rules raise on any illegal step
    deferred = plan_changes(current, claims, known).deferred
    if not deferred:
        assert _expand(tools.machine.opened("u/0"), known) == wanted
    _run_hook(tools, claims, known)
    assert _expand(tools.machine.opened("u/0"), known) == wanted
    tools.reset_calls()
    assert _run_hook(tools, claims, known) == ()
    assert tools.calls == [READ]
    # No call ever targets all endpoints except to drop a range entirely.
    assert all(change.endpoints or change.verb == "close-port" for change in first)


# -- the opened-ports parser ----------------------------------------------------------------------

_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(?:[_-][a-z0-9]{1,4}){0,2}", fullmatch=True)
_ANY_PORT = st.one_of(
    st.just(PortRange("icmp", 0, 0)),
    st.builds(
        lambda proto, lo, hi: PortRange(proto, min(lo, hi), max(lo, hi)),
        st.sampled_from(["tcp", "udp"]),
        st.integers(1, 65535),
        st.integers(1, 65535),
    ),
)


@given(_ANY_PORT, st.frozensets(_NAMES, max_size=5))
def test_opened_entry_round_trips(port: PortRange, names: frozenset[str]) -> None:
    text = format_opened_entry(port, names)
    assert parse_opened_entry(text) == (port, tuple(sorted(names)))
    assert format_opened_entry(*parse_opened_entry(text)) == text


@given(st.text(max_size=60))
def test_opened_entry_parser_only_ever_raises_its_own_error(text: str) -> None:
    try:
        port, names = parse_opened_entry(text)
    except HookToolOutputError:
        return
    assert all(validate_endpoint(name) == name for name in names)
    assert isinstance(port, PortRange)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("80/tcp (ep1, ep2)", (P("80/tcp"), ("ep1", "ep2"))),
        ("8000-8999/udp (*)", (P("8000-8999/udp"), ())),
        ("icmp (*)", (P("icmp"), ())),
        ("443/tcp (public)", (P("443/tcp"), ("public",))),
        ("443/tcp", (P("443/tcp"), ())),
        ("443/tcp (b,a)", (P("443/tcp"), ("a", "b"))),
        # Juju opens and prints port 0 (docs/juju-facts.md#port-syntax): read, not refused.
        ("0/tcp (*)", (P("0/tcp"), ())),
    ],
)
def test_opened_entries_as_juju_prints_them(entry: str, expected) -> None:
    assert parse_opened_entry(entry) == expected


@pytest.mark.parametrize(
    "entry",
    ["80/tcp (ep1, )", "80/tcp (ep 1)", "80/tcp (EP)", "80/sctp (*)", "80/tcp ((a))", ""],
)
def test_malformed_entries_are_refused(entry: str) -> None:
    with pytest.raises(HookToolOutputError):
        parse_opened_entry(entry)


def test_the_document_merges_and_sorts() -> None:
    assert parse_opened_ports('["80/tcp (b)", "53/udp (*)", "80/tcp (a)", "53/udp (x)"]') == [
        (P("80/tcp"), ("a", "b")),
        (P("53/udp"), ()),
    ]
    assert parse_opened_ports("[]") == []
    assert parse_opened_ports("null") == []
    for junk in ("{}", "not json", '["80/tcp", 3]'):
        with pytest.raises(HookToolOutputError):
            parse_opened_ports(junk)


def test_argv_is_built_only_from_a_range_and_checked_names() -> None:
    assert port_argv("open-port", P("10000-11000/udp"), ["public"]) == [
        "open-port",
        "--endpoints",
        "public",
        "10000-11000/udp",
    ]
    assert port_argv("close-port", P("icmp"), ()) == ["close-port", "icmp"]
    assert port_argv("open-port", P("80/tcp"), ["b", "a", "a"])[2] == "a,b"
    with pytest.raises(TypeError):
        port_argv("open-port", "80/tcp --endpoints x", ())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        port_argv("open-port", P("80/tcp"), "public")


# -- attribution at Juju's defaults ---------------------------------------------------------------

# ams's own config.yaml defaults (docs/juju-facts.md#charm-options): Juju hands the charm every one.
AMS_CONFIG = {
    "options": {
        "port": {"type": "int", "default": 8444},
        "prometheus_target_port": {"type": "int", "default": 20002},
        "port_range": {"type": "string", "default": "10000-11000"},
    }
}


def _ams(config: dict[str, Any]) -> testing.State:
    ctx = testing.Context(charm_with("ams", relation_name="ports"), meta=META, config=AMS_CONFIG)
    relation = testing.Relation("ports", remote_app_name="anbox-cloud-ports")
    with fake_hook_tools():
        out = ctx.run(ctx.on.config_changed(), testing.State(relations=[relation], config=config))
    return out


def test_at_jujus_defaults_every_claim_is_published_as_default() -> None:
    out = _ams({})
    claims = json.loads(next(iter(out.relations)).local_unit_data["claims"])
    assert [(c["port"], c["source"]) for c in claims] == [("8444/tcp", "default"), ("20002/tcp", "default")]


def test_moving_one_option_onto_another_port_blames_the_option_moved() -> None:
    # Juju passes prometheus_target_port=20002 too; the operator changed `port`.
    out = _ams({"port": 20002})
    assert out.unit_status == testing.BlockedStatus(
        "Invalid config: port=20002: overlaps 20002/tcp (AMS HTTPS Prometheus endpoint)"
    )


# -- status: automatic by default, the charm's when it asks --------------------------------------


class _OwnStatus(ops.CharmBase):
    """Combines the library's status with its own, as the README shows."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = ServicePorts(self, "coturn", auto_status=False)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        event.add_status(self.ports.status())
        if not self.config.get("realm"):
            event.add_status(ops.BlockedStatus("no realm: juju config coturn realm=<domain>"))


_OWN_CONFIG = {"options": {"realm": {"type": "string"}}}


def test_with_auto_status_off_the_library_adds_nothing_itself() -> None:
    ctx = testing.Context(charm_with("coturn", auto_status=False), meta=META)
    machine = FakeMachine()
    machine.hold("other/0", "5349/tcp")
    with fake_hook_tools(machine=machine):
        out = ctx.run(ctx.on.install(), testing.State(unit_status=testing.MaintenanceStatus("installing")))
    assert out.unit_status == testing.MaintenanceStatus("installing")


def test_auto_status_never_overrides_a_status_the_charm_set_with_an_active_one() -> None:
    ctx = testing.Context(charm_with("coturn"), meta=META)
    with fake_hook_tools():
        out = ctx.run(ctx.on.install(), testing.State(unit_status=testing.MaintenanceStatus("installing")))
    assert out.unit_status == testing.MaintenanceStatus("installing")


@pytest.mark.parametrize(
    ("realm", "neighbour", "expected"),
    [
        ("anbox.example", None, testing.ActiveStatus("")),
        (None, None, testing.BlockedStatus("no realm: juju config coturn realm=<domain>")),
        (
            None,
            "5349/tcp",
            testing.BlockedStatus(
                "cannot open 5349/tcp: other/0 holds 5349/tcp on this machine; move one of the units to another machine"
            ),
        ),
    ],
)
def test_the_charm_combines_the_librarys_status_with_its_own(
    realm: str | None, neighbour: str | None, expected: ops.StatusBase
) -> None:
    ctx = testing.Context(_OwnStatus, meta=META, config=_OWN_CONFIG)
    machine = FakeMachine()
    if neighbour:
        machine.hold("other/0", neighbour)
    config = {"realm": realm} if realm else {}
    with fake_hook_tools(machine=machine):
        out = ctx.run(ctx.on.config_changed(), testing.State(config=config))
    assert out.unit_status == expected


# -- ops' load_config(errors="blocked") ends the hook: the ports were reconciled already -----------


class _LoadsConfig(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = ServicePorts(self, "coturn")
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        self.load_config(_RealmConfig, errors="blocked")  # sys.exit(0) on a bad realm


class _RealmConfig(pydantic.BaseModel):
    realm: str

    @pydantic.field_validator("realm")
    @classmethod
    def _no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError("must not contain spaces")
        return value


def test_load_config_blocked_does_not_skip_the_reconcile() -> None:
    ctx = testing.Context(_LoadsConfig, meta=META, config=_OWN_CONFIG)
    with fake_hook_tools() as tools:
        out = ctx.run(ctx.on.config_changed(), testing.State(config={"realm": "a b"}))
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert out.unit_status.message.startswith("Invalid config:")
    assert tools.opened == expected_claims("coturn")


def test_collect_metrics_runs_no_hook_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    # collect-metrics has no port hook tools (a restricted context; ops.testing cannot emit it), so
    # construction must not call them there: checked on the predicate ServicePorts asks.
    from anbox_cloud_ports.charm.opener import _restricted_context

    monkeypatch.setenv("JUJU_DISPATCH_PATH", "hooks/collect-metrics")
    assert _restricted_context()
    for path in ("hooks/update-status", "actions/check", ""):
        monkeypatch.setenv("JUJU_DISPATCH_PATH", path)
        assert not _restricted_context()
