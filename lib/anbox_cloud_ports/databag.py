"""The `anbox_ports` relation's unit databag as data: encode it, decode it, and turn related units into a Deployment.

This module imports no ops, so the validator charm (through `charm.interface`) and the `anbox-ports`
CLI (through `sources.show_unit`) read relation data with the same code and the same limits.

Everything here follows the databag-model pattern of tls-certificates-interface and the haproxy libs:
read only this interface's own keys, turn every problem with one remote unit into one typed error
naming that unit, and never let a remote unit's data raise: a bad unit becomes a finding, and every
other unit is still checked.

The wire format (interfaces/anbox_ports/v1/README.md): every value is a string holding one JSON value
(Juju relation data is string to string; docs/juju-facts.md#relation-data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Json, ValidationError

from . import names
from .catalog import Profile
from .errors import InputError, PortRangeError
from .ports import PortRange
from .text import one_line, quote

VERSION = 1
"""The interface version this module writes and the highest it reads."""

KEYS: tuple[str, ...] = ("version", "service", "profile", "model", "machine", "claims")
"""The provider unit databag's v1 keys. Juju's own keys (ingress-address, egress-subnets,
private-address) and any key of a later version are never read."""

MAX_FIELD_CHARS = 256 * 1024
"""A v1 value longer than this is refused before any JSON parsing. A real service publishes a few
hundred characters; the largest valid claim list (MAX_CLAIMS claims with 64-character endpoint and
option names, and every optional field) is about 247,000, so the limit stops only floods, and parsing
what passes costs ~1 ms."""

MAX_CLAIMS = 1000
"""A unit may publish at most this many claims. The seed's largest service holds four."""

_MAX_MESSAGE = 400

# Conservative shapes: anything outside them cannot be a charm, endpoint, option or machine that a
# provider could legitimately name, and rejecting it keeps hostile text out of status lines and logs.
SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")
# Juju's endpoint grammar (docs/juju-facts.md#names), at most 64 characters; "" = all endpoints.
_ENDPOINT = re.compile(rf"(?:(?=[a-z0-9_-]{{1,64}}\Z){names.RELATION_SNIPPET})?")
_SOURCE = re.compile(r"default|extra|option:[a-z][a-z0-9_-]{0,63}")
# Juju machine ids: `0`, `0/lxd/1`, nested containers (juju/names `IsValidMachine`). Empty: the unit
# has no machine (a Kubernetes pod), so it is a host of its own.
_MACHINE = re.compile(r"(?:(?:0|[1-9][0-9]{0,9})(?:/[a-z]+/(?:0|[1-9][0-9]{0,9}))*)?")
_MODEL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Unit names are Juju's (names.is_unit, juju/names `IsValidUnit`), exactly: a unit Juju could not
# have named is this unit's problem here, never the whole input's (names.validate_names refuses
# a document that holds one). Cross-model units on the offering side are `remote-<hex>/N`.

PublishedOrigin = str
"""`default` (the catalog's port), `option:<name>` (a config option moved it), `extra` (a port the
charm holds that the catalog does not name)."""


# -- the wire models ------------------------------------------------------------------------------


def _bounded(value: object) -> object:
    """Refuse an oversized value before pydantic hands it to the JSON parser."""
    if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"{len(value)} characters long, more than the {MAX_FIELD_CHARS} allowed")
    return value


def _juju_port(value: str) -> str:
    try:
        PortRange.parse(value)
    except PortRangeError as err:
        raise ValueError(str(err)) from None
    return value


