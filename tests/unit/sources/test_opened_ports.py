"""`juju exec ... -- opened-ports --endpoints --format=json` output (docs/juju-facts.md#juju-exec)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources import detect, yamlload
from anbox_cloud_ports.sources.opened_ports import read

JUJU = Path(__file__).parents[1] / "data" / "juju"


def P(text: str) -> PortRange:
    return PortRange.parse(text)


def task(
    stdout: str | None,
    *,
    unit: str = "lxd/0",
    code: int = 0,
    status: str = "completed",
    stderr: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"return-code": code}
    if stdout is not None:
        results["stdout"] = stdout
    if stderr is not None:
        results["stderr"] = stderr
    if encoding is not None:
        results["stdout-encoding"] = encoding
    return {"id": "12", "results": results, "status": status, "unit": unit}


def parse(document: object) -> yamlload.Parsed:
    return yamlload.load(json.dumps(document), "ports.json")


def test_reads_each_ports_endpoints_wildcard_and_several():
    found = read(yamlload.load((JUJU / "examples" / "exec-opened-ports.json").read_text(), "ports.json"))
    [coturn] = found.units
    assert coturn.unit == "coturn/0"
    assert coturn.ports == (
        (P("5349/tcp"), ("",)),
        (P("3478/udp"), ("",)),
        (P("49160-49200/udp"), ("turn",)),
    )
    several = read(parse({"lxd/0": task('["8000-8999/udp (db, website)"]\n')}))
    assert several.units[0].ports == ((P("8000-8999/udp"), ("db", "website")),)


def test_is_detected_by_content():
    text = (JUJU / "anbox" / "exec-opened-ports.json").read_text()
    assert detect.detect(yamlload.load(text, "ports.json")) is detect.OPENED_PORTS


@pytest.mark.parametrize(
    "stdout",
    [
        "8443/tcp (internal)\n10000-11000/tcp (public)\n",  # opened-ports' default `smart` format
        "- 8443/tcp (internal)\n- 10000-11000/tcp (public)\n",  # --format=yaml
    ],
)
def test_reads_the_hook_tools_other_formats(stdout: str):
    [unit] = read(parse({"lxd/0": task(stdout)})).units
    assert unit.ports == ((P("8443/tcp"), ("internal",)), (P("10000-11000/tcp"), ("public",)))


def test_an_empty_list_and_an_absent_stdout_are_no_ports():
    assert read(parse({"lxd/0": task("[]\n")})).units[0].ports == ()
    assert read(parse({"lxd/0": task(None)})).units[0].ports == ()


def test_base64_stdout_is_decoded():
    encoded = base64.b64encode(b'["8443/tcp (internal)"]\n').decode()
    [unit] = read(parse({"lxd/0": task(encoded, encoding="base64")})).units
    assert unit.ports == ((P("8443/tcp"), ("internal",)),)


def test_a_failed_task_is_kept_as_a_failure_not_an_error():
    [unit] = read(
        parse({"lxd/0": task(None, code=1, status="failed", stderr="ERROR permission denied\nmore\n")})
    ).units
    assert unit.failure == 'task failed: "ERROR permission denied"'
    assert unit.task == "12"
    assert unit.ports == ()


def test_a_port_juju_would_not_print_is_kept_aside():
    [unit] = read(parse({"lxd/0": task('["70000/tcp (*)", "8443/tcp (internal)"]')})).units
    assert unit.ports == ((P("8443/tcp"), ("internal",)),)
    [(text, why)] = unit.bad
    assert text == "70000/tcp"
    assert "65535" in why


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"0": task("[]", unit="")}, "juju exec ran on machine 0, outside any hook context"),
        ({"lxd/0": task('["8443/tcp", "10000-11000/tcp"]')}, "run opened-ports with --endpoints"),
        ({"lxd/0": task('["8443/tcp (In ternal)"]')}, 'not a Juju endpoint name: "In ternal"'),
        ({"lxd/0": task("[1, 2]")}, "is not the JSON list of strings opened-ports prints"),
        ({"lxd/0": task("[" * 100_000)}, "is not the JSON list opened-ports prints"),
        ({"lxd/0": task("[]", unit="lxd/1")}, 'the task of lxd/0 names unit "lxd/1"'),
        ({"lxd-0": task("[]")}, 'not a Juju unit name: "lxd-0"'),
        ({"lxd/0": task("eA==", encoding="base64")}, "run opened-ports with --endpoints"),
        ({"lxd/0": task("%%%", encoding="base64")}, "is not base64-encoded UTF-8 text"),
    ],
)
def test_what_is_not_opened_ports_output_is_a_one_line_error(document: object, problem: str):
    with pytest.raises(InputError) as caught:
        read(parse(document))
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)
