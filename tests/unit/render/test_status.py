"""The validator's status line and action results: one printable line whatever the related units hold."""

from __future__ import annotations

import json

import pytest

from anbox_cloud_ports.render.as_json import render_json
from anbox_cloud_ports.render.status import status_line
from tests.hostile_text import HOSTILE, hostile_report, raw_controls


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_status_line_is_one_printable_line(text: str):
    state, line = status_line(hostile_report(text))
    assert state == "blocked"
    assert raw_controls(line) == []
    assert "\n" not in line


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_json_keeps_the_text_exact_and_escaped(text: str):
    out = render_json(hostile_report(text))
    assert raw_controls(out) == []
    assert json.loads(out)["input"] == text