def _shaped(pattern: re.Pattern[str], what: str) -> AfterValidator:
    """A string check whose error quotes the (bounded) value and says what was expected, not a regex."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{quote(value, 40)} is not {what}")
        return value

    return AfterValidator(check)


def _known_version(value: int) -> int:
    if value < 1:
        raise ValueError(f"unknown anbox_ports version {value} (versions start at 1)")
    return value


class ClaimData(BaseModel):
    """One claim as it travels: four fields every v1 writer sets, and optional ones added since.

    Unknown fields are ignored, so a field added later (additive evolution: a new field is always
    optional) never makes an older reader refuse a newer writer. A misspelt required field
    (`endpiont`) is still refused, as the required one is then missing.
    """

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    port: Annotated[str, AfterValidator(_juju_port)] = Field(
        description="Juju's port syntax: 80/tcp, 10000-11000/udp or icmp (juju core/network/portrange.go).",
        examples=["8444/tcp"],
    )
    endpoint: Annotated[str, _shaped(_ENDPOINT, "an endpoint name")] = Field(
        description='The endpoint the port is opened for; "" means all endpoints (open-port without --endpoints).',
        examples=["", "api"],
    )
    exposed: bool = Field(description="Whether the catalog says the port is exposed externally.")
    source: Annotated[str, _shaped(_SOURCE, '"default", "extra" or "option:<name>"')] = Field(
        description='Why the unit needs it: "default", "option:<config option>" or "extra".',
        examples=["default", "option:port"],
    )
    held: bool | None = Field(
        default=None,
        description="Optional (since 0.2): true when the unit holds the port (opened, or opening in "
        "this hook), false while Juju refuses it or a move waits for the next hook. Absent: not said.",
        examples=[True, False],
    )
    moved_from: Annotated[str, AfterValidator(_juju_port)] | None = Field(
        default=None,
        description="Optional (since 0.2): the catalog port a config option moved this claim from, "
        "so a reader knows which catalog row it stands for whatever the option is called.",
        examples=["50000-51000/udp"],
    )


# A databag value: a string of at most MAX_FIELD_CHARS holding one JSON value of the inner type.
_Bounded = BeforeValidator(_bounded)


class ProviderUnitData(BaseModel):
    """The provider unit databag, v1. Unknown keys (Juju's own, a later version's) are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    version: Annotated[Json[Annotated[int, AfterValidator(_known_version)]], _Bounded] = Field(
        description="The highest interface version this unit writes; it always writes the v1 keys too.",
        examples=["1"],
    )
    service: Annotated[Json[Annotated[str, _shaped(SERVICE_NAME, "a charm name")]], _Bounded] = Field(
        description="The catalog charm name of the service (ams, coturn, ams-lxd, ...).", examples=['"ams"']
    )
    profile: Annotated[Json[Literal["charmed", "appliance"]], _Bounded] = Field(
        description="The catalog profile the claims follow.", examples=['"charmed"']
    )
    model: Annotated[Json[Annotated[str, _shaped(_MODEL_UUID, "a model uuid")]], _Bounded] = Field(
        description="JUJU_MODEL_UUID of the unit: a host is (model, machine).",
        examples=['"0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"'],
    )
    machine: Annotated[Json[Annotated[str, _shaped(_MACHINE, "a Juju machine id")]], _Bounded] = Field(
        description='JUJU_MACHINE_ID of the unit ("0", "0/lxd/1"); "" when the unit has no machine.',
        examples=['"0/lxd/1"'],
    )
    claims: Annotated[Json[Annotated[list[ClaimData], Field(max_length=MAX_CLAIMS)]], _Bounded] = Field(
        description="Every port the unit holds.",
        examples=['[{"endpoint": "", "exposed": false, "port": "8444/tcp", "source": "default"}]'],
    )


# -- values the rest of the library uses ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedClaim:
    """A port a provider unit needs, as it publishes it (and as the requirer reads it back).

    What a unit publishes is what it *needs*: a port Juju refused (another unit holds it) is
    exactly what a validator must see to name the conflict. `held` says whether the unit has it
    (None: the provider did not say); `moved_from` is the catalog port an option moved it from.
    """

    port: PortRange
    endpoint: str = ""
    exposed: bool = False
    origin: PublishedOrigin = "default"
    held: bool | None = None
    moved_from: PortRange | None = None

    def sort_key(self) -> tuple[PortRange, str, bool, str, int, str]:
        """A total order (None sorts before False and True), so the encoding is canonical."""
        held = -1 if self.held is None else int(self.held)
        return (self.port, self.endpoint, self.exposed, self.origin, held, str(self.moved_from or ""))

    def __lt__(self, other: PublishedClaim) -> bool:
        return self.sort_key() < other.sort_key()

    @property
    def option(self) -> str | None:
        """The config option that moved this port, if any."""
        return self.origin.removeprefix("option:") if self.origin.startswith("option:") else None


@dataclass(frozen=True, slots=True)
class DecodedUnit:
    """One remote unit's databag, validated."""

    unit: str
    app: str
    version: int
    service: str
    profile: Profile
    model: str
    machine: str
    claims: tuple[PublishedClaim, ...]


class UnitDataError(InputError):
    """One remote unit's databag cannot be used; `str()` is one line naming the unit and the problem.

    `missing` is true when the unit has written none of the interface's keys yet: normal for a moment
    after it joins, so the requirer reports it more gently than data that is present but wrong.
    """

    def __init__(self, unit: str, problem: str, *, missing: bool = False):
        # A name that is not a unit name is hostile or broken input: kept quoted and bounded, so a
        # finding built from it cannot carry a megabyte or a newline into a report.
        self.unit = unit if names.is_unit(unit) else quote(unit, 40)
        self.missing = missing
        super().__init__(f"unit {self.unit}", one_line(problem, _MAX_MESSAGE))


RelatedUnit = tuple[str, str, Mapping[str, str] | UnitDataError]
"""(unit name, application name, its databag) as a requirer sees it; a databag that could not even be
read is passed as the UnitDataError saying why."""


# -- encode / decode ------------------------------------------------------------------------------


