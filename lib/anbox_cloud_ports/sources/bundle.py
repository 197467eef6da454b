"""A Juju bundle (with its overlays) as a Deployment: every unit placed where `juju deploy` puts it.

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

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from ..catalog import Catalog, Profile
from ..deployment import Application, Claim, Deployment, ExposeTarget, Host, Unit, claims_for_row
from ..errors import InputError
from ..findings import Finding, Location
from .yamlload import Parsed, as_mapping, as_sequence, describe, line_of, path, plain, quote

# juju/names application.go ApplicationSnippet and NumberSnippet, machine.go ContainerTypeSnippet,
# relation.go RelationSnippet: the pieces of Juju's placement and endpoint grammars.
_APP = r"(?:[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)"
_NUMBER = r"(?:0|[1-9][0-9]*)"
_CONTAINER = r"[a-z]+"
_RELATION = r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*"
# juju internal/charm/bundledata.go validPlacement: (<container>:)?(<app>(/<unit>)?|<machine>)
_PLACEMENT = re.compile(rf"(?:({_CONTAINER}):)?(?:({_APP})(?:/({_NUMBER}))?|({_NUMBER}))")
_MACHINE_ID = re.compile(_NUMBER)
_APP_NAME = re.compile(_APP)
_ENDPOINT = re.compile(rf"({_APP}):({_RELATION})")

MAX_UNITS = 100_000
MAX_PLACED_UNITS = 250_000  # with subordinates, one per principal unit each

# `juju expose` without --to-cidrs stores 0.0.0.0/0 and ::/0 (juju apiserver/facades/client/application
# Expose): either one in an expose rule means anyone can connect.
_ANYONE = frozenset({"0.0.0.0/0", "::/0"})


# -- small shared helpers (juju_status uses them too) ----------------------------------------------


def charm_name(ref: str) -> str:
    """The charm's name in any reference form a bundle or `juju status` uses.

    `ams`, `ch:ams`, `ch:amd64/focal/ams-42`, `cs:~anbox-charmers/ams-42`, `cs:focal/ams`,
    `local:jammy/ams-3`, `./charms/ams`, `./ams_ubuntu-22.04-amd64.charm` all name `ams`. A revision
    suffix is dropped only where Juju's URL syntax has one (juju internal/charm/url.go: a schema'd
    URL ends in `-<revision>`), so a bare name such as `mysql-8` keeps its digits.
    """
    ref = ref.strip()
    if ref.startswith((".", "/", "~")) or ref.endswith(".charm"):
        base = ref.rstrip("/").rsplit("/", 1)[-1]
        base = base.removesuffix(".charm")
        # charmcraft packs <name>_<base>-<arch>.charm; charm names have no underscore
        return base.split("_", 1)[0] or ref
    schema, colon, rest = ref.partition(":")
    if not colon:
        return ref
    name = rest.rstrip("/").rsplit("/", 1)[-1]
    if schema in ("cs", "ch", "local", "charmhub"):
        name = re.sub(r"-[0-9]+$", "", name)
    return name or ref


def expose_target(cidrs: Iterable[str], spaces: Iterable[str]) -> ExposeTarget:
    """An expose rule; one naming 0.0.0.0/0 or ::/0 lets everyone in, whatever else it names."""
    cidr_tuple = tuple(cidrs)
    if any(cidr in _ANYONE for cidr in cidr_tuple):
        return ExposeTarget()
    return ExposeTarget(cidr_tuple, tuple(spaces))


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order (`app2` before `app10`), as Juju's naturalsort orders machines and names."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"([0-9]+)", text) if part
    )


def go_quote_list(items: Sequence[str]) -> str:
    """Go's %q of a []string (`["a:x" "b:y"]`), as Juju prints a relation in its errors."""
    return "[" + " ".join(quote(item) for item in items) + "]"


# -- placement directives --------------------------------------------------------------------------


class Placement(NamedTuple):
    """One parsed `to:` entry (juju internal/charm/bundledata.go UnitPlacement)."""

    container: str = ""
    machine: str = ""  # a bundle machine id, "new", or "" when an application is named
    application: str = ""
    unit: int = -1  # -1: the application is named without a unit number


@lru_cache(maxsize=16384)
def parse_placement(text: str) -> Placement | None:
    """Juju's ParsePlacement; None where Juju says `invalid placement syntax`."""
    match = _PLACEMENT.fullmatch(text)
    if match is None:
        return None
    container, application, unit, machine = match.groups()
    placement = Placement(container or "", machine or "", application or "", int(unit) if unit else -1)
    if placement.application == "new":  # `new` is a machine, not an application named "new"
        if placement.unit != -1:
            return None
        placement = placement._replace(machine="new", application="")
    return placement


# -- one document, read and type-checked -----------------------------------------------------------


@dataclass
class _ExposeRule:
    cidrs: tuple[str, ...] | None
    spaces: tuple[str, ...] | None
    location: Location

    @property
    def zero(self) -> bool:
        return self.cidrs is None and self.spaces is None


