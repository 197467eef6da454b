"""Step 1: one bundle document, decoded as Juju decodes it, with the line of everything in it.

Juju decodes a bundle document into its Go structs with its fork of yaml.v2 (docs/juju-facts.md#bundles,
#bundle-yaml), so every field is read here with the Go type Juju declares (sources/goyaml.py): `to:
[010]` is the text "010", `num_units: 2.5` is 2, `num_units: "2"` cannot be decoded. A value Juju
cannot decode empties the whole document in Juju (`BundleData.UnmarshalYAML` returns before copying
anything): the base then fails with "at least one application must be specified" and an overlay is
ignored without a word. Both are refused here in one line that says so. What the document spells out
is recorded (`AppSpec.present`), because an overlay replaces only what it spells out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

from ...errors import InputError
from ...model import Location
from ...text import quote
from .. import goyaml
from ..goyaml import BOOL, INT, INTERFACE, STRING, GoTypeError
from ..yamlload import as_mapping, as_sequence, assignments, describe, line_of, path

MAX_UNITS = 100_000

# A map-valued field as Juju ends up with it: None when absent or null (a nil map), else its entries
# by Go key, each with the container and raw key it came from (for its value, text and line).
Entries = dict[str, tuple[Any, Any]]


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
    """One application entry; `present` records which keys the document spelled out (for overlays).

    `options` and `exposed_endpoints` are None for a nil map (absent, or null: an overlay's null
    clears the base's), and a mapping otherwise (`{}` is an empty, non-nil map: it changes nothing).
    """

    name: str
    location: Location
    where: str
    present: set[str] = field(default_factory=set[str])
    charm: str = ""
    charm_location: Location | None = None
    channel: str = ""
    revision: int | None = None
    num_units: int = 0
    scale: int = 0
    to: list[tuple[str, Location, str]] = field(default_factory=list[tuple[str, Location, str]])
    expose: bool = False
    expose_location: Location | None = None
    exposed_endpoints: dict[str, ExposeRule] | None = None
    exposed_endpoints_location: Location | None = None
    options: dict[str, tuple[object, Location]] | None = None
    offers: dict[str, tuple[tuple[str, ...], Location]] | None = None
    storage: dict[str, Location] | None = None
    devices: dict[str, Location] | None = None
    resources: dict[str, tuple[object, Location]] | None = None
    k8s_placement: str = ""

    def copy(self) -> AppSpec:
        return replace(
            self,
            present=set(self.present),
            to=list(self.to),
            exposed_endpoints=None if self.exposed_endpoints is None else dict(self.exposed_endpoints),
            options=None if self.options is None else dict(self.options),
        )


@dataclass
class Relation:
    endpoints: tuple[str, ...]
    location: Location
    where: str


@dataclass
class Part:
    """One bundle document, decoded, with where everything came from."""

    input: str
    index: int
    location: Location
    keys: set[str] = field(default_factory=set[str])
    null: bool = False
    applications: dict[str, AppSpec | None] = field(default_factory=dict[str, "AppSpec | None"])
    applications_location: Location | None = None
    machines: dict[str, Location] | None = None
    relations: list[Relation] = field(default_factory=list[Relation])
    saas: dict[str, Location | None] = field(default_factory=dict[str, "Location | None"])
    bundle_type: str = ""

    @property
    def label(self) -> str:
        return f"document {self.index + 1} of {self.input}" if self.index else self.input


class Reader:
    """Decodes one document as Juju does; what Juju cannot decode is an InputError saying what Juju does."""

    def __init__(self, input: str, *, base: bool = True):
        self.input = input
        self.base = base  # the first document of the first input; every other is an overlay

    def error(self, where: str, problem: str, container: object, key: object = None) -> InputError:
        return InputError(self.input, problem, where=where, line=line_of(container, key))

    def loc(self, container: object, key: object = None) -> Location:
        return Location(self.input, line_of(container, key))

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
        part.keys = {goyaml.go_key(top, key) for key in top}
        self._refuse_deployer_format(top, part)
        try:
            goyaml.check(document, None, None, goyaml.BUNDLE, "")
        except GoTypeError as err:
            raise self._undecodable(err, label) from None
        applications = map_entries(top, "applications")
        if applications is not None:
            part.applications_location = self.loc(top, "applications")
            for name, (apps, raw) in applications.items():
                spec = apps[raw]
                part.applications[name] = (
                    None
                    if spec is None
                    else self._application(name, spec, path("applications", name), apps, raw)
                )
        machines = map_entries(top, "machines")
        if machines is not None:
            part.machines = {name: self.loc(container, raw) for name, (container, raw) in machines.items()}
        for name, (container, raw) in (map_entries(top, "saas") or {}).items():
            part.saas[name] = None if container[raw] is None else self.loc(container, raw)
        part.relations = self._relations(top)
        part.bundle_type = cast(str, last_scalar(top, "bundle", STRING, "bundle", ""))
        return part

    def _undecodable(self, err: GoTypeError, label: str) -> InputError:
        """Juju's decoder stops at a type error and the document comes out empty: say what follows."""
        if self.base:
            then = "refuses the bundle with 'at least one application must be specified'"
        else:
            then = "ignores this overlay document without a word (only --dry-run shows the error)"
        where = f"{label}: {err.where}" if label and err.where else (err.where or label or None)
        message = (
            f"{err.message} (Juju's YAML decoder stops there and reads the whole document as empty, so "
            f"Juju {then})"
        )
        return InputError(self.input, message, where=where, line=err.line)

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

    def _application(self, name: str, body: Any, where: str, apps: object, raw_name: object) -> AppSpec:
        app = AppSpec(name, self.loc(apps, raw_name), where, present={goyaml.go_key(body, k) for k in body})
        app.charm = cast(str, last_scalar(body, "charm", STRING, f"{where}.charm", ""))
        if "charm" in body:
            app.charm_location = self.loc(body, "charm")
        app.channel = cast(str, last_scalar(body, "channel", STRING, f"{where}.channel", ""))
        if last_value(body, "revision") is not None:
            app.revision = cast(int, last_scalar(body, "revision", INT, f"{where}.revision", 0))
        app.num_units = cast(int, last_scalar(body, "num_units", INT, f"{where}.num_units", 0))
        app.scale = cast(int, last_scalar(body, "scale", INT, f"{where}.scale", 0))
        for key in ("num_units", "scale"):
            count = getattr(app, key)
            if count > MAX_UNITS:
                raise self.error(
                    f"{where}.{key}",
                    f"{count} units is more than the {MAX_UNITS} this checker places",
                    body,
                    key,
                )
        # juju internal/charm/bundledata.go normalizeData
        if app.scale > 0 and app.num_units > 0:
            raise self.error(
                where,
                f"cannot specify both scale and num_units for application {quote(name)}",
                apps,
                raw_name,
            )
        if app.scale > 0:
            app.num_units, app.scale = app.scale, 0
            app.present.add("num_units")
        to = last_value(body, "to")
        if to is not None:
            app.to = self._placements(to, f"{where}.to")
        app.k8s_placement = cast(str, last_scalar(body, "placement", STRING, f"{where}.placement", ""))
        if "expose" in body:
            app.expose = bool(last_scalar(body, "expose", BOOL, f"{where}.expose", False))
            app.expose_location = self.loc(body, "expose")
        endpoints = map_entries(body, "exposed-endpoints")
        if endpoints is not None:
            app.exposed_endpoints = self._exposed_endpoints(endpoints, f"{where}.exposed-endpoints")
            app.exposed_endpoints_location = self.loc(body, "exposed-endpoints")
        options = map_entries(body, "options")
        if options is not None:
            app.options = {
                option: (
                    goyaml.field(container, raw, INTERFACE, path(where, "options", option)),
                    self.loc(container, raw),
                )
                for option, (container, raw) in options.items()
            }
        offers = map_entries(body, "offers")
        if offers is not None:
            app.offers = {
                offer: (
                    self._offer_endpoints(container[raw], path(where, "offers", offer)),
                    self.loc(container, raw),
                )
                for offer, (container, raw) in offers.items()
            }
        for key in ("storage", "devices"):
            entries = map_entries(body, key)
            if entries is not None:
                setattr(app, key, {n: self.loc(c, r) for n, (c, r) in entries.items()})
        resources = map_entries(body, "resources")
        if resources is not None:
            app.resources = {
                n: (goyaml.field(c, r, INTERFACE, path(where, "resources", n)), self.loc(c, r))
                for n, (c, r) in resources.items()
            }
        return app

    def _placements(self, items: object, where: str) -> list[tuple[str, Location, str]]:
        sequence = cast(list[object], items)
        return [
            (
                cast(str, goyaml.item(sequence, i, STRING, f"{where}[{i}]")),
                self.loc(sequence, i),
                f"{where}[{i}]",
            )
            for i in range(len(sequence))
        ]

    def _offer_endpoints(self, spec: object, where: str) -> tuple[str, ...]:
        if spec is None:
            return ()
        endpoints = last_value(spec, "endpoints")
        if endpoints is None:
            return ()
        sequence = cast(list[object], endpoints)
        return tuple(
            cast(str, goyaml.item(sequence, i, STRING, f"{where}.endpoints[{i}]"))
            for i in range(len(sequence))
        )

    def _exposed_endpoints(self, entries: Entries, where: str) -> dict[str, ExposeRule]:
        result: dict[str, ExposeRule] = {}
        for endpoint, (container, raw) in entries.items():
            rule_where = path(where, endpoint) if endpoint else f'{where}.""'
            rule = container[raw]
            cidrs = self._strings(rule, "expose-to-cidrs", f"{rule_where}.expose-to-cidrs")
            spaces = self._strings(rule, "expose-to-spaces", f"{rule_where}.expose-to-spaces")
            result[endpoint] = ExposeRule(cidrs, spaces, self.loc(container, raw))
        return result

    @staticmethod
    def _strings(spec: object, key: str, where: str) -> tuple[str, ...] | None:
        """A []string field: None when nil (absent or null), else its items as Go strings."""
        value = None if spec is None else last_value(spec, key)
        if value is None:
            return None
        sequence = cast(list[object], value)
        return tuple(
            cast(str, goyaml.item(sequence, i, STRING, f"{where}[{i}]")) for i in range(len(sequence))
        )

    def _relations(self, top: Mapping[Any, object]) -> list[Relation]:
        items = last_value(top, "relations")
        if items is None:
            return []
        sequence = cast(list[object], items)
        result: list[Relation] = []
        for i, pair in enumerate(sequence):
            where = f"relations[{i}]"
            ends = as_sequence(pair) or ()
            endpoints = tuple(
                cast(str, goyaml.item(ends, j, STRING, f"{where}[{j}]")) for j in range(len(ends))
            )
            result.append(Relation(endpoints, self.loc(sequence, i), where))
        return result


def last_value(container: object, key: str) -> object:
    """A struct field's value as Juju ends up with it: the last assignment (`<<` may assign earlier)."""
    found = assignments(container, key)
    return found[-1] if found else None


def last_scalar(container: object, key: str, want: goyaml.Scalar, where: str, default: object) -> object:
    """A scalar struct field decoded as Juju decodes it (type-checked beforehand), or `default`."""
    if not isinstance(container, dict) or key not in container:
        return default
    # The mapping holds the last assignment, with its text: an overwritten one mattered only for its
    # type, which goyaml.check has seen.
    return goyaml.field(container, key, want, where)


def map_entries(container: object, key: str) -> Entries | None:
    """A map-valued struct field as Juju builds it: each `<<` assignment decoded into the same map.

    yaml.v2 decodes a map into the existing one, key by key, and a null resets it to nil
    (docs/juju-facts.md#bundle-yaml); None is a nil map (absent or null).
    """
    result: Entries | None = None
    for value in assignments(container, key):
        if value is None:
            result = None
            continue
        mapping = cast(dict[Any, object], value)
        if result is None:
            result = {}
        for raw in mapping:
            result[goyaml.go_key(value, raw)] = (value, raw)
    return result
