"""The port options of the catalog's charms, as pydantic models a charm loads with ops' `load_config`.

The models are derived from the catalog's `ConfigOption`s (name, kind, default, rule), the same
objects `anbox-ports check` reads a bundle's options with, so a charm and the checker can never
disagree about what a valid value is. Every invalid value becomes ONE line naming the option, the value
and the rule, e.g. `port=70000: must be a port number 1-65535`, whether it comes from
`self.load_config(Model, errors="blocked")` (ops prefixes it with "Invalid config: ") or from
`ServicePorts`, which checks the same options before opening anything.

    config = self.load_config(config_model_for("nats"), errors="blocked")
    config.client_port  # 4222 unless the operator moved it
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

import pydantic
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..catalog import PORT_RULE, RANGE_ORDER_RULE, RANGE_RULE, SINGLE_PORT_RULE, Catalog, ConfigOption
from ..errors import OptionError

__all__ = [
    "PORT_RULE",
    "RANGE_ORDER_RULE",
    "RANGE_RULE",
    "SINGLE_PORT_RULE",
    "AmsConfig",
    "AmsLxdConfig",
    "NatsConfig",
    "NoPortOptions",
    "PortConfigError",
    "PortOptions",
    "StreamGatewayConfig",
    "check_option",
    "check_port",
    "check_port_range",
    "config_error_message",
    "config_model_for",
]

PortConfigError = OptionError
"""An invalid port option; `str()` is the one status line (`option=value: rule`). A ValueError, so
`CharmBase.load_config(..., errors="blocked")` turns it into a BlockedStatus as is (ops charm.py
`load_config` catches ValueError and uses `str(e)`)."""

# Stand-ins for checking a value against a kind of option without a catalog option at hand.
_ANY_PORT = ConfigOption("", "port", "port")
_ANY_RANGE = ConfigOption("", "range", "range")


def check_port(value: object) -> int:
    """One port: an int, or digits as text (a `string` option); raises ValueError(rule)."""
    try:
        return _ANY_PORT.parse(value).start
    except OptionError as err:
        raise ValueError(err.rule) from None


def check_port_range(value: object) -> str:
    """`<from>-<to>` (a single port is a range of one); returns the canonical text, raises ValueError(rule)."""
    try:
        port = _ANY_RANGE.parse(value)
    except OptionError as err:
        raise ValueError(err.rule) from None
    return f"{port.start}-{port.end}"


def check_option(option: ConfigOption, value: object) -> None:
    """Raise PortConfigError when `value` is not acceptable for a catalog config option."""
    option.parse(value)


# -- the models ----------------------------------------------------------------------------------


def config_error_message(error: ValidationError, model: type[BaseModel] | None = None) -> str:
    """A ValidationError as the one status line: the first problem, and how many more there are."""
    return str(_to_option_error(error, model))


def _to_option_error(error: ValidationError, model: type[BaseModel] | None) -> OptionError:
    problems = error.errors(include_url=False)
    first = problems[0]
    more = len(problems) - 1
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, OptionError):
        return OptionError(cause.option, cause.value, cause.rule, more=more) if more else cause
    loc = str(first["loc"][0]) if first["loc"] else "config"
    names: Mapping[str, str] = getattr(model, "_juju_names", {}) if model is not None else {}
    option = names.get(loc, loc)
    message = str(first["msg"]).removeprefix("Value error, ")
    return OptionError(option, first.get("input"), message, more=more)


class PortOptions(BaseModel):
    """Base of the option models: ignores unrelated options, and fails with one OptionError line.

    Construction is how ops' `load_config` builds it, so `__init__` is where a ValidationError turns
    into the one-line ValueError ops shows as the blocked status.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)
    # Python field name (and every alias) -> the Juju option name, for messages.
    _juju_names: ClassVar[dict[str, str]] = {}

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise _to_option_error(err, type(self)) from None


class NoPortOptions(PortOptions):
    """A catalog charm whose ports no config option moves."""


def _option(charm: str, name: str) -> ConfigOption:
    for option in Catalog.builtin().options_for(charm):
        if option.name == name:
            return option
    raise LookupError(f"the catalog has no option {name} for charm {charm}")


def option_validator(option: ConfigOption) -> BeforeValidator:
    """The catalog option's own parse, as a pydantic validator: the value comes out canonical."""

    def validate(value: object) -> object:
        return option.value_for(option.parse(value))

    return BeforeValidator(validate)