def encode_provider(
    service: str, profile: Profile, model: str, machine: str, claims: Iterable[PublishedClaim]
) -> dict[str, str]:
    """The provider unit databag for these claims, canonical so that unchanged claims encode identically.

    Claims are deduplicated and sorted, and keys are written in one order, so a provider can compare
    before writing and leave the databag alone in steady state (no relation-changed storm).
    Raises ValueError when the result would not decode: a provider must never publish what its
    requirer will refuse.
    """
    unique = sorted(set(claims), key=PublishedClaim.sort_key)
    payload = [_claim_payload(c) for c in unique]
    data = {
        "version": json.dumps(VERSION),
        "service": json.dumps(service),
        "profile": json.dumps(profile),
        "model": json.dumps(model),
        "machine": json.dumps(machine),
        "claims": json.dumps(payload, separators=(",", ":"), sort_keys=True),
    }
    problem = _validate(data)
    if isinstance(problem, str):
        raise ValueError(f"cannot publish anbox_ports data: {problem}")
    return data


def _claim_payload(claim: PublishedClaim) -> dict[str, object]:
    """One claim's JSON object; the optional fields only when known, so a v1 reader sees v1 claims."""
    payload: dict[str, object] = {
        "endpoint": claim.endpoint,
        "exposed": claim.exposed,
        "port": str(claim.port),
        "source": claim.origin,
    }
    if claim.held is not None:
        payload["held"] = claim.held
    if claim.moved_from is not None:
        payload["moved_from"] = str(claim.moved_from)
    return payload


def decode_unit(unit_name: str, databag: Mapping[str, str], *, app: str) -> DecodedUnit | UnitDataError:
    """One related unit's databag, or the one typed error that says what is wrong with it. Never raises."""
    if not isinstance(unit_name, str) or not names.is_unit(unit_name):
        return UnitDataError(str(unit_name), "not a Juju unit name")
    if not isinstance(databag, Mapping):
        return UnitDataError(unit_name, f"relation data is a {type(databag).__name__}, not a mapping")
    ours: dict[str, object] = {key: databag[key] for key in KEYS if key in databag}
    if not ours:
        return UnitDataError(unit_name, "has published no anbox_ports data yet", missing=True)
    for key, value in ours.items():
        if not isinstance(value, str):
            return UnitDataError(
                unit_name, f"{key}: holds a value of type {type(value).__name__}, not a string"
            )
    missing = [key for key in KEYS if key not in ours]
    if missing:
        return UnitDataError(unit_name, _missing_message(missing, cast(dict[str, str], ours)))
    claims = cast(str, ours["claims"])
    # Each claim is one JSON object, v1 claims nest none and valid claims hold no braces in their
    # strings, so counting braces bounds the claim count without parsing anything.
    if len(claims) <= MAX_FIELD_CHARS and claims.count("{") > MAX_CLAIMS:
        return UnitDataError(unit_name, f"claims: more than the {MAX_CLAIMS} claims allowed")
    model = _validate(ours)
    if isinstance(model, str):
        return UnitDataError(unit_name, model)
    return DecodedUnit(
        unit=unit_name,
        app=app,
        version=model.version,
        service=model.service,
        profile=model.profile,
        model=model.model,
        machine=model.machine,
        claims=tuple(
            PublishedClaim(
                PortRange.parse(c.port),
                c.endpoint,
                c.exposed,
                c.source,
                c.held,
                PortRange.parse(c.moved_from) if c.moved_from is not None else None,
            )
            for c in model.claims
        ),
    )


def _validate(data: Mapping[str, object]) -> ProviderUnitData | str:
    try:
        return ProviderUnitData.model_validate(data)
    except ValidationError as err:
        return _describe(err)
    except (ValueError, RecursionError) as err:  # a parser limit (digits, depth), not a schema error
        return f"cannot be parsed ({type(err).__name__})"


def _describe(err: ValidationError) -> str:
    """pydantic's errors as one line, without echoing the (possibly huge) input."""
    parts: list[str] = []
    for error in err.errors(include_input=False, include_url=False):
        where = ""
        for loc in error["loc"]:
            where += f"[{loc}]" if isinstance(loc, int) else (f".{loc}" if where else str(loc))
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    shown = "; ".join(parts[:2])
    if len(parts) > 2:
        shown += f" (and {len(parts) - 2} more)"
    return shown


def _missing_message(missing: list[str], ours: dict[str, str]) -> str:
    message = f"missing {', '.join(missing)}"
    raw = ours.get("version", "")
    version = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if version is not None and version > VERSION:
        message += (
            f" (it writes anbox_ports version {version} without the version {VERSION} keys this reader knows)"
        )
    return message


__all__ = [
    "KEYS",
    "MAX_CLAIMS",
    "MAX_FIELD_CHARS",
    "VERSION",
    "ClaimData",
    "DecodedUnit",
    "ProviderUnitData",
    "PublishedClaim",
    "RelatedUnit",
    "UnitDataError",
    "decode_unit",
    "encode_provider",
]
