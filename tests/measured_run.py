"""Run a command with a memory limit and a timeout, and measure what it cost: exit status, time, peak RSS.

    python tests/measured_run.py REPORT TIMEOUT MAX_BYTES -- COMMAND...

The command inherits this process's standard streams; a JSON report (`exit`, `wall`, `cpu`,
`peak_rss`, `timed_out`) is written to REPORT. Why a process of its own: a child's peak RSS
(`ru_maxrss`) counts the memory it shared with its parent before exec, so a child started by a
test runner or a benchmark that holds a 31 MB document reports the runner's size, not its own. This
small process starts the command instead, and its size is all that can leak into the figure.
RLIMIT_AS bounds the command's address space: past it, allocation fails (a MemoryError in Python).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cost:
    exit: int
    wall: float
    cpu: float
    peak_rss: int
    timed_out: bool

    @property
    def peak_mib(self) -> float:
        return self.peak_rss / (1024 * 1024)


def measure(command: list[str], timeout: float, max_bytes: int) -> Cost:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))

    started = time.monotonic()
    child = subprocess.Popen(command, preexec_fn=limit)  # noqa: PLW1509 - the limit must be set in the child
    timed_out = False
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if not timed_out and time.monotonic() - started > timeout:
            child.kill()
            timed_out = True
        time.sleep(0.005)
    child.returncode = os.waitstatus_to_exitcode(status)
    return Cost(
        exit=child.returncode,
        wall=time.monotonic() - started,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss=usage.ru_maxrss * 1024,  # Linux reports KiB
        timed_out=timed_out,
    )


def main(argv: list[str]) -> int:
    report, timeout, max_bytes, separator, *command = argv
    if separator != "--" or not command:
        print(__doc__, file=sys.stderr)
        return 2
    cost = measure(command, float(timeout), int(max_bytes))
    Path(report).write_text(json.dumps(asdict(cost)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