def option_field(option: ConfigOption) -> Any:
    """The option's Field: its catalog default, and both spellings config comes in.

    ops' load_config passes `client_port`, raw config `client-port`.
    """
    names = tuple(dict.fromkeys((option.name, option.name.replace("-", "_"))))
    return Field(
        default=option.default, validation_alias=AliasChoices(*names), description=option.description
    )


def _juju_names(model: type[PortOptions]) -> dict[str, str]:
    names: dict[str, str] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        choices = [c for c in alias.choices if isinstance(c, str)] if isinstance(alias, AliasChoices) else []
        juju = choices[0] if choices else name
        for choice in (name, *choices):
            names[choice] = juju
    return names


def _typed(charm: str, name: str) -> tuple[ConfigOption, BeforeValidator, Any]:
    option = _option(charm, name)
    return option, option_validator(option), option_field(option)


_AMS_PORT = _typed("ams", "port")
_AMS_PROMETHEUS = _typed("ams", "prometheus_target_port")
_AMS_RANGE = _typed("ams", "port_range")
_LXD_RANGE = _typed("ams-lxd", "exposed_instance_ports")
_NATS_PORT = _typed("nats", "client-port")
_GATEWAY_PROMETHEUS = _typed("anbox-stream-gateway", "prometheus_port")


class AmsConfig(PortOptions):
    """ams: `port` (HTTPS API), `prometheus_target_port`, `port_range` (instance service ports)."""

    port: Annotated[int, _AMS_PORT[1]] = _AMS_PORT[2]
    prometheus_target_port: Annotated[int, _AMS_PROMETHEUS[1]] = _AMS_PROMETHEUS[2]
    port_range: Annotated[str, _AMS_RANGE[1]] = _AMS_RANGE[2]


class AmsLxdConfig(PortOptions):
    """ams-lxd: `exposed_instance_ports`, the range of instance service ports (TCP and UDP)."""

    exposed_instance_ports: Annotated[str, _LXD_RANGE[1]] = _LXD_RANGE[2]


class NatsConfig(PortOptions):
    """nats: `client-port` (dashed in Juju, `client_port` in Python)."""

    client_port: Annotated[int, _NATS_PORT[1]] = _NATS_PORT[2]


class StreamGatewayConfig(PortOptions):
    """anbox-stream-gateway: `prometheus_port` (unset by default: no metrics port)."""

    prometheus_port: Annotated[int | None, _GATEWAY_PROMETHEUS[1]] = _GATEWAY_PROMETHEUS[2]


_TYPED: Mapping[str, type[PortOptions]] = {
    "ams": AmsConfig,
    "ams-lxd": AmsLxdConfig,
    "nats": NatsConfig,
    "anbox-stream-gateway": StreamGatewayConfig,
}
for _model_class in (NoPortOptions, *_TYPED.values()):
    _model_class._juju_names = _juju_names(_model_class)


@cache
def _derived(charm: str, options: tuple[ConfigOption, ...]) -> type[PortOptions]:
    """A model built from catalog options alone: for charms without a typed model above."""
    if not options:
        return NoPortOptions
    fields: dict[str, Any] = {}
    for option in options:
        kind: Any = int if option.kind == "port" else str
        annotated: Any = Annotated[
            kind if option.default is not None else kind | None, option_validator(option)
        ]
        fields[option.name.replace("-", "_")] = (annotated, option_field(option))
    title = "".join(part.title() for part in charm.replace("_", "-").split("-"))
    model: type[PortOptions] = pydantic.create_model(f"{title}Config", __base__=PortOptions, **fields)
    model._juju_names = _juju_names(model)
    return model


def config_model_for(
    service: str, profile: Literal["charmed", "appliance"] = "charmed", catalog: Catalog | None = None
) -> type[PortOptions]:
    """The option model of a catalog charm (NoPortOptions when no option holds its ports).

    The built-in charms get their typed models (AmsConfig, ...); a charm a catalog file adds, or a
    charm whose own options are bound to catalog rows, gets a model derived from its options.
    """
    catalog = catalog if catalog is not None else Catalog.builtin()
    if not catalog.knows(service, profile):
        known = ", ".join(catalog.charms(profile))
        raise ValueError(f"unknown {profile} service {service!r}: the catalog knows {known}")
    options = catalog.options_for(service, profile)
    typed = _TYPED.get(service)
    if typed is not None and {o.name for o in options} == set(typed._juju_names.values()):
        return typed
    return _derived(service, options)