@dataclass
class _AppSpec:
    """One application entry; `present` records which keys the document spelled out (for overlays)."""

    name: str
    location: Location
    where: str
    present: set[str] = field(default_factory=set[str])
    charm: str = ""
    num_units: int = 0
    scale: int = 0
    to: list[tuple[str, Location, str]] = field(default_factory=list[tuple[str, Location, str]])
    expose: bool = False
    expose_location: Location | None = None
    exposed_endpoints: dict[str, _ExposeRule] = field(default_factory=dict[str, _ExposeRule])
    exposed_endpoints_location: Location | None = None
    options: dict[str, tuple[object, Location]] = field(default_factory=dict[str, tuple[object, Location]])
    offers: bool = False
    k8s_placement: str = ""

    def copy(self) -> _AppSpec:
        return replace(
            self,
            present=set(self.present),
            to=list(self.to),
            exposed_endpoints=dict(self.exposed_endpoints),
            options=dict(self.options),
        )


@dataclass
class _Relation:
    endpoints: tuple[str, ...]
    location: Location
    where: str


@dataclass
class _Part:
    """One bundle document, type-checked, with where everything came from."""

    source: str
    index: int
    location: Location
    keys: set[str] = field(default_factory=set[str])
    null: bool = False
    applications: dict[str, _AppSpec | None] = field(default_factory=dict[str, "_AppSpec | None"])
    used_services: bool = False
    applications_location: Location | None = None
    machines: dict[str, Location] | None = None
    relations: list[_Relation] = field(default_factory=list[_Relation])
    saas: dict[str, Location | None] = field(default_factory=dict[str, "Location | None"])
    bundle_type: str = ""

    @property
    def label(self) -> str:
        return f"document {self.index + 1} of {self.source}" if self.index else self.source


