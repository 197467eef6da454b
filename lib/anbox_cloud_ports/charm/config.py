"""The port-moving config options of the catalog's charms, as pydantic models a charm loads with ops.

Every invalid value becomes ONE line naming the option, the value and the rule, e.g.
`port=70000: must be a port number 1-65535`, whether it comes from `self.load_config(Model,
errors="blocked")` (ops prefixes it with "Invalid config: ") or from `ServicePorts`, which checks the same
options with the same rules before opening anything.

    config = self.load_config(config_model_for("nats"), errors="blocked")
    config.client_port  # 4222 unless the operator moved it

Defaults come from the catalog (the seed's ports), so a model never disagrees with the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..catalog import Catalog, ConfigOption
from ..errors import AnboxPortsError, PortRangeError
from ..ports import parse_port_option, parse_range_option

__all__ = [
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

PORT_RULE = "must be a port number 1-65535"
SINGLE_PORT_RULE = "must be a single port 1-65535, not a range"
RANGE_RULE = "must be a port range <from>-<to> of ports 1-65535, e.g. 10000-11000"
RANGE_ORDER_RULE = "must be a port range <from>-<to> with <from> not above <to>"
_LOOKS_LIKE_RANGE = re.compile(r"\s*\d+\s*-\s*\d+\s*(?:/\s*[A-Za-z]*)?\s*")


class PortConfigError(AnboxPortsError, ValueError):
    """An invalid port option; `str()` is the one status line (`option=value: rule`).

    A ValueError so `CharmBase.load_config(..., errors="blocked")` turns it into a BlockedStatus as is
    (ops charm.py `load_config` catches ValueError and uses `str(e)`).
    """

    def __init__(self, option: str, value: object, rule: str, *, more: int = 0):
        self.option = option
        self.value = value
        self.rule = rule
        line = f"{option}={_show(value)}: {rule}"
        if more:
            line += f" (and {more} more invalid option{'s' if more > 1 else ''})"
        super().__init__(line)


def _show(value: object) -> str:
    """The value as the operator typed it: numbers bare, text quoted and bounded (a status is one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return json.dumps(text)


# -- the rules -----------------------------------------------------------------------------------


def check_port(value: object) -> int:
    """One port: an int, or digits as text (a `string` option); raises ValueError(rule)."""
    if isinstance(value, str) and _LOOKS_LIKE_RANGE.fullmatch(value):
        raise ValueError(SINGLE_PORT_RULE)
    try:
        return parse_port_option(value).start
    except PortRangeError:
        raise ValueError(PORT_RULE) from None


def check_port_range(value: object) -> str:
    """`<from>-<to>` (a single port is a range of one); returns the canonical text, raises ValueError(rule)."""
    try:
        port = parse_range_option(value)
    except PortRangeError as err:
        raise ValueError(
            RANGE_ORDER_RULE if "start is greater than end" in str(err) else RANGE_RULE
        ) from None
    return f"{port.start}-{port.end}"


def check_option(option: ConfigOption, value: object) -> None:
    """Raise PortConfigError when `value` is not acceptable for a catalog config option."""
    rule: Callable[[object], object] = check_port if option.kind == "port" else check_port_range
    try:
        rule(value)
    except ValueError as err:
        raise PortConfigError(option.name, value, str(err)) from None


Port = Annotated[int, BeforeValidator(check_port)]
PortRangeText = Annotated[str, BeforeValidator(check_port_range)]


# -- the models ----------------------------------------------------------------------------------


def config_error_message(error: ValidationError, model: type[BaseModel] | None = None) -> str:
    """A ValidationError as the one status line: the first problem, and how many more there are."""
    return str(_to_port_config_error(error, model))


def _to_port_config_error(error: ValidationError, model: type[BaseModel] | None) -> PortConfigError:
    problems = error.errors(include_url=False)
    first = problems[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, PortConfigError):
        # model_validate runs the custom __init__ (pydantic: custom init), which already made the line.
        return cause
    loc = str(first["loc"][0]) if first["loc"] else "config"
    names: Mapping[str, str] = getattr(model, "_juju_names", {}) if model is not None else {}
    option = names.get(loc, loc)
    message = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    return PortConfigError(option, value, message, more=len(problems) - 1)


class PortOptions(BaseModel):
    """Base of the option models: ignores unrelated options, and fails with one PortConfigError line.

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
            raise _to_port_config_error(err, type(self)) from None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        names: dict[str, str] = {}
        for name, field in cls.model_fields.items():
            juju = name
            alias = field.validation_alias
            if isinstance(alias, AliasChoices) and alias.choices and isinstance(alias.choices[0], str):
                juju = alias.choices[0]
                for choice in alias.choices:
                    if isinstance(choice, str):
                        names[choice] = juju
            names[name] = juju
        cls._juju_names = names


def _default(charm: str, option: str) -> Any:
    """The catalog's port for the row an option moves: the model's default is the seed's value."""
    for row in Catalog.builtin().profile("charmed"):
        found = row.option_for(charm)
        if found is not None and found.name == option:
            claim = row.claims[0]
            return claim.start if found.kind == "port" else f"{claim.start}-{claim.end}"
    raise LookupError(f"the catalog has no option {option} for charm {charm}")


def _dashed(name: str) -> Any:
    """A field for a dashed Juju option: ops' load_config passes it underscored, raw config dashed."""
    return AliasChoices(name, name.replace("-", "_"))


class NoPortOptions(PortOptions):
    """A catalog charm whose ports no config option moves."""


class AmsConfig(PortOptions):
    """ams: `port` (HTTPS API), `prometheus_target_port`, `port_range` (instance service ports)."""

    port: Port = Field(default_factory=lambda: _default("ams", "port"))
    prometheus_target_port: Port = Field(default_factory=lambda: _default("ams", "prometheus_target_port"))
    # DESIGN fact 11: ams `port_range` ("10000-11000"); it moves no seed row, it is validated alike.
    port_range: PortRangeText = "10000-11000"


class AmsLxdConfig(PortOptions):
    """ams-lxd: `exposed_instance_ports`, the range of instance service ports (TCP and UDP)."""

    exposed_instance_ports: PortRangeText = Field(
        default_factory=lambda: _default("ams-lxd", "exposed_instance_ports")
    )


class NatsConfig(PortOptions):
    """nats: `client-port` (dashed in Juju, `client_port` in Python)."""

    client_port: Port = Field(
        default_factory=lambda: _default("nats", "client-port"), validation_alias=_dashed("client-port")
    )


class StreamGatewayConfig(PortOptions):
    """anbox-stream-gateway: `prometheus_port` (DESIGN fact 11; the seed has no row for it, so no default)."""

    prometheus_port: Port | None = None


_MODELS: Mapping[str, type[PortOptions]] = {
    "ams": AmsConfig,
    "ams-lxd": AmsLxdConfig,
    "nats": NatsConfig,
    "anbox-stream-gateway": StreamGatewayConfig,
}


def config_model_for(service: str, profile: Literal["charmed", "appliance"] = "charmed") -> type[PortOptions]:
    """The option model of a catalog charm (NoPortOptions when nothing moves its ports)."""
    catalog = Catalog.builtin()
    if not catalog.knows(service, profile):
        known = ", ".join(catalog.charms(profile))
        raise ValueError(f"unknown {profile} service {service!r}: the catalog knows {known}")
    if profile != "charmed":
        return NoPortOptions
    return _MODELS.get(service, NoPortOptions)
