"""What the validator charm shows: its one-line status, and every claim for the `list-ports` action."""

from __future__ import annotations

from typing import Any, Literal

from ..findings import Report, from_problem
from ..model import Deployment
from ..text import for_terminal, plural
from .as_json import finding_json
from .common import host_name


def status_line(report: Report) -> tuple[Literal["active", "blocked"], str]:
    """The unit status: the count and the first error in words, or what was checked and found clean.

    Juju shows one line of status; the first finding (errors sort first) is the one worth the space,
    the count says how many more the `check` action holds. The line quotes related units' names and
    messages, and `juju status` prints it to a terminal, so it is escaped by `text.for_terminal`.
    """
    s = report.summary
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        first = errors[0]
        kind = "conflict" if all(f.rule == "port-conflict" for f in errors) else "error"
        if first.rule == "port-conflict" and len(first.units) >= 2 and first.ports:
            where = f" on {first.hosts[0]}" if first.hosts else ""
            detail = f"{first.ports[0]} {first.units[0]} vs {first.units[1]}{where}"
        else:
            detail = first.message
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return "blocked", for_terminal(f"{plural(len(errors), kind)}: {detail}{more}")
    line = f"{plural(s.units, 'unit')}, {plural(s.hosts, 'host')}, no conflicts"
    if s.warnings:
        line += f", {plural(s.warnings, 'warning')}"
    return "active", line


def deployment_json(deployment: Deployment) -> dict[str, Any]:
    """Every host, unit and claim, as the validator's `list-ports` action returns them."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for claim in deployment.claims:
        by_unit.setdefault(claim.unit, []).append(
            {
                "port": str(claim.port),
                "endpoint": claim.endpoint,
                # As the unit published it (default, extra, option:<name>); the model's own origin
                # ("relation") otherwise.
                "source": claim.source or claim.origin,
                "option": claim.option,
                "held": claim.held,
            }
        )
    hosts: dict[str, list[dict[str, Any]]] = {}
    for unit in deployment.units:
        hosts.setdefault(host_name(unit.host), []).append(
            {
                "unit": unit.name,
                "application": unit.application,
                "charm": unit.charm,
                "claims": by_unit.get(unit.name, []),
            }
        )
    return {
        "input": deployment.input,
        "hosts": [{"host": host, "units": units} for host, units in sorted(hosts.items())],
        "problems": [finding_json(from_problem(p)) for p in deployment.problems],
    }
