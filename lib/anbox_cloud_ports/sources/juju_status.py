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
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..catalog import Catalog, Profile
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
from ..names import charm_name, is_controller, is_model
from ..ports import PortRange
from ..text import plain, quote
from .shape import Shape
from .show_application import read_expose_rules
from .yamlload import Parsed, as_mapping, as_sequence, describe, line_of, path

# A unit name as a JSON key: `"ams/0":` (juju/names unit.go: <application>/<number>).
_UNIT_KEY = re.compile(r'"([a-z][a-z0-9-]*/[0-9]+)"\s*:')


def looks_like_status(document: object) -> bool:
    """`juju status` always prints `model:` (Juju 1.x: `environment:`); a bundle never has either."""
    top = as_mapping(document)
    if top is None:
        return False
    return as_mapping(top.get("model")) is not None or (
        isinstance(top.get("environment"), str) and ("services" in top or "machines" in top)
    )


class _StatusReader:
    def __init__(self, parsed: Parsed, catalog: Catalog, profile: Profile):
        self.parsed = parsed
        self.input = parsed.input
        self.catalog = catalog
        self.profile: Profile = profile
        self.json_lines: dict[str, int] = parsed.json_key_lines(_UNIT_KEY) if parsed.is_json else {}
        self.units: list[Unit] = []
        self.claims: list[Claim] = []
        self.problems: list[Problem] = []

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
        line = line_of(container, key)
        if line is None and isinstance(key, str):
            line = self.json_lines.get(key)
        return Location(self.input, line)

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
            for unit_name, unit_value in units.items():
                self._unit(
                    name=str(unit_name),
                    value=unit_value,
                    app=name,
                    charms=charms,
                    units=units,
                    where=f"{where}.units",
                )
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

    def _unit(
        self,
        *,
        name: str,
        value: object,
        app: str,
        charms: Mapping[str, str],
        units: Mapping[Any, object],
        where: str,
        host: Host | None = None,
    ) -> None:
        unit_where = path(where, name)
        entry = self.mapping(value, unit_where, units, name, "a mapping of unit status")
        location = self.location(units, name)
        subordinate = host is not None
        if host is None:
            machine = entry.get("machine")
            if machine is not None and not isinstance(machine, str | int):
                raise self.error(
                    f"{unit_where}.machine",
                    f"expected a machine id, found {describe(machine)}",
                    entry,
                    "machine",
                )
            # A Kubernetes unit (or one not yet on a machine) is a host of its own.
            host = Host(str(machine)) if machine is not None and machine != "" else Host(name)
        unit_app = name.split("/", 1)[0] if "/" in name else app
        # Juju lists a unit under the application whose name it carries, a subordinate under its
        # principal's unit, and every application (cmd/juju/status/formatter.go): nothing else is Juju's.
        if not subordinate and unit_app != app:
            raise self.error(
                unit_where,
                f"unit {quote(name)} is listed under application {quote(app)}: Juju lists a unit under the "
                "application whose name it carries",
                units,
                name,
            )
        if subordinate and unit_app not in charms:
            raise self.error(
                unit_where,
                f"subordinate unit {quote(name)} belongs to no application of this status: Juju lists "
                "every application, subordinates included",
                units,
                name,
            )
        charm = charms.get(unit_app, unit_app)
        # docs/juju-facts.md#status-formats: open-ports lists ranges without their endpoints.
        unit = Unit(name, unit_app, charm, host, subordinate=subordinate, location=location)
        self.units.append(unit._replace(endpoints_known=False))
        ports = entry.get("open-ports")
        if ports is not None:
            items = as_sequence(ports)
            if items is None:
                raise self.error(
                    f"{unit_where}.open-ports",
                    f"expected a list of ports, found {describe(ports)}",
                    entry,
                    "open-ports",
                )
            for i, text in enumerate(items):
                item_line = line_of(items, i)
                self._port(
                    name, charm, text, location if item_line is None else Location(self.input, item_line)
                )
        subs = entry.get("subordinates")
        if subs is not None:
            sub_units = self.mapping(
                subs, f"{unit_where}.subordinates", entry, "subordinates", "a mapping of subordinate units"
            )
            for sub_name, sub_value in sub_units.items():
                # a subordinate runs in its principal's machine (or container, or pod)
                self._unit(
                    name=str(sub_name),
                    value=sub_value,
                    app=app,
                    charms=charms,
                    units=sub_units,
                    where=f"{unit_where}.subordinates",
                    host=host,
                )

    def _port(self, unit: str, charm: str, text: object, location: Location) -> None:
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
        row = self.catalog.row_for(charm, port, self.profile)
        self.claims.append(Claim(unit, port, "", "observed", None, row, location))


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
