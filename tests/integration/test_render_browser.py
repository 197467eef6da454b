"""The picture and the page in a real browser: mermaid parses every diagram `--format mermaid` writes,
labels show exactly the input's text (nothing from the input runs), and `--format html` renders its
table, picture and findings offline.

Headless Chromium (Debian's chromium and chromium-driver) driven by selenium, with the pinned mermaid of
.ci/node (`npm ci --prefix .ci/node`). Without them every test here skips with the reason;
ANBOX_PORTS_BROWSER_TESTS=required (set by .ci/run once the install succeeded) turns that skip into a
failure, so CI cannot pass without having looked.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.findings import Report
from anbox_cloud_ports.model import Deployment, Host, Unit
from anbox_cloud_ports.render.html import render_html
from anbox_cloud_ports.render.mermaid import escape, label, render_mermaid
from anbox_cloud_ports.sources import load, load_bundle, reference
from tests.hostile_text import unvalidated_bundle

from . import browser_harness as bh

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "unit" / "data"
REFERENCE = (REPO / "lib" / "anbox_cloud_ports" / "data" / "reference.yaml").read_text()
INJECTED = """
applications:
  anbox-stream-agent: {to: ["0"]}
  ams: {to: ["0"], options: {port: 4222}}
  lxd: {expose: true}
  coturn: {num_units: 2, to: ["1", "1"]}
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("ANBOX_PORTS_BROWSER_TESTS") == "required":
        pytest.fail(f"browser tests are required but: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def browser() -> Iterator[bh.Browser]:
    """One headless Chromium for the module (starting one costs about a second)."""
    reason = bh.unavailable_reason()
    if reason:
        _unavailable(reason)
    with bh.Browser() as started:
        yield started
        renders = started.render_seconds
        print(
            f"\nchromium {started.version}, mermaid {bh.mermaid_version()}: start {started.startup_seconds:.2f}s, "
            f"{len(renders)} renders in {sum(renders):.2f}s"
        )


@functools.cache
def reports() -> dict[str, Report]:
    """Every kind of input the renderers meet: clean, broken, observed, hostile, huge."""
    out = {
        "reference": check(reference()),
        "reference with conflicts": check(
            load_bundle(REFERENCE, input="reference.yaml", overlays=[(INJECTED, "inject.yaml")])
        ),
        "hulk-smashed lab": check(
            load((DATA / "bundles" / "anbox-hulk-smashed.yaml").read_bytes(), input="hulk.yaml")
        ),
        "juju status": check(load((DATA / "status" / "anbox-status.yaml").read_bytes(), input="status.yaml")),
        "kubernetes status": check(
            load((DATA / "status" / "kubernetes-status.yaml").read_bytes(), input="k8s.yaml")
        ),
        "hostile names": check(_hostile()),
        "500 hosts": check(_big(500)),
    }
    corpus = DATA / "corpus" / "bundles" / "canonical_juju-lint_tests_resources_fcb-yoga-jammy-bundle.yaml"
    out["918 units, not catalogued"] = check(load(corpus.read_bytes(), input=corpus.name))
    return out


def _hostile() -> Deployment:
    bundle = (
        'machines: {"0": {}}\napplications:\n'
        '  "x\\"]\\n  click n0 href \\"http://127.0.0.1:59999/\\"": {charm: ams, num_units: 2, to: ["0", "0"]}\n'
        '  "<img src=x onerror=alert(1)>": {charm: ams-lxd, num_units: 1, expose: true, to: ["0"]}\n'
        '  "%%{init: {securityLevel: loose}}%% `**md**` fa:fa-car #35; a;b": {charm: nats, num_units: 1, to: ["0"]}\n'
    )
    return unvalidated_bundle(bundle, 'evil"]\n.yaml')


def _big(hosts: int) -> Deployment:
    """LXD nodes, every tenth one with a second LXD unit on it (a conflict)."""
    base = reference()
    units = list(base.units)
    claims = list(base.claims)
    lxd = next(u for u in base.units if u.application == "lxd")
    template = [c for c in base.claims if c.unit == lxd.key]
    for i in range(hosts):
        host = Host(str(10 + i))
        names = [f"lxd/{2 + 2 * i}"] + ([f"lxd/{3 + 2 * i}"] if i % 10 == 0 else [])
        for name in names:
            units.append(Unit(name, "lxd", lxd.charm, host))
            claims += [c._replace(unit=name) for c in template]
    return base._replace(units=tuple(units), claims=tuple(claims))


NAMES = (
    "reference",
    "reference with conflicts",
    "hulk-smashed lab",
    "juju status",
    "kubernetes status",
    "hostile names",
    "500 hosts",
    "918 units, not catalogued",
)


def test_every_report_is_drawn():
    assert sorted(reports()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_picture_parses_and_renders(browser: bh.Browser, name: str):
    report = reports()[name]
    diagram = render_mermaid(report)
    result = browser.render_mermaid(diagram)
    assert result.ok, f"{result.stage} error: {result.error}\n{diagram}"
    assert result.diagram_type == "flowchart-v2"
    shown = "\n".join(result.labels)
    for finding in report.findings:
        assert finding.rule in shown
    assert browser.active_content(result.svg) == []


def test_picture_shows_units_ports_and_the_conflict(browser: bh.Browser):
    labels = browser.assert_renders(render_mermaid(reports()["reference with conflicts"]))
    assert "anbox-stream-agent/0\n443/tcp" in labels
    assert "anbox-stream-gateway-lb/0\n80/tcp · 443/tcp" in labels
    assert "port-conflict 443/tcp" in labels
    assert "port-conflict 5349/tcp+udp · 50000-51000/udp" in labels
    assert "internet" in labels
    assert "expose · internal-port-exposed 8443/tcp" in labels
    assert "machine 0" in labels


def test_large_deployment_expands_only_hosts_with_findings(browser: bh.Browser):
    diagram = render_mermaid(reports()["500 hosts"])
    labels = browser.assert_renders(diagram)
    assert sum(1 for text in labels if text.startswith("machine ")) == 24
    assert any(text.startswith("other hosts") or "other host" in text for text in labels)
    assert any(text.startswith("lxd × ") for text in labels)
    assert len(diagram) < 50_000


def test_hostile_names_are_shown_as_text_and_run_nothing(browser: bh.Browser):
    result = browser.render_mermaid(render_mermaid(reports()["hostile names"]))
    assert result.ok, result.error
    shown = "\n".join(result.labels)
    assert "<img src=x onerror=alert(1)>/0" in shown
    assert "%%{init: {securityLevel: loose}}%% `**md**` fa:fa-car #35; a;b/0" in shown
    assert 'x"]\\n click n0 href "http://127.0.0.1:59999/"/1' in shown  # spaces collapse, as HTML does
    assert browser.active_content(result.svg) == []
    assert browser.show_svg(result.svg) == []


# -- the escaping, character by character ---------------------------------------------------------

CHARS = [chr(i) for i in range(0x20, 0x7F)] + ["\t", "é", "中", "😀", "\u00a0"]
HOSTILE = [
    'say "hi"',
    "<script>window.__anboxHarness.tripwire.push('script')</script>",
    "<img src=x onerror=\"window.__anboxHarness.tripwire.push('img')\">",
    "<b>bold</b> &lt;not markup&gt; &amp; &#35;",
    "`**markdown**`",
    "`leading backtick",
    "[link](http://127.0.0.1:9/x) <a href='javascript:alert(1)'>a</a>",
    "#quot; #35; #lt;b#gt; x#y;z",
    "fa:fa-car fab:fa-github",
    "style: color #fff; classDef x:#f00;",
    "%%{init: {'securityLevel': 'loose'}}%%",
    "end subgraph graph click A call alert()",
    "A-->B ==> C -.- D",
    "|pipes| [brackets] {braces} (parens) @{ shape: circle }",
    "line one\nline two\r\nline three",
]


def _norm(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (
        " ".join(re.split(r"[ \x00-\x09\x0b-\x1f\x7f\u00a0]+", line)).strip() for line in text.split("\n")
    )
    return "\n".join(line for line in lines if line)


@pytest.mark.parametrize(
    "texts", [[f"x{c}y" for c in CHARS], HOSTILE], ids=["every printable character", "hostile strings"]
)
@pytest.mark.parametrize("where", ["node", "link", "subgraph"])
def test_label_escaping_round_trips(browser: bh.Browser, texts: list[str], where: str):
    labels = [label(f"k{i} {t}") for i, t in enumerate(texts)]
    if where == "node":
        diagram = "".join(f"  n{i}[{lab}]\n" for i, lab in enumerate(labels))
    elif where == "link":
        diagram = "".join(f'  n{i}[" "] -->|{lab}| m{i}[" "]\n' for i, lab in enumerate(labels))
    else:
        diagram = "".join(f'  subgraph s{i}[{lab}]\n    n{i}[" "]\n  end\n' for i, lab in enumerate(labels))
    result = browser.render_mermaid("flowchart LR\n" + diagram)
    assert result.ok, result.error
    got = {_norm(text) for text in result.labels if text.startswith("k")}
    assert got == {f"k{i} {_norm(t)}".strip() for i, t in enumerate(texts)}
    assert browser.show_svg(result.svg) == []


def test_escape_keeps_line_breaks_as_newlines_inside_the_quotes():
    assert escape("a\r\nb\nc\x07") == "a\nb\nc "
    assert label("") == '" "'


# -- the HTML page --------------------------------------------------------------------------------


def _page(browser: bh.Browser, tmp_path: Path, report: Report, title: str | None = None) -> bh.Page:
    js = bh.find_mermaid_js()
    assert js is not None
    path = tmp_path / "report.html"
    path.write_text(
        render_html(report, title=title, mermaid_js=js.read_text(encoding="utf-8")), encoding="utf-8"
    )
    return browser.load_html(path)


def test_html_page_shows_verdict_picture_and_findings(browser: bh.Browser, tmp_path: Path):
    report = reports()["reference with conflicts"]
    page = _page(browser, tmp_path, report, title="Lab, after the Friday change")
    page.wait_for_mermaid(expect=1)
    assert page.text("#verdict").startswith("FAILED: 6 errors, 0 warnings, 0 infos on 5 hosts and 11 units")
    rows = page.table("#findings")
    assert rows[0] == ["Severity", "Rule", "Hosts", "Units", "Ports", "Message", "Fix", "Location"]
    assert [row[:2] for row in rows[1:]] == [[f.severity, f.rule] for f in report.findings]
    assert rows[1][5] == report.findings[0].message
    picture = page.text("#picture svg")
    assert "port-conflict 443/tcp" in picture
    assert "anbox-stream-gateway-lb/0" in picture
    ports = page.table("#ports")
    assert ["0", "anbox-stream-agent/0", "443/tcp", "port-conflict"] in ports
    assert page.text(".title") == "Lab, after the Friday change"
    assert page.external_requests() == []
    assert page.console_errors() == []  # a Content-Security-Policy refusal would be logged here


def test_html_page_with_hostile_input_shows_text_and_runs_nothing(browser: bh.Browser, tmp_path: Path):
    page = _page(browser, tmp_path, reports()["hostile names"])
    page.wait_for_mermaid(expect=1)
    assert page.js("return document.querySelectorAll('img, script[src], iframe, a[href]').length;") == 0
    assert "<img src=x onerror=alert(1)>/0" in page.text("#ports")
    assert page.text("h1").startswith('anbox-ports check: evil"]\\n.yaml')
    assert page.external_requests() == []
    assert page.console_errors() == []


def test_html_page_for_a_clean_deployment(browser: bh.Browser, tmp_path: Path):
    page = _page(browser, tmp_path, reports()["reference"])
    page.wait_for_mermaid(expect=1)
    assert page.text("#verdict").startswith("OK: 0 errors")
    assert page.text("#findings") == "No findings."


# -- skipping, and requiring ----------------------------------------------------------------------


def _pytest(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANBOX_PORTS_")}
    env.update(env_extra)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-q",
            __file__,
            "-k",
            "clean_deployment",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_skips_with_the_reason_when_chromium_is_absent():
    run = _pytest({"ANBOX_PORTS_CHROMIUM": "/nonexistent/chromium"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "browser tests skipped: chromium not found at /nonexistent/chromium" in run.stdout


def test_required_turns_the_skip_into_a_failure():
    run = _pytest(
        {"ANBOX_PORTS_MERMAID_JS": "/nonexistent/mermaid.min.js", "ANBOX_PORTS_BROWSER_TESTS": "required"}
    )
    assert run.returncode == 1, run.stdout
    assert (
        "browser tests are required but: ANBOX_PORTS_MERMAID_JS=/nonexistent/mermaid.min.js is not a file"
        in (run.stdout)
    )
