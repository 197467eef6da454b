"""`juju show-unit <unit> --format=json|yaml` dumps -> Deployment, through the relation's own decoder.

An operator who cannot (or would rather not) deploy the validator charm's status can still audit a
live model offline: `juju show-unit anbox-cloud-ports/0 --format=json > dump.json` holds every related
unit's `anbox_ports` databag, and this module reads it with exactly the code the validator runs.

The dump's shape (juju cmd/juju/application/showunit.go, `UnitInfo` and `RelationData`): a mapping of
unit name to {machine, opened-ports, charm, leader, relation-info: [{endpoint, related-endpoint,
cross-model?, relation-id?, application-data, local-unit?: {in-scope, data}, related-units?: {unit:
{in-scope, data}}}]}. A related unit out of scope has left the relation and carries no data.

Which relation-info entries are read: those on `endpoint` (the validator's `ports`), and any whose
related units carry this interface's keys (whatever the endpoint is called). A dump of a provider
unit (`juju show-unit ams/0`) works too: its own databag is its `local-unit` data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from ..catalog import Catalog, Profile
from ..errors import InputError
from ..model import Deployment

if TYPE_CHECKING:
    from ..databag import RelatedUnit, UnitDataError

# Keys Juju always prints for a unit (no omitempty in showunit.go's UnitInfo): what tells a show-unit
# dump from a `juju status` dump (model/machines/applications) or a bundle (applications/services).
_ALWAYS = frozenset({"charm", "leader", "opened-ports"})
_UNIT_KEY = re.compile(r"[a-z][a-z0-9-]{0,127}/[0-9]{1,10}")
# Keys only an anbox_ports provider writes: their presence identifies the relation whatever its name.
_SIGNATURE = frozenset({"claims", "service"})
# What makes the dumped unit's own databag a provider's: both, not a `service` key alone (a common
# key in other interfaces' databags).
_PROVIDER_KEYS = frozenset({"claims", "service"})


def looks_like_show_unit(data: object) -> bool:
    """True for a parsed `juju show-unit` dump: unit-name keys, each a mapping with show-unit's keys."""
    if not isinstance(data, Mapping) or not data:
        return False
    for key, value in cast(Mapping[object, object], data).items():
        if not isinstance(key, str) or not _UNIT_KEY.fullmatch(key) or not isinstance(value, Mapping):
            return False
        fields = cast(Mapping[object, object], value)
        if "relation-info" not in fields and not _ALWAYS.issubset(fields):
            return False
    return True


def load_show_unit(
    data: Mapping[str, Any],
    *,
    input: str,
    catalog: Catalog | None = None,
    profile: Profile = "charmed",
    endpoint: str = "ports",
) -> Deployment:
    """The Deployment a show-unit dump's `anbox_ports` relation data describes.

    Raises InputError when the document is not a show-unit dump at all (the CLI's exit 2); a related
    unit with bad data is a finding, as in the validator charm.
    """
    if not looks_like_show_unit(data):
        raise InputError(input, "not a `juju show-unit` dump: expected unit names mapped to unit details")
    # Imported here, not at the top: the decoder's pydantic models cost ~0.2 s to build, and source
    # detection imports this module for `looks_like_show_unit` on every `anbox-ports check`.
    from .relation import deployment_from_units

    units = list(_related_units(data, input, endpoint))
    return deployment_from_units(units, input=input, catalog=catalog, profile=profile, file=input)


def _related_units(data: Mapping[str, Any], input: str, endpoint: str) -> Iterator[RelatedUnit]:
    """(unit, app, databag) for every provider unit the dump shows.

    A malformed unit record is that unit's own error; a malformed relation-info is the document's.
    """
    for shown, details in data.items():
        entries = details.get("relation-info")
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise InputError(input, "expected a list", where=f"{shown}: relation-info")
        for index, entry in enumerate(cast(list[object], entries)):
            where = f"{shown}: relation-info[{index}]"
            if not isinstance(entry, Mapping):
                raise InputError(input, "expected a mapping", where=where)
            entry = cast(Mapping[str, object], entry)
            local = _databag(shown, entry.get("local-unit"))
            provider = isinstance(local, Mapping) and local.keys() >= _PROVIDER_KEYS
            if provider:
                # The dumped unit is itself a provider: its own databag is the local-unit data.
                yield shown, _app(shown), cast(Mapping[str, Any], local)
            related = entry.get("related-units") or {}
            if not isinstance(related, Mapping):
                raise InputError(input, "expected a mapping of unit names", where=f"{where}.related-units")
            databags: list[RelatedUnit] = []
            for name, record in cast(Mapping[object, object], related).items():
                if (
                    isinstance(record, Mapping)
                    and cast(Mapping[str, object], record).get("in-scope") is False
                ):
                    continue  # left the relation: Juju shows no data for it
                unit = name if isinstance(name, str) else repr(name)
                databags.append((unit, _app(unit), _databag(unit, record) or {}))
            signed = [bag for bag in databags if isinstance(bag[2], Mapping) and _SIGNATURE & bag[2].keys()]
            if provider:
                # Its related units are requirers (the validator), read only if they publish too: a
                # local `service` key never hides them.
                yield from signed
            elif entry.get("endpoint") == endpoint or signed:
                yield from databags


def _databag(unit: str, record: object) -> Mapping[str, Any] | UnitDataError | None:
    """An `{in-scope, data}` record's databag; None when there is none."""
    from ..databag import UnitDataError

    if record is None:
        return None
    if not isinstance(record, Mapping):
        return UnitDataError(unit, "its show-unit record is not a mapping with in-scope and data")
    databag = cast(Mapping[str, object], record).get("data")
    if databag is None:
        return None
    if not isinstance(databag, Mapping):
        return UnitDataError(unit, "its show-unit data is not a mapping")
    return cast(Mapping[str, Any], databag)


def _app(unit: str) -> str:
    return unit.rpartition("/")[0] or unit
