"""A mermaid flowchart of the deployment: where the findings are, for people who would rather look.

Models, hosts (as boxes), units with the ports they claim, conflicts as red links between units
(labelled with the rule id and the port), exposure as links from "internet" (or the named networks
and spaces of an expose rule) to the units it reaches, red where a rule leaks an internal port.

Large deployments stay readable and within mermaid's limits (maxTextSize 50,000 characters,
maxEdges 500): when there are more than `EXPAND_ALL` hosts, only hosts with a finding are drawn
box by box (at most `MAX_EXPANDED`), and every other unit is summarised per application.

Everything from the input reaches the diagram only as a quoted label escaped by `label()`, by rules
measured against mermaid 11 in a real browser: outside quotes, or with one of `"<>&#`:;%` raw, a
label could end early, become markup, a directive (`%%{`), an icon (`fa:`), a markdown string or a
line break (a backslash and an n).
Node ids are generated (`n0`, `n1`, ...), never taken from input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..findings import SEVERITY_ORDER, Finding, Report, Severity
from ..model import Claim, ExposeTarget, Host, Unit
from ..names import natural_key, unit_sort_key
from ..ports import PortRange, merge
from ..text import plain, plural

EXPAND_ALL = 8
"""Up to this many hosts, every host is drawn box by box."""
MAX_EXPANDED = 24
"""At most this many hosts are drawn box by box; the rest are summarised per application."""
MAX_UNITS_PER_HOST = 12
MAX_PORTS_SHOWN = 6
MAX_CONFLICT_LINKS = 60
LABEL_LIMIT = 80
"""Input text in a label is cut to this length (names, CIDRs), as every message bounds input."""

# Colours for severities: red for errors, amber for warnings, blue-grey for infos.
STYLES = {
    "error": "fill:#fde2e1,stroke:#c62828,stroke-width:2px,color:#7f0000",
    "warning": "fill:#fff4d6,stroke:#b26a00,stroke-width:2px,color:#5d3a00",
    "info": "fill:#e8eef5,stroke:#546e7a,color:#263238",
    "host": "fill:#f7f7f7,stroke:#9e9e9e,color:#212121",
    "summary": "fill:#ffffff,stroke:#9e9e9e,stroke-dasharray:4 3,color:#424242",
    "network": "fill:#e3f2fd,stroke:#1565c0,color:#0d47a1",
}
LINK_STYLES = {
    "error": "stroke:#c62828,stroke-width:2.5px,color:#c62828",
    "warning": "stroke:#b26a00,stroke-width:2px,color:#b26a00",
    "info": "stroke:#546e7a,color:#546e7a",
}
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# Measured against mermaid 11.17.2 with HTML labels (the flowchart default); see the module docstring.
_ESCAPES = {
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "#": "#35;",
    "`": "#96;",
    ":": "#58;",
    ";": "#59;",
    "%": "#37;",
    "\\": "#92;",
}
_NEWLINES = re.compile(r"\r\n|\r|\n")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: str) -> str:
    """Text shown literally in a mermaid label: mermaid entity codes for the characters it reads.

    Line breaks stay raw newlines, which a quoted label keeps as its own (the quote cannot end early:
    `"` is a code). Not `<br>`: a label holding `<br>` is read as HTML, and then `fa:fa-car` becomes
    an icon even when its colon is a code (measured with mermaid 11.17.2).
    """
    out = "".join(_ESCAPES.get(ch, ch) for ch in _CONTROLS.sub(" ", text))
    return _NEWLINES.sub("\n", out)


def label(*lines: str) -> str:
    """A quoted label of one or more lines; mermaid refuses `""`, so an empty one is a space."""
    text = "\n".join(escape(line) for line in lines)
    return f'"{text}"' if text.strip() else '" "'


def name(text: str) -> str:
    """A name from the input: bounded and printable before it is escaped."""
    return plain(text, LABEL_LIMIT)


def ports_text(ports: Iterable[PortRange], limit: int = MAX_PORTS_SHOWN) -> str:
    """`8443/tcp · 10000-11000/tcp+udp`: one entry per span, protocols joined, the first few."""
    spans: dict[tuple[int, int], list[str]] = {}
    for port in merge(ports):
        spans.setdefault((port.start, port.end), []).append(port.protocol)
    parts: list[str] = []
    for (start, end), protocols in sorted(spans.items()):
        span = "icmp" if start < 0 else (str(start) if start == end else f"{start}-{end}")
        parts.append(span if start < 0 else f"{span}/{'+'.join(sorted(protocols))}")
    shown = parts[:limit]
    if len(parts) > limit:
        shown.append(f"+{len(parts) - limit} more")
    return " · ".join(shown)


@dataclass
class _Diagram:
    lines: list[str] = field(default_factory=list[str])
    classes: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    link_styles: dict[str, list[int]] = field(default_factory=dict[str, list[int]])
    links: int = 0
    count: int = 0

    def node(self) -> str:
        node_id = f"n{self.count}"
        self.count += 1
        return node_id

    def link(self, a: str, b: str, text: str, severity: str | None, arrow: str = "-->") -> None:
        self.lines.append(f"  {a} {arrow}|{label(text)}| {b}")
        if severity is not None:
            self.link_styles.setdefault(severity, []).append(self.links)
        self.links += 1

    def style(self, node_id: str, cls: str) -> None:
        self.classes.setdefault(cls, []).append(node_id)


def render_mermaid(report: Report) -> str:
    """The report's deployment as a mermaid flowchart (`flowchart LR ...`), ending with a newline."""
    return "\n".join(_Drawing(report).draw()) + "\n"


