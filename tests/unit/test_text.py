"""text.py: input made safe to print, one escaping function per kind of output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.text import for_sarif, for_terminal, hcl_string, markdown_code, plain, quote
from tests.hostile_text import HOSTILE, live_markdown, raw_controls

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=80)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ams/0", "ams/0"),
        ("hide\x1b[8m", "hide\\x1b[8m"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x9b31m\x85", "\\x9b31m\\x85"),
        ("del\x7f", "del\\x7f"),
        ("\u202eevil", "\\u202eevil"),
        ("line\u2028sep", "line\\u2028sep"),
        ("lone\ud800", "lone\\ud800"),
        ("café ñ 日本", "café ñ 日本"),
    ],
)
def test_for_terminal_makes_every_control_visible(text: str, shown: str):
    assert for_terminal(text) == shown


@given(ANY_TEXT)
def test_for_terminal_output_is_printable_and_one_line(text: str):
    out = for_terminal(text)
    assert out.isprintable()
    assert len(out.splitlines()) <= 1
    out.encode("utf-8")  # no lone surrogate left to fail a UTF-8 stream


@given(st.text(max_size=80).filter(str.isprintable))
def test_printable_text_is_left_alone(text: str):
    assert for_terminal(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text", "plain text"),
        ("[x](https://evil.example)", "\\[x\\](https://evil.example)"),
        ("a\\b", "a\\\\b"),
        ("{0}", "{{0}}"),
        ("\x1b[8m", "\\\\x1b\\[8m"),
    ],
)
def test_for_sarif(text: str, shown: str):
    assert for_sarif(text) == shown


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ams/0", "`ams/0`"),
        ("a`b", "``a`b``"),
        ("`x`", "`` `x` ``"),
        (" pad ", "`  pad  `"),
        ("   ", "`   `"),
        ("a|b", "`a\\|b`"),
        ("", ""),
        ("x\ny", "`x\\ny`"),
    ],
)
def test_markdown_code(text: str, code: str):
    assert markdown_code(text) == code


def test_markdown_code_outside_a_table_leaves_pipes():
    assert markdown_code("a|b", table=False) == "`a|b`"


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_markdown_code_is_inert_in_a_paragraph(text: str):
    out = f"see {markdown_code(text, table=False)} here\n"
    assert raw_controls(out) == []
    assert live_markdown(out) == []


@given(ANY_TEXT)
def test_markdown_code_is_inert_for_any_text(text: str):
    assert live_markdown(f"x {markdown_code(text, table=False)} y\n") == []


def test_plain_and_quote_stay_bounded_and_escaped():
    assert plain("\x1b" * 100) == "\\x1b" * 57 + "..."
    assert quote("\x1b[31m") == '"\\u001b[31m"'


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("lxd:0", '"lxd:0"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ('${file("/etc/passwd")}', '"$${file(\\"/etc/passwd\\")}"'),
        ("%{ if true }x%{ endif }", '"%%{ if true }x%%{ endif }"'),
        ("$${already}", '"$$${already}"'),
        ("\x1b[31m\n\t\r", '"\\u001b[31m\\n\\t\\r"'),
        ("\u202e日\U0001f600", '"\\u202e\\u65e5\\U0001f600"'),
    ],
)
def test_hcl_string_escapes_templates_and_everything_not_printable_ascii(text: str, written: str):
    assert hcl_string(text) == written


@given(ANY_TEXT)
def test_hcl_string_is_one_printable_ascii_line_with_no_template(text: str):
    written = hcl_string(text)
    assert written.isascii()
    assert written.isprintable()
    assert "${" not in written.replace("$${", "")
    assert "%{" not in written.replace("%%{", "")
