"""What a fix changes, said once for every kind of input: move a unit, set an option, narrow exposure.

The planner (`planner.py`) turns error findings into these; each target writes them in its own
language (a bundle overlay in `bundle.py`, `juju` commands in `commands.py`) and proves them by
reading the input back with the fix applied. A target that cannot express a change (a bundle cannot
say which endpoint a charm opens a port on) reports it as `Unresolved`, never as a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ..findings import Finding
from ..model import ExposeTarget, Host
from ..ports import PortRange

Destination = Literal["container", "machine"]
"""Where a moved unit goes: a new LXD container on the machine it is on now (its own network
namespace, no new machine), or a new machine."""


@dataclass(frozen=True, slots=True)
class MoveUnit:
    """Put one principal unit on a host of its own, so that it no longer shares ports with `apart_from`.

    `alternative` is the other unit of the pair: a target that finds moving `unit` drags other units
    along (bundle placements that follow it) may move that one instead.
    """

    unit: str
    application: str
    host: Host
    into: Destination
    apart_from: str
    alternative: str | None = None
    resolves: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class SetOption:
    """Set a charm option that holds a port to a value checked free on every host of the application."""

    application: str
    option: str
    value: int | str
    port: PortRange
    protocols: tuple[str, ...]
    hosts: tuple[Host, ...]
    was: object = None
    resolves: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class SetExposure:
    """Replace an application's expose rules: empty means not exposed at all.

    `lost` names what the narrower rules no longer reach that the catalog marks exposed externally
    (a non-Juju action must open it, e.g. a firewall rule): the fix says so instead of hiding it.
    """

    application: str
    exposed: Mapping[str, ExposeTarget] = field(default_factory=lambda: MappingProxyType({}))
    lost: tuple[PortRange, ...] = ()
    lost_note: str = ""
    resolves: tuple[Finding, ...] = ()


Change = MoveUnit | SetOption | SetExposure


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An error no change of this kind of input can remove, and what does remove it."""

    finding: Finding
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)
