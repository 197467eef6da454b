"""Hostile inputs through the real `anbox-ports` process: the CLI can never be turned against its user.

Every case of hostile_cases.py is run as a process of its own, started by tests/measured_run.py with
an address-space limit and a timeout, and must keep the contract: exit 0, 1 or 2 only; no traceback;
on exit 2 nothing on stdout and exactly one line on stderr; no raw control character on either
stream (both strict UTF-8); peak memory under a generous bound; JSON and SARIF that parse; Markdown
with no link, image or HTML in it. The cases run a few at a time, each measured on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile_text import live_markdown, raw_controls

from .hostile_cases import Case, cases

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0  # seconds: a bound for a stuck process on a busy machine, not a speed target
ADDRESS_SPACE = 3 << 30  # RLIMIT_AS: a bomb that got past the budgets fails to allocate, visibly
PEAK_RSS = 1 << 30  # the worst case the budgets allow is about a quarter of this
CASES = cases()


@dataclass(frozen=True)
class Run:
    exit: int
    stdout: bytes
    stderr: bytes
    wall: float
    cpu: float
    peak_rss: int
    timed_out: bool


def _argv(case: Case, directory: Path) -> list[bytes]:
    return [os.fsencode(arg.replace("{d}", str(directory))) for arg in case.argv]


def _run(case: Case, root: Path) -> Run:
    directory = root / case.id
    directory.mkdir()
    for name, content in case.files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
        (directory / name).write_bytes(data)
    report = directory / "cost.json"
    launcher = [
        sys.executable,
        str(REPO / "tests" / "measured_run.py"),
        str(report),
        str(TIMEOUT),
        str(ADDRESS_SPACE),
        "--",
    ]
    command = [sys.executable, "-m", "anbox_cloud_ports.cli"]
    env = {
        **{k: v for k, v in os.environ.items() if k != "ANBOX_PORTS_DEBUG"},
        "PYTHONPATH": str(REPO / "lib"),
    }
    done = subprocess.run(
        [*map(os.fsencode, launcher), *map(os.fsencode, command), *_argv(case, directory)],
        input=case.stdin or b"",
        capture_output=True,
        env=env,
        timeout=TIMEOUT + 60,
        check=True,
        cwd=directory,
    )
    cost = json.loads(report.read_text())
    return Run(
        cost["exit"], done.stdout, done.stderr, cost["wall"], cost["cpu"], cost["peak_rss"], cost["timed_out"]
    )


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    with (
        tempfile.TemporaryDirectory(prefix="acp-hostile-") as tmp,
        ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool,
    ):
        futures = {case.id: pool.submit(_run, case, Path(tmp)) for case in CASES}
        yield {case_id: future.result() for case_id, future in futures.items()}


def test_there_are_over_a_hundred_cases_across_every_kind_of_input():
    kinds = {case.id.split("-", 1)[0] for case in CASES}
    assert len(CASES) >= 100
    assert {"bundle", "yaml", "overlay", "status", "show", "catalog", "firewall", "argv", "stdin"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_cli_keeps_its_contract(case: Case, runs: dict[str, Run]):
    run = runs[case.id]
    assert not run.timed_out, f"still running after {TIMEOUT} s"
    stdout = run.stdout.decode("utf-8")  # strict: a lone surrogate or a raw byte would fail here
    stderr = run.stderr.decode("utf-8")
    assert "Traceback" not in stderr
    assert "internal error" not in stderr, stderr
    assert run.exit in case.expect, f"exit {run.exit}, expected {sorted(case.expect)}: {stderr}"
    if run.exit == 2:
        assert stdout == ""
        assert stderr.count("\n") == 1, stderr
        assert stderr.endswith("\n")
    # nftables and iptables rules are indented with tabs of the tool's own; nothing else is allowed
    assert raw_controls(stdout, "\n\t" if case.argv[0] == "firewall" else "\n") == []
    assert raw_controls(stderr) == []
    assert run.peak_rss < PEAK_RSS, f"peak RSS {run.peak_rss / 2**20:.0f} MiB"
    if isinstance(case.says, frozenset):  # any one of these wordings (the reader that refuses it words it)
        assert any(phrase in stdout + stderr for phrase in case.says), (case.says, stderr)
    else:
        for phrase in (case.says,) if isinstance(case.says, str) else case.says or ():
            assert phrase in stdout + stderr, phrase
    fmt = case.argv[case.argv.index("--format") + 1] if "--format" in case.argv else "table"
    if run.exit in (0, 1) and case.argv[0] == "check":
        if fmt in ("json", "sarif"):
            json.loads(stdout)
        elif fmt == "markdown":
            assert live_markdown(stdout) == []
        else:
            assert stdout.splitlines()[-1].startswith(("OK:", "FAILED:"))
            assert not any(line.startswith(("OK:", "FAILED:")) for line in stdout.splitlines()[:-1])
