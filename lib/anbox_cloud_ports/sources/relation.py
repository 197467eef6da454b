"""Relation data as a Deployment: every related unit's `anbox_ports` databag, decoded and placed.

The validator charm (through `charm.interface`) and `anbox-ports check` on a `juju show-unit` dump
(through `sources.show_unit`) read relation data with this one code path: a bad unit becomes one
finding naming it, and every other unit is still checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import cast

from ..catalog import Catalog, CatalogRow, Profile
from ..databag import SERVICE_NAME, DecodedUnit, PublishedClaim, RelatedUnit, UnitDataError, decode_unit
from ..model import Application, Claim, Deployment, Host, Location, Problem, Unit
from ..names import unit_sort_key
from ..text import quote

__all__ = ["deployment_from_units", "model_labels"]


def deployment_from_units(
    units: Iterable[RelatedUnit],
    *,
    input: str,
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    file: str | None = None,
    local_model: str | None = None,
) -> Deployment:
    """The Deployment the related units' databags describe.

    Every good unit becomes a Unit on Host(machine, model) with its claims (origin "relation",
    observed: the provider publishes what it holds). Every bad unit becomes one `invalid-port`
    finding in `problems` and the rest are still checked. A unit named on several relations is one
    unit with the claims of all of them. Relation
    data cannot say whether an application is exposed, so `exposure_known` is false and every
    Application is unexposed as far as this source knows.
    `file` is the document the data came from (a show-unit dump), so findings can point at it.

    Host.model is the shortest prefix (8 characters at least) of the model uuid that tells the
    deployment's models apart: unique within the deployment by construction, readable in a status
    line, and still the uuid's own characters, so an operator can match it against `juju models --uuid`.
    `local_model` is the reader's own model uuid (the validator's): its hosts are named as that
    model's `juju status` names them (`machine 0`), and only other models are named.
    """
    catalog = catalog if catalog is not None else Catalog.builtin()
    location = Location(file) if file else None
    decoded, problems = _decode_all(units, location)
    labels = model_labels((u.model for u in decoded), local=local_model)
    applications: dict[str, Application] = {}
    unit_list: list[Unit] = []
    claims: list[Claim] = []
    unchecked: dict[str, None] = {}
    for du in sorted(decoded, key=lambda u: unit_sort_key(u.unit)):
        # Juju names every related application uniquely on this side of the relation (an offered one
        # by its SAAS name), so unit names need no model; machines do.
        app = Application(du.app, du.service, location=location)
        applications.setdefault(app.key, app)
        host = Host(du.machine or du.unit, labels[du.model])
        unit = Unit(du.unit, du.app, du.service, host, location=location)
        unit_list.append(unit)
        if not catalog.knows(du.service, profile):
            unchecked.setdefault(app.key, None)
        if du.profile != profile:
            problems.append(
                Problem(
                    severity="warning",
                    message=f"unit {du.unit} publishes its ports for the {du.profile} profile; they are checked "
                    f"against the {profile} catalog",
                    hosts=(host,),
                    units=(unit.key,),
                    fix=f"check with --profile {du.profile}, or set the {du.app} charm's profile to {profile}",
                    location=location,
                )
            )
        for pc in du.claims:
            claims.append(
                Claim(
                    unit=unit.key,
                    port=pc.port,
                    endpoint=pc.endpoint,
                    origin="relation",
                    option=pc.option,
                    row=_row(catalog, du.service, pc, profile),
                    location=location,
                    source=pc.origin,
                    held=pc.held,
                )
            )
    return Deployment(
        input=input,
        applications=applications,
        units=tuple(unit_list),
        claims=tuple(claims),
        profile=profile,
        observed=True,
        problems=tuple(problems),
        unchecked=tuple(unchecked),
        exposure_known=False,
        juju_managed=profile != "appliance",
    )


def _decode_all(
    units: Iterable[RelatedUnit], location: Location | None
) -> tuple[list[DecodedUnit], list[Problem]]:
    """Every unit decoded: one DecodedUnit per unit name, and one Problem for each bad record.

    A unit seen on several relations is one unit: its claims on all of them are merged, so a
    conflict is never lost because another relation carried a shorter list. Records of one unit that
    disagree on where it is (machine, model) or what it is are a problem of their own; the first
    good record says where. A unit that published nothing on one relation but something on another
    is read from the other without a warning.
    """
    records: dict[str, list[DecodedUnit | UnitDataError]] = {}
    apps: dict[str, str] = {}
    for unit_name, app, databag in units:
        result = databag if isinstance(databag, UnitDataError) else decode_unit(unit_name, databag, app=app)
        records.setdefault(unit_name, []).append(result)
        apps.setdefault(unit_name, app)
    decoded: list[DecodedUnit] = []
    problems: list[Problem] = []
    for unit_name, results in records.items():
        good = [r for r in results if isinstance(r, DecodedUnit)]
        bad: list[UnitDataError] = []
        for result in results:
            said = isinstance(result, UnitDataError) and not (good and result.missing)
            if said and all(str(result) != str(seen) for seen in bad):
                bad.append(cast(UnitDataError, result))
        problems.extend(_problem(err, apps[unit_name], location) for err in bad)
        if not good:
            continue
        first = good[0]
        if len(good) == 1:  # one relation, the common case: nothing to merge, duplicates dropped
            claims = tuple(dict.fromkeys(first.claims)) if len(first.claims) > 1 else first.claims
            decoded.append(first if len(claims) == len(first.claims) else replace(first, claims=claims))
            continue
        claims = tuple(dict.fromkeys(c for unit in good for c in unit.claims))
        decoded.append(replace(first, claims=claims))
        differing = _differing(good)
        if differing:
            problems.append(
                Problem(
                    message=f"unit {first.unit} publishes different anbox_ports data on its relations ({differing}): "
                    "it is read where its first record puts it, with the claims of all of them",
                    units=(first.unit,),
                    fix=f"check the anbox_ports relations of {first.unit}: every relation should carry the same data",
                    location=location,
                )
            )
    return decoded, problems


def _differing(records: list[DecodedUnit]) -> str:
    """What a unit's records disagree on, as `machine "0" and "1"`; "" when they agree."""
    parts: list[str] = []
    for field in ("service", "profile", "model", "machine"):
        values = list(dict.fromkeys(getattr(r, field) for r in records))
        if len(values) > 1:
            parts.append(f"{field} " + " and ".join(quote(v, 40) for v in values))
    return "; ".join(parts)


