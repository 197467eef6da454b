"""The port option models: catalog defaults, one-line errors, and ops' load_config."""

from __future__ import annotations

from typing import Any

import ops
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ops import testing
from pydantic import BaseModel, ValidationError

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.charm import PortConfigError, config_error_message, config_model_for
from anbox_cloud_ports.charm.config import (
    AmsConfig,
    AmsLxdConfig,
    NatsConfig,
    NoPortOptions,
    StreamGatewayConfig,
    check_port,
    check_port_range,
)
from anbox_cloud_ports.charm.opener import desired_claims


def test_defaults_are_the_seed_ports() -> None:
    assert (AmsConfig().port, AmsConfig().prometheus_target_port) == (8444, 20002)
    assert AmsConfig().port_range == "10000-11000"
    assert AmsLxdConfig().exposed_instance_ports == "10000-11000"
    assert NatsConfig().client_port == 4222
    assert StreamGatewayConfig().prometheus_port is None


def test_every_catalog_option_has_a_field_in_its_model() -> None:
    for row in Catalog.builtin().profile("charmed"):
        for option in row.options:
            model = config_model_for(option.charm)
            assert option.name in model._juju_names, (option.charm, option.name)


@pytest.mark.parametrize(
    ("model", "raw", "message"),
    [
        (AmsConfig, {"port": 70000}, "port=70000: must be a port number 1-65535"),
        (AmsConfig, {"port": "abc"}, 'port="abc": must be a port number 1-65535'),
        (AmsConfig, {"port": "8000-9000"}, 'port="8000-9000": must be a single port 1-65535, not a range'),
        (AmsConfig, {"port": True}, "port=true: must be a port number 1-65535"),
        (
            AmsConfig,
            {"prometheus_target_port": -1},
            "prometheus_target_port=-1: must be a port number 1-65535",
        ),
        (
            AmsConfig,
            {"port_range": "10000 - 110000"},
            'port_range="10000 - 110000": must be a port range <from>-<to> of ports 1-65535, e.g. 10000-11000',
        ),
        (
            AmsLxdConfig,
            {"exposed_instance_ports": "10000 - 110000"},
            'exposed_instance_ports="10000 - 110000": must be a port range <from>-<to> of ports 1-65535, '
            "e.g. 10000-11000",
        ),
        (
            AmsLxdConfig,
            {"exposed_instance_ports": "11000-10000"},
            'exposed_instance_ports="11000-10000": must be a port range <from>-<to> with <from> not above <to>',
        ),
        (
            AmsLxdConfig,
            {"exposed_instance_ports": "10000-11000/udp"},
            'exposed_instance_ports="10000-11000/udp": must be a port range <from>-<to> of ports 1-65535, '
            "e.g. 10000-11000",
        ),
        (NatsConfig, {"client-port": 70000}, "client-port=70000: must be a port number 1-65535"),
        (
            NatsConfig,
            {"client_port": "--endpoints x 80"},
            'client-port="--endpoints x 80": must be a port number 1-65535',
        ),
        (
            AmsConfig,
            {"port": 0, "prometheus_target_port": "x"},
            "port=0: must be a port number 1-65535 (and 1 more invalid option)",
        ),
        (
            AmsConfig,
            {"port": "9" * 200},
            'port="' + "9" * 37 + '...": must be a port number 1-65535',
        ),
    ],
)
def test_invalid_values_give_one_line(model: type[BaseModel], raw: dict[str, Any], message: str) -> None:
    with pytest.raises(PortConfigError) as info:
        model(**raw)
    assert str(info.value) == message
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)  # what ops' load_config catches


def test_the_error_names_option_value_and_rule() -> None:
    with pytest.raises(PortConfigError) as info:
        NatsConfig(**_raw({"client-port": "4222-4223"}))
    error = info.value
    assert (error.option, error.value, error.rule) == (
        "client-port",
        "4222-4223",
        "must be a single port 1-65535, not a range",
    )


