"""The ports a deployed application's units will claim, from its charm's catalog rows and its options.

Bundles and Terraform plans say what is deployed, not what is open: the claims are what the charm
will open, as the catalog says, moved by the options that move them (`ConfigOption`), or listed by an
option that names every port (`ServiceList`: haproxy's `services`). One function for every source
that reads intentions, so a bundle and a plan with the same options claim the same ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..catalog import Catalog, CatalogRow, ConfigOption, Profile, ServiceList
from ..errors import InputError, OptionError, PortRangeError, show_value
from ..model import Claim, ClaimOrigin, Location, Problem, Unit
from ..ports import PortRange, Protocol, parse_port_option
from ..text import plain, quote
from . import yamlload


@dataclass(frozen=True)
class AppOptions:
    """An application's charm and option values, and how a message names them.

    `name_option` is how a fix names where an option is set (`applications.ams.options.port` in a
    bundle, `the config of module.x.juju_application.ams: port` in a plan); `locations` is each
    option's line.
    """

    application: str
    charm: str
    values: Mapping[str, object]
    name_option: Callable[[str], str]
    location: Location | None = None
    locations: Mapping[str, Location] = field(default_factory=dict[str, Location])


def option_claims(
    app: AppOptions, units: Sequence[Unit], catalog: Catalog, profile: Profile, problems: list[Problem]
) -> Iterator[Claim]:
    """Every unit's claims for its charm; a value that cannot be a port becomes a Problem, not a stop."""
    facts = catalog.facts(app.charm, profile)
    services = facts.services if facts is not None else None
    if services is not None and app.values.get(services.name) is not None:
        yield from _service_claims(
            app, services, units=units, catalog=catalog, profile=profile, problems=problems
        )
        return
    for row in catalog.for_charm(app.charm, profile):
        yield from _row_claims(app, row, units, problems)


def _row_claims(
    app: AppOptions, row: CatalogRow, units: Sequence[Unit], problems: list[Problem]
) -> Iterator[Claim]:
    """A row's claims, moved by the charm's option for it when one is set to a non-default value."""
    try:
        moved = row.claims_for(app.charm, app.values)
    except OptionError as err:
        option = row.option_for(app.charm)
        assert option is not None  # noqa: S101 - only an option's value can be invalid
        problems.append(_invalid_option(app, option, err, row.ports, units))
        moved = [(port, None) for port in row.claims]
    for port, option_name in moved:
        location = app.locations.get(option_name, app.location) if option_name else app.location
        origin: ClaimOrigin = "config" if option_name else "catalog"
        for unit in units:
            yield Claim(unit.key, port, "", origin, option_name, row, location)


def _invalid_option(
    app: AppOptions, option: ConfigOption, err: OptionError, default: str, units: Sequence[Unit]
) -> Problem:
    allowed = option.rule.removeprefix("must be ")
    return Problem(
        message=(
            f"application {plain(app.application)}: {plain(str(err), 200)}; "
            f"checking with the catalog default {default} instead"
        ),
        fix=f"set {app.name_option(option.name)} to {allowed} (the catalog default is {default})",
        units=tuple(unit.key for unit in units),
        location=app.locations.get(option.name, app.location),
    )


def _service_claims(
    app: AppOptions,
    services: ServiceList,
    *,
    units: Sequence[Unit],
    catalog: Catalog,
    profile: Profile,
    problems: list[Problem],
) -> Iterator[Claim]:
    """The ports a ServiceList option names, each matched to the charm's catalog row where one lists it.

    A port no row lists keeps `row=None`: `unlisted-port-exposed` asks whether it reaches the world.
    """
    location = app.locations.get(services.name, app.location)
    ports = _service_ports(app, services=services, units=units, problems=problems, location=location)
    if ports is None:
        for row in catalog.for_charm(app.charm, profile):
            yield from _row_claims(app, row, units, problems)
        return
    for port, option in ports:
        row = catalog.row_for(app.charm, port, profile)
        for unit in units:
            yield Claim(unit.key, port, "", "config", option, row, app.locations.get(option, location))


def _service_ports(
    app: AppOptions,
    *,
    services: ServiceList,
    units: Sequence[Unit],
    problems: list[Problem],
    location: Location | None,
) -> list[tuple[PortRange, str]] | None:
    """(port, option) per service entry, plus the switched-on extra port; None if the value is unusable."""
    value = app.values.get(services.name)
    entries = _entries(value, services, app)
    keys = tuple(unit.key for unit in units)
    if isinstance(entries, str):
        problems.append(
            Problem(
                message=f"application {plain(app.application)}: option {services.name} {entries}; checking with the catalog's ports instead",
                fix=f"set {app.name_option(services.name)} to a YAML list of services, each with a {services.port_key}",
                units=keys,
                location=location,
            )
        )
        return None
    ports: list[tuple[PortRange, str]] = []
    for index, entry in enumerate(entries):
        label = quote(entry.get(services.name_key, index) if services.name_key else index, 40)
        raw = entry.get(services.port_key)
        if raw is None:
            problems.append(
                Problem(
                    message=(
                        f"application {plain(app.application)}: service {label} of option {services.name} has no "
                        f"{services.port_key}, so the charm picks a port for it itself, which this input cannot tell"
                    ),
                    severity="warning",
                    fix=f"give service {label} a {services.port_key} in {app.name_option(services.name)}",
                    units=keys,
                    location=location,
                    rule="unresolved-value",
                )
            )
            continue
        port = _port(raw, services.protocol)
        if port is None:
            problems.append(
                Problem(
                    message=f"application {plain(app.application)}: service {label} of option {services.name}: {services.port_key} {show_value(raw)} is not a port 1-65535",
                    fix=f"set the {services.port_key} of service {label} to a port 1-65535",
                    units=keys,
                    location=location,
                )
            )
            continue
        ports.append((port, services.name))
    if services.switch and str(app.values.get(services.switch, "")).lower() == "true":
        raw = app.values.get(services.switch_port, services.switch_port_default)
        port = _port(raw, services.protocol)
        if port is not None:
            ports.append((port, services.switch_port))
    return list(dict.fromkeys(ports))


def _entries(value: object, services: ServiceList, app: AppOptions) -> list[Mapping[str, object]] | str:
    """The option's entries, or why they cannot be read (as the end of a sentence)."""
    if not isinstance(value, str):
        return "is not a string"
    try:
        parsed = yamlload.load(value, f"{app.application} {services.name}")
    except InputError as err:
        return f"is not YAML ({plain(err.problem, 80)})"
    documents = parsed.documents
    if not documents or documents[0] is None:
        return []
    entries = yamlload.as_sequence(documents[0])
    if entries is None or len(documents) > 1:
        return "is not a YAML list of services"
    found: list[Mapping[str, object]] = []
    for entry in entries:
        mapping = yamlload.as_mapping(entry)
        if mapping is None:
            return "holds an entry that is not a mapping"
        found.append({str(k): v for k, v in mapping.items()})
    return found


def _port(raw: object, protocol: Protocol) -> PortRange | None:
    """A single port 1-65535 from YAML: an int, or digits (haproxy reads it with `int()`)."""
    try:
        return parse_port_option(raw.strip() if isinstance(raw, str) else raw, protocol)
    except PortRangeError:
        return None
