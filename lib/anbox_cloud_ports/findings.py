"""Finding: what the engine says, in a form every renderer (table, JSON, SARIF, charm status) shares.

Rule ids are stable: users filter and suppress on them, SARIF indexes them, tests assert them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .deployment import Host
    from .ports import PortRange

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: Mapping[Severity, int] = MappingProxyType({"error": 0, "warning": 1, "info": 2})

# Which judgement a port-conflict finding comes from: the host's socket layer ("bind": two services
# cannot both listen), or Juju's open-port bookkeeping ("juju": the hook that opens it fails).
View = Literal["bind", "juju"]

RULES: Mapping[str, str] = MappingProxyType(
    {
        "port-conflict": "Two claims on one host overlap: the services cannot both bind, or Juju refuses the open-port.",
        "internal-port-exposed": "A port the catalog marks not exposed externally is reachable through an expose rule.",
        "external-port-unexposed": "A required, externally exposed catalog port is opened but its application is not exposed.",
        "required-port-missing": "A unit does not hold a port the catalog marks required.",
        "invalid-port": "A port value (option, relation data, status) cannot be parsed or is out of range.",
        "uncatalogued-port": "A unit holds a port its charm's catalog rows do not name.",
    }
)


@dataclass(frozen=True, slots=True)
class Location:
    """Where in an input the offending entry sits (1-based line), for editors and SARIF."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    hosts: tuple[Host, ...] = ()
    units: tuple[str, ...] = ()
    ports: tuple[PortRange, ...] = ()
    fix: str | None = None
    location: Location | None = None
    views: tuple[View, ...] = ()

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown rule id {self.rule!r}")

    def sort_key(self) -> tuple[int, str, tuple[str, ...], tuple[str, ...], str]:
        return (
            SEVERITY_ORDER[self.severity],
            self.rule,
            tuple(str(h) for h in self.hosts),
            self.units,
            self.message,
        )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Deterministic order (errors first, then by rule, host, units), duplicates dropped."""
    unique = {(f.rule, f.message, f.units, f.ports, f.hosts): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


@dataclass(frozen=True, slots=True)
class Summary:
    errors: int
    warnings: int
    infos: int
    hosts: int
    units: int
    unchecked: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding], *, hosts: int, units: int, unchecked: int = 0) -> Summary:
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in findings:
            counts[finding.severity] += 1
        return cls(counts["error"], counts["warning"], counts["info"], hosts, units, unchecked)
