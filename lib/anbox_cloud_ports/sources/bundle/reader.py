"""Step 1: one bundle document, type-checked, with the line of everything in it.

Every wrong type is an InputError naming the YAML path and the line; what the document spells out is
recorded (`AppSpec.present`), because an overlay replaces only what it spells out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ...errors import InputError
from ...model import Location
from ...text import quote
from ..yamlload import as_mapping, as_sequence, describe, line_of, path

MAX_UNITS = 100_000


@dataclass
class ExposeRule:
    cidrs: tuple[str, ...] | None
    spaces: tuple[str, ...] | None
    location: Location

    @property
    def zero(self) -> bool:
        return self.cidrs is None and self.spaces is None


@dataclass
class AppSpec:
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
    exposed_endpoints: dict[str, ExposeRule] = field(default_factory=dict[str, ExposeRule])
    exposed_endpoints_location: Location | None = None
    options: dict[str, tuple[object, Location]] = field(default_factory=dict[str, tuple[object, Location]])
    offers: bool = False
    k8s_placement: str = ""

    def copy(self) -> AppSpec:
        return replace(
            self,
            present=set(self.present),
            to=list(self.to),
            exposed_endpoints=dict(self.exposed_endpoints),
            options=dict(self.options),
        )


@dataclass
class Relation:
    endpoints: tuple[str, ...]
    location: Location
    where: str


@dataclass
class Part:
    """One bundle document, type-checked, with where everything came from."""

    input: str
    index: int
    location: Location
    keys: set[str] = field(default_factory=set[str])
    null: bool = False
    applications: dict[str, AppSpec | None] = field(default_factory=dict[str, "AppSpec | None"])
    used_services: bool = False
    applications_location: Location | None = None
    machines: dict[str, Location] | None = None
    relations: list[Relation] = field(default_factory=list[Relation])
    saas: dict[str, Location | None] = field(default_factory=dict[str, "Location | None"])
    bundle_type: str = ""

    @property
    def label(self) -> str:
        return f"document {self.index + 1} of {self.input}" if self.index else self.input


class Reader:
    """Type-checks one document; every wrong type is an InputError naming its YAML path and line."""

    def __init__(self, input: str):
        self.input = input

    def error(self, where: str, problem: str, container: object, key: object = None) -> InputError:
        return InputError(self.input, problem, where=where, line=line_of(container, key))

    def loc(self, container: object, key: object = None) -> Location:
        return Location(self.input, line_of(container, key))

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

    def part(self, document: object, index: int) -> Part:
        label = f"document {index + 1}" if index else ""
        part = Part(self.input, index, Location(self.input, line_of(document)))
        if document is None:
            part.null = True
            return part
        top = as_mapping(document)
        if top is None:
            raise InputError(
                self.input,
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

    def _refuse_deployer_format(self, top: Mapping[Any, object], part: Part) -> None:
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

    def _applications(self, value: object, key: str, part: Part, top: Mapping[Any, object]) -> None:
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

    def _application(self, name: str, value: object, where: str, apps: object, raw_name: object) -> AppSpec:
        body = self.mapping(value, where, apps, raw_name, "a mapping of application settings")
        app = AppSpec(name, self.loc(apps, raw_name), where, present={str(k) for k in body})
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
    ) -> dict[str, ExposeRule]:
        endpoints = self.mapping(value, where, body, "exposed-endpoints", "a mapping of endpoint names")
        result: dict[str, ExposeRule] = {}
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
            result[endpoint] = ExposeRule(cidrs, spaces, self.loc(endpoints, key))
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

    def _relations(self, value: object, top: Mapping[Any, object]) -> list[Relation]:
        items = as_sequence(value)
        if items is None:
            raise self.error(
                "relations", f"expected a list of relations, found {describe(value)}", top, "relations"
            )
        result: list[Relation] = []
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
            result.append(Relation(tuple(str(e) for e in pair), self.loc(items, i), where))
        return result
