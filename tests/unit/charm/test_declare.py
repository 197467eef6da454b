"""A charm's own port options bound to catalog rows: checked against charmcraft.yaml at construction."""

from __future__ import annotations

import json
from typing import Any

import ops
import pytest
from ops import testing

from anbox_cloud_ports.charm import DeclarationError, PortConfigError, ServicePorts
from anbox_cloud_ports.charm.testing import fake_hook_tools, published, validator_relation
from anbox_cloud_ports.ports import PortRange


def P(text: str) -> PortRange:
    return PortRange.parse(text)


META: dict[str, Any] = {
    "name": "coturn",
    "extra-bindings": {"public": None, "internal": None},
    "provides": {"ports": {"interface": "anbox_ports"}},
}
RELAY_CONFIG: dict[str, Any] = {
    "options": {"turn-port-range": {"type": "string", "default": "50000-51000"}, "realm": {"type": "string"}}
}


class Coturn(ops.CharmBase):
    """The declarative line under test: the charm's `turn-port-range` holds the relay row."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = ServicePorts(
            self, "coturn", options={"turn-port-range": "50000-51000/udp"}, relation_name="ports"
        )


def _run(config: dict[str, Any], meta_config: dict[str, Any] = RELAY_CONFIG) -> tuple[testing.State, Any]:
    ctx = testing.Context(Coturn, meta=META, config=meta_config)
    relation = validator_relation()
    with fake_hook_tools() as tools:
        out = ctx.run(ctx.on.config_changed(), testing.State(relations=[relation], config=config))
    return out, (tools, relation)


def test_the_option_moves_its_row_and_the_unit_says_so() -> None:
    out, (tools, relation) = _run({"turn-port-range": "40000-41000"})
    assert tools.opened == {
        (P("5349/tcp"), "public"),
        (P("5349/udp"), "public"),
        (P("40000-41000/udp"), "public"),
    }
    relay = {c.port: c for c in published(out, relation).claims}[P("40000-41000/udp")]
    assert (relay.origin, relay.moved_from, relay.held) == (
        "option:turn-port-range",
        P("50000-51000/udp"),
        True,
    )


def test_at_its_default_the_option_is_not_blamed() -> None:
    out, (tools, relation) = _run({"turn-port-range": "50000-51000"})
    assert (P("50000-51000/udp"), "public") in tools.opened
    assert {c.origin for c in published(out, relation).claims} == {"default"}


def test_the_status_names_the_moved_port_and_port_for_gives_it_to_the_workload() -> None:
    ctx = testing.Context(Coturn, meta=META, config=RELAY_CONFIG)
    state = testing.State(config={"turn-port-range": "40000-41000"})
    with fake_hook_tools(), ctx(ctx.on.config_changed(), state) as manager:
        ports = manager.charm.ports
        assert ports.status() == ops.ActiveStatus(
            "ports moved by config: turn-port-range=40000-41000 (catalog 50000-51000)"
        )
        assert ports.port_for("turn-port-range") == P("40000-41000/udp")
        with pytest.raises(
            DeclarationError, match="coturn has no port option 'relay'; its options: turn-port-range"
        ):
            ports.port_for("relay")
        model = ports.config_model
        assert model(**{"turn-port-range": "40000-41000"}).turn_port_range == "40000-41000"  # type: ignore[attr-defined]
        with pytest.raises(PortConfigError, match='turn-port-range="40000\\+": must be a port range'):
            model(**{"turn-port-range": "40000+"})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "41000-40000",
            'turn-port-range="41000-40000": must be a port range <from>-<to> with <from> not above <to>',
        ),
        ("40000-41000 --endpoints x", 'turn-port-range="40000-41000 --endpoints x": must be a port range'),
        ("5000-5400", 'turn-port-range="5000-5400": overlaps 5349/udp (Coturn STUN/TURN)'),
    ],
)
def test_an_invalid_value_blocks_with_one_line_and_touches_nothing(value: str, message: str) -> None:
    out, (tools, _) = _run({"turn-port-range": value})
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert out.unit_status.message.startswith(f"Invalid config: {message}")
    assert "\n" not in out.unit_status.message
    assert tools.calls == []


def _declaration_error(charm: type[ops.CharmBase], meta_config: dict[str, Any]) -> str:
    ctx = testing.Context(charm, meta=META, config=meta_config)
    with fake_hook_tools() as tools, pytest.raises(testing.errors.UncaughtCharmError) as info:
        ctx.run(ctx.on.install(), testing.State())
    assert tools.calls == []
    assert isinstance(info.value.__cause__, DeclarationError)
    return str(info.value.__cause__)


def _binding(options: dict[str, object]) -> type[ops.CharmBase]:
    class _Charm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.ports = ServicePorts(self, "coturn", options=options)  # type: ignore[arg-type]

    return _Charm


@pytest.mark.parametrize(
    ("options", "meta_config", "message"),
    [
        (
            {"turn-port-range": "50000-51000/udp"},
            {"options": {}},
            "options: charm 'coturn' declares no config option 'turn-port-range'; add to charmcraft.yaml:\n"
            'config:\n  options:\n    turn-port-range:\n      type: string\n      default: "50000-51000"',
        ),
        (
            {"turn-port-range": "50000-51000/udp"},
            {"options": {"turn-port-range": {"type": "int", "default": 50000}}},
            "options: turn-port-range is declared `type: int`, but it holds Coturn TURN relay ports "
            "(50000-51000), a range: declare it `type: string`",
        ),
        (
            {"turn-port-range": "50000-51000/udp"},
            {"options": {"turn-port-range": {"type": "string", "default": "50000:51000"}}},
            'options: the default in charmcraft.yaml is invalid: turn-port-range="50000:51000": must be a port range',
        ),
        (
            {"turn-port-range": "3478/udp"},
            RELAY_CONFIG,
            "options: turn-port-range names 3478/udp, but no charmed coturn row claims it; its rows claim "
            "5349/tcp, 5349/udp, 50000-51000/udp",
        ),
        (
            {"turn-port-range": "50000-51000/udp", "relay": "50000-51000/udp"},
            {"options": {**RELAY_CONFIG["options"], "relay": {"type": "string"}}},
            "options: relay and turn-port-range both name the row 50000-51000/udp",
        ),
        (
            {"turn-port-range": "50000-51000 udp"},
            RELAY_CONFIG,
            "options: turn-port-range must name a port of a coturn catalog row, e.g. '5349/tcp'",
        ),
        (
            {"listen-port": "5349/tcp"},
            {"options": {"listen-port": {"type": "boolean"}}},
            "options: listen-port is declared `type: boolean`",
        ),
        (
            {"turn-port-range": "50000-51000/udp"},
            {"options": {"turn-port-range": {"type": "string", "default": "5000-5400"}}},
            'at the defaults charmcraft.yaml declares: turn-port-range="5000-5400": overlaps 5349/udp',
        ),
    ],
)
def test_a_binding_charmcraft_yaml_cannot_honour_fails_at_construction(
    options: dict[str, object], meta_config: dict[str, Any], message: str
) -> None:
    assert _declaration_error(_binding(options), meta_config).startswith(message)


def test_a_port_option_may_be_an_int_or_a_string() -> None:
    declarations: list[tuple[dict[str, object], int | str]] = [
        ({"type": "int", "default": 5349}, 5350),
        ({"type": "string", "default": "5349"}, "5350"),
    ]
    for declared, value in declarations:
        ctx = testing.Context(
            _binding({"listen-port": "5349/tcp"}), meta=META, config={"options": {"listen-port": declared}}
        )
        with fake_hook_tools() as tools:
            ctx.run(ctx.on.config_changed(), testing.State(config={"listen-port": value}))
        assert (P("5350/tcp"), "public") in tools.opened
        assert (P("5349/udp"), "public") in tools.opened  # the other 5349 row has no option


def test_a_builtin_service_can_rename_its_option() -> None:
    class Ams(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.ports = ServicePorts(self, "ams", options={"api-port": "8444/tcp"}, relation_name="ports")

    ctx = testing.Context(Ams, meta=META, config={"options": {"api-port": {"type": "int", "default": 8444}}})
    relation = validator_relation()
    with fake_hook_tools() as tools:
        out = ctx.run(ctx.on.config_changed(), testing.State(relations=[relation], config={"api-port": 9444}))
    assert (P("9444/tcp"), "internal") in tools.opened
    claims = json.loads(out.get_relation(relation.id).local_unit_data["claims"])
    assert {c["source"] for c in claims} == {"option:api-port", "default"}
