"""`--format markdown`: nothing from input renders as a link, an image or HTML in a pull-request comment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.render.markdown import render_markdown
from tests.hostile_text import HOSTILE, hostile_report, live_markdown, raw_controls


def test_the_issue_s_application_name_is_shown_literally():
    name = "ams` [x](https://evil.example) <img src=x>"
    out = render_markdown(hostile_report(name))
    assert live_markdown(out) == []
    assert "``ams` [x](https://evil.example) <img src=x>``" in out


def test_live_markdown_sees_what_an_unescaped_renderer_would_print():
    # the checker itself must be able to fail: the old renderer's output for that name
    old = "| `ams` [x](https://evil.example) <img src=x>` | a@evil.example |"
    found = live_markdown(f"| a | b |\n|---|---|\n{old}\n")
    assert any("link_open" in f for f in found)
    assert any("<img>" in f for f in found)
    assert any("@" in f for f in found)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_stays_inert(text: str):
    out = render_markdown(hostile_report(text))
    assert live_markdown(out) == []
    assert raw_controls(out) == []


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_the_table_keeps_its_seven_columns(text: str):
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(render_markdown(hostile_report(text)))
    rows = [t for t in tokens if t.type == "tr_open"]
    cells = [t for t in tokens if t.type in ("th_open", "td_open")]
    assert len(rows) == 3
    assert len(cells) == 3 * 7


@pytest.mark.parametrize(
    ("text", "shown"),
    [("ams/0", "ams/0"), ("a`b", "a`b"), ("`x`", "`x`"), (" pad ", " pad "), ("a|b", "a|b"), ("\\|", "\\|")],
)
def test_a_code_span_shows_exactly_the_text(text: str, shown: str):
    from markdown_it import MarkdownIt

    out = render_markdown(hostile_report(text))
    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    spans = [c.content for t in tokens for c in (t.children or ()) if c.type == "code_inline"]
    assert shown in spans


@given(st.text(st.characters(exclude_categories=()), max_size=40))
def test_any_text_stays_inert(text: str):
    out = render_markdown(hostile_report(text))
    assert raw_controls(out) == []
    assert live_markdown(out) == []
