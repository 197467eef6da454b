"""Finding and Report: what the engine says, in the one form every renderer and exit code reads.

Rule ids are stable: users filter and suppress on them, SARIF indexes them, tests assert them. The
rules themselves (id, severity, description, remediation) are declared in `checks/`.
"""

from collections.abc import Iterable, Mapping
from itertools import chain, groupby
from operator import attrgetter
from types import MappingProxyType
from typing import Literal, NamedTuple

from .model import HOST_PREFIX, Deployment, Host, Location, Problem, Severity
from .ports import PortRange

__all__ = [
    "SEVERITY_ORDER",
    "Finding",
    "JujuVersion",
    "Report",
    "Severity",
    "Summary",
    "View",
    "from_problem",
    "ordered",
]

SEVERITY_ORDER: Mapping[Severity, int] = MappingProxyType({"error": 0, "warning": 1, "info": 2})

# Which judgement a port-conflict finding comes from: the host's socket layer ("bind": two services
# cannot both listen), or Juju's open-port bookkeeping ("juju": the hook that opens it fails).
View = Literal["bind", "juju"]

JujuVersion = Literal["3", "4"]
JUJU_VERSIONS: tuple[JujuVersion, ...] = ("3", "4")


class Finding(NamedTuple):
    rule: str
    severity: Severity
    message: str
    hosts: tuple[Host, ...] = ()
    units: tuple[str, ...] = ()
    ports: tuple[PortRange, ...] = ()
    fix: str | None = None
    location: Location | None = None
    views: tuple[View, ...] = ()

    def sort_key(self) -> tuple[int, str, tuple[str, ...], tuple[str, ...], str]:
        return (SEVERITY_ORDER[self.severity], self.rule, shown_hosts(self.hosts), self.units, self.message)


_MACHINE = attrgetter("machine")
_MODEL = attrgetter("model")


def shown_hosts(hosts: tuple[Host, ...]) -> tuple[str, ...]:
    """`str()` of each host, at C speed when no host names a model (a finding may list 250,000)."""
    if any(map(_MODEL, hosts)):
        return tuple(map(str, hosts))
    return tuple(map(HOST_PREFIX.__add__, map(_MACHINE, hosts)))


def from_problem(problem: Problem) -> Finding:
    """What a source found while reading, as the finding it is reported as."""
    return Finding(
        rule=problem.rule,
        severity=problem.severity,
        message=problem.message,
        hosts=problem.hosts,
        units=problem.units,
        ports=problem.ports,
        fix=problem.fix,
        location=problem.location,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Deterministic order (errors first, then by rule, host, units), duplicates dropped.

    A duplicate has the same rule, message, units, ports and hosts (the last one found is kept, where
    the first stood). A finding may list a quarter of a million units and hosts: the whole tuples are
    compared only between findings of one rule and message, and the hosts spelt out for sorting only
    between findings of one severity and rule, which a stable sort within each such run makes the
    same order as sorting on the whole key.
    """
    by_message: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        same = by_message.setdefault((finding.rule, finding.message), [])
        for i, seen in enumerate(same):
            if (seen.units, seen.ports, seen.hosts) == (finding.units, finding.ports, finding.hosts):
                same[i] = finding
                break
        else:
            same.append(finding)
    unique = sorted(chain.from_iterable(by_message.values()), key=_RUN)
    out: list[Finding] = []
    for _, run in groupby(unique, key=_RUN):
        found = list(run)
        if len(found) > 1:
            found.sort(key=Finding.sort_key)
        out.extend(found)
    return out


def _run(finding: Finding) -> tuple[int, str]:
    return (SEVERITY_ORDER[finding.severity], finding.rule)


_RUN = _run


class Summary(NamedTuple):
    errors: int
    warnings: int
    infos: int
    hosts: int
    units: int
    unchecked: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding], *, hosts: int, units: int, unchecked: int = 0) -> "Summary":
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in findings:
            counts[finding.severity] += 1
        return cls(counts["error"], counts["warning"], counts["info"], hosts, units, unchecked)


class Report(NamedTuple):
    """What one check run says about one input; renderers and exit codes read only this."""

    input: str
    juju: JujuVersion
    findings: tuple[Finding, ...]
    summary: Summary
    deployment: Deployment
