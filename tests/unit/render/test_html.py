"""--format html without a browser: one self-contained page, its CSP, and a clear refusal without mermaid.

tests/integration/test_render_browser.py loads the same page in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.cli import main
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.render import html
from anbox_cloud_ports.render.html import inline_script, load_mermaid_js, render_html
from anbox_cloud_ports.sources import reference
from tests.hostile_text import unvalidated_bundle

FAKE_MERMAID = "window.mermaid = {initialize() {}}; var s = '</script><!--';"


def test_page_is_self_contained_and_its_scripts_are_the_only_ones_allowed():
    page = render_html(check(reference()), mermaid_js=FAKE_MERMAID)
    assert "<script src" not in page
    assert not re.search(r"(?:src|href)=\"https?:", page)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert policy.group(1).startswith("default-src &#x27;none&#x27;; script-src")
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"sha256-{digest}" in policy.group(1)
    assert "<\\/script><\\!--" in scripts[0]


def test_input_text_is_escaped_everywhere():
    bundle = 'machines: {"0": {}}\napplications:\n  "<b>x</b>": {charm: ams, num_units: 1, to: ["0"], expose: true}\n'
    page = render_html(check(unvalidated_bundle(bundle, "<script>.yaml")), mermaid_js=FAKE_MERMAID)
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;/0" in page
    assert "<script>.yaml" not in page


def test_inline_script():
    assert inline_script("a</SCRIPT>b<!--c") == "a<\\/SCRIPT>b<\\!--c"


def test_without_mermaid_the_cli_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("ANBOX_PORTS_MERMAID_JS", str(tmp_path / "missing.js"))
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--format", "html"], out=out, err=err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(
        f"anbox-ports check: --format html: ANBOX_PORTS_MERMAID_JS={tmp_path / 'missing.js'} is not a file; "
    )


def test_mermaid_found_in_node_modules_of_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.delenv("ANBOX_PORTS_MERMAID_JS", raising=False)
    monkeypatch.setattr(html, "GLOBAL_NODE_MODULES", ())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"mermaid\.min\.js not found; the page inlines it"):
        load_mermaid_js()
    dist = tmp_path / "node_modules" / "mermaid" / "dist"
    dist.mkdir(parents=True)
    (dist / "mermaid.min.js").write_text(FAKE_MERMAID)
    assert load_mermaid_js() == FAKE_MERMAID