class _Reader:
    """Type-checks one document; every wrong type is an InputError naming its YAML path and line."""

    def __init__(self, source: str):
        self.source = source

    def error(self, where: str, problem: str, container: object, key: object = None) -> InputError:
        return InputError(self.source, problem, where=where, line=line_of(container, key))

    def loc(self, container: object, key: object = None) -> Location:
        return Location(self.source, line_of(container, key))

    def mapping(
        self, value: object, where: str, container: object, key: object, what: str
    ) -> Mapping[Any, object]:
        found = as_mapping(value)
        if found is None:
            raise self.error(where, f"expected {what}, found {describe(value)}", container, key)
        return found

    def string(self, value: object, where: str, container: object, key: object, what: str) -> str:
        if not isinstance(value, str):
            raise self.error(where, f"expected {what}, found {describe(value)}", container, key)
        return value

    def integer(self, value: object, where: str, container: object, key: object, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(where, f"expected {what}, found {describe(value)}", container, key)
        return value

    def strings(
        self, value: object, where: str, container: object, key: object, what: str
    ) -> tuple[str, ...]:
        items = as_sequence(value)
        if items is None:
            raise self.error(where, f"expected a list of {what}, found {describe(value)}", container, key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.error(f"{where}[{i}]", f"expected {what}, found {describe(item)}", items, i)
        return tuple(str(item) for item in items)

    def key_name(self, key: object, where: str, container: object, what: str) -> str:
        """A mapping key that Juju reads as a string; YAML ints (`0:`) are the digits Juju sees."""
        if isinstance(key, str):
            return key
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
        raise self.error(
            where, f"{what} {quote(str(key))} must be a string, found {describe(key)}", container, key
        )

    # -- the document ------------------------------------------------------------------------

    def part(self, document: object, index: int) -> _Part:
        label = f"document {index + 1}" if index else ""
        part = _Part(self.source, index, Location(self.source, line_of(document)))
        if document is None:
            part.null = True
            return part
        top = as_mapping(document)
        if top is None:
            raise InputError(
                self.source,
                f"expected a bundle (a mapping with applications:), found {describe(document)}",
                where=label or None,
                line=line_of(document),
            )
        part.keys = {str(key) for key in top}
        self._refuse_deployer_format(top, part)
        if top.get("applications") and top.get("services"):
            # juju/charm v1 bundledata.go legacyBundleData.setBundleData
            raise self.error("services", "cannot specify both applications and services", top, "services")
        # Legacy `services:` is what Juju 2.0 renamed to `applications:` (juju/charm v1 legacyBundleData).
        key = "applications" if top.get("applications") is not None or "services" not in top else "services"
        if key in top:
            part.used_services = key == "services"
            part.applications_location = self.loc(top, key)
            self._applications(top[key], key, part, top)
        if "machines" in top and top["machines"] is not None:
            part.machines = self._machines(top["machines"], top)
        if top.get("relations") is not None:
            part.relations = self._relations(top["relations"], top)
        if top.get("saas") is not None:
            saas = self.mapping(top["saas"], "saas", top, "saas", "a mapping of SAAS names")
            for key, value in saas.items():
                name = self.key_name(key, path("saas", str(key)), saas, "SAAS name")
                if value is not None:
                    self.mapping(value, path("saas", name), saas, key, "a mapping with url:")
                part.saas[name] = None if value is None else self.loc(saas, key)
        if top.get("bundle") is not None:
            part.bundle_type = self.string(top["bundle"], "bundle", top, "bundle", "a bundle type string")
        return part

    def _refuse_deployer_format(self, top: Mapping[Any, object], part: _Part) -> None:
        """juju-deployer files nest the bundle under a named key; Juju reads no applications from them."""
        if {"applications", "services", "machines", "relations"} & part.keys:
            return
        for key, value in top.items():
            nested = as_mapping(value)
            if nested is not None and ("services" in nested or "applications" in nested):
                raise self.error(
                    path(str(key)),
                    f"juju-deployer format (the bundle is nested under {quote(str(key))}): Juju does not read it "
                    "and refuses it with 'at least one application must be specified'; move the keys of "
                    f"{quote(str(key))} to the top level",
                    top,
                    key,
                )

    def _applications(self, value: object, key: str, part: _Part, top: Mapping[Any, object]) -> None:
        if value is None:
            return
        apps = self.mapping(value, key, top, key, "a mapping of application names")
        for raw_name, spec in apps.items():
            name = self.key_name(raw_name, path(key, str(raw_name)), apps, "application name")
            where = path(key, name)
            if spec is None:
                part.applications[name] = None
                continue
            part.applications[name] = self._application(name, spec, where, apps, raw_name)

    def _application(self, name: str, value: object, where: str, apps: object, raw_name: object) -> _AppSpec:
        body = self.mapping(value, where, apps, raw_name, "a mapping of application settings")
        app = _AppSpec(name, self.loc(apps, raw_name), where, present={str(k) for k in body})
        get = body.get
        if get("charm") is not None:
            app.charm = self.string(get("charm"), f"{where}.charm", body, "charm", "a charm name or URL")
        for key in ("num_units", "scale"):
            if get(key) is not None:
                count = self.integer(get(key), f"{where}.{key}", body, key, "a number of units")
                if count > MAX_UNITS:
                    raise self.error(
                        f"{where}.{key}",
                        f"{count} units is more than the {MAX_UNITS} this checker places",
                        body,
                        key,
                    )
                setattr(app, key, count)
        if app.scale and app.num_units:
            # juju internal/charm/bundledata.go normalizeData
            raise self.error(
                where,
                f"cannot specify both scale and num_units for application {quote(name)}",
                apps,
                raw_name,
            )
        if app.scale:
            app.num_units, app.scale = app.scale, 0
            app.present.add("num_units")
        if get("to") is not None:
            app.to = self._placements(get("to"), f"{where}.to", body)
        if get("placement") is not None:
            app.k8s_placement = self.string(
                get("placement"), f"{where}.placement", body, "placement", "a string"
            )
        if get("expose") is not None:
            expose = get("expose")
            if not isinstance(expose, bool):
                raise self.error(
                    f"{where}.expose", f"expected true or false, found {describe(expose)}", body, "expose"
                )
            app.expose = expose
            app.expose_location = self.loc(body, "expose")
        if get("exposed-endpoints") is not None:
            app.exposed_endpoints = self._exposed_endpoints(
                get("exposed-endpoints"), f"{where}.exposed-endpoints", body
            )
            app.exposed_endpoints_location = self.loc(body, "exposed-endpoints")
        if get("options") is not None:
            options = self.mapping(
                get("options"), f"{where}.options", body, "options", "a mapping of options"
            )
            for key, option in options.items():
                option_name = self.string(key, f"{where}.options", options, key, "option names as strings")
                app.options[option_name] = (option, self.loc(options, key))
        app.offers = get("offers") is not None
        return app

    def _placements(
        self, value: object, where: str, body: Mapping[Any, object]
    ) -> list[tuple[str, Location, str]]:
        items = as_sequence(value)
        if items is None:
            raise self.error(where, f"expected a list of placements, found {describe(value)}", body, "to")
        result: list[tuple[str, Location, str]] = []
        for i, raw in enumerate(items):
            # `- 0`: Juju reads the digits as a string
            item = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
            if not isinstance(item, str):
                raise self.error(
                    f"{where}[{i}]", f"expected a placement such as lxd:0, found {describe(item)}", items, i
                )
            result.append((item, self.loc(items, i), f"{where}[{i}]"))
        return result

    def _exposed_endpoints(
        self, value: object, where: str, body: Mapping[Any, object]
    ) -> dict[str, _ExposeRule]:
        endpoints = self.mapping(value, where, body, "exposed-endpoints", "a mapping of endpoint names")
        result: dict[str, _ExposeRule] = {}
        for key, rule in endpoints.items():
            endpoint = "" if key is None else self.key_name(key, where, endpoints, "endpoint name")
            rule_where = path(where, endpoint) if endpoint else f'{where}.""'
            cidrs: tuple[str, ...] | None = None
            spaces: tuple[str, ...] | None = None
            if rule is not None:
                fields = self.mapping(
                    rule, rule_where, endpoints, key, "a mapping with expose-to-cidrs/expose-to-spaces"
                )
                if fields.get("expose-to-cidrs") is not None:
                    cidrs = self.strings(
                        fields["expose-to-cidrs"],
                        f"{rule_where}.expose-to-cidrs",
                        fields,
                        "expose-to-cidrs",
                        "CIDRs",
                    )
                if fields.get("expose-to-spaces") is not None:
                    spaces = self.strings(
                        fields["expose-to-spaces"],
                        f"{rule_where}.expose-to-spaces",
                        fields,
                        "expose-to-spaces",
                        "space names",
                    )
            result[endpoint] = _ExposeRule(cidrs, spaces, self.loc(endpoints, key))
        return result

    def _machines(self, value: object, top: Mapping[Any, object]) -> dict[str, Location]:
        machines = self.mapping(value, "machines", top, "machines", "a mapping of machine ids")
        result: dict[str, Location] = {}
        for key, spec in machines.items():
            machine = self.key_name(key, path("machines", str(key)), machines, "machine id")
            if spec is not None:
                self.mapping(spec, path("machines", machine), machines, key, "a mapping of machine settings")
            if machine in result:
                raise self.error(
                    path("machines", machine), f"machine {quote(machine)} is defined twice", machines, key
                )
            result[machine] = self.loc(machines, key)
        return result

    def _relations(self, value: object, top: Mapping[Any, object]) -> list[_Relation]:
        items = as_sequence(value)
        if items is None:
            raise self.error(
                "relations", f"expected a list of relations, found {describe(value)}", top, "relations"
            )
        result: list[_Relation] = []
        for i, item in enumerate(items):
            where = f"relations[{i}]"
            pair = as_sequence(item)
            if pair is None:
                raise self.error(where, f"expected a list of two endpoints, found {describe(item)}", items, i)
            for j, endpoint in enumerate(pair):
                if not isinstance(endpoint, str):
                    raise self.error(
                        f"{where}[{j}]",
                        f"expected an endpoint such as app:name, found {describe(endpoint)}",
                        pair,
                        j,
                    )
            result.append(_Relation(tuple(str(e) for e in pair), self.loc(items, i), where))
        return result


# -- merging overlays (juju internal/charm/overlay.go) -----------------------------------------------


def _merge(base: _Part, overlay: _Part) -> None:
    """Apply one overlay document to the base, as `juju deploy --overlay` does."""
    if not overlay.keys:
        return  # an empty document changes nothing (applyOverlay: empty presence map)
    if overlay.used_services and overlay.applications:
        # juju internal/charm/overlay.go applyOverlay
        raise InputError(
            overlay.source,
            "bundle overlay file used deprecated 'services' key, this is not valid for bundle overlay files",
            where="services",
            line=overlay.applications_location.line if overlay.applications_location else None,
        )
    for name, spec in overlay.applications.items():
        if spec is None:  # `app:` with no body removes it and its relations
            base.applications.pop(name, None)
            base.relations = [r for r in base.relations if not _mentions(r, name)]
            continue
        current = base.applications.get(name)
        if current is None:
            base.applications[name] = spec.copy()
            continue
        _merge_app(current, spec)
    for name, location in overlay.saas.items():
        if location is None:
            base.saas.pop(name, None)
            base.relations = [r for r in base.relations if not _mentions(r, name)]
        else:
            base.saas[name] = location
    base.relations.extend(overlay.relations)  # overlay relations are appended
    if overlay.machines is not None:  # a machines block replaces the base's, even an empty one
        base.machines = dict(overlay.machines)
    if overlay.bundle_type:
        base.bundle_type = overlay.bundle_type


def _mentions(relation: _Relation, name: str) -> bool:
    if len(relation.endpoints) != 2:
        return False  # kept: verification reports it (removeRelations keeps dud relations)
    return any(ep == name or ep.startswith(name + ":") for ep in relation.endpoints)


def _merge_app(dst: _AppSpec, src: _AppSpec) -> None:
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


# -- verification (juju internal/charm/bundledata.go verifyBundle) -----------------------------------


@dataclass
class _Problem:
    message: str
    location: Location | None
    where: str | None


class _Verifier:
    def __init__(self, part: _Part):
        self.part = part
        self.problems: list[_Problem] = []

    def add(self, message: str, location: Location | None = None, where: str | None = None) -> None:
        self.problems.append(_Problem(message, location, where))

    def run(self) -> None:
        part = self.part
        if part.bundle_type not in ("", "kubernetes"):
            self.add(f"bundle has an invalid type {quote(part.bundle_type)}", part.location, "bundle")
        if part.bundle_type == "kubernetes" and part.machines:
            self.add("bundle machines not valid for Kubernetes bundles", part.location, "machines")
        refs = dict.fromkeys(part.machines or {}, 0)
        for name, location in part.saas.items():
            if name in part.applications:
                self.add(
                    f"application {quote(name)} already exists with SAAS {quote(name)} name",
                    location,
                    path("saas", name),
                )
            if not _APP_NAME.fullmatch(name):
                self.add(f"invalid SAAS name {quote(name)} found", location, path("saas", name))
        for machine, location in (part.machines or {}).items():
            if not _MACHINE_ID.fullmatch(machine):
                self.add(
                    f"invalid machine id {quote(machine)} found in machines",
                    location,
                    path("machines", machine),
                )
        self._applications(refs)
        self._relations()
        for machine in sorted((m for m, count in refs.items() if count == 0), key=natural_key):
            if refs[machine] == 0:
                location = (part.machines or {}).get(machine)
                self.add(
                    f"machine {quote(machine)} is not referred to by a placement directive",
                    location,
                    path("machines", machine),
                )

    def _applications(self, refs: dict[str, int]) -> None:
        part = self.part
        if not part.applications:
            self.add(
                "at least one application must be specified", part.applications_location or part.location
            )
            return
        for name, app in part.applications.items():
            if app is None:
                self.add(
                    f"bundle application for key {quote(name)} is undefined",
                    part.applications_location,
                    path("applications", name),
                )
                continue
            if name in part.saas:
                self.add(
                    f"SAAS {quote(name)} already exists with application {quote(name)} name",
                    app.location,
                    app.where,
                )
            if app.k8s_placement and part.bundle_type != "kubernetes":
                self.add(
                    f"placement ({plain(app.k8s_placement)}) not valid for non-Kubernetes application {quote(name)}",
                    app.location,
                    f"{app.where}.placement",
                )
            if app.num_units < 0:
                self.add(
                    f"negative number of units specified on application {quote(name)}",
                    app.location,
                    f"{app.where}.num_units",
                )
            if part.bundle_type == "kubernetes":
                if len(app.to) > 1:
                    self.add(
                        f"too many placement directives for application {quote(name)}",
                        app.location,
                        f"{app.where}.to",
                    )
            else:
                self._placement(name, app, refs)
            self._expose(name, app)

    def _placement(self, name: str, app: _AppSpec, refs: dict[str, int]) -> None:
        """verifyPlacement: syntax, targets that exist, unit numbers within the target's num_units."""
        part = self.part
        if app.num_units >= 0 and len(app.to) > app.num_units:
            self.add(
                f"too many units specified in unit placement for application {quote(name)}",
                app.location,
                f"{app.where}.to",
            )
        for text, location, where in app.to:
            placement = parse_placement(text)
            if placement is None:
                hint = " (juju-deployer's app=N form; Juju writes app/N)" if "=" in text else ""
                self.add(f"invalid placement syntax {quote(text)}{hint}", location, where)
                continue
            if placement.application:
                target = part.applications.get(placement.application)
                if placement.application not in part.applications:
                    self.add(
                        f"placement {quote(text)} refers to an application not defined in this bundle",
                        location,
                        where,
                    )
                    continue
                count = target.num_units if target is not None else 0
                if placement.unit >= 0 and placement.unit >= count:
                    self.add(
                        f"placement {quote(text)} specifies a unit greater than the {count} unit(s) started by the target application",
                        location,
                        where,
                    )
            elif placement.machine != "new":
                if placement.machine not in refs:
                    self.add(
                        f"placement {quote(text)} refers to a machine not defined in this bundle",
                        location,
                        where,
                    )
                    continue
                refs[placement.machine] += 1

    def _expose(self, name: str, app: _AppSpec) -> None:
        if not app.exposed_endpoints:
            return
        if app.expose:
            self.add(
                f'exposed-endpoints cannot be specified together with "exposed:true" in application {quote(name)} '
                "as this poses a security risk when deploying bundles to older controllers",
                app.exposed_endpoints_location or app.location,
                f"{app.where}.exposed-endpoints",
            )
            return
        for endpoint, rule in app.exposed_endpoints.items():
            for cidr in rule.cidrs or ():
                if not _valid_cidr(cidr):
                    self.add(
                        f"invalid CIDR {quote(cidr)} for expose to CIDRs field for endpoint {quote(endpoint)} in application {quote(name)}",
                        rule.location,
                        f"{app.where}.exposed-endpoints",
                    )

    def _relations(self) -> None:
        """verifyRelations: two endpoints each, valid syntax, known applications, no self or repeat."""
        part = self.part
        seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
        for relation in part.relations:
            shown = go_quote_list(relation.endpoints)
            if len(relation.endpoints) != 2:
                self.add(
                    f"relation {shown} has {len(relation.endpoints)} endpoint(s), not 2",
                    relation.location,
                    relation.where,
                )
                continue
            pair: list[tuple[str, str]] = []
            for endpoint in relation.endpoints:
                parsed = _parse_endpoint(endpoint)
                if parsed is None:
                    self.add(f"invalid relation syntax {quote(endpoint)}", relation.location, relation.where)
                    break
                if parsed[0] not in part.applications and parsed[0] not in part.saas:
                    self.add(
                        f"relation {shown} refers to application {quote(parsed[0])} not defined in this bundle",
                        relation.location,
                        relation.where,
                    )
                pair.append(parsed)
            if len(pair) != 2:
                continue
            if pair[0][0] == pair[1][0]:
                self.add(
                    f"relation {shown} relates an application to itself", relation.location, relation.where
                )
            key = (min(pair), max(pair))
            if key in seen:
                self.add(f"relation {shown} is defined more than once", relation.location, relation.where)
            seen.add(key)

    def raise_first(self) -> None:
        """Juju reports every problem; one line names the first and counts the rest (VerificationError)."""
        if not self.problems:
            return
        first = self.problems[0]
        more = len(self.problems) - 1
        message = first.message + (f" (and {more} more errors)" if more else "")
        location = first.location
        raise InputError(
            location.file if location else self.part.source,
            message,
            where=first.where,
            line=location.line if location else None,
        )


def _split_endpoint(text: str) -> tuple[str, str]:
    application, _, endpoint = text.partition(":")
    return application, endpoint


def _parse_endpoint(text: str) -> tuple[str, str] | None:
    match = _ENDPOINT.fullmatch(text)
    if match is not None:
        return match.group(1), match.group(2)
    if _APP_NAME.fullmatch(text):
        return text, ""
    return None


def _valid_cidr(text: str) -> bool:
    """Go's net.ParseCIDR: an address and a prefix length, host bits allowed."""
    if "/" not in text:
        return False
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _verify(part: _Part) -> None:
    verifier = _Verifier(part)
    verifier.run()
    verifier.raise_first()


def _refuse_overlay_fields_in_base(base: _Part) -> None:
    """juju internal/charm/overlay.go VerifyNoOverlayFieldsPresent: overlay-only keys in the base bundle."""
    for name, app in base.applications.items():
        if app is None:
            continue
        for key, set_ in (("exposed-endpoints", bool(app.exposed_endpoints)), ("offers", app.offers)):
            if set_:
                location = app.exposed_endpoints_location if key == "exposed-endpoints" else app.location
                raise InputError(
                    base.source,
                    f"{path('applications', name, key)} can only appear in an overlay section",
                    where=f"{app.where}.{key}",
                    line=(location or app.location).line,
                )


# -- placing units (juju internal/bundle/changes/handlers.go unitProcessor) --------------------------


class _Placed(NamedTuple):
    host: str  # the machine or container the unit lives in
    base: str  # its top-level machine (a container's parent)
    location: Location


class _Placer:
    def __init__(self, part: _Part):
        self.part = part
        machines = part.machines or {}
        numeric = [int(m) for m in machines if m.isdigit()]
        self.next_machine = max(numeric) + 1 if numeric else 0
        self.containers: dict[tuple[str, str], int] = {}
        self.units: dict[str, list[_Placed]] = {}
        self.consumed: dict[tuple[str, str], int] = {}

    def _new_machine(self) -> str:
        machine = str(self.next_machine)
        self.next_machine += 1
        return machine

    def _container(self, base: str, kind: str) -> str:
        # juju internal/bundle/changes/model.go nextContainer: numbered per (machine, type) from 0
        number = self.containers.get((base, kind), 0)
        self.containers[(base, kind)] = number + 1
        return f"{base}/{kind}/{number}"

    def run(self) -> dict[str, list[_Placed]]:
        apps = {name: app for name, app in self.part.applications.items() if app is not None}
        if self.part.bundle_type == "kubernetes":
            for name, app in apps.items():
                # every Kubernetes unit is a pod with its own network namespace
                self.units[name] = [
                    _Placed(f"{name}/{i}", f"{name}/{i}", app.location) for i in range(app.num_units)
                ]
            return self.units
        deps = {name: self._dependencies(app) for name, app in apps.items()}
        todo = set(apps)
        done: set[str] = set()
        # processUnitPlacement: passes in sorted name order; an application waits for those it names.
        while todo:
            progress = False
            for name in sorted(todo):
                if deps[name] - done:
                    continue
                self._place_app(name, apps[name])
                done.add(name)
                todo.discard(name)
                progress = True
            if not progress:
                app = apps[sorted(todo)[0]]
                raise InputError(
                    app.location.file,
                    "cycle in placement directives for: " + ", ".join(plain(name) for name in sorted(todo)),
                    where=f"{app.where}.to",
                    line=app.location.line,
                )
        return self.units

    @staticmethod
    def _dependencies(app: _AppSpec) -> set[str]:
        result: set[str] = set()
        for text, _, _ in app.to:
            placement = parse_placement(text)
            if placement is not None and placement.application:
                result.add(placement.application)
        return result

    def _place_app(self, name: str, app: _AppSpec) -> None:
        """placeUnitsForApplication: one directive per unit, then the last one only if it can repeat."""
        placed: list[_Placed] = []
        self.units[name] = placed
        last: tuple[str, Location, str] | None = app.to[-1] if app.to else None
        if last is not None:
            placement = parse_placement(last[0])
            # Only `new` or a bare application name is reused for the remaining units; a machine or
            # a unit is not ("targeting a specific machine or unit for multiple units doesn't make sense").
            if placement is None or not (
                placement.machine == "new" or (placement.application and placement.unit == -1)
            ):
                last = None
        for i in range(app.num_units):
            directive = app.to[i] if i < len(app.to) else last
            if directive is None:
                machine = self._new_machine()
                placed.append(_Placed(machine, machine, app.location))
                continue
            host, base = self._resolve(name, directive[0])
            placed.append(_Placed(host, base, directive[1]))

    def _resolve(self, name: str, text: str) -> tuple[str, str]:
        placement = parse_placement(text)
        assert placement is not None  # verified before placing  # noqa: S101
        kind = placement.container
        if placement.machine == "new":
            machine = self._new_machine()
            return (self._container(machine, kind) if kind else machine), machine
        if placement.machine:
            base = placement.machine
            return (self._container(base, kind) if kind else base), base
        target = self.units.get(placement.application, [])
        if placement.unit >= 0:
            if placement.unit >= len(target):  # definedUnitForUnit falls back to a new machine
                machine = self._new_machine()
                return (self._container(machine, kind) if kind else machine), machine
            other = target[placement.unit]
        else:
            # definedApplicationForUnit: the next unit of the target application not yet used as a
            # target by this application; when they run out, a new machine (without a container).
            key = (name, placement.application)
            index = self.consumed.get(key, 0)
            if index >= len(target):
                machine = self._new_machine()
                return machine, machine
            self.consumed[key] = index + 1
            other = target[index]
        # A container next to a unit is a sibling on the unit's top-level machine, never nested.
        return (self._container(other.base, kind), other.base) if kind else (other.host, other.base)


# -- from the merged bundle to a Deployment --------------------------------------------------------


def _subordinates(part: _Part, placed: Mapping[str, list[_Placed]]) -> dict[str, list[str]]:
    """Which principals each subordinate follows.

    Without charm metadata a subordinate is recognised as an application with no units of its own
    that is related to an application with units; it then has one unit on each unit of each such
    principal (Juju creates one per principal unit in a container-scoped relation). Whether a
    relation is container-scoped is in the charms' metadata, which a bundle does not carry, so it is
    guessed: a principal endpoint that several applications relate to (`mysql-innodb-cluster:db-router`,
    `vault:certificates`) is a service many clients use, a global relation, and places nothing;
    `juju-info` is the exception (every subordinate attaches through it: juju internal/charm
    bundledata.go infoRelation). A relation to a SAAS or to another subordinate places nothing.
    """
    principals = {name for name, units in placed.items() if units}
    peers: dict[str, set[str]] = {}
    for relation in part.relations:
        if len(relation.endpoints) == 2:
            a, b = relation.endpoints
            peers.setdefault(a, set()).add(b.split(":", 1)[0])
            peers.setdefault(b, set()).add(a.split(":", 1)[0])
    result: dict[str, list[str]] = {}
    for relation in part.relations:
        if len(relation.endpoints) != 2:
            continue
        ends = relation.endpoints
        for (sub, sub_ep), (principal, principal_ep) in (
            (_split_endpoint(ends[0]), _split_endpoint(ends[1])),
            (_split_endpoint(ends[1]), _split_endpoint(ends[0])),
        ):
            app = part.applications.get(sub)
            if app is None or sub in principals or principal not in principals:
                continue
            shared = len(peers.get(f"{principal}:{principal_ep}", ())) > 1
            if principal_ep and shared and "juju-info" not in (principal_ep, sub_ep):
                continue
            followed = result.setdefault(sub, [])
            if principal not in followed:
                followed.append(principal)
    for followed in result.values():
        followed.sort(key=natural_key)
    return result


def build(parts: Sequence[_Part], *, source: str, catalog: Catalog, profile: Profile) -> Deployment:
    """Merge, verify and place; then turn every unit of a catalogued charm into its claims."""
    base = parts[0]
    _verify(base)
    _refuse_overlay_fields_in_base(base)
    merged = replace(
        base,
        applications={k: (v.copy() if v else None) for k, v in base.applications.items()},
        relations=list(base.relations),
        saas=dict(base.saas),
        machines=None if base.machines is None else dict(base.machines),
    )
    for overlay in parts[1:]:
        _merge(merged, overlay)
    if len(parts) > 1:
        _verify(merged)
    total = sum(app.num_units for app in merged.applications.values() if app is not None)
    if total > MAX_UNITS:
        raise InputError(
            source, f"the bundle asks for {total} units, more than the {MAX_UNITS} this checker places"
        )

    placed = _Placer(merged).run()
    subordinates = _subordinates(merged, placed)
    with_subordinates = total + sum(
        len(placed[p]) for principals in subordinates.values() for p in principals
    )
    if with_subordinates > MAX_PLACED_UNITS:
        raise InputError(
            source,
            f"with its subordinates the bundle places {with_subordinates} units, "
            f"more than the {MAX_PLACED_UNITS} this checker places",
        )
    for sub, principals in subordinates.items():
        app = merged.applications[sub]
        assert app is not None  # noqa: S101
        placed[sub] = [
            unit._replace(location=app.location) for principal in principals for unit in placed[principal]
        ]

    hosts: dict[str, Host] = {}

    def host_of(machine: str) -> Host:
        host = hosts.get(machine)
        if host is None:
            host = hosts[machine] = Host(machine)
        return host

    applications: dict[str, Application] = {}
    units: list[Unit] = []
    claims: list[Claim] = []
    problems: list[Finding] = []
    unchecked: list[str] = []
    for name, app in merged.applications.items():
        if app is None:
            continue
        charm = charm_name(app.charm) if app.charm else name
        is_sub = name in subordinates
        applications[name] = Application(
            name, charm, _exposure(app), subordinate=is_sub, location=app.location
        )
        app_units = [
            Unit(f"{name}/{i}", name, charm, host_of(spot.host), is_sub, spot.location)
            for i, spot in enumerate(placed.get(name, ()))
        ]
        units.extend(app_units)
        rows = catalog.for_charm(charm, profile)
        if not rows:
            unchecked.append(name)
            continue
        options = {key: value for key, (value, _) in app.options.items()}
        for row in rows:
            try:
                moved = claims_for_row(row, charm, options)
            except ValueError as err:  # PortRangeError, or a value the port parsers choke on
                option = row.option_for(charm)
                option_name = option.name if option else ""
                location = app.options[option_name][1] if option_name in app.options else app.location
                problems.append(
                    _invalid_option(
                        app=name,
                        default=row.ports,
                        option=option_name,
                        error=str(err),
                        units=app_units,
                        location=location,
                        where=app.where,
                    )
                )
                moved = [(port, None) for port in row.claims]
            for port, option_name in moved:
                location = (
                    app.options[option_name][1]
                    if option_name and option_name in app.options
                    else app.location
                )
                source_kind = "config" if option_name else "catalog"
                claims.extend(
                    Claim(unit.name, port, "", source_kind, option_name, row, location) for unit in app_units
                )
    return Deployment(
        input=source,
        applications=MappingProxyType(applications),
        units=tuple(units),
        claims=tuple(claims),
        profile=profile,
        problems=tuple(problems),
        unchecked=tuple(unchecked),
        # A bundle names no endpoints for ports: that is the charm's doing, at open-port time.
        endpoints_known=False,
    )


def _exposure(app: _AppSpec) -> Mapping[str, ExposeTarget]:
    if app.expose:
        # bundle `expose: true` is `juju expose app`: every opened port, to everyone (DESIGN fact 7)
        return MappingProxyType({"": ExposeTarget()})
    return MappingProxyType(
        {
            endpoint: expose_target(rule.cidrs or (), rule.spaces or ())
            for endpoint, rule in app.exposed_endpoints.items()
        }
    )


def _invalid_option(
    *, app: str, default: str, option: str, error: str, units: Sequence[Unit], location: Location, where: str
) -> Finding:
    return Finding(
        rule="invalid-port",
        severity="error",
        message=f"application {path(app)}: {plain(error, 200)}; checking with the catalog default {default} instead",
        units=tuple(unit.name for unit in units),
        fix=f"set {path(where, 'options', option)} to a port (1-65535) or a <from>-<to> range such as {default}",
        location=location,
    )


# -- entry points -----------------------------------------------------------------------------------


def parts_of(parsed: Parsed) -> list[_Part]:
    """Every document of one input as a type-checked part."""
    reader = _Reader(parsed.source)
    return [reader.part(document, i) for i, document in enumerate(parsed.documents)]


def from_parsed(
    parsed: Parsed, overlays: Sequence[Parsed], *, catalog: Catalog, profile: Profile
) -> Deployment:
    parts = parts_of(parsed)
    if not parts:
        raise InputError(parsed.source, "the bundle is empty: no YAML document in it")
    if parts[0].null:
        raise InputError(parsed.source, "the bundle is empty: its first document holds nothing")
    for overlay in overlays:
        parts.extend(parts_of(overlay))
    return build(parts, source=parsed.source, catalog=catalog, profile=profile)
