"""`juju status --format=json|yaml` as a Deployment: what a live model really has open, and where.

Keys are those of Juju's status formatter (juju cmd/juju/status/formatted.go): `model.{name, type,
controller}`, `machines.{id}` with nested `containers.{id}` (each container is a machine, a host of
its own), and `applications.{app}` with `charm`/`charm-name`, `exposed`, and
`units.{unit}.{machine, open-ports, subordinates.{unit}.{open-ports}}`. A subordinate unit lives on
its principal's machine. Juju 1.x's `services:` is read like `applications:`.

What status does not say is recorded as unknown, never guessed (docs/juju-facts.md#status-formats):
it prints `exposed: true` without the expose rules, so an exposed application's rules are unknown
(`Application.expose_rules_known`) unless the document carries `exposed-endpoints`, which Juju never
prints but other tools add; and it prints a unit's ports without their endpoints, so each opened
port becomes an observed claim on `""` of a unit whose endpoints are unknown
(`Unit.endpoints_known`). `juju show-application` and `opened-ports --endpoints` dumps complete
both (sources.combine). In a Kubernetes model (no machines) each unit is a pod with its own network
namespace, so each unit is a host of its own, named after the unit; so is a unit of a machine model
that has no machine yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, cast

from ..catalog import Catalog, CatalogRow, Profile
from ..errors import InputError, PortRangeError
from ..model import (
    Application,
    Claim,
    Deployment,
    ExposeTarget,
    Host,
    Location,
    Model,
    Problem,
    Unit,
)
from ..names import REPEAT, charm_name, is_controller, is_model
from ..ports import PortRange
from ..text import plain, quote
from .shape import Shape
from .show_application import read_expose_rules
from .yamlload import Parsed, YamlList, as_mapping, as_sequence, describe, line_of, path

# A unit name as a JSON key: `"ams/0":` (juju/names unit.go: <application>/<number>).
# Compiled when first used: a status Juju wrote on one line never needs it.
_UNIT_KEY = r'"([a-z][a-z0-9-]*/[0-9]+)"\s*:'
_UNIT_NAME = re.compile(r"[a-z][a-z0-9-]*/[0-9]+")
# Unit names joined one a line, each as `_UNIT_NAME` reads one: every name checked in one C-level pass.
# The repeat is possessive: a plain one would keep a backtracking point per name (names.py `_one_a_line`).
_UNIT_NAME_LINES = re.compile(rf"(?:{_UNIT_NAME.pattern}(?:\n{_UNIT_NAME.pattern}){REPEAT})?")


def looks_like_status(document: object) -> bool:
    """`juju status` always prints `model:` (Juju 1.x: `environment:`); a bundle never has either."""
    top = as_mapping(document)
    if top is None:
        return False
    return as_mapping(top.get("model")) is not None or (
        isinstance(top.get("environment"), str) and ("services" in top or "machines" in top)
    )


class _StatusReader:
    """One pass over the document, in its order: what Juju lists, unit by unit.

    A 20,000-unit status is read in well under a second: the place of each entry (`where`) is only
    spelt out for an error message, hosts, locations and catalog rows are shared between the units
    and claims that have the same ones, and a status Juju wrote on one line (no newline, no escape)
    has every unit's key on line 1 without a search through its text.
    """

    def __init__(self, parsed: Parsed, catalog: Catalog, profile: Profile):
        self.parsed = parsed
        self.input = parsed.input
        self.catalog = catalog
        self.profile: Profile = profile
        self.units: list[Unit] = []
        self.claims: list[Claim] = []
        self.problems: list[Problem] = []
        self._one_line = parsed.is_json and "\n" not in parsed.text and "\\" not in parsed.text
        self._json_lines: dict[str, int] | None = None
        self._locations: dict[int | None, Location] = {}
        self._on_line_1 = Location(self.input, 1)
        self._on_no_line = Location(self.input, None)
        self._hosts: dict[str, Host] = {}
        self._known_ports: dict[str, dict[str, tuple[PortRange, CatalogRow | None]]] = {}
        self._app_names: dict[str, str] = {}  # each application's name, as its key in the document

    def error(self, where: str, problem: str, container: object, key: object = None) -> InputError:
        return InputError(self.input, problem, where=where, line=line_of(container, key))

    def mapping(
        self, value: object, where: str, container: object, key: object, what: str
    ) -> Mapping[Any, object]:
        if value is None:
            return {}
        found = as_mapping(value)
        if found is None:
            raise self.error(where, f"expected {what}, found {describe(value)}", container, key)
        return found

    def location(self, container: object, key: object) -> Location:
        if self.parsed.is_json:  # plain dicts: no line of their own
            line = self._json_line(key) if isinstance(key, str) else None
        else:
            line = line_of(container, key)
        found = self._locations.get(line)
        if found is None:
            found = self._locations[line] = Location(self.input, line)
        return found

    def _json_line(self, key: str) -> int | None:
        """The line of the first `"<unit>":` key in the JSON text (json keeps no positions)."""
        if self._one_line:
            # Every key is on line 1, and without escapes each unit key is in the text as it reads.
            return 1 if _UNIT_NAME.fullmatch(key) else None
        if self._json_lines is None:
            self._json_lines = self.parsed.json_key_lines(re.compile(_UNIT_KEY))
        return self._json_lines.get(key)

    def read(self, document: object) -> Deployment:
        top = as_mapping(document)
        assert top is not None  # noqa: S101 - detect.py chose this reader because it is a mapping
        machines_key = "machines"
        self._machines(
            self.mapping(top.get(machines_key), machines_key, top, machines_key, "a mapping of machines")
        )
        apps_key = "applications" if "applications" in top or "services" not in top else "services"
        apps = self.mapping(top.get(apps_key), apps_key, top, apps_key, "a mapping of applications")
        charms: dict[str, str] = {}
        entries: dict[str, Mapping[Any, object]] = {}
        for raw_name, value in apps.items():
            name = str(raw_name)
            entry = self.mapping(
                value, path(apps_key, name), apps, raw_name, "a mapping of application status"
            )
            entries[name] = entry
            charms[name] = self._charm(entry, name, path(apps_key, name))
            self._app_names[name] = name
        applications: dict[str, Application] = {}
        unchecked: list[str] = []
        for name, entry in entries.items():
            where = path(apps_key, name)
            subordinate = bool(as_sequence(entry.get("subordinate-to")))
            rules = self._exposure(entry, where)
            applications[name] = Application(
                name,
                charms[name],
                MappingProxyType({}) if rules is None else rules,
                subordinate=subordinate,
                location=self.location(apps, name),
                expose_rules_known=rules is not None,
            )
            if not self.catalog.knows(charms[name], self.profile):
                unchecked.append(name)
            units = self.mapping(entry.get("units"), f"{where}.units", entry, "units", "a mapping of units")
            if self.parsed.is_json and self._plain_units(units, name, charms):
                continue
            for unit_name, unit_value in units.items():
                self._unit(str(unit_name), unit_value, name, charms, units, f"{where}.units", None)
        return Deployment(
            input=self.input,
            applications=MappingProxyType(applications),
            units=tuple(self.units),
            claims=tuple(self.claims),
            profile=self.profile,
            observed=True,
            problems=tuple(self.problems),
            unchecked=tuple(unchecked),
            models=MappingProxyType({"": self._model(top)}),
        )

    def _model(self, top: Mapping[Any, object]) -> Model:
        """The `model:` section: name, type (iaas or caas) and the client's controller name."""
        section = as_mapping(top.get("model"))
        if section is None:
            return Model("")
        name = section.get("name")
        if name is not None and not is_model(name):
            raise self.error("model.name", f"not a Juju model name: {quote(name)}", section, "name")
        kind = section.get("type")
        controller = section.get("controller")
        return Model(
            "",
            name if isinstance(name, str) else "",
            "iaas" if kind == "iaas" else "caas" if kind == "caas" else "unknown",
            # Only used to tell two models of one name apart; a name Juju would refuse is dropped.
            controller if isinstance(controller, str) and is_controller(controller) else "",
        )

    def _machines(self, machines: Mapping[Any, object], where: str = "machines") -> None:
        """Only checks the shape: a unit names its machine itself, and that id is the host."""
        for key, value in machines.items():
            if type(value) is dict and "containers" not in value:
                continue  # a machine as Juju writes it, without containers: nothing to check
            entry = self.mapping(value, path(where, str(key)), machines, key, "a mapping of machine status")
            containers = entry.get("containers")
            if containers is not None:
                self._machines(
                    self.mapping(
                        containers,
                        path(where, str(key), "containers"),
                        entry,
                        "containers",
                        "a mapping of containers",
                    ),
                    path(where, str(key), "containers"),
                )

    def _charm(self, entry: Mapping[Any, object], name: str, where: str) -> str:
        # `charm-name` (Juju 2.9+) is the bare name; `charm` may be a URL such as ch:amd64/focal/ams-42.
        for key in ("charm-name", "charm"):
            value = entry.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise self.error(
                    f"{where}.{key}", f"expected a charm name, found {describe(value)}", entry, key
                )
            if value:
                return charm_name(value)
        return name

    def _exposure(self, entry: Mapping[Any, object], where: str) -> Mapping[str, ExposeTarget] | None:
        """The expose rules, empty when not exposed, None when exposed to an unknown audience."""
        exposed = entry.get("exposed")
        if exposed is not None and not isinstance(exposed, bool):
            raise self.error(
                f"{where}.exposed", f"expected true or false, found {describe(exposed)}", entry, "exposed"
            )
        if not exposed:
            return MappingProxyType({})
        if entry.get("exposed-endpoints") is None:
            # docs/juju-facts.md#status-formats: `exposed: true` and never to whom.
            return None
        # Juju never prints it in status, but other tools' status documents carry it.
        rules = read_expose_rules(
            Shape(self.parsed), entry["exposed-endpoints"], where, entry, "exposed-endpoints"
        )
        return rules or None  # an empty list of rules says no more than none

    def _unit(  # noqa: PLR0917 - positional: called once per unit of the largest models
        self,
        name: str,
        value: object,
        app: str,
        charms: Mapping[str, str],
        units: Mapping[Any, object],
        where: Where,
        host: Host | None,
    ) -> None:
        """One unit and its subordinates; `where` is the mapping it is listed in, spelt out on error.

        Run once per unit of the largest models, so it keeps to what each unit needs: nothing is
        spelt out unless it is wrong, and a port text read before costs one lookup.
        """
        if isinstance(value, dict):
            entry = cast(Mapping[Any, object], value)
        else:
            entry = self.mapping(value, path(_spelt(where), name), units, name, "a mapping of unit status")
        if self._one_line:
            location = self._on_line_1 if _UNIT_NAME.fullmatch(name) else self._on_no_line
        else:
            location = self.location(units, name)
        subordinate = host is not None
        if host is None:
            machine = entry.get("machine")
            if machine is not None and not isinstance(machine, (str, int)):
                raise self.error(
                    f"{path(_spelt(where), name)}.machine",
                    f"expected a machine id, found {describe(machine)}",
                    entry,
                    "machine",
                )
            # A Kubernetes unit (or one not yet on a machine) is a host of its own.
            machine = str(machine) if machine is not None and machine != "" else name
            host = self._hosts.get(machine)
            if host is None:
                host = self._hosts[machine] = Host(machine)
        unit_app = name.partition("/")[0] if "/" in name else app
        # Juju lists a unit under the application whose name it carries, a subordinate under its
        # principal's unit, and every application (cmd/juju/status/formatter.go): nothing else is Juju's.
        if not subordinate and unit_app != app:
            raise self.error(
                path(_spelt(where), name),
                f"unit {quote(name)} is listed under application {quote(app)}: Juju lists a unit under the "
                "application whose name it carries",
                units,
                name,
            )
        if subordinate and unit_app not in charms:
            raise self.error(
                path(_spelt(where), name),
                f"subordinate unit {quote(name)} belongs to no application of this status: Juju lists "
                "every application, subordinates included",
                units,
                name,
            )
        charm = charms.get(unit_app, unit_app)
        # docs/juju-facts.md#status-formats: open-ports lists ranges without their endpoints.
        self.units.append(_new(Unit, (name, unit_app, charm, host, subordinate, location, "", False)))
        ports = entry.get("open-ports")
        if ports is not None:
            if not isinstance(ports, list):
                raise self.error(
                    f"{path(_spelt(where), name)}.open-ports",
                    f"expected a list of ports, found {describe(ports)}",
                    entry,
                    "open-ports",
                )
            if isinstance(ports, YamlList):
                for i, text in enumerate(ports):
                    item_line = line_of(ports, i)
                    self._port(
                        name, charm, text, location if item_line is None else Location(self.input, item_line)
                    )
            else:
                for text in cast(list[object], ports):
                    self._port(name, charm, text, location)
        subs = entry.get("subordinates")
        if subs is not None:
            if isinstance(subs, dict):
                sub_units = cast(Mapping[Any, object], subs)
            else:
                sub_units = self.mapping(
                    subs,
                    f"{path(_spelt(where), name)}.subordinates",
                    entry,
                    "subordinates",
                    "a mapping of subordinate units",
                )
            for sub_name, sub_value in sub_units.items():
                # a subordinate runs in its principal's machine (or container, or pod)
                self._unit(str(sub_name), sub_value, app, charms, sub_units, (where, name), host)

    def _plain_units(self, units: Mapping[Any, object], app: str, charms: Mapping[str, str]) -> bool:
        """An application's units as `_unit` reads them, when they are as Juju writes them; else False.

        The JSON Juju writes: each unit a mapping with a machine id, a list of port texts read
        before or readable, and subordinates that have none of their own. That is read here in one
        tight loop; anything else (a port Juju would not print, a unit under another application's
        name, a Kubernetes unit) puts the application back as it was and leaves it to `_unit`, which
        says what is wrong. tests/unit/sources/test_juju_status.py holds the two to the same result.
        """
        units_before, claims_before = len(self.units), len(self.claims)
        if not self._plain_units_of(units, app, charms):
            del self.units[units_before:], self.claims[claims_before:]
            return False
        return True

    def _plain_units_of(self, units: Mapping[Any, object], app: str, charms: Mapping[str, str]) -> bool:
        """Units and subordinates in one loop, their claims in one more: no Python call per unit.

        A principal's subordinates are read where they stand, so units keep the order `_unit` gives
        them, and each unit's claims follow it in the same order: its ports, each read once per charm
        (`_learn_port`), then become claims in place, the principal's and a subordinate's alike (the
        loop is written out twice: a call per unit costs more than reading its ports).
        """
        hosts, add_unit, one_line = self._hosts, self.units.append, self._one_line
        add_claim, known_ports, learn = self.claims.append, self._known_ports, self._learn_port
        canonical = self._app_names
        charm = charms.get(app, app)
        known = known_ports.get(charm) or self._ports_of(charm)
        cut = len(app)
        subordinates: list[str] = []
        # Each unit named `<app>/...`: checked for all of them at once on one line, else unit by unit.
        named_after_app = False
        if one_line:
            joined = "\n".join(units)
            if _UNIT_NAME_LINES.fullmatch(joined) is None:
                return False  # a key `_json_line` finds on no line: `_unit` places each unit on its own
            named_after_app = _all_start_with(joined, len(units), f"{app}/")
        location = sub_location = self._on_line_1
        for name, value in units.items():
            if type(value) is not dict:
                return False  # not a mapping: `_unit` says why
            if not named_after_app and (name.find("/") != cut or not name.startswith(app)):
                return False  # not named after its application: `_unit` says why
            machine = value.get("machine")
            if type(machine) is not str or not machine:
                return False
            host = hosts.get(machine)
            if host is None:
                host = hosts[machine] = _new(Host, (machine, ""))
            if not one_line:
                location = self.location(units, name)
            add_unit(_new(Unit, (name, app, charm, host, False, location, "", False)))
            ports = value.get("open-ports")
            if ports is not None:
                if type(ports) is not list:
                    return False
                for text in ports:
                    port_row = known.get(text) if type(text) is str else None
                    if port_row is None and (port_row := learn(charm, text)) is None:
                        return False
                    add_claim(
                        _new(
                            Claim,
                            (
                                name,
                                port_row[0],
                                "",
                                "observed",
                                None,
                                port_row[1],
                                location,
                                None,
                                None,
                                None,
                            ),
                        )
                    )
            subs = value.get("subordinates")
            if subs is None:
                continue
            if type(subs) is not dict:
                return False
            subordinates.extend(subs)  # pyright: ignore[reportUnknownArgumentType] - no call to cast per unit
            for sub, entry in subs.items():
                sub_cut = sub.find("/")
                if type(entry) is not dict or sub_cut < 0:
                    return False
                # The application's own name (hashed already), not a new string per subordinate.
                sub_app = canonical.get(sub[:sub_cut])
                if sub_app is None or entry.get("subordinates") is not None:
                    return False
                if not one_line:
                    sub_location = self.location(subs, sub)
                sub_charm = charms[sub_app]
                add_unit(_new(Unit, (sub, sub_app, sub_charm, host, True, sub_location, "", False)))
                ports = entry.get("open-ports")
                if ports is not None:
                    if type(ports) is not list:
                        return False
                    sub_known = known_ports.get(sub_charm) or self._ports_of(sub_charm)
                    for text in ports:
                        port_row = sub_known.get(text) if type(text) is str else None
                        if port_row is None and (port_row := learn(sub_charm, text)) is None:
                            return False
                        add_claim(
                            _new(
                                Claim,
                                (
                                    sub,
                                    port_row[0],
                                    "",
                                    "observed",
                                    None,
                                    port_row[1],
                                    sub_location,
                                    None,
                                    None,
                                    None,
                                ),
                            )
                        )
        return not one_line or _all_unit_names(subordinates)

    def _ports_of(self, charm: str) -> dict[str, tuple[PortRange, CatalogRow | None]]:
        """The port texts of one charm read so far, each with its range and catalog row."""
        found = self._known_ports.get(charm)
        if found is None:
            found = self._known_ports[charm] = {}
        return found

    def _learn_port(self, charm: str, text: object) -> tuple[PortRange, CatalogRow | None] | None:
        """A port text read for the first time: its range and row, or None if Juju would not print it."""
        if type(text) is not str:
            return None
        try:
            port = PortRange.parse(text)
        except PortRangeError:
            return None
        found = self._ports_of(charm)[text] = (port, self.catalog.row_for(charm, port, self.profile))
        return found

    def _port(self, unit: str, charm: str, text: object, location: Location) -> None:
        port_row = self._ports_of(charm).get(text) if type(text) is str else None
        if port_row is None:
            try:
                port = PortRange.parse(text)
            except PortRangeError as err:
                self.problems.append(
                    Problem(
                        message=f"unit {path(unit)} reports an open port Juju would not print: {plain(str(err), 200)}",
                        units=(unit,),
                        fix=f"check the opened ports of {path(unit)} with `juju exec --unit {path(unit)} opened-ports`",
                        location=location,
                    )
                )
                return
            port_row = (port, self.catalog.row_for(charm, port, self.profile))
            if type(text) is str:
                self._ports_of(charm)[text] = port_row
        self.claims.append(
            _new(Claim, (unit, port_row[0], "", "observed", None, port_row[1], location, None, None, None))
        )


