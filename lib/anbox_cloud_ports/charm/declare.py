"""What a charm declares to ServicePorts, checked at construction against its own metadata.

Everything here is a charm author's decision (the service, the endpoints, which of the charm's own
options holds which catalog row, the extra ports), so every mistake raises `DeclarationError` while
the charm is being built: the first unit test fails, with the lines to fix. Nothing an operator
does (`juju config`) can raise here: operator mistakes become a blocked status instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ops

from ..catalog import PROFILES, Catalog, CatalogRow, ConfigOption, OptionKind, Profile
from ..errors import AnboxPortsError, OptionError, PortRangeError
from ..ports import PortRange
from .hooktools import EndpointNameError, validate_endpoint

__all__ = [
    "DeclarationError",
    "ExtraPort",
    "MissingEndpointError",
    "OptionBindings",
    "bind_options",
    "check_service",
    "declared_endpoints",
    "extra_claims",
    "require_endpoints",
]

ExtraPort = PortRange | tuple[PortRange, str]
"""A port the charm holds beyond its catalog rows: on the internal endpoint, or on the one named."""

OptionBindings = Mapping[str, PortRange | str]
"""The charm's own option -> a port of the catalog row it moves (`{"turn-port-range": "50000-51000/udp"}`)."""


class DeclarationError(AnboxPortsError):
    """ServicePorts was declared in a way that cannot work: a bug in the charm, not in its config.

    Raised at construction (so in the charm's first unit test), with what to change. Deliberately
    not a ValueError: ops' `load_config` and a charm's `except ValueError` must not mistake it for
    an operator's bad config.
    """


class MissingEndpointError(DeclarationError):
    """The charm does not declare an endpoint ServicePorts must open ports on."""


def check_service(catalog: Catalog, service: str, profile: object) -> tuple[Profile, tuple[CatalogRow, ...]]:
    """The profile and the service's rows, or DeclarationError naming what the catalog knows."""
    if profile not in PROFILES:
        raise DeclarationError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    chosen: Profile = profile
    rows = catalog.for_charm(service, chosen)
    if not rows:
        known = ", ".join(catalog.charms(chosen))
        raise DeclarationError(f"unknown {chosen} service {service!r}: the catalog knows {known}")
    return chosen, rows


def endpoint(name: object, what: str) -> str:
    """A checked endpoint name; DeclarationError (naming the argument) when Juju could not declare it."""
    try:
        return validate_endpoint(name)
    except EndpointNameError as err:
        raise DeclarationError(f"{what}: {err}") from None


# -- the charm's own options ------------------------------------------------------------------------


def bind_options(
    meta: ops.CharmMeta, service: str, profile: Profile, options: OptionBindings, catalog: Catalog
) -> Catalog:
    """The catalog with each of the charm's own options holding the row it names.

    Each option must be declared in charmcraft.yaml with a type that can hold the row's ports (an
    `int` holds one port, a `string` a port or a range) and a default of that kind; the row is named
    by any port it claims (`50000-51000/udp`). The option's default is the charm's own, since that is
    what Juju hands the charm when the operator sets nothing.
    """
    bound: dict[tuple[str, str, str], str] = {}
    for name, port in options.items():
        row_port = _row_port(service, name, port)
        rows = catalog.for_charm(service, profile)
        row = next((r for r in rows if row_port in r.claims), None)
        if row is None:
            held = ", ".join(str(c) for r in rows for c in r.claims)
            raise DeclarationError(
                f"options: {name} names {row_port}, but no {profile} {service} row claims it; its rows claim {held}"
            )
        key = (row.service, row.ports, row.protocol)
        if key in bound:
            first, second = sorted((name, bound[key]))
            raise DeclarationError(f"options: {first} and {second} both name the row {row_port}")
        bound[key] = name
        kind: OptionKind = "range" if any(c.start != c.end for c in row.claims) else "port"
        option = ConfigOption(
            service, name, kind, _declared_default(meta, name, kind, row), f"{row.service} {row.description}"
        )
        catalog = catalog.bind(option, row_port, profile)
    return catalog


