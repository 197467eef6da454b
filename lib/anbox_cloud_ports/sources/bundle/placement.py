"""Step 4: where each unit lands, as Juju's bundle handler places units on a fresh model.

juju internal/bundle/changes/handlers.go `unitProcessor`, `placeUnitsForApplication`
(docs/juju-facts.md#bundles). Hosts keep the bundle's own machine ids.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ... import names
from ...errors import InputError
from ...model import Location
from ...text import plain
from .reader import AppSpec, Part

# juju internal/charm/bundledata.go validPlacement: (<container>:)?(<app>(/<unit>)?|<machine>)
PLACEMENT = re.compile(
    rf"(?:({names.CONTAINER_TYPE_SNIPPET}):)?"
    rf"(?:({names.APPLICATION_SNIPPET})(?:/({names.NUMBER_SNIPPET}))?|({names.NUMBER_SNIPPET}))"
)


class Placement(NamedTuple):
    """One parsed `to:` entry (juju internal/charm/bundledata.go UnitPlacement)."""

    container: str = ""
    machine: str = ""  # a bundle machine id, "new", or "" when an application is named
    application: str = ""
    unit: int = -1  # -1: the application is named without a unit number


@lru_cache(maxsize=16384)
def parse_placement(text: str) -> Placement | None:
    """Juju's ParsePlacement; None where Juju says `invalid placement syntax`."""
    match = PLACEMENT.fullmatch(text)
    if match is None:
        return None
    container, application, unit, machine = match.groups()
    placement = Placement(container or "", machine or "", application or "", int(unit) if unit else -1)
    if placement.application == "new":  # `new` is a machine, not an application named "new"
        if placement.unit != -1:
            return None
        placement = placement._replace(machine="new", application="")
    return placement


class Placed(NamedTuple):
    host: str  # the machine or container the unit lives in
    base: str  # its top-level machine (a container's parent)
    location: Location


class Placer:
    def __init__(self, part: Part):
        self.part = part
        machines = part.machines or {}
        numeric = [int(m) for m in machines if m.isdigit()]
        self.next_machine = max(numeric) + 1 if numeric else 0
        self.containers: dict[tuple[str, str], int] = {}
        self.units: dict[str, list[Placed]] = {}
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

    def run(self) -> dict[str, list[Placed]]:
        apps = {name: app for name, app in self.part.applications.items() if app is not None}
        if self.part.bundle_type == "kubernetes":
            for name, app in apps.items():
                # every Kubernetes unit is a pod with its own network namespace
                self.units[name] = [
                    Placed(f"{name}/{i}", f"{name}/{i}", app.location) for i in range(app.num_units)
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
    def _dependencies(app: AppSpec) -> set[str]:
        result: set[str] = set()
        for text, _, _ in app.to:
            placement = parse_placement(text)
            if placement is not None and placement.application:
                result.add(placement.application)
        return result

    def _place_app(self, name: str, app: AppSpec) -> None:
        """placeUnitsForApplication: one directive per unit, then the last one only if it can repeat."""
        placed: list[Placed] = []
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
                placed.append(Placed(machine, machine, app.location))
                continue
            host, base = self._resolve(name, directive[0])
            placed.append(Placed(host, base, directive[1]))

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
