"""SARIF: plain-text messages without controls, embedded links or placeholders; locations as URIs."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.render.sarif import artifact_uri, render_sarif
from tests.hostile_text import HOSTILE, hostile_report, raw_controls


def embedded_links(message: str) -> list[str]:
    """Embedded links as SARIF 2.1.0 3.11.6 defines them (and GitHub's CodeQL extension reads them).

    An unescaped `[`, link text in which `\\`, `[` and `]` are escaped, `](`, a target, `)`.
    """
    found: list[str] = []
    i = 0
    while i < len(message):
        ch = message[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = i + 1
            while j < len(message) and message[j] not in "[]":
                j += 2 if message[j] == "\\" else 1
            if message.startswith("](", j) and ")" in message[j:]:
                found.append(message[i : message.index(")", j) + 1])
        i += 1
    return found


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\\[\]])", r"\1", text).replace("{{", "{").replace("}}", "}")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_messages_hold_no_control_link_or_placeholder(text: str):
    out = render_sarif(hostile_report(text))
    assert raw_controls(out) == []
    results = json.loads(out)["runs"][0]["results"]
    for result in results:
        message = result["message"]["text"]
        assert raw_controls(message) == []
        assert embedded_links(message) == []
        assert re.search(r"(?<!\{)\{[0-9]+\}(?!\})", message) is None


def test_embedded_links_finds_what_a_viewer_would_link():
    assert embedded_links("see [here](3) and \\[not](1)") == ["[here](3)"]
    assert embedded_links("[a\\]b](https://evil.example)") == ["[a\\]b](https://evil.example)"]


def test_a_viewer_unescaping_the_message_shows_the_input():
    out = json.loads(render_sarif(hostile_report("[link](1) {0} a\\b")))
    message = out["runs"][0]["results"][1]["message"]["text"]
    assert _unescape(message) == "evil is not exposed ([link](1) {0} a\\b description)"


def test_artifact_locations_are_percent_encoded_uris():
    out = json.loads(render_sarif(hostile_report("my bundle\n[x].yaml")))
    uri = out["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20bundle%0A%5Bx%5D.yaml"
    assert artifact_uri("overlays/ams.yaml") == "overlays/ams.yaml"


@given(st.text(st.characters(exclude_categories=()), max_size=60))
def test_any_text(text: str):
    doc = json.loads(render_sarif(hostile_report(text)))
    for result in doc["runs"][0]["results"]:
        assert raw_controls(result["message"]["text"]) == []
        assert embedded_links(result["message"]["text"]) == []
