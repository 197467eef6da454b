"""One self-contained HTML page: the verdict, the picture, the findings and the ports of every unit.

Nothing is fetched when the page is viewed: mermaid is inlined, and the page's Content-Security-Policy
allows no network source at all (`default-src 'none'`) and only the page's own two scripts, by hash, so
even text that escaped its escaping could not run or fetch anything.

Mermaid (3.6 MB, MIT) is not shipped inside this package: a validator's wheel stays small, and the
page uses the mermaid the operator installed, found at `ANBOX_PORTS_MERMAID_JS`, else in
`node_modules/mermaid/dist/mermaid.min.js` of the current directory or npm's global folders (`npm
install mermaid@11`). Without it, `--format html` is refused with one line saying so, rather than
writing a page without its picture or one that fetches mermaid from a CDN at view time.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from pathlib import Path

from ..errors import InputError
from ..findings import Report
from ..names import unit_sort_key
from ..ports import PortRange
from ..text import plain
from .common import host_name, rules_note, summary_line
from .mermaid import ports_text, render_mermaid

MERMAID_ENV = "ANBOX_PORTS_MERMAID_JS"
MERMAID_DIST = Path("node_modules") / "mermaid" / "dist" / "mermaid.min.js"
GLOBAL_NODE_MODULES = (Path("/usr/local/lib"), Path("/usr/lib"))
MAX_SCRIPT_BYTES = 16 * 1024 * 1024
MAX_ROWS = 2000
"""Rows of the ports table; a bigger deployment is summarised by the picture and the findings."""

# The page's own settings for mermaid: strict security (mermaid's default, restated), HTML labels (the
# escaping in render/mermaid.py is measured for them), no diagram may change either.
MERMAID_CONFIG = {"startOnLoad": True, "securityLevel": "strict", "flowchart": {"htmlLabels": True}}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212121; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.verdict { font-weight: bold; } .verdict.failed { color: #c62828; } .verdict.ok { color: #2e7d32; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
tr.error td.severity { color: #c62828; font-weight: bold; }
tr.warning td.severity { color: #b26a00; font-weight: bold; }
code { font-size: 0.85rem; }
pre.mermaid { background: #fff; }
"""


def find_mermaid_js(cwd: Path | None = None) -> Path | None:
    """The mermaid.min.js the page inlines: `ANBOX_PORTS_MERMAID_JS`, ./node_modules, npm's global ones."""
    explicit = os.environ.get(MERMAID_ENV)
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    here = cwd or Path.cwd()
    candidates = [here / MERMAID_DIST] + [root / MERMAID_DIST for root in GLOBAL_NODE_MODULES]
    return next((c for c in candidates if c.is_file()), None)


def load_mermaid_js(path: Path | None = None) -> str:
    found = path or find_mermaid_js()
    if found is None:
        where = os.environ.get(MERMAID_ENV)
        problem = f"{MERMAID_ENV}={where} is not a file" if where else "mermaid.min.js not found"
        raise InputError(
            "--format html",
            f"{problem}; the page inlines it to draw the picture offline: run `npm install mermaid@11` in "
            f"this directory or set {MERMAID_ENV}=/path/to/mermaid.min.js",
        )
    try:
        with open(found, "rb") as handle:
            data = handle.read(MAX_SCRIPT_BYTES + 1)
    except OSError as err:
        raise InputError(str(found), f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise InputError(
            str(found), f"larger than {MAX_SCRIPT_BYTES // (1024 * 1024)} MiB: not mermaid.min.js"
        )
    return data.decode("utf-8", errors="replace")


def inline_script(js: str) -> str:
    """The script's text made safe inside <script>: `</script` and `<!--` cannot end or confuse it.

    A backslash before `/` or `!` means the same inside the JavaScript strings and regular expressions
    where these sequences can appear in a bundle.
    """
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def render_html(report: Report, *, title: str | None = None, mermaid_js: str | None = None) -> str:
    """The page; `mermaid_js` is the script to inline (found with `find_mermaid_js` when None)."""
    library = inline_script(mermaid_js if mermaid_js is not None else load_mermaid_js())
    start = f"mermaid.initialize({json.dumps(MERMAID_CONFIG)});"
    policy = (
        f"default-src 'none'; script-src '{_hash(library)}' '{_hash(start)}'; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:"
    )
    e = html.escape
    failed = report.summary.errors > 0
    verdict = ("FAILED: " if failed else "OK: ") + summary_line(report) + rules_note(report)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(policy)}">',
        f"<title>anbox-ports check: {e(plain(report.input, 200))}</title>",
        f"<style>{_STYLE}</style>",
        "</head><body>",
        f"<h1>anbox-ports check: <code>{e(plain(report.input, 200))}</code></h1>",
    ]
    if title:
        parts.append(f'<p class="title">{e(plain(title, 400))}</p>')
    parts += [
        f'<p class="verdict {"failed" if failed else "ok"}" id="verdict">{e(verdict)}</p>',
        "<h2>Picture</h2>",
        f'<pre class="mermaid" id="picture">{e(render_mermaid(report), quote=False)}</pre>',
        "<h2>Findings</h2>",
        _findings_table(report),
        "<h2>Ports by host</h2>",
        _ports_table(report),
        f"<script>{library}</script>",
        f"<script>{start}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _findings_table(report: Report) -> str:
    e = html.escape
    if not report.findings:
        return '<p id="findings">No findings.</p>'
    rows = [
        '<table id="findings"><thead><tr><th>Severity</th><th>Rule</th><th>Hosts</th><th>Units</th>'
        "<th>Ports</th><th>Message</th><th>Fix</th><th>Location</th></tr></thead><tbody>"
    ]
    for f in report.findings:
        cells = (
            f.severity,
            f.rule,
            ", ".join(host_name(h) for h in f.hosts),
            ", ".join(f.units),
            ", ".join(str(p) for p in f.ports),
            f.message,
            f.fix or "",
            str(f.location) if f.location else "",
        )
        tds = "".join(
            f'<td class="{col}">{e(plain(text, 2000))}</td>'
            for col, text in zip(_COLUMNS, cells, strict=True)
        )
        rows.append(f'<tr class="{f.severity}">{tds}</tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


_COLUMNS = ("severity", "rule", "hosts", "units", "ports", "message", "fix", "location")


def _ports_table(report: Report) -> str:
    e = html.escape
    deployment = report.deployment
    held: dict[str, list[str]] = {}
    for f in report.findings:
        for unit in f.units:
            held.setdefault(unit, []).append(f.rule)
    claims: dict[str, list[PortRange]] = {}
    for claim in deployment.claims:
        claims.setdefault(claim.unit, []).append(claim.port)
    units = sorted(deployment.units, key=lambda u: (u.host, unit_sort_key(u.key)))
    rows = [
        '<table id="ports"><thead><tr><th>Host</th><th>Unit</th><th>Ports</th><th>Findings</th></tr>'
        "</thead><tbody>"
    ]
    for unit in units[:MAX_ROWS]:
        ports = ports_text(claims.get(unit.key, ()), 50)
        rules = ", ".join(sorted(set(held.get(unit.key, ()))))
        rows.append(
            f"<tr><td>{e(host_name(unit.host))}</td><td>{e(plain(unit.key, 200))}</td>"
            f"<td>{e(ports)}</td><td>{e(rules)}</td></tr>"
        )
    if len(units) > MAX_ROWS:
        rows.append(f'<tr><td colspan="4">and {len(units) - MAX_ROWS} more units</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)
