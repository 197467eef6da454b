"""A Juju bundle (with its overlays) as a Deployment: every unit placed where `juju deploy` puts it.

One module per step, in the order a bundle goes through them: `reader` (type-check each document),
`overlay` (merge), `verify` (Juju's own refusals), `placement` (where each unit lands),
`subordinates`, `build` (units and claims).

The rules are Juju's own, read in its sources and cited where they are applied:

* documents: the first document of the first input is the base; every later document, and every
  `--overlay` input, is an overlay merged over it (juju internal/charm overlay.go
  `ReadAndMergeBundleData`, `applyOverlay`, `mergeStructs`).
* verification: the base alone, then the merged bundle, must pass Juju's checks (juju
  cmd/juju/application/bundle/bundle.go `ComposeAndVerifyBundle`; internal/charm/bundledata.go
  `verifyBundle`); a bundle Juju refuses is refused here with Juju's own words, as an InputError.
* placement: units are numbered from 0 per application and placed as Juju's bundle handler does on
  a fresh model (juju internal/bundle/changes/handlers.go `unitProcessor`).

Hosts are named by the bundle's own machine ids, not by the ids Juju will give them: bundle machine
"3" is reported as `machine 3` and an LXD container Juju creates on it as `3/lxd/0`, so a finding
points at the line a user edits. Juju numbers a fresh model's machines in natural order of the bundle
ids, so for the usual bundle with ids 0..n-1 the names are the same. Machines the bundle does not
declare (`new`, unplaced units) are numbered after the highest bundle machine id, in the order Juju
creates them.

Bundles name no endpoints, so every claim a bundle implies is on the wildcard endpoint `""`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...catalog import Catalog, Profile
from ...errors import InputError
from ...model import Deployment
from ..yamlload import Parsed
from .build import MAX_PLACED_UNITS, expose_target
from .build import build as build_bundle
from .placement import Placement, parse_placement
from .reader import MAX_UNITS, Part, Reader

__all__ = [
    "MAX_PLACED_UNITS",
    "MAX_UNITS",
    "Placement",
    "build_bundle",
    "expose_target",
    "from_parsed",
    "parse_placement",
    "parts_of",
]


def parts_of(parsed: Parsed, *, base: bool = True) -> list[Part]:
    """Every document of one input as a decoded part; the first of a base input is the base bundle."""
    first, later = Reader(parsed.input, base=base), Reader(parsed.input, base=False)
    return [(first if i == 0 else later).part(document, i) for i, document in enumerate(parsed.documents)]


def from_parsed(
    parsed: Parsed, overlays: Sequence[Parsed], *, catalog: Catalog, profile: Profile
) -> Deployment:
    parts = parts_of(parsed)
    if not parts:
        raise InputError(parsed.input, "the bundle is empty: no YAML document in it")
    if parts[0].null:
        raise InputError(parsed.input, "the bundle is empty: its first document holds nothing")
    for overlay in overlays:
        parts.extend(parts_of(overlay, base=False))
    return build_bundle(parts, input=parsed.input, catalog=catalog, profile=profile)
