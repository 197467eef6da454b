"""Step 6: the merged, verified, placed bundle as units and claims.

Bundles name no endpoints, so every claim a bundle implies is on the wildcard endpoint `""`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from ...catalog import Catalog, CatalogRow, ConfigOption, Profile
from ...errors import InputError, OptionError
from ...model import Application, Claim, ClaimOrigin, Deployment, ExposeTarget, Host, Problem, Unit
from ...names import charm_name
from ...text import plain, quote
from ..yamlload import path
from .overlay import merge
from .placement import Placed as PlacedUnit
from .placement import Placer
from .reader import MAX_UNITS, AppSpec, Part
from .subordinates import Guess, subordinates
from .verify import refuse_overlay_fields_in_base, verify

MAX_PLACED_UNITS = 250_000  # with subordinates, one per principal unit each

# `juju expose` without --to-cidrs stores 0.0.0.0/0 and ::/0 (docs/juju-facts.md#expose): either one
# in an expose rule means anyone can connect.
_ANYONE = frozenset({"0.0.0.0/0", "::/0"})


def expose_target(cidrs: Iterable[str], spaces: Iterable[str]) -> ExposeTarget:
    """An expose rule; one naming 0.0.0.0/0 or ::/0 lets everyone in, whatever else it names."""
    cidr_tuple = tuple(cidrs)
    if any(cidr in _ANYONE for cidr in cidr_tuple):
        return ExposeTarget()
    return ExposeTarget(cidr_tuple, tuple(spaces))


def build(parts: Sequence[Part], *, input: str, catalog: Catalog, profile: Profile) -> Deployment:
    """Merge, verify and place; then turn every unit of a catalogued charm into its claims."""
    merged = merged_bundle(parts)
    refuse_subordinate_units(merged, catalog, profile)
    placed = place_units(merged, input, catalog, profile)
    applications: dict[str, Application] = {}
    units: list[Unit] = []
    claims: list[Claim] = []
    problems: list[Problem] = []
    unchecked: list[str] = []
    hosts: dict[str, Host] = {}
    for name, app in merged.applications.items():
        if app is None:
            continue
        charm = charm_name(app.charm)  # never empty: verification refuses an empty charm path
        # Known from the catalog, or read as one from its relations (a guess, reported as such).
        is_sub = name in placed.subordinates or catalog.subordinate(charm, profile) is True
        applications[name] = Application(
            name, charm, exposure(app), subordinate=is_sub, location=app.location
        )
        app_units = [
            Unit(
                f"{name}/{i}",
                name,
                charm,
                hosts.setdefault(spot.host, Host(spot.host)),
                is_sub,
                spot.location,
            )
            for i, spot in enumerate(placed.units.get(name, ()))
        ]
        units.extend(app_units)
        if not catalog.knows(charm, profile):
            unchecked.append(name)
            continue
        claims.extend(_claims(app, charm, app_units, catalog.for_charm(charm, profile), problems))
    problems.extend(_guessed(merged, guess, units) for guess in placed.guesses)
    return Deployment(
        input=input,
        applications=MappingProxyType(applications),
        units=tuple(units),
        claims=tuple(claims),
        profile=profile,
        problems=tuple(problems),
        unchecked=tuple(unchecked),
        # A bundle names no endpoints for ports: that is the charm's doing, at open-port time.
        endpoints_known=False,
    )


def merged_bundle(parts: Sequence[Part]) -> Part:
    """The base verified alone, then merged with every overlay and verified again, as Juju does."""
    base = parts[0]
    verify(base)
    refuse_overlay_fields_in_base(base)
    merged = replace(
        base,
        applications={k: (v.copy() if v else None) for k, v in base.applications.items()},
        relations=list(base.relations),
        saas=dict(base.saas),
        machines=None if base.machines is None else dict(base.machines),
    )
    for overlay in parts[1:]:
        merge(merged, overlay)
    if len(parts) > 1:
        verify(merged)
    return merged


@dataclass(frozen=True, slots=True)
class Placed:
    """Where every unit of the bundle lands: principals by placement, subordinates on their principals."""

    units: Mapping[str, list[PlacedUnit]]
    subordinates: Mapping[str, list[str]]
    guesses: Sequence[Guess] = ()


def refuse_subordinate_units(merged: Part, catalog: Catalog, profile: Profile) -> None:
    """A known subordinate charm given units: Juju deploys it, then fails adding each unit.

    docs/juju-facts.md#bundles, "Subordinates": bundle verification loads no charm, so it passes; the
    controller refuses the units (state `addUnitOpsWithCons`: "application is a subordinate").
    """
    for name, app in merged.applications.items():
        if app is None or app.num_units <= 0 or not app.charm:
            continue
        charm = charm_name(app.charm)
        if catalog.subordinate(charm, profile):
            raise InputError(
                app.location.file,
                f"charm {plain(charm)} is a subordinate, so Juju fails to add the {app.num_units} unit(s) asked "
                f"('cannot add unit to application {quote(name)}: application is a subordinate'); a "
                "subordinate's units come from its relations: drop num_units (and to:)",
                where=f"{app.where}.num_units",
                line=app.location.line,
            )


def place_units(merged: Part, input: str, catalog: Catalog, profile: Profile) -> Placed:
    total = sum(app.num_units for app in merged.applications.values() if app is not None)
    if total > MAX_UNITS:
        raise InputError(
            input, f"the bundle asks for {total} units, more than the {MAX_UNITS} this checker places"
        )
    placed = Placer(merged).run()
    followed, guesses = subordinates(merged, placed, catalog, profile)
    with_subordinates = total + sum(len(placed[p]) for principals in followed.values() for p in principals)
    if with_subordinates > MAX_PLACED_UNITS:
        raise InputError(
            input,
            f"with its subordinates the bundle places {with_subordinates} units, "
            f"more than the {MAX_PLACED_UNITS} this checker places",
        )
    for sub, principals in followed.items():
        app = merged.applications[sub]
        assert app is not None  # noqa: S101
        placed[sub] = [
            unit._replace(location=app.location) for principal in principals for unit in placed[principal]
        ]
    return Placed(placed, followed, guesses)


def _claims(
    app: AppSpec,
    charm: str,
    units: Sequence[Unit],
    rows: Sequence[CatalogRow],
    problems: list[Problem],
) -> Iterator[Claim]:
    """Each unit's claims of each catalog row of its charm, moved by the application's options."""
    given = app.options or {}
    options = {key: value for key, (value, _) in given.items()}
    for row in rows:
        try:
            moved = row.claims_for(charm, options)
        except OptionError as err:
            option = row.option_for(charm)
            assert option is not None  # noqa: S101 - only an option's value can be invalid
            problems.append(_invalid_option(app, option, err, row.ports, units))
            moved = [(port, None) for port in row.claims]
        for port, option_name in moved:
            location = given[option_name][1] if option_name in given else app.location
            origin: ClaimOrigin = "config" if option_name else "catalog"
            for unit in units:
                yield Claim(unit.key, port, "", origin, option_name, row, location)


def exposure(app: AppSpec) -> Mapping[str, ExposeTarget]:
    if app.expose:
        # bundle `expose: true` is `juju expose app`: every opened port, to everyone
        # (docs/juju-facts.md#expose)
        return MappingProxyType({"": ExposeTarget()})
    return MappingProxyType(
        {
            endpoint: expose_target(rule.cidrs or (), rule.spaces or ())
            for endpoint, rule in (app.exposed_endpoints or {}).items()
        }
    )


def _guessed(merged: Part, guess: Guess, units: Sequence[Unit]) -> Problem:
    """Say that an application was read as a subordinate, and why (the guessed-subordinate rule)."""
    app = merged.applications[guess.application]
    assert app is not None  # noqa: S101 - only placed applications are guessed
    names = tuple(u.key for u in units if u.application == guess.application)
    related = "; ".join(plain(r, 120) for r in guess.relations)
    return Problem(
        rule="guessed-subordinate",
        severity="info",
        message=(
            f"application {path(app.name)} (charm {plain(guess.charm)}, unknown to the catalog) has no units of "
            f"its own and is related to applications that have ({related}): it is read as a subordinate, "
            "with a unit beside each unit of those applications; if its charm is not a subordinate, Juju "
            "gives it no unit at all"
        ),
        fix=(
            f"Say what charm {plain(guess.charm)} is in a --catalog file (`subordinate: true`, or rows for "
            "its ports), so the checker need not guess"
        ),
        units=names,
        location=app.location,
    )


def _invalid_option(
    app: AppSpec, option: ConfigOption, err: OptionError, default: str, units: Sequence[Unit]
) -> Problem:
    given = app.options or {}
    location = given[option.name][1] if option.name in given else app.location
    allowed = option.rule.removeprefix("must be ")
    return Problem(
        message=f"application {path(app.name)}: {plain(str(err), 200)}; checking with the catalog default {default} instead",
        fix=f"set {path(app.where, 'options', option.name)} to {allowed} (the catalog default is {default})",
        units=tuple(unit.key for unit in units),
        location=location,
    )