def _all_unit_names(names: Iterable[str]) -> bool:
    """Whether `_UNIT_NAME` reads every one of `names` (none with a newline: a one-line document's keys).

    On a one-line status this decides line 1 for a whole application's units at once; a name it
    does not read sends the application back to `_unit`, which places each unit on its own.
    """
    return _UNIT_NAME_LINES.fullmatch("\n".join(names)) is not None


def _all_start_with(joined: str, count: int, prefix: str) -> bool:
    """Whether each of the `count` lines of `joined` (names, one a line) starts with `prefix`.

    Two C-level passes instead of two calls per name: when there are `count` lines, `prefix` after
    each of their newlines and at the start puts one on every line, since no prefix holds a newline.
    """
    return (
        "\n" not in prefix
        and joined.startswith(prefix)
        and joined.count("\n") == count - 1
        and joined.count(f"\n{prefix}") == count - 1
    )


# Builds a model tuple from all its fields at C speed (what `_make` does), for the per-unit hot path.
_new = tuple.__new__


Where = str | tuple["Where", str]
"""Where a unit is listed: `applications.<app>.units`, or its principal's subordinates."""


def _spelt(where: Where) -> str:
    """`where` as messages print it: `applications.lxd.units.lxd/0.subordinates`."""
    if isinstance(where, str):
        return where
    parent, principal = where
    return f"{path(_spelt(parent), principal)}.subordinates"


def from_parsed(parsed: Parsed, *, catalog: Catalog, profile: Profile) -> Deployment:
    documents = list(parsed.documents)
    if not documents:
        raise InputError(parsed.input, "empty input: no juju status document in it")
    if len(documents) > 1:
        raise InputError(
            parsed.input,
            f"juju status prints one document; this input has {len(documents)} ({quote('---')} separators)",
        )
    return _StatusReader(parsed, catalog, profile).read(documents[0])
