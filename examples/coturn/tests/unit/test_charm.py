from ops import testing

from anbox_cloud_ports.charm.testing import (
    TEST_MODEL_UUID,
    FakeMachine,
    expected_claims,
    fake_hook_tools,
    provider_relation,
    published,
    validator_relation,
    validator_report,
)
from anbox_cloud_ports.ports import PortRange
from charm import CoturnCharm

REALM = {"realm": "anbox.example"}


def test_opens_the_catalog_ports_on_the_public_endpoint():
    ctx = testing.Context(CoturnCharm)
    with fake_hook_tools() as tools:
        out = ctx.run(ctx.on.install(), testing.State(config=REALM))
    assert tools.opened == expected_claims("coturn")
    assert out.unit_status == testing.ActiveStatus("TURN realm anbox.example, relay ports 50000-51000/udp")


def test_its_own_option_moves_the_relay_ports():
    ctx = testing.Context(CoturnCharm)
    with fake_hook_tools() as tools:
        out = ctx.run(
            ctx.on.config_changed(), testing.State(config={**REALM, "turn-port-range": "40000-41000"})
        )
    assert (PortRange.parse("40000-41000/udp"), "public") in tools.opened
    assert (PortRange.parse("50000-51000/udp"), "public") not in tools.opened
    assert out.unit_status == testing.ActiveStatus("TURN realm anbox.example, relay ports 40000-41000/udp")


def test_a_bad_range_blocks_with_one_line_and_opens_nothing():
    ctx = testing.Context(CoturnCharm)
    with fake_hook_tools() as tools:
        out = ctx.run(
            ctx.on.config_changed(), testing.State(config={**REALM, "turn-port-range": "41000-40000"})
        )
    assert out.unit_status == testing.BlockedStatus(
        'Invalid config: turn-port-range="41000-40000": must be a port range <from>-<to> with <from> not above <to>'
    )
    assert tools.calls == []


def test_its_own_status_and_the_librarys_combine():
    ctx = testing.Context(CoturnCharm)
    with fake_hook_tools():
        out = ctx.run(ctx.on.install(), testing.State())
    assert out.unit_status == testing.BlockedStatus("no TURN realm: juju config coturn realm=<domain>")


def test_a_neighbour_holding_its_port_blocks_it_and_the_validator_names_both():
    machine = FakeMachine()
    machine.hold("turn-b/0", "5349/tcp", "public")
    ctx = testing.Context(CoturnCharm, machine_id="1")
    to_validator = validator_relation()
    state = testing.State(relations=[to_validator], config=REALM, model=testing.Model(uuid=TEST_MODEL_UUID))
    with fake_hook_tools(machine=machine):
        out = ctx.run(ctx.on.install(), state)
    assert out.unit_status == testing.BlockedStatus(
        "cannot open 5349/tcp: turn-b/0 holds 5349/tcp on this machine; move one of the units to another machine"
    )
    # It publishes what it needs, the refused port included, as the validator reads it.
    mine = published(out, to_validator, unit="coturn/0")
    assert {(str(c.port), c.held) for c in mine.claims} == {
        ("5349/tcp", False),
        ("5349/udp", True),
        ("50000-51000/udp", True),
    }
    neighbour = provider_relation("coturn", {0: "1"}, app="turn-b")
    report = validator_report(out, to_validator, neighbour, unit="coturn/0")
    assert {(f.rule, f.units) for f in report.findings if f.severity == "error"} == {
        ("port-conflict", ("coturn/0", "turn-b/0"))
    }
