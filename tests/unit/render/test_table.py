"""The terminal table: nothing from input reaches the terminal as a control sequence or a line of its own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.render.table import render_table
from tests.hostile_text import HOSTILE, hostile_report, raw_controls


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_escaped_and_the_verdict_is_the_last_line(text: str):
    out = render_table(hostile_report(text))
    assert raw_controls(out) == []
    lines = out.splitlines()
    assert lines[-1].startswith("FAILED: 1 error, 1 warning")
    # no line of the report but the last can pass for a verdict
    assert not any(line.startswith(("OK:", "FAILED:")) for line in lines[:-1])


def test_a_description_ending_in_conceal_does_not_hide_the_failed_line():
    out = render_table(hostile_report("hide\x1b[8m"))
    assert "hide\\x1b[8m" in out
    assert "\x1b" not in out
    assert out.splitlines()[-1].startswith("FAILED:")


def test_colour_is_the_renderer_s_own_and_only_on_the_severity_label():
    out = render_table(hostile_report("\x1b[31mred"), colour=True)
    escapes = [line for line in out.splitlines() if "\x1b" in line]
    assert escapes == [line for line in out.splitlines() if line.startswith("\x1b[")]
    assert "\\x1b[31mred" in out


@given(st.text(st.characters(exclude_categories=()), max_size=60))
def test_any_text_is_printable(text: str):
    out = render_table(hostile_report(text), title=text)
    assert raw_controls(out) == []
    assert out.splitlines()[-1].startswith("FAILED:")
