"""Databag schemas of `anbox_ports` v1: the specification, importable with pydantic alone.

Models follow charmlibs' names (`ProviderUnitData`, `ProviderAppData`, `RequirerUnitData`,
`RequirerAppData`); `ProviderSchema` and `RequirerSchema` wrap them for pytest-interface-tester.
Nothing here imports the anbox_cloud_ports library: the library's own decoder
(`anbox_cloud_ports.databag`) is a second implementation, and its test suite checks that the two
accept and refuse the same databags. Examples and rules are in README.md.

    ProviderSchema:
        unit: version, service, profile, model, machine, claims (each a string holding one JSON value)
        app:  <empty>
    RequirerSchema:
        unit: <empty> (Juju's own keys only)
        app:  <empty>
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from interface_tester.schema_base import DataBagSchema
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Json

MAX_FIELD_CHARS = 256 * 1024
"""A value longer than this is refused before it is parsed."""

MAX_CLAIMS = 1000
"""A unit publishes at most this many claims."""

# Juju's port syntax, read as juju core/network/portrange.go `ParsePortRange` and `Validate` read it:
# split at the first `/` (none: tcp); the port part is `icmp` or one or two Go `strconv.Atoi` numbers
# joined by `-`; `icmp` makes the protocol icmp whatever follows the `/`; the protocol is checked
# case-insensitively; bounds 0-65535, <from> not above <to>. Writers write the canonical form
# (`80/tcp`, `10000-11000/udp`, `icmp`); readers accept what Juju accepts.
_ATOI = re.compile(r"[+-]?[0-9]+")
_MAX_PORT_TEXT = 32
_SERVICE = re.compile(r"[a-z][a-z0-9-]{0,63}")
_ENDPOINT = re.compile(r"(?:[a-z][a-z0-9_-]{0,63})?")
_SOURCE = re.compile(r"default|extra|option:[a-z][a-z0-9_-]{0,63}")
_MACHINE = re.compile(r"(?:(?:0|[1-9][0-9]{0,9})(?:/[a-z]+/(?:0|[1-9][0-9]{0,9}))*)?")
_MODEL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _port(value: str) -> str:
    if len(value) > _MAX_PORT_TEXT:
        raise ValueError("too long to be a port range")
    ports, slash, protocol = value.partition("/")
    pieces = ports.split("-")
    if pieces == ["icmp"]:
        return value
    if len(pieces) > 2 or not all(_ATOI.fullmatch(piece) for piece in pieces):
        raise ValueError(f"{value!r} is not a port range like 80/tcp, 10000-11000/udp or icmp")
    start, end = int(pieces[0]), int(pieces[-1])
    if (protocol.lower() if slash else "tcp") not in ("tcp", "udp"):
        raise ValueError(f"{value!r} names no protocol Juju knows with ports (tcp or udp)")
    if not 0 <= start <= end <= 65535:
        raise ValueError(f"{value!r} is not a range of ports 0-65535 with <from> not above <to>")
    return value


def _shaped(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"not {what}")
        return value

    return AfterValidator(check)


def _bounded(value: object) -> object:
    if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"longer than {MAX_FIELD_CHARS} characters")
    return value


def _version(value: int) -> int:
    if value < 1:
        raise ValueError("versions start at 1")
    return value


_Bounded = BeforeValidator(_bounded)
Port = Annotated[str, AfterValidator(_port)]


class Claim(BaseModel):
    """One port the unit needs. Unknown fields are ignored: later fields are additive."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    port: Port = Field(description="Juju's port syntax.", examples=["8444/tcp", "10000-11000/udp", "icmp"])
    endpoint: Annotated[str, _shaped(_ENDPOINT, "an endpoint name")] = Field(
        description='The endpoint it is opened for; "" means all endpoints.', examples=["", "public"]
    )
    exposed: bool = Field(description="Whether the catalog marks the port exposed externally.")
    source: Annotated[str, _shaped(_SOURCE, '"default", "extra" or "option:<name>"')] = Field(
        description="Why the unit needs it.", examples=["default", "option:port", "extra"]
    )
    held: bool | None = Field(
        default=None,
        description="Optional: whether the unit holds it now (false: Juju refused it, or a move "
        "finishes next hook). Absent: the provider does not say.",
    )
    moved_from: Port | None = Field(
        default=None,
        description="Optional: the catalog port a config option moved this claim from.",
        examples=["50000-51000/udp"],
    )


class ProviderUnitData(BaseModel):
    """An Anbox service unit's databag. Juju's own keys and any later version's are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    version: Annotated[Json[Annotated[int, AfterValidator(_version)]], _Bounded] = Field(
        description="The highest interface version the unit writes.", examples=["1"]
    )
    service: Annotated[Json[Annotated[str, _shaped(_SERVICE, "a charm name")]], _Bounded] = Field(
        description="The catalog charm name of the service.", examples=['"ams"', '"coturn"']
    )
    profile: Annotated[Json[Literal["charmed", "appliance"]], _Bounded] = Field(
        description="The catalog table the claims follow.", examples=['"charmed"']
    )
    model: Annotated[Json[Annotated[str, _shaped(_MODEL_UUID, "a model uuid")]], _Bounded] = Field(
        description="JUJU_MODEL_UUID of the unit.", examples=['"0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"']
    )
    machine: Annotated[Json[Annotated[str, _shaped(_MACHINE, "a Juju machine id")]], _Bounded] = Field(
        description='JUJU_MACHINE_ID of the unit; "" without a machine.', examples=['"0/lxd/1"']
    )
    claims: Annotated[Json[Annotated[list[Claim], Field(max_length=MAX_CLAIMS)]], _Bounded] = Field(
        description="Every port the unit needs.",
        examples=['[{"endpoint":"","exposed":false,"held":true,"port":"8444/tcp","source":"default"}]'],
    )


class Empty(BaseModel):
    """A databag this side never writes."""

    model_config = ConfigDict(extra="forbid")


class JujuOnly(BaseModel):
    """A unit databag holding only what Juju itself writes into every unit databag."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ingress_address: str | None = Field(default=None, alias="ingress-address")
    egress_subnets: str | None = Field(default=None, alias="egress-subnets")
    private_address: str | None = Field(default=None, alias="private-address")


ProviderAppData = Empty
RequirerUnitData = JujuOnly
RequirerAppData = Empty


class ProviderSchema(DataBagSchema):
    """An Anbox service unit publishes the ports it needs in its unit databag, and nothing at app level."""

    unit: ProviderUnitData  # pyright: ignore[reportIncompatibleVariableOverride, reportGeneralTypeIssues]
    app: ProviderAppData | None = None  # pyright: ignore[reportIncompatibleVariableOverride]


class RequirerSchema(DataBagSchema):
    """The validator only reads: a v1 provider needs nothing from it (see README.md, Versioning)."""

    unit: RequirerUnitData | None = None  # pyright: ignore[reportIncompatibleVariableOverride]
    app: RequirerAppData | None = None  # pyright: ignore[reportIncompatibleVariableOverride]