class _Drawing:
    def __init__(self, report: Report):
        self.report = report
        self.deployment = report.deployment
        self.diagram = _Diagram()
        self.units = self.deployment.unit_map()
        self.claims: dict[str, list[Claim]] = {}
        for claim in self.deployment.claims:
            self.claims.setdefault(claim.unit, []).append(claim)
        self.by_unit: dict[str, list[Finding]] = {}
        for finding in report.findings:
            for unit in finding.units:
                self.by_unit.setdefault(unit, []).append(finding)
        self.node_of_unit: dict[str, str] = {}
        self.summary_of_app: dict[str, str] = {}
        self.networks: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}

    def draw(self) -> list[str]:
        d = self.diagram
        d.lines.append("flowchart LR")
        hosts = self.deployment.hosts()
        flagged = {h for f in self.report.findings for h in f.hosts}
        expanded = (
            list(hosts) if len(hosts) <= EXPAND_ALL else [h for h in hosts if h in flagged][:MAX_EXPANDED]
        )
        shown = set(expanded)
        models = sorted({h.model for h in hosts})
        for model in models:
            inner = [h for h in expanded if h.model == model]
            rest = [u for u in self.deployment.units if u.host.model == model and u.host not in shown]
            if len(models) > 1:
                d.lines.append(f"  subgraph {d.node()}[{label('model ' + name(model))}]")
            for host in sorted(inner, key=lambda h: natural_key(h.machine)):
                self._host(host)
            if rest:
                self._summaries(rest, hosts_left=len({u.host for u in rest}))
            if len(models) > 1:
                d.lines.append("  end")
        if not self.deployment.units:
            d.lines.append(f"  {d.node()}[{label('no units')}]")
        self._conflicts()
        self._exposure()
        self._unplaced()
        for cls, style in STYLES.items():
            d.lines.append(f"  classDef {cls} {style}")
        for cls, ids in d.classes.items():
            d.lines.append(f"  class {','.join(ids)} {cls}")
        for severity, indexes in d.link_styles.items():
            d.lines.append(f"  linkStyle {','.join(map(str, indexes))} {LINK_STYLES[severity]}")
        return d.lines

    # -- hosts and units ----------------------------------------------------------------------------

    def _host(self, host: Host) -> None:
        d = self.diagram
        host_id = d.node()
        units = sorted(
            (u for u in self.deployment.units if u.host == host), key=lambda u: unit_sort_key(u.key)
        )
        d.lines.append(f"  subgraph {host_id}[{label('machine ' + name(host.machine))}]")
        for unit in units[:MAX_UNITS_PER_HOST]:
            self._unit(unit)
        if len(units) > MAX_UNITS_PER_HOST:
            more = d.node()
            d.lines.append(f"    {more}[{label(f'+{len(units) - MAX_UNITS_PER_HOST} more units')}]")
            d.style(more, "summary")
            for unit in units[MAX_UNITS_PER_HOST:]:
                self.node_of_unit[unit.key] = more
        for finding in self.report.findings:
            if host in finding.hosts and finding.rule == "port-conflict" and len(finding.units) > 2:
                note = d.node()
                d.lines.append(f"    {note}[{label(finding.rule, _first_words(finding.message))}]")
                d.style(note, finding.severity)
        d.lines.append("  end")
        d.style(host_id, "host")

    def _unit(self, unit: Unit) -> None:
        d = self.diagram
        node_id = d.node()
        self.node_of_unit[unit.key] = node_id
        lines = [name(unit.key) + (" (subordinate)" if unit.subordinate else "")]
        held = [c.port for c in self.claims.get(unit.key, ())]
        if held:
            lines.append(ports_text(held))
        findings = self.by_unit.get(unit.key, [])
        for finding in findings:
            if finding.rule == "port-conflict" and len(finding.units) == 2:
                continue  # drawn as a link
            lines.append(f"{finding.severity.upper()} {finding.rule} {ports_text(finding.ports, 3)}".rstrip())
        d.lines.append(f"    {node_id}[{label(*lines)}]")
        worst = min((f.severity for f in findings), key=_SEVERITY_RANK.__getitem__, default=None)
        if worst is not None:
            d.style(node_id, worst)

    def _summaries(self, units: list[Unit], *, hosts_left: int) -> None:
        """Hosts not drawn box by box, per application; the findings of their units said by rule."""
        d = self.diagram
        group = d.node()
        flagged = any(self.by_unit.get(u.key) for u in units)
        title = label(f"{plural(hosts_left, 'other host')}" + ("" if flagged else ", no findings"))
        d.lines.append(f"  subgraph {group}[{title}]")
        by_app: dict[str, list[Unit]] = {}
        for unit in units:
            by_app.setdefault(unit.application_key, []).append(unit)
        for app_key in sorted(by_app):
            members = by_app[app_key]
            node_id = d.node()
            held = [c.port for u in members for c in self.claims.get(u.key, ())]
            hosts = len({u.host for u in members})
            lines = [f"{name(app_key)} × {len(members)}", f"on {plural(hosts, 'host')}"]
            if held:
                lines.append(ports_text(held))
            found: dict[str, Severity] = {
                f.rule: f.severity for u in members for f in self.by_unit.get(u.key, ())
            }
            lines += [f"{severity.upper()} {rule}" for rule, severity in sorted(found.items())]
            d.lines.append(f"    {node_id}[{label(*lines)}]")
            worst = sorted(found.values(), key=lambda severity: SEVERITY_ORDER[severity])
            d.style(node_id, worst[0] if worst else "summary")
            self.summary_of_app[app_key] = node_id
            for unit in members:
                self.node_of_unit[unit.key] = node_id
        d.lines.append("  end")
        d.style(group, "host")

    def _unplaced(self) -> None:
        """Findings tied to no unit on a host (a bad option of an application with no units)."""
        d = self.diagram
        for finding in self.report.findings:
            if finding.units and any(u in self.node_of_unit for u in finding.units):
                continue
            if finding.hosts:
                continue
            node_id = d.node()
            d.lines.append(
                f"  {node_id}[{label(f'{finding.severity.upper()} {finding.rule}', _first_words(finding.message))}]"
            )
            d.style(node_id, finding.severity)

    # -- links ----------------------------------------------------------------------------------------

    def _conflicts(self) -> None:
        """One red link per pair of unit boxes, naming every port they clash on."""
        d = self.diagram
        pairs: dict[tuple[str, str], list[Finding]] = {}
        for finding in self.report.findings:
            if finding.rule != "port-conflict" or len(finding.units) != 2:
                continue
            a, b = (self.node_of_unit.get(u) for u in finding.units)
            if a is not None and b is not None and a != b:
                pairs.setdefault((a, b), []).append(finding)
        for drawn, ((a, b), findings) in enumerate(pairs.items()):
            if drawn == MAX_CONFLICT_LINKS:
                note = d.node()
                d.lines.append(f"  {note}[{label('more port conflicts: see the findings')}]")
                d.style(note, "error")
                break
            ports = [p for f in findings for p in f.ports]
            worst = min((f.severity for f in findings), key=_SEVERITY_RANK.__getitem__)
            d.link(a, b, f"port-conflict {ports_text(ports, 3)}", worst, arrow="---")

    def _exposure(self) -> None:
        d = self.diagram
        for app_key in sorted(self.deployment.applications):
            app = self.deployment.applications[app_key]
            if not app.exposed:
                continue
            nodes = sorted(
                {
                    self.node_of_unit[u.key]
                    for u in self.deployment.units
                    if u.application_key == app_key and u.key in self.node_of_unit
                },
                key=lambda n: int(n[1:]),
            )
            leaks = [
                f
                for f in self.report.findings
                if f.rule == "internal-port-exposed" and _app_of(self, f) == app_key
            ]
            for endpoint, target in sorted(app.exposed.items()):
                source = self._network(target)
                rule = "expose" if not endpoint else f"expose {name(endpoint)}"
                severity = min((f.severity for f in leaks), key=_SEVERITY_RANK.__getitem__, default=None)
                text = rule
                if leaks:
                    text += " · " + " · ".join(f"{f.rule} {ports_text(f.ports, 2)}" for f in leaks[:2])
                for node_id in nodes:
                    d.link(source, node_id, text, severity)

    def _network(self, target: ExposeTarget) -> str:
        key = (target.cidrs, target.spaces)
        node_id = self.networks.get(key)
        if node_id is not None:
            return node_id
        d = self.diagram
        node_id = d.node()
        if target.everyone:
            d.lines.append(f"  {node_id}(({label('internet')}))")
        else:
            parts = [name(c) for c in target.cidrs[:4]] + [f"space {name(s)}" for s in target.spaces[:4]]
            if len(target.cidrs) > 4 or len(target.spaces) > 4:
                parts.append("...")
            d.lines.append(f"  {node_id}(({label(*parts)}))")
        d.style(node_id, "network")
        self.networks[key] = node_id
        return node_id


def _app_of(drawing: _Drawing, finding: Finding) -> str | None:
    for unit in finding.units:
        found = drawing.units.get(unit)
        if found is not None:
            return found.application_key
    return None


def _first_words(message: str, limit: int = 70) -> str:
    return plain(message.split(": ", 1)[0], limit)
