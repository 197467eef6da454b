"""The `anbox_ports` relation's unit databag as data: encode it, decode it, and turn related units into a Deployment.

This module imports no ops, so the validator charm (through `charm.interface`) and the `anbox-ports`
CLI (through `sources.show_unit`) read relation data with the same code and the same limits.

Everything here follows the databag-model pattern of tls-certificates-interface and the haproxy libs:
read only this interface's own keys, turn every problem with one remote unit into one typed error
naming that unit, and never let a remote unit's data raise: a bad unit becomes a finding, and every
other unit is still checked.

The wire format (interfaces/anbox_ports/v1/README.md): every value is a string holding one JSON value
(Juju relation data is string to string; DESIGN fact 10).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Json, ValidationError

from .catalog import Catalog, CatalogRow, Profile
from .deployment import Application, Claim, Deployment, Host, Unit, unit_sort_key
from .errors import InputError, PortRangeError
from .findings import Finding, Location
from .ports import PortRange

VERSION = 1
"""The interface version this module writes and the highest it reads."""

KEYS: tuple[str, ...] = ("version", "service", "profile", "model", "machine", "claims")
"""The provider unit databag's v1 keys. Juju's own keys (ingress-address, egress-subnets,
private-address) and any key of a later version are never read."""

MAX_FIELD_CHARS = 256 * 1024
"""A v1 value longer than this is refused before any JSON parsing. A real service publishes a few
hundred characters; the largest valid claim list (MAX_CLAIMS claims with 64-character endpoint and
option names) is about 200,000, so the limit stops only floods, and parsing what passes costs ~1 ms."""

MAX_CLAIMS = 1000
"""A unit may publish at most this many claims. The seed's largest service holds four."""

_MAX_MESSAGE = 400

# Conservative shapes: anything outside them cannot be a charm, endpoint, option or machine that a
# provider could legitimately name, and rejecting it keeps hostile text out of status lines and logs.
_SERVICE = re.compile(r"[a-z][a-z0-9-]{0,63}")
_ENDPOINT = re.compile(r"(?:[a-z][a-z0-9_-]{0,63})?")
_SOURCE = re.compile(r"default|extra|option:[a-z][a-z0-9_-]{0,63}")
# Juju machine ids: `0`, `0/lxd/1`, nested containers (juju/names `IsValidMachine`). Empty: the unit
# has no machine (a Kubernetes pod), so it is a host of its own.
_MACHINE = re.compile(r"(?:(?:0|[1-9][0-9]{0,9})(?:/[a-z]+/(?:0|[1-9][0-9]{0,9}))*)?")
_MODEL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Juju unit names (juju/names `IsValidUnit`); cross-model units on the offering side are
# `remote-<hex>/N`, which this shape admits too.
_UNIT_NAME = re.compile(r"[a-z][a-z0-9-]{0,127}/(?:0|[1-9][0-9]{0,9})")

ClaimOrigin = str
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
            raise ValueError(f"{_show(value)} is not {what}")
        return value

    return AfterValidator(check)


def _known_version(value: int) -> int:
    if value < 1:
        raise ValueError(f"unknown anbox_ports version {value} (versions start at 1)")
    return value


class ClaimData(BaseModel):
    """One claim as it travels: exactly these four fields (a new field is a new interface version)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

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
        description='Why the unit holds it: "default", "option:<config option>" or "extra".',
        examples=["default", "option:port"],
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
    service: Annotated[Json[Annotated[str, _shaped(_SERVICE, "a charm name")]], _Bounded] = Field(
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


@dataclass(frozen=True, order=True, slots=True)
class PublishedClaim:
    """A port a provider unit holds, as it publishes it (and as the requirer reads it back)."""

    port: PortRange
    endpoint: str = ""
    exposed: bool = False
    source: ClaimOrigin = "default"

    @property
    def option(self) -> str | None:
        """The config option that moved this port, if any."""
        return self.source.removeprefix("option:") if self.source.startswith("option:") else None


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
        self.unit = unit if _UNIT_NAME.fullmatch(unit) else _show(unit)
        self.missing = missing
        super().__init__(f"unit {self.unit}", _one_line(problem))


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
    unique = sorted(set(claims))
    payload = [
        {"endpoint": c.endpoint, "exposed": c.exposed, "port": str(c.port), "source": c.source}
        for c in unique
    ]
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


def decode_unit(unit_name: str, databag: Mapping[str, str], *, app: str) -> DecodedUnit | UnitDataError:
    """One related unit's databag, or the one typed error that says what is wrong with it. Never raises."""
    if not isinstance(unit_name, str) or not _UNIT_NAME.fullmatch(unit_name):
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
    # Each claim is one JSON object and valid claims hold no braces in their strings, so counting
    # braces bounds the claim count without parsing anything.
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
            PublishedClaim(PortRange.parse(c.port), c.endpoint, c.exposed, c.source) for c in model.claims
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


# -- related units -> Deployment ------------------------------------------------------------------

RelatedUnit = tuple[str, str, Mapping[str, str] | UnitDataError]
"""(unit name, application name, its databag) as a requirer sees it; a databag that could not even be
read is passed as the UnitDataError saying why."""


