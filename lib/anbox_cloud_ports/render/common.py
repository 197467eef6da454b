"""What every findings format says the same way: the verdict line, and whose rules applied."""

from __future__ import annotations

from ..findings import Report
from ..model import Host
from ..text import plural


def host_name(host: Host) -> str:
    """A host as machine-readable formats name it: the machine id, prefixed by the model when there are several."""
    return f"{host.model}:{host.machine}" if host.model else host.machine


def summary_line(report: Report) -> str:
    s = report.summary
    line = (
        f"{plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, {plural(s.infos, 'info')}"
        f" on {plural(s.hosts, 'host')} and {plural(s.units, 'unit')}"
    )
    if s.unchecked:
        line += f"; {plural(s.unchecked, 'application')} not in the catalog, not checked"
    return line


def rules_note(report: Report) -> str:
    """Whose open-port rules applied; none did where Juju opens no ports (the appliance, a preflight).

    Juju 3.x and 4.x refuse the same open-port calls (docs/juju-facts.md#open-port-conflicts), so
    the note names both.
    """
    if not report.deployment.juju_managed or not report.deployment.units:
        return ""
    return " (Juju 3/4 rules)"
