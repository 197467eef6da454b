"""Step 6: the merged, verified, placed bundle as units and claims.

Bundles name no endpoints, so every claim a bundle implies is on the wildcard endpoint `""`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from ...catalog import Catalog, Profile
from ...errors import InputError
from ...model import Application, Claim, Deployment, ExposeTarget, Host, Problem, Unit
from ...names import charm_name
from ...text import plain, quote
from ..claims import AppOptions, option_claims
from ..yamlload import path
from .overlay import merge
from .placement import Placed as PlacedUnit
from .placement import Placer
from .reader import MAX_UNITS, AppSpec, Part
from .subordinates import Guess, subordinates
from .verify import refuse_overlay_fields_in_base, verify

MAX_PLACED_UNITS = 250_000  # with subordinates, one per principal unit each
# Claims a bundle may imply (each unit holds every port its charm's catalog rows name): checking this
# many takes a few seconds; the check refuses more before building any of them.
MAX_CLAIMS = 500_000

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
    _refuse_too_many_claims(merged, placed, catalog, profile, input)
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
        options = AppOptions(
            application=path(app.name),
            charm=charm,
            values={key: value for key, (value, _) in (app.options or {}).items()},
            name_option=lambda option, where=app.where: path(where, "options", option),
            location=app.location,
            locations={key: where for key, (_, where) in (app.options or {}).items()},
        )
        claims.extend(option_claims(options, app_units, catalog, profile, problems))
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


def _refuse_too_many_claims(
    merged: Part, placed: Placed, catalog: Catalog, profile: Profile, input: str
) -> None:
    total = 0
    for name, app in merged.applications.items():
        if app is None:
            continue
        charm = charm_name(app.charm) if app.charm else name
        total += len(placed.units.get(name, ())) * sum(
            len(r.claims) for r in catalog.for_charm(charm, profile)
        )
    if total > MAX_CLAIMS:
        raise InputError(
            input,
            f"the bundle's units would hold {total} catalog ports, more than the {MAX_CLAIMS} this checker judges",
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