def deployment_from_units(
    units: Iterable[RelatedUnit],
    *,
    source: str,
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    file: str | None = None,
) -> Deployment:
    """The Deployment the related units' databags describe.

    Every good unit becomes a Unit on Host(machine, model) with its claims (source "relation",
    observed: the provider publishes what it holds). Every bad unit becomes one `invalid-port`
    finding in `problems` and the rest are still checked. A unit named twice is read once. Relation
    data cannot say whether an application is exposed, so `exposure_known` is false and every
    Application is unexposed as far as this source knows.
    `file` is the document the data came from (a show-unit dump), so findings can point at it.

    Host.model is the shortest prefix (8 characters at least) of the model uuid that tells the
    deployment's models apart: unique within the deployment by construction, readable in a status
    line, and still the uuid's own characters, so an operator can match it against `juju models --uuid`.
    """
    catalog = catalog if catalog is not None else Catalog.builtin()
    location = Location(file) if file else None
    decoded: list[DecodedUnit] = []
    problems: list[Finding] = []
    seen: set[str] = set()
    for unit_name, app, databag in units:
        if unit_name in seen:
            continue
        seen.add(unit_name)
        result = databag if isinstance(databag, UnitDataError) else decode_unit(unit_name, databag, app=app)
        if isinstance(result, UnitDataError):
            problems.append(_problem(result, app, location))
        else:
            decoded.append(result)

    labels = model_labels(u.model for u in decoded)
    applications: dict[str, Application] = {}
    unit_list: list[Unit] = []
    claims: list[Claim] = []
    unchecked: dict[str, None] = {}
    for du in sorted(decoded, key=lambda u: unit_sort_key(u.unit)):
        applications.setdefault(du.app, Application(du.app, du.service, location=location))
        host = Host(du.machine or du.unit, labels[du.model])
        unit_list.append(Unit(du.unit, du.app, du.service, host, location=location))
        if not catalog.knows(du.service, profile):
            unchecked.setdefault(du.app, None)
        if du.profile != profile:
            problems.append(
                Finding(
                    "invalid-port",
                    "warning",
                    f"unit {du.unit} publishes its ports for the {du.profile} profile; they are checked "
                    f"against the {profile} catalog",
                    hosts=(host,),
                    units=(du.unit,),
                    fix=f"check with --profile {du.profile}, or set the {du.app} charm's profile to {profile}",
                    location=location,
                )
            )
        for pc in du.claims:
            claims.append(
                Claim(
                    unit=du.unit,
                    port=pc.port,
                    endpoint=pc.endpoint,
                    source="relation",
                    option=pc.option,
                    row=_row(catalog, du.service, pc, profile),
                    location=location,
                )
            )
    return Deployment(
        input=source,
        applications=applications,
        units=tuple(unit_list),
        claims=tuple(claims),
        profile=profile,
        observed=True,
        problems=tuple(problems),
        unchecked=tuple(unchecked),
        exposure_known=False,
    )


def model_labels(models: Iterable[str]) -> dict[str, str]:
    """Each model uuid's shortest prefix, 8 characters at least, that no other uuid here shares.

    With a single model there is nothing to tell apart: the label is empty, so hosts read as Juju
    shows them in that model's status ("machine 0").
    """
    uuids = sorted(set(models))
    if len(uuids) == 1:
        return {uuids[0]: ""}
    labels: dict[str, str] = {}
    for i, uuid in enumerate(uuids):
        length = 8
        for other in (uuids[i - 1] if i else None, uuids[i + 1] if i + 1 < len(uuids) else None):
            if other is not None:
                common = next(
                    (n for n, (a, b) in enumerate(zip(uuid, other, strict=False)) if a != b), len(uuid)
                )
                length = max(length, common + 1)
        labels[uuid] = uuid[:length]
    return labels


def _row(catalog: Catalog, service: str, claim: PublishedClaim, profile: Profile) -> CatalogRow | None:
    """The catalog row a claim realises: the row its option moves, or the row whose default it is."""
    option = claim.option
    if option is not None:
        for row in catalog.for_charm(service, profile):
            row_option = row.option_for(service)
            if (
                row_option is not None
                and row_option.name == option
                and claim.port.protocol in {c.protocol for c in row.claims}
            ):
                return row
    return catalog.row_for(service, claim.port, profile)


def _problem(err: UnitDataError, app: str, location: Location | None) -> Finding:
    app = app if _SERVICE.fullmatch(app) else "its application"
    if err.missing:
        return Finding(
            "invalid-port",
            "warning",
            f"{err}: its ports are not checked",
            units=(err.unit,),
            fix=f"wait for {err.unit} to publish; if it never does, its charm does not implement anbox_ports v1",
            location=location,
        )
    return Finding(
        "invalid-port",
        "error",
        str(err),
        units=(err.unit,),
        fix=f"upgrade the charm of {app} to one that publishes valid anbox_ports v1 data, or remove the relation",
        location=location,
    )


# -- bounded, single-line text --------------------------------------------------------------------


def _show(text: object) -> str:
    """Quote outside text for a message: bounded, escaped, one line."""
    shown = text if isinstance(text, str) else repr(text)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return json.dumps(shown)


def _one_line(message: str) -> str:
    message = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in message
    )
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


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
    "deployment_from_units",
    "encode_provider",
    "model_labels",
]
