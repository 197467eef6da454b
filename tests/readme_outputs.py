"""The README's terminal sessions, run for real: every `$ anbox-ports ...` it shows prints what it says.

A fenced block whose first line is `$ anbox-ports ...` is a session: each `$ ` line is a command
(`anbox-ports ...`, optionally `> FILE`, or `cat FILE`), followed by what it printed. Sessions that
need what this machine may not have (a Juju controller: `--model`; root and this host's sockets:
`sudo ... preflight`) are shown as recorded and left alone. A line `...` in a session's output
elides what it stands for: the recorded lines around it must appear, in order, in what the command
prints, and `--write` keeps as many lines before and after it as the README shows.

    python -m tests.readme_outputs           # say which sessions differ (exit 1 if any)
    python -m tests.readme_outputs --write   # rewrite the README with what the commands print now

tests/unit/test_readme_outputs.py runs the check, so the README cannot drift from the tool.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_FENCE = re.compile(r"^```\n(?P<body>\$ .*?)^```$", re.S | re.M)
_NOT_HERE = ("--model", "sudo ")


@dataclass(frozen=True)
class Session:
    start: int
    end: int
    body: str

    @property
    def commands(self) -> list[str]:
        return [line[2:] for line in self.body.splitlines() if line.startswith("$ ")]

    @property
    def runnable(self) -> bool:
        return all(not any(word in command for word in _NOT_HERE) for command in self.commands)


def sessions(text: str) -> Iterator[Session]:
    for match in _FENCE.finditer(text):
        if match["body"].startswith(("$ anbox-ports", "$ cat")):
            yield Session(match.start("body"), match.end("body"), match["body"])


def run(session: Session) -> str:
    """The session as it prints now: each command line, then its output (stdout, then stderr)."""
    out: list[str] = []
    with tempfile.TemporaryDirectory() as name:
        written = Path(name)
        for command in session.commands:
            out.append(f"$ {command}\n")
            argv = shlex.split(command)
            target = None
            if len(argv) > 2 and argv[-2] == ">":
                target, argv = argv[-1], argv[:-2]
            if argv[0] == "cat":
                out.append((written / argv[1]).read_text())
                continue
            # A file an earlier command wrote is read from where it was written.
            argv = [str(written / arg) if (written / arg).exists() else arg for arg in argv[1:]]
            result = subprocess.run(  # noqa: PLW1510 - the exit status is part of what is shown
                [sys.executable, "-m", "anbox_cloud_ports", *argv],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT / "lib"), "NO_COLOR": "1"},
            )
            if target is not None:
                (written / target).write_text(result.stdout)
            else:
                out.append(result.stdout)
            out.append(result.stderr)
    return "".join(out)


_ELIDED = "...\n"


def shown(recorded: str, actual: str) -> str:
    """What the README should show of `actual`: all of it, or its ends where `recorded` elides."""
    if _ELIDED not in recorded.splitlines(True):
        return actual
    lines = recorded.splitlines(True)
    cut = lines.index(_ELIDED)
    head, tail = lines[:cut], lines[cut + 1 :]
    chunks = [[]]
    for line in lines:
        if line == _ELIDED:
            chunks.append([])
        else:
            chunks[-1].append(line)
    position = 0
    for chunk in chunks:  # the recorded pieces, in order, in what is printed now
        found = actual.find("".join(chunk), position)
        if found < 0:
            got = actual.splitlines(True)
            return "".join(got[: len(head)] + [_ELIDED] + (got[-len(tail) :] if tail else []))
        position = found + len("".join(chunk))
    return recorded


def rendered(text: str) -> str:
    """The README with every runnable session's output as the commands print it now."""
    out: list[str] = []
    last = 0
    for session in sessions(text):
        if not session.runnable:
            continue
        out += [text[last : session.start], shown(session.body, run(session))]
        last = session.end
    out.append(text[last:])
    return "".join(out)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = rendered(text)
    if "--write" in sys.argv[1:]:
        README.write_text(new, encoding="utf-8")
        return 0
    if new == text:
        print("README sessions: every one prints what it shows")
        return 0
    import difflib

    sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), "README", "now"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
