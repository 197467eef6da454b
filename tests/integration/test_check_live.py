"""`anbox-ports check --model` and multi-INPUT, end to end, against a fake `juju` on PATH.

tests/integration/fake_juju_cli/juju answers `juju status`, `show-application`, `spaces` and
`exec ... opened-ports` from recorded documents in Juju's formats (tests/unit/data/juju/anbox), with
Juju's errors and exit codes. Each test runs the real command (`python -m anbox_cloud_ports`) as a
subprocess, so argument parsing, PATH lookup, time limits, stderr and exit codes are all the ones a
user gets. test_juju.py runs the same commands against a real controller.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FAKE_JUJU = Path(__file__).parent / "fake_juju_cli"
ANBOX = REPO / "tests" / "unit" / "data" / "juju" / "anbox"
EVERYONE = {"expose-to-cidrs": ["0.0.0.0/0", "::/0"]}


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """Model `anbox` as recorded, `plain` with LXD exposed by a plain `juju expose lxd`."""
    root = tmp_path / "models"
    shutil.copytree(ANBOX, root / "anbox")
    shutil.copytree(ANBOX, root / "plain")
    shown = json.loads((root / "plain" / "show-application.json").read_text())
    shown["lxd"]["exposed-endpoints"] = {"": EVERYONE}
    (root / "plain" / "show-application.json").write_text(json.dumps(shown))
    status = json.loads((root / "plain" / "status.json").read_text())
    status["model"]["name"] = "plain"
    (root / "plain" / "status.json").write_text(json.dumps(status))
    return root


def environment(models: Path, log: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_JUJU")}
    env.update(
        PATH=f"{FAKE_JUJU}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(REPO / "lib"),
        FAKE_JUJU_MODELS=str(models),
        FAKE_JUJU_LOG=str(log),
        **more,
    )
    return env


def anbox_ports(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anbox_cloud_ports", "check", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return json.loads(done.stdout)


def test_a_live_model_is_checked_with_every_command_that_tells(models: Path, tmp_path: Path):
    log = tmp_path / "juju.log"
    done = anbox_ports("--model", "anbox", "--format", "json", env=environment(models, log))
    assert (done.returncode, done.stderr) == (0, "")
    assert report(done)["findings"] == []
    assert report(done)["input"] == "juju status -m anbox, juju show-application -m anbox, juju exec -m anbox"
    assert calls(log) == [
        ["status", "-m", "anbox", "--format=json"],
        ["show-application", "-m", "anbox", "--format=json", "anbox-stream-gateway-lb", "coturn", "lxd"],
        [
            *("exec", "-m", "anbox", "--format=json", "--wait=120s"),
            *("--application", "anbox-stream-gateway-lb,coturn,lxd"),
            *("--", "opened-ports", "--endpoints", "--format=json"),
        ],
    ]


def test_a_proven_leak_is_an_error_and_the_controller_prefix_is_passed_on(models: Path, tmp_path: Path):
    log = tmp_path / "juju.log"
    done = anbox_ports("--model", "lxd-controller:plain", "--timeout", "30", env=environment(models, log))
    assert done.returncode == 1, done.stderr
    assert "ERROR   internal-port-exposed  [machine 2, machine 3]" in done.stdout
    assert "lxd/0 and lxd/1 open 8443/tcp on endpoint internal; `juju expose lxd`" in done.stdout.replace(
        "\n  ", " "
    )
    assert all(call[2] == "lxd-controller:plain" for call in calls(log))
    assert "--wait=30s" in calls(log)[-1]


def test_a_failed_task_is_reported_and_the_others_still_judged(models: Path, tmp_path: Path):
    tasks = json.loads((models / "plain" / "exec-opened-ports.json").read_text())
    tasks["lxd/1"]["status"] = "failed"
    tasks["lxd/1"]["results"] = {"return-code": 1, "stderr": "ERROR opened-ports: cannot reach the agent\n"}
    (models / "plain" / "exec-opened-ports.json").write_text(json.dumps(tasks))
    done = anbox_ports("--model", "plain", "--format", "json", env=environment(models, tmp_path / "log"))
    assert done.returncode == 1, done.stderr
    found = {(f["severity"], tuple(f["units"])) for f in report(done)["findings"]}
    assert ("info", ("lxd/1",)) in found  # opened-ports failed on lxd/1
    assert ("error", ("lxd/0",)) in found  # 8443 on `internal`: the wildcard reaches it
    assert ("error", ("lxd/1",)) in found  # wherever lxd/1 opened it, the wildcard reaches it


@pytest.mark.parametrize(
    ("args", "more", "stderr"),
    [
        (
            ("--model", "nope"),
            {},
            'anbox-ports check: juju status -m nope: failed (exit status 1): "ERROR model '
            'lxd-controller:admin/nope not found"\n',
        ),
        (
            ("--model", "other:anbox"),
            {},
            'anbox-ports check: juju status -m other:anbox: failed (exit status 1): "ERROR controller other not found"\n',
        ),
        (
            ("--model", "anbox", "--timeout", "0.5"),
            {"FAKE_JUJU_SLEEP": "status=5"},
            "anbox-ports check: juju status -m anbox: gave no answer within 0.5 seconds (--timeout)\n",
        ),
        (
            ("--model", "anbox", "--timeout", "1"),
            {"FAKE_JUJU_SLEEP": "exec=30"},
            "anbox-ports check: juju exec -m anbox: gave no answer within 3 seconds (--timeout)\n",
        ),
    ],
)
def test_an_unreachable_model_is_one_line(
    models: Path, tmp_path: Path, args: tuple[str, ...], more: dict[str, str], stderr: str
):
    done = anbox_ports(*args, env=environment(models, tmp_path / "log", **more))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", stderr)


def test_no_juju_on_path_is_one_line(models: Path, tmp_path: Path):
    env = environment(models, tmp_path / "log")
    env["PATH"] = str(tmp_path)  # nothing there; the interpreter is run by its full path
    done = anbox_ports("--model", "anbox", env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "anbox-ports check: juju: not found on PATH: install juju (`sudo snap install juju`), "
        "or check dumps instead\n"
    )


@pytest.mark.parametrize("model", ["anbox;touch pwned", "$(touch pwned)", "-h", "anbox\nx"])
def test_a_hostile_model_name_runs_nothing(models: Path, tmp_path: Path, model: str):
    log = tmp_path / "juju.log"
    done = anbox_ports(f"--model={model}", env=environment(models, log))
    assert done.returncode == 2
    assert done.stderr.startswith("anbox-ports check: --model: not a Juju ")
    assert done.stderr.count("\n") == 1
    assert calls(log) == []
    assert not (Path.cwd() / "pwned").exists()


def test_model_and_inputs_do_not_mix(models: Path, tmp_path: Path):
    env = environment(models, tmp_path / "log")
    done = anbox_ports("--model", "anbox", str(ANBOX / "status.json"), env=env)
    assert (done.returncode, done.stderr) == (
        2,
        "anbox-ports check: --model: reads the model itself: give no INPUT or --overlay with it\n",
    )
    done = anbox_ports(str(ANBOX / "status.json"), "--timeout", "5", env=env)
    assert (done.returncode, done.stderr) == (2, "anbox-ports check: --timeout: applies to --model\n")


def test_several_inputs_are_one_deployment(tmp_path: Path, models: Path):
    env = environment(models, tmp_path / "log")
    files = [str(ANBOX / name) for name in ("status.json", "show-application.json", "exec-opened-ports.json")]
    done = anbox_ports(*files, env=env)
    assert done.returncode == 0, done.stderr
    assert "Clean: 6 units on 4 hosts match the catalog." in done.stdout
    alone = anbox_ports(files[0], env=env)
    assert alone.returncode == 0
    assert "WARNING internal-port-exposed" in alone.stdout
    unknown = json.loads((ANBOX / "show-application.json").read_text())
    unknown["nats2"] = unknown["lxd"]
    (tmp_path / "show.json").write_text(json.dumps(unknown))
    refused = anbox_ports(files[0], str(tmp_path / "show.json"), env=env)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"anbox-ports check: {tmp_path / 'show.json'}:1: application nats2 is not in the juju status ({files[0]})\n"
    )


def _run_on_a_terminal(args: list[str], env: Mapping[str, str]) -> tuple[int, str, str]:
    """stderr on a pseudo-terminal (what an operator sees), stdout on a pipe."""
    try:
        controller, terminal = pty.openpty()
    except OSError as err:
        pytest.skip(f"no pseudo-terminal here: {err}")
    with subprocess.Popen(
        [sys.executable, "-m", "anbox_cloud_ports", "check", *args],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=dict(env),
    ) as process:
        os.close(terminal)
        seen = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        out = process.stdout.read() if process.stdout else b""
        code = process.wait(60)
    os.close(controller)
    return code, out.decode(), seen.decode()


def test_a_progress_line_on_a_terminal_only(models: Path, tmp_path: Path):
    env = environment(models, tmp_path / "log")
    code, out, err = _run_on_a_terminal(["--model", "anbox"], env)
    assert code == 0
    assert "\ranbox-ports: running juju status -m anbox..." in err
    assert "anbox-ports: running juju exec -m anbox..." in err
    assert err.endswith("\r")  # the line is wiped before the report
    assert "\x1b" not in err
    assert "Clean:" in out
    assert "running juju" not in out
    piped = anbox_ports("--model", "anbox", env=env)
    assert piped.stderr == ""


def fix_command(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anbox_cloud_ports", "fix", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )


def test_fix_a_live_model_names_it_in_every_command(models: Path, tmp_path: Path):
    log = tmp_path / "juju.log"
    done = fix_command("--model", "lxd-controller:plain", env=environment(models, log))
    assert (done.returncode, done.stderr) == (0, "")
    assert [line for line in done.stdout.splitlines() if line.startswith("juju ")] == [
        "juju unexpose -m lxd-controller:plain lxd",
        "juju expose -m lxd-controller:plain lxd --endpoints public",
    ]
    assert "# Proof: with these changes made to the model it shows, it has 0 errors (it had 1)" in done.stdout
    readme = (REPO / "README.md").read_text()
    assert "$ anbox-ports fix --model lxd-controller:plain\n" + done.stdout + "```\n" in readme
    assert [call[:3] for call in calls(log)] == [
        ["status", "-m", "lxd-controller:plain"],
        ["show-application", "-m", "lxd-controller:plain"],
        ["exec", "-m", "lxd-controller:plain"],
    ]
    # The commands, run against the model, leave what fix promised: check it with them made.
    shown = json.loads((models / "plain" / "show-application.json").read_text())
    shown["lxd"]["exposed-endpoints"] = {"public": EVERYONE}
    (models / "plain" / "show-application.json").write_text(json.dumps(shown))
    again = anbox_ports("--model", "lxd-controller:plain", env=environment(models, log))
    assert again.returncode == 0, again.stdout


def test_fix_a_clean_live_model_has_nothing_to_run(models: Path, tmp_path: Path):
    done = fix_command("--model", "anbox", env=environment(models, tmp_path / "log"))
    assert (done.returncode, done.stderr) == (0, "")
    assert [line for line in done.stdout.splitlines() if not line.startswith("#")] == []
    assert done.stdout.endswith("\n# Nothing to change.\n")
