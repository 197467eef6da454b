"""Step 2: overlays merged over the base, as `juju deploy --overlay` merges them.

docs/juju-facts.md#bundles; juju internal/charm/overlay.go `applyOverlay`, `mergeStructs`.
"""

from __future__ import annotations

from ...errors import InputError
from .reader import AppSpec, Part, Relation


def merge(base: Part, overlay: Part) -> None:
    """Apply one overlay document to the base, as `juju deploy --overlay` does."""
    if not overlay.keys:
        return  # an empty document changes nothing (applyOverlay: empty presence map)
    if overlay.used_services and overlay.applications:
        # juju internal/charm/overlay.go applyOverlay
        raise InputError(
            overlay.input,
            "bundle overlay file used deprecated 'services' key, this is not valid for bundle overlay files",
            where="services",
            line=overlay.applications_location.line if overlay.applications_location else None,
        )
    for name, spec in overlay.applications.items():
        if spec is None:  # `app:` with no body removes it and its relations
            base.applications.pop(name, None)
            base.relations = [r for r in base.relations if not mentions(r, name)]
            continue
        current = base.applications.get(name)
        if current is None:
            base.applications[name] = spec.copy()
            continue
        merge_app(current, spec)
    for name, location in overlay.saas.items():
        if location is None:
            base.saas.pop(name, None)
            base.relations = [r for r in base.relations if not mentions(r, name)]
        else:
            base.saas[name] = location
    base.relations.extend(overlay.relations)  # overlay relations are appended
    if overlay.machines is not None:  # a machines block replaces the base's, even an empty one
        base.machines = dict(overlay.machines)
    if overlay.bundle_type:
        base.bundle_type = overlay.bundle_type


def mentions(relation: Relation, name: str) -> bool:
    if len(relation.endpoints) != 2:
        return False  # kept: verification reports it (removeRelations keeps dud relations)
    return any(ep == name or ep.startswith(name + ":") for ep in relation.endpoints)


def merge_app(dst: AppSpec, src: AppSpec) -> None:
    """mergeStructs: fields the overlay spells out replace scalars and lists; maps merge key by key."""
    present = src.present
    if "charm" in present:
        dst.charm = src.charm
    if "num_units" in present or "scale" in present:
        dst.num_units = src.num_units
    if "to" in present:
        dst.to = list(src.to)
    if "placement" in present:
        dst.k8s_placement = src.k8s_placement
    if "expose" in present:
        dst.expose, dst.expose_location = src.expose, src.expose_location
    if "offers" in present:
        dst.offers = src.offers
    if "options" in present:
        if not src.options:  # a null or empty map clears the base's
            dst.options = {}
        for key, (value, location) in src.options.items():
            if value is None:  # a null value deletes the option
                dst.options.pop(key, None)
            else:
                dst.options[key] = (value, location)
    if "exposed-endpoints" in present:
        if not src.exposed_endpoints:
            dst.exposed_endpoints = {}
        for endpoint, rule in src.exposed_endpoints.items():
            if rule.zero:
                dst.exposed_endpoints.pop(endpoint, None)
            else:
                dst.exposed_endpoints[endpoint] = rule
        dst.exposed_endpoints_location = src.exposed_endpoints_location
    dst.present |= present
