"""Step 2: overlays merged over the base, as `juju deploy --overlay` merges them.

docs/juju-facts.md#bundles; juju internal/charm/overlay.go `applyOverlay`, `mergeStructs`.
"""

from __future__ import annotations

from typing import TypeVar

from .reader import AppSpec, Part, Relation

V = TypeVar("V")


def merge(base: Part, overlay: Part) -> None:
    """Apply one overlay document to the base, as `juju deploy --overlay` does.

    juju/charm v12 overlay.go `applyOverlay`: applications and SAAS are merged (null deletes), machines
    replace the base's when given, relations are appended; `bundle`, `default-base` and the rest are
    not merged. A legacy `services:` key is an unknown field since juju/charm v9: ignored.
    """
    if not overlay.keys:
        return  # an empty document changes nothing (applyOverlay: empty presence map)
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
        dst.offers = _merge_map(dst.offers, src.offers)
    if "charm" in present:
        dst.charm_location = src.charm_location
    if "channel" in present:
        dst.channel = src.channel
    if "revision" in present:
        dst.revision = src.revision
    # Map fields: a nil map (null) clears the base's; `{}` changes nothing; otherwise key by key, a
    # null value (a zero non-scalar) deleting the key (overlay.go mergeStructs, isZero).
    if "options" in present:
        if src.options is None:
            dst.options = None
        else:
            options = dict(dst.options or {})
            for key, (value, location) in src.options.items():
                if value is None:
                    options.pop(key, None)
                else:
                    options[key] = (value, location)
            dst.options = options
    if "exposed-endpoints" in present:
        if src.exposed_endpoints is None:
            dst.exposed_endpoints = None
        else:
            rules = dict(dst.exposed_endpoints or {})
            for endpoint, rule in src.exposed_endpoints.items():
                if rule.zero:
                    rules.pop(endpoint, None)
                else:
                    rules[endpoint] = rule
            dst.exposed_endpoints = rules
        dst.exposed_endpoints_location = src.exposed_endpoints_location
    for key in ("storage", "devices", "resources"):
        if key in present:
            merged = _merge_map(getattr(dst, key), getattr(src, key))
            setattr(dst, key, merged)
    dst.present |= present


def _merge_map(dst: dict[str, V] | None, src: dict[str, V] | None) -> dict[str, V] | None:
    """mergeStructs for a map field whose values are never zero here: nil clears, else key by key."""
    if src is None:
        return None
    return {**(dst or {}), **src}
