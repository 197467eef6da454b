"""`juju show-application --format=json|yaml`: the expose rules, exactly (docs/juju-facts.md#show-application)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import ExposeTarget
from anbox_cloud_ports.sources import detect, yamlload
from anbox_cloud_ports.sources.show_application import looks_like_show_application, read

JUJU = Path(__file__).parents[1] / "data" / "juju"


def parse(text: str, name: str = "show.json") -> yamlload.Parsed:
    return yamlload.load(text, name)


def test_reads_the_rules_of_each_application():
    shown = read(parse((JUJU / "examples" / "show-application.json").read_text()))
    by_name = {info.name: info for info in shown.applications}
    assert (by_name["ams"].exposed, dict(by_name["ams"].rules or {})) == (False, {})
    coturn = by_name["coturn"]
    assert coturn.exposed
    assert dict(coturn.rules or {}) == {
        "": ExposeTarget(),  # 0.0.0.0/0 and ::/0: everyone
        "turn": ExposeTarget(cidrs=("192.0.2.0/24",), spaces=("public",)),
    }
    assert coturn.location.line == 18  # the JSON key's line


def test_is_detected_by_content_in_json_and_yaml():
    text = (JUJU / "anbox" / "show-application.json").read_text()
    assert detect.detect(parse(text)) is detect.SHOW_APPLICATION
    as_yaml = "lxd:\n  principal: true\n  exposed: false\n  remote: false\n  life: alive\n"
    assert detect.detect(parse(as_yaml, "show.yaml")) is detect.SHOW_APPLICATION
    assert not looks_like_show_application({"lxd": {"exposed": True}})
    assert not looks_like_show_application({})


@pytest.mark.parametrize("name", ["model", "spaces", "machines"])
def test_an_application_named_like_another_documents_key_is_still_show_application(name: str):
    text = json.dumps({name: {"principal": True, "exposed": False, "remote": False}})
    assert detect.detect(parse(text)) is detect.SHOW_APPLICATION


def test_exposed_without_entries_stays_unknown():
    shown = read(parse(json.dumps({"lxd": {"principal": True, "exposed": True, "remote": False}})))
    [info] = shown.applications
    assert (info.exposed, info.rules) == (True, None)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            {"Lxd": {"principal": True, "exposed": False, "remote": False}},
            'not a Juju application name: "Lxd"',
        ),
        (
            {"lxd": {"principal": True, "exposed": "yes", "remote": False}},
            'expected true or false, found the string "yes"',
        ),
        (
            {
                "lxd": {
                    "principal": True,
                    "exposed": True,
                    "remote": False,
                    "exposed-endpoints": {"Bad\u001b[31m": {}},
                }
            },
            'not a Juju endpoint name: "Bad\\u001b[31m"',
        ),
        (
            {
                "lxd": {
                    "principal": True,
                    "exposed": True,
                    "remote": False,
                    "exposed-endpoints": {"": {"expose-to-spaces": ["no spaces"]}},
                }
            },
            'not a Juju space name: "no spaces"',
        ),
        (
            {
                "lxd": {
                    "principal": True,
                    "exposed": True,
                    "remote": False,
                    "exposed-endpoints": {"": {"expose-to-cidrs": "10.0.0.0/8"}},
                }
            },
            "expected a list of strings",
        ),
    ],
)
def test_hostile_or_malformed_dumps_are_one_line_errors(document: object, problem: str):
    with pytest.raises(InputError) as caught:
        read(parse(json.dumps(document)))
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "\u001b" not in str(caught.value)