def test_valid_values_and_text_forms() -> None:
    assert AmsConfig(**_raw({"port": "9444"})).port == 9444
    assert NatsConfig(**{"client-port": 5222}).client_port == 5222
    assert NatsConfig(**{"client_port": 5222}).client_port == 5222
    assert AmsLxdConfig(exposed_instance_ports="20000").exposed_instance_ports == "20000-20000"
    assert AmsConfig(**_raw({"unrelated": "kept out", "port": 1})).port == 1


def _raw(options: dict[str, Any]) -> dict[str, Any]:
    """Juju config as ops hands it over: untyped, so the models must check it."""
    return options


def test_a_raw_validation_error_becomes_the_same_line() -> None:
    with pytest.raises(ValidationError) as info:
        NatsConfig.model_validate({"client-port": 0})
    assert config_error_message(info.value, NatsConfig) == "client-port=0: must be a port number 1-65535"


def test_config_model_for() -> None:
    assert config_model_for("ams") is AmsConfig
    assert config_model_for("ams-lxd") is AmsLxdConfig
    assert config_model_for("nats") is NatsConfig
    assert config_model_for("coturn") is NoPortOptions
    assert config_model_for("ams", "appliance") is NoPortOptions
    with pytest.raises(ValueError, match="unknown charmed service 'natsd': the catalog knows"):
        config_model_for("natsd")


@given(st.integers(-100_000, 100_000))
def test_check_port_accepts_exactly_1_to_65535(port: int) -> None:
    for value in (port, str(port)):
        if 1 <= port <= 65535:
            assert check_port(value) == port
        else:
            with pytest.raises(ValueError, match="must be"):
                check_port(value)


@given(st.integers(1, 65535), st.integers(1, 65535))
def test_check_port_range_round_trips(a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    assert check_port_range(f"{lo}-{hi}") == f"{lo}-{hi}"
    if lo != hi:
        with pytest.raises(ValueError, match="not above"):
            check_port_range(f"{hi}-{lo}")


@given(st.text(max_size=30))
def test_rules_only_raise_value_error(text: str) -> None:
    for rule in (check_port, check_port_range):
        try:
            rule(text)
        except ValueError as err:
            message = str(err)
        else:
            continue
        assert "\n" not in message


# -- with ops ---------------------------------------------------------------------------------


class _NatsCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        config = self.load_config(config_model_for("nats"), errors="blocked")
        self.unit.status = ops.ActiveStatus(f"client port {config.client_port}")  # type: ignore[attr-defined]


_NATS_META = {"name": "nats"}
_NATS_CONFIG = {"options": {"client-port": {"type": "int", "default": 4222}, "debug": {"type": "boolean"}}}


def test_load_config_blocked_is_one_line() -> None:
    ctx = testing.Context(_NatsCharm, meta=_NATS_META, config=_NATS_CONFIG)
    out = ctx.run(ctx.on.config_changed(), testing.State(config={"client-port": 70000}))
    assert out.unit_status == testing.BlockedStatus(
        "Invalid config: client-port=70000: must be a port number 1-65535"
    )


def test_load_config_reads_the_dashed_option() -> None:
    ctx = testing.Context(_NatsCharm, meta=_NATS_META, config=_NATS_CONFIG)
    out = ctx.run(ctx.on.config_changed(), testing.State(config={"client-port": 5222, "debug": True}))
    assert out.unit_status == testing.ActiveStatus("client port 5222")


@pytest.mark.parametrize(
    ("service", "option", "value"),
    [
        ("ams", "port", 70000),
        ("ams", "prometheus_target_port", 0),
        ("ams-lxd", "exposed_instance_ports", "10000 - 110000"),
        ("ams-lxd", "exposed_instance_ports", "abc"),
        ("nats", "client-port", "8000-9000"),
    ],
)
def test_service_ports_and_the_model_say_the_same(service: str, option: str, value: object) -> None:
    with pytest.raises(PortConfigError) as from_model:
        config_model_for(service)(**{option: value})
    with pytest.raises(PortConfigError) as from_claims:
        desired_claims(service, config={option: value})
    assert str(from_model.value) == str(from_claims.value)