def model_labels(models: Iterable[str], *, local: str | None = None) -> dict[str, str]:
    """Each model uuid's shortest prefix, 8 characters at least, that no other uuid here shares.

    The reader's own model (`local`) is not named: its hosts read as that model's `juju status`
    shows them ("machine 0"). Without one, a single model is not named either, as there is nothing
    to tell apart.
    """
    uuids = sorted(set(models) | ({local} if local else set()))
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
        labels[uuid] = "" if uuid == local else uuid[:length]
    return labels


def _row(catalog: Catalog, service: str, claim: PublishedClaim, profile: Profile) -> CatalogRow | None:
    """The catalog row a claim realises: the row it was moved from, its option's row, or its default's."""
    if claim.moved_from is not None:
        row = catalog.row_for(service, claim.moved_from, profile)
        if row is not None:
            return row
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


def _problem(err: UnitDataError, app: str, location: Location | None) -> Problem:
    app = app if SERVICE_NAME.fullmatch(app) else "its application"
    if err.missing:
        return Problem(
            severity="warning",
            message=f"{err}: its ports are not checked",
            units=(err.unit,),
            fix=f"wait for {err.unit} to publish; if it never does, its charm does not implement anbox_ports v1",
            location=location,
        )
    return Problem(
        severity="error",
        message=str(err),
        units=(err.unit,),
        fix=f"upgrade the charm of {app} to one that publishes valid anbox_ports v1 data, or remove the relation",
        location=location,
    )
