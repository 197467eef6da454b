"""--format mermaid without a browser: the shape of the diagram, its limits and its escaping.

tests/integration/test_render_browser.py renders the same diagrams with mermaid itself."""

from __future__ import annotations

import re
from pathlib import Path

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import Host, Unit
from anbox_cloud_ports.render import FORMATS, render
from anbox_cloud_ports.render.mermaid import MAX_EXPANDED, escape, label, ports_text, render_mermaid
from anbox_cloud_ports.sources import load_bundle, reference
from tests.hostile_text import unvalidated_bundle

from ..checks.builders import P

INJECTED = 'applications:\n  anbox-stream-agent: {to: ["0"]}\n  lxd: {expose: true}\n'
REFERENCE = reference()
NODE_LINE = re.compile(r'^\s+(n\d+)(\[|\(\()"')


def test_registered():
    assert {"mermaid", "html"} <= set(FORMATS)


def test_conflict_is_a_red_link_and_the_leak_a_red_exposure_link():
    text = (Path(__file__).parents[3] / "lib" / "anbox_cloud_ports" / "data" / "reference.yaml").read_text()
    report = check(load_bundle(text, input="reference.yaml", overlays=[(INJECTED, "inject.yaml")]))
    diagram = render_mermaid(report)
    lines = diagram.splitlines()
    assert lines[0] == "flowchart LR"
    links = [line for line in lines if "---|" in line or "-->|" in line]
    conflict = next(i for i, line in enumerate(links) if '"port-conflict 443/tcp"' in line)
    leaks = [i for i, line in enumerate(links) if "internal-port-exposed 8443/tcp" in line]
    assert len(leaks) == 2  # lxd/0 and lxd/1
    red = next(line for line in lines if line.startswith("  linkStyle ") and "#c62828" in line)
    assert {conflict, *leaks} <= {int(i) for i in red.split()[1].split(",")}
    assert '(("internet"))' in diagram


def test_ids_are_generated_never_taken_from_input():
    diagram = render_mermaid(check(REFERENCE))
    ids = [m.group(1) for line in diagram.splitlines() if (m := NODE_LINE.match(line))]
    assert ids == sorted(ids, key=lambda i: int(i[1:]))
    subgraphs = re.findall(r"subgraph (\S+)\[", diagram)
    assert all(re.fullmatch(r"n\d+", s) for s in subgraphs)


def test_small_deployments_draw_every_host():
    diagram = render_mermaid(check(REFERENCE))
    assert diagram.count("subgraph") == len(REFERENCE.hosts())
    assert '"lxd/1\n8443/tcp · 10000-11000/tcp+udp"' in diagram


def test_large_deployments_expand_only_hosts_with_findings():
    units = list(REFERENCE.units)
    claims = list(REFERENCE.claims)
    template = [c for c in REFERENCE.claims if c.unit == "lxd/0"]
    for i in range(400):
        names = [f"lxd/{2 + 2 * i}"] + ([f"lxd/{3 + 2 * i}"] if i % 4 == 0 else [])
        for name in names:
            units.append(Unit(name, "lxd", "ams-lxd", Host(str(10 + i))))
            claims += [c._replace(unit=name) for c in template]
    report = check(REFERENCE._replace(units=tuple(units), claims=tuple(claims)))
    flagged = {h for f in report.findings for h in f.hosts}
    assert len(flagged) == 100
    diagram = render_mermaid(report)
    assert len(re.findall(r'subgraph n\d+\["machine ', diagram)) == MAX_EXPANDED
    assert '"lxd × ' in diagram
    assert len(diagram) < 50_000
    assert sum(1 for line in diagram.splitlines() if "---|" in line or "-->|" in line) < 500


def test_escape_codes_every_character_mermaid_reads():
    assert escape('"<>&#`:;%\\') == "#quot;#lt;#gt;#amp;#35;#96;#58;#59;#37;#92;"
    assert escape("a\r\nb\x1bc") == "a\nb c"
    assert label("fa:fa-car", "x") == '"fa#58;fa-car\nx"'
    assert label("  ") == '" "'


def test_hostile_names_cannot_leave_their_label():
    bundle = 'machines: {"0": {}}\napplications:\n  "x\\"] --> evil\\n  click n1 href \\"javascript:1\\"": {charm: ams, num_units: 1, to: ["0"]}\n'
    diagram = render_mermaid(check(unvalidated_bundle(bundle)))
    outside = re.sub(r'"[^"]*"', "", diagram)  # what mermaid reads as statements, labels taken out
    assert "evil" not in outside
    assert "click" not in outside
    assert "javascript" not in outside
    assert "evil" in diagram


def test_markdown_embeds_the_picture_in_a_fence():
    text = render(check(REFERENCE), "markdown")
    assert "```mermaid\nflowchart LR\n" in text
    fenced = text.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    assert "```" not in fenced


def test_ports_text_joins_protocols_and_cuts_long_lists():
    assert (
        ports_text([P("10000-11000/udp"), P("10000-11000/tcp"), P("8443/tcp")])
        == "8443/tcp · 10000-11000/tcp+udp"
    )
    assert ports_text([P(f"{p}/tcp") for p in range(1, 20, 2)], 3) == "1/tcp · 3/tcp · 5/tcp · +7 more"
