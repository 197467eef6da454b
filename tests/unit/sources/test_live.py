"""`check --model`: the commands built, what they print read, and every way they fail in one line.

The runner is injected here; tests/integration/test_check_live.py runs the same path through a fake
`juju` executable, and tests/integration/test_juju.py against a real controller.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources.live import (
    Completed,
    LiveModel,
    exec_command,
    juju_error,
    model_argument,
    show_application_command,
    status_command,
)

ANBOX = Path(__file__).parents[1] / "data" / "juju" / "anbox"
CATALOG = Catalog.builtin()


def doc(name: str) -> dict[str, Any]:
    return json.loads((ANBOX / name).read_text())


class FakeJuju:
    """Answers as juju does, from documents; records every argument vector and its time limit."""

    def __init__(self, **documents: Any):
        self.documents: dict[str, Any] = {
            "status": doc("status.json"),
            "show-application": doc("show-application.json"),
            "exec": doc("exec-opened-ports.json"),
            "spaces": doc("spaces.json"),
            **documents,
        }
        self.calls: list[tuple[tuple[str, ...], float]] = []
        self.fail: dict[str, Completed] = {}

    def __call__(self, argv: Sequence[str], timeout: float) -> Completed:
        self.calls.append((tuple(argv), timeout))
        command = argv[1]
        if command in self.fail:
            return self.fail[command]
        answer = self.documents[command]
        if command == "show-application":
            answer = {name: answer[name] for name in argv[5:]}
        if command == "exec":
            apps = argv[argv.index("--application") + 1].split(",")
            answer = {unit: task for unit, task in answer.items() if unit.split("/")[0] in apps}
        return Completed(0, json.dumps(answer, separators=(",", ":")).encode() + b"\n", b"")


def test_the_commands_are_argument_vectors_of_validated_names():
    assert status_command("anbox") == ("juju", "status", "-m", "anbox", "--format=json")
    assert show_application_command("ctl:admin/anbox", ["lxd", "coturn"]) == (
        *("juju", "show-application", "-m", "ctl:admin/anbox", "--format=json", "lxd", "coturn"),
    )
    assert exec_command("anbox", ["coturn", "lxd"], 120) == (
        *("juju", "exec", "-m", "anbox", "--format=json", "--wait=120s", "--application", "coturn,lxd"),
        *("--", "opened-ports", "--endpoints", "--format=json"),
    )
    with pytest.raises(InputError, match='not a Juju application name: "lxd;rm"'):
        exec_command("anbox", ["lxd;rm"], 60)


@pytest.mark.parametrize(
    "model", ["anbox", "lxd-controller:anbox", "ctl:admin/anbox", "ctl:bob@external/m-1", "0"]
)
def test_model_arguments_juju_accepts(model: str):
    assert model_argument(model) == model


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("-m", 'not a Juju model name: "-m"'),
        ("Anbox", 'not a Juju model name: "Anbox"'),
        ("anbox; rm -rf ~", 'not a Juju model name: "anbox; rm -rf ~"'),
        ("$(reboot)/anbox", 'not a Juju user name: "$(reboot)"'),
        ("Ctl:anbox", 'not a Juju controller name: "Ctl"'),
        ("ctl:-x/anbox", 'not a Juju user name: "-x"'),
        ("", 'not a Juju model name: ""'),
        ("a" * 200, "not a Juju model name"),
        ("anbox\u001b[2J", 'not a Juju model name: "anbox\\u001b[2J"'),
    ],
)
def test_model_arguments_juju_refuses_never_reach_a_command_line(model: str, problem: str):
    juju = FakeJuju()
    with pytest.raises(InputError) as caught:
        LiveModel(model, timeout=10, runner=juju)
    assert str(caught.value).startswith("--model: ")
    assert problem in str(caught.value)
    assert juju.calls == []


def test_a_live_model_is_read_with_every_command_that_tells():
    juju = FakeJuju()
    progress: list[str] = []
    deployment = LiveModel("anbox", timeout=30, runner=juju, progress=progress.append).read(
        CATALOG, "charmed"
    )
    commands = [argv[:2] for argv, _ in juju.calls]
    assert commands == [("juju", "status"), ("juju", "show-application"), ("juju", "exec")]
    assert juju.calls[1][0][5:] == ("anbox-stream-gateway-lb", "coturn", "lxd")  # the exposed ones
    exec_argv, exec_limit = juju.calls[2]
    assert "anbox-stream-gateway-lb,coturn,lxd" in exec_argv
    assert "--wait=30s" in exec_argv
    assert exec_limit > 30  # juju's own --wait gives up first and says so
    assert [limit for _, limit in juju.calls[:2]] == [30, 30]
    assert progress == [
        "running juju status -m anbox",
        "running juju show-application -m anbox",
        "running juju exec -m anbox",
    ]
    assert deployment.input == "juju status -m anbox, juju show-application -m anbox, juju exec -m anbox"
    assert check(deployment, catalog=CATALOG).findings == ()


def test_spaces_are_listed_only_when_a_rule_names_one():
    shown = doc("show-application.json")
    shown["lxd"]["exposed-endpoints"] = {"": {"expose-to-spaces": ["dmz"]}}
    juju = FakeJuju(**{"show-application": shown})
    deployment = LiveModel("anbox", timeout=30, runner=juju).read(CATALOG, "charmed")
    assert [argv[1] for argv, _ in juju.calls] == ["status", "show-application", "spaces", "exec"]
    [leak] = [f for f in check(deployment, catalog=CATALOG).findings if f.rule == "internal-port-exposed"]
    assert leak.severity == "error"
    assert "space dmz (2001:db8::/64, 203.0.113.0/24)" in leak.message


def test_a_kubernetes_model_needs_only_its_status():
    status = doc("status.json")
    status["model"]["type"] = "caas"
    juju = FakeJuju(status=status)
    deployment = LiveModel("anbox", timeout=30, runner=juju).read(CATALOG, "charmed")
    assert [argv[1] for argv, _ in juju.calls] == ["status"]
    assert {
        f.severity for f in check(deployment, catalog=CATALOG).findings if f.rule == "internal-port-exposed"
    } == {"info"}


def test_nothing_exposed_needs_only_the_status():
    status = doc("status.json")
    for app in status["applications"].values():
        app["exposed"] = False
    juju = FakeJuju(status=status)
    LiveModel("anbox", timeout=30, runner=juju).read(CATALOG, "charmed")
    assert [argv[1] for argv, _ in juju.calls] == ["status"]


def test_a_failed_exec_task_still_prints_every_result():
    """exec.go: the JSON is written, then the command fails naming the failed task."""
    tasks = doc("exec-opened-ports.json")
    tasks["lxd/1"] = {**tasks["lxd/1"], "status": "failed", "results": {"return-code": 1, "stderr": "boom\n"}}
    juju = FakeJuju()
    juju.fail["exec"] = Completed(
        1,
        json.dumps(tasks).encode(),
        b'Running operation 1 with 4 tasks\nERROR the following task failed:\n - id "23" with return code 1\n',
    )
    deployment = LiveModel("anbox", timeout=30, runner=juju).read(CATALOG, "charmed")
    [failed] = [f for f in check(deployment, catalog=CATALOG).findings if "opened-ports failed" in f.message]
    assert failed.units == ("lxd/1",)


def raising(error: BaseException):
    def runner(argv: Sequence[str], timeout: float) -> Completed:
        raise error

    return runner


@pytest.mark.parametrize(
    ("runner", "problem"),
    [
        (raising(FileNotFoundError(2, "No such file")), "juju: not found on PATH"),
        (
            raising(subprocess.TimeoutExpired(["juju"], 5)),
            "juju status -m anbox: gave no answer within 5 seconds (--timeout)",
        ),
        (
            lambda argv, timeout: Completed(1, b"", b"ERROR model lxd-controller:admin/anbox not found\n"),
            'juju status -m anbox: failed (exit status 1): "ERROR model lxd-controller:admin/anbox not found"',
        ),
        (
            lambda argv, timeout: Completed(
                1, b"", b"ERROR cannot connect to API: \x1b[31mdial tcp\n second line\n"
            ),
            'failed (exit status 1): "ERROR cannot connect to API: \\u001b[31mdial tcp"',
        ),
        (lambda argv, timeout: Completed(0, b"", b""), "juju status -m anbox: printed nothing"),
        (
            lambda argv, timeout: Completed(0, b'{"applications": {}}', b""),
            "juju status -m anbox: printed something that is not juju status output",
        ),
    ],
)
def test_every_failure_is_one_line(runner: Any, problem: str):
    with pytest.raises(InputError) as caught:
        LiveModel("anbox", timeout=5, runner=runner).read(CATALOG, "charmed")
    message = str(caught.value)
    assert problem in message
    assert "\n" not in message
    assert "\x1b" not in message


def test_a_later_command_failing_names_that_command():
    juju = FakeJuju()
    juju.fail["show-application"] = Completed(1, b"", b'ERROR application "lxd" not found\n')
    with pytest.raises(InputError) as caught:
        LiveModel("anbox", timeout=5, runner=juju).read(CATALOG, "charmed")
    assert str(caught.value) == (
        'juju show-application -m anbox: failed (exit status 1): "ERROR application \\"lxd\\" not found"'
    )


def test_exec_output_that_is_not_opened_ports_is_refused():
    machine = {"0": {"id": "1", "status": "completed", "machine": "0", "results": {"return-code": 0}}}
    juju = FakeJuju()
    juju.fail["exec"] = Completed(0, json.dumps(machine).encode(), b"")
    with pytest.raises(InputError, match="outside any hook context"):
        LiveModel("anbox", timeout=5, runner=juju).read(CATALOG, "charmed")
    juju = FakeJuju(exec=copy.deepcopy(doc("status.json")))
    with pytest.raises(InputError, match="printed something that is not juju exec opened-ports output"):
        LiveModel("anbox", timeout=5, runner=juju).read(CATALOG, "charmed")


def test_juju_error_picks_the_error_line_over_progress():
    done = Completed(
        1,
        b"",
        b"Running operation 3 with 2 tasks\n  - task 4 on unit-lxd-0\nERROR timed out waiting for results from: unit lxd/0\n",
    )
    assert str(juju_error(["juju", "exec", "-m", "anbox"], done)) == (
        'juju exec -m anbox: failed (exit status 1): "ERROR timed out waiting for results from: unit lxd/0"'
    )
    assert str(juju_error(["juju", "status", "-m", "x"], Completed(3, b"", b""))) == (
        "juju status -m x: failed (exit status 3) and printed no error"
    )


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 1e300])
def test_the_time_limit_must_be_positive_and_finite(timeout: float):
    with pytest.raises(InputError, match="--timeout: must be a number of seconds above 0, up to 86400"):
        LiveModel("anbox", timeout=timeout, runner=FakeJuju())
