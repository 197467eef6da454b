"""The guide's Terraform example judged end to end: `anbox-ports check DIR --var-file deploy.tfvars`.

Prints figures only (`python tests/bench/bench_terraform.py`): the whole command in a fresh process
(wall and CPU time: on a busy machine wall time grows, CPU time does not), the directory evaluated
again in one process (what a library user or a test pays per variant), and the plan JSON read.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT / "lib") not in sys.path:
    sys.path.insert(0, str(_ROOT / "lib"))

from anbox_cloud_ports.checks import check  # noqa: E402
from anbox_cloud_ports.sources import load  # noqa: E402
from anbox_cloud_ports.sources.terraform import VarFile, load_directory  # noqa: E402

DATA = _ROOT / "tests" / "unit" / "data" / "terraform"
ROOT = DATA / "anbox-cloud-terraform"
DEPLOY = DATA / "deploy.tfvars"
REPEATS = 5


def command() -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of the whole command, each in a fresh interpreter."""
    walls: list[float] = []
    cpus: list[float] = []
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(_ROOT / "lib"), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [sys.executable, "-m", "anbox_cloud_ports", "check", str(ROOT), "--var-file", str(DEPLOY)]
    for _ in range(REPEATS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return walls, cpus


def in_process() -> list[float]:
    times: list[float] = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        check(load_directory(str(ROOT), [VarFile(str(DEPLOY))]))
        times.append(time.perf_counter() - started)
    return times


def plan_json() -> list[float]:
    text = (DATA / "plans" / "plan-deploy.json").read_text()
    times: list[float] = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        check(load(text, input="plan-deploy.json"))
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    walls, cpus = command()
    print(
        f"anbox-ports check DIR --var-file deploy.tfvars, fresh process: median {statistics.median(walls):.3f} s wall, "
        f"{statistics.median(cpus):.3f} s CPU (min {min(walls):.3f} s wall; {REPEATS} runs; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"the same directory again in one process: median {statistics.median(in_process()) * 1000:.0f} ms")
    print(
        f"plan-deploy.json (terraform show -json) read and checked: median {statistics.median(plan_json()) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