def _row_port(service: str, name: object, port: object) -> PortRange:
    if not isinstance(name, str) or not name:
        raise DeclarationError(f"options: {name!r} is not a config option name")
    if isinstance(port, PortRange):
        return port
    try:
        return PortRange.parse(port)
    except PortRangeError as err:
        raise DeclarationError(
            f"options: {name} must name a port of a {service} catalog row, e.g. '5349/tcp': {err}"
        ) from None


_TYPES: Mapping[OptionKind, tuple[str, ...]] = {"port": ("int", "string"), "range": ("string",)}


def _declared_default(meta: ops.CharmMeta, name: str, kind: OptionKind, row: CatalogRow) -> int | str | None:
    """The option's charmcraft.yaml default, checked to be a value of `kind`."""
    example = row.ports if kind == "range" else row.claims[0].start
    declared = meta.config.get(name)
    if declared is None:
        value = f'"{example}"' if kind == "range" else example
        raise DeclarationError(
            f"options: charm {meta.name!r} declares no config option {name!r}; add to charmcraft.yaml:\n"
            f"config:\n  options:\n    {name}:\n      type: {_TYPES[kind][-1]}\n      default: {value}"
        )
    if declared.type not in _TYPES[kind]:
        raise DeclarationError(
            f"options: {name} is declared `type: {declared.type}`, but it holds {row.service} {row.description} "
            f"({row.ports}), a {kind}: declare it `type: {_TYPES[kind][-1]}`"
        )
    default = declared.default
    if default is None:
        return None
    if not isinstance(default, int | str) or isinstance(default, bool):
        raise DeclarationError(f"options: {name}'s default {default!r} is not a {kind}")
    try:
        ConfigOption(row.charms[0], name, kind).parse(default)
    except OptionError as err:
        raise DeclarationError(f"options: the default in charmcraft.yaml is invalid: {err}") from None
    return default


# -- endpoints and extra ports -------------------------------------------------------------------


def declared_endpoints(charm: ops.CharmBase) -> frozenset[str]:
    """Every endpoint Juju binds for this charm: relations of any role and extra-bindings.

    juju state/endpoint_bindings.go `DefaultEndpointBindingsForCharm`: CombinedRelations + ExtraBindings.
    """
    extra: Mapping[str, object] = charm.meta.extra_bindings or {}
    return frozenset(charm.meta.relations) | frozenset(extra)


def require_endpoints(charm: ops.CharmBase, declared: frozenset[str], needed: Iterable[str]) -> None:
    """MissingEndpointError with the charmcraft.yaml lines to add, unless every needed endpoint exists."""
    missing = list(dict.fromkeys(name for name in needed if name not in declared))
    if not missing:
        return
    lines = "\n".join(f"  {name}:" for name in missing)
    names = ", ".join(f'"{name}"' for name in missing)
    raise MissingEndpointError(
        f"ServicePorts: charm {charm.meta.name!r} declares no endpoint {names}; ports are opened on named "
        f"endpoints so `juju expose --endpoints` can target them. Add to charmcraft.yaml:\n"
        f"extra-bindings:\n{lines}"
    )


def extra_claims(extra: Iterable[object], internal: str) -> list[tuple[PortRange, str]]:
    """Each extra port with its endpoint (internal unless named), checked."""
    claims: list[tuple[PortRange, str]] = []
    for item in extra:
        if isinstance(item, PortRange):
            claims.append((item, internal))
            continue
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], PortRange):  # pyright: ignore[reportUnknownArgumentType]
            claims.append((item[0], endpoint(item[1], f"extra port {item[0]}")))
            continue
        raise DeclarationError(
            f"extra: {item!r} is not a PortRange or (PortRange, endpoint); "
            "e.g. extra=[PortRange.parse('3478/udp'), (PortRange.parse('3478/tcp'), 'public')]"
        )
    return claims
