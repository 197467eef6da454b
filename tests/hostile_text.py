"""Hostile text, and the properties every output must keep whatever text an input carries.

One list of strings an attacker would put in a name, a description, a file name or a databag, and the
checks the renderer tests, the hostile-input suite and the fuzz campaign all assert with: no raw
control character (`raw_controls`), and no link, image or HTML in rendered Markdown (`live_markdown`,
by markdown-it-py as CommonMark with GFM tables and linkify, and by cmark-gfm, GitHub's own renderer).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.findings import Finding, Report, Summary
from anbox_cloud_ports.model import Deployment, Host, Location
from anbox_cloud_ports.ports import PortRange

HOSTILE: tuple[str, ...] = (
    "\x1b[31mred",  # CSI: colour
    "hide\x1b[8m",  # CSI: conceal everything after it (the FAILED line)
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b]0;pwned\x07",  # OSC: window title
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x9b31m",  # C1 CSI
    "\x85next",  # C1 NEL
    "back\x08\x08\x08\x08",  # backspaces
    "over\rOK: 0 errors",  # carriage return: overwrite the line
    "two\nOK: 0 errors, 0 warnings",  # a forged verdict line
    "tab\tbed",
    "nul\x00byte",
    "del\x7f",
    "line\u2028sep",
    "para\u2029sep",
    "\u202eevil\u202c",  # bidi override
    "\u2066isolate\u2069",
    "zero\u200bwidth",
    "lone\ud800surrogate",
    "ams` [x](https://evil.example) <img src=x>",
    "![i](https://evil.example/i.png)",
    "<script>alert(1)</script>",
    "<https://evil.example>",
    "https://evil.example/path",
    "www.evil.example",
    "mail a@evil.example",
    "@octocat",
    "&lt;b&gt; &amp; &#x3C;",
    "| col | col |",
    "```\nfence\n```",
    "[x]: https://evil.example",
    "`` double ``",
    "trailing\\",
    "\\|pipe after backslash",
    "*emph* _em_ ~~strike~~ **bold**",
    "{0} {{placeholder}}",
    "[link](1)",
    "x" * 300,
)
"""Strings from input that must come out of every renderer inert."""


def raw_controls(text: str, allowed: str = "\n") -> list[str]:
    """Characters of `text` a terminal could act on: anything not printable but the newline."""
    return sorted({ch for ch in text if ch not in allowed and not ch.isprintable()})


@cache
def _markdown_it() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"linkify": True, "html": True}).enable(
        ["table", "linkify", "strikethrough"]
    )


_LIVE_TOKENS = frozenset({"link_open", "image", "html_inline", "html_block"})
# `pre` holds the report's own ```mermaid fence: a code block, inert in every renderer.
_ALLOWED_TAGS = frozenset(
    {"p", "h3", "strong", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "br"}
)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_CODE = re.compile(r"<code>.*?</code>", re.S)


def live_markdown(markdown: str) -> list[str]:
    """What in `markdown` a renderer would make live: links, images, HTML, autolinks, @mentions.

    Empty for safe output. Checked twice: markdown-it-py (CommonMark, GFM tables, linkify: what a
    CommonMark viewer does) and cmark-gfm with GitHub's extensions and raw HTML allowed (what a pull
    request comment does); outside code spans, GitHub would also turn `@name` into a mention.
    """
    found: list[str] = []
    tokens = _markdown_it().parse(markdown)
    stack = list(tokens)
    while stack:
        token = stack.pop()
        if token.type in _LIVE_TOKENS:
            found.append(f"markdown-it {token.type}: {token.content or token.attrs}")
        stack.extend(token.children or ())
    import cmarkgfm
    from cmarkgfm.cmark import Options

    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    outside_code = _CODE.sub("", html)
    found += [f"cmark-gfm <{tag}>" for tag in _TAG.findall(outside_code) if tag.lower() not in _ALLOWED_TAGS]
    if "@" in outside_code:
        found.append("cmark-gfm: @ outside a code span (a GitHub mention)")
    return found


def hostile_report(text: str) -> Report:
    """An error and a warning whose message, fix, units, hosts, location and input all hold `text`."""
    findings = (
        Finding(
            rule="port-conflict",
            severity="error",
            message=f"ams/0 and {text} both need 8444/tcp",
            hosts=(Host(text, text),),
            units=("ams/0", text),
            ports=(PortRange.parse("8444/tcp"),),
            fix=f"move `{text}` elsewhere",
            location=Location(text, 3),
            views=("bind",),
        ),
        Finding(
            rule="external-port-unexposed",
            severity="warning",
            message=f"evil is not exposed ({text} description)",
            units=(text,),
            location=Location(text),
        ),
    )
    summary = Summary.of(findings, hosts=1, units=2)
    deployment = Deployment(input=text, applications={}, units=(), claims=())
    return Report(input=text, juju="3", findings=findings, summary=summary, deployment=deployment)


def escaping_violations(text: str) -> list[str]:
    """What any renderer does wrong with `text` in every field of a report; empty when all is inert.

    Table and the status line: no raw control character, the verdict alone on the last line. JSON: the
    text comes back exact. SARIF: no raw control character, no embedded link. Markdown: no raw control
    character and nothing live (`live_markdown`).
    """
    from anbox_cloud_ports.render import render
    from anbox_cloud_ports.render.status import status_line

    report = hostile_report(text)
    found: list[str] = []
    table = render(report, "table")
    lines = table.splitlines()
    if raw_controls(table):
        found.append(f"table: raw {raw_controls(table)}")
    if not lines[-1].startswith("FAILED:") or any(line.startswith(("OK:", "FAILED:")) for line in lines[:-1]):
        found.append("table: a verdict line other than the last")
    line = status_line(report)[1]
    if raw_controls(line, ""):
        found.append(f"status: raw {raw_controls(line, '')}")
    if json.loads(render(report, "json"))["input"] != text:
        found.append("json: the input did not come back exact")
    sarif = render(report, "sarif")
    if raw_controls(sarif):
        found.append(f"sarif: raw {raw_controls(sarif)}")
    markdown = render(report, "markdown")
    if raw_controls(markdown):
        found.append(f"markdown: raw {raw_controls(markdown)}")
    found += [f"markdown: {live}" for live in live_markdown(markdown)]
    return found


def unvalidated_bundle(text: str, name: str = "b.yaml") -> Deployment:
    """A bundle read without the names check `sources.load` runs, so a renderer meets hostile names.

    The check refuses such a bundle before anything is printed; renderers must stay inert without it
    too (defence in depth), and this is how their tests get there.
    """
    from anbox_cloud_ports.sources import bundle, yamlload

    return bundle.from_parsed(yamlload.load(text, name), (), catalog=Catalog.builtin(), profile="charmed")
