"""Make a Terraform fix's changes to a copy of the configuration, guided only by what the fix prints.

A test of the fix's promise that does not trust its own proof: the printed pointers (`block at
FILE:LINE`, "`machines` is at FILE:LINE", "`config` is at ...", "the `expose` block is at ...") must
point at the lines to change, and the printed HCL (after dropping the `+`/`-`/`~` markers a
`terraform plan` diff carries) must be what Terraform reads; the edited copy is then read again by
`load_directory`, or planned by the real `terraform` binary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_AT = re.compile(r"(?P<file>[^ ()]+\.tf):(?P<line>\d+)")
_CREATE = re.compile(r"^# \S+: create, beside \S+ \(block at (?P<file>[^ ()]+\.tf):\d+\)$")
_CONFIG_CHANGE = re.compile(r'^\s+~ (?P<key>\S+) = (?P<old>"[^"]*") -> (?P<new>"[^"]*")$')
_CONFIG_ADD = re.compile(r'^\s+\+ (?P<key>\S+) = (?P<new>"[^"]*")$')


@dataclass
class _Edits:
    replace: dict[tuple[str, int], str] = field(default_factory=dict[tuple[str, int], str])
    insert_after: dict[tuple[str, int], list[str]] = field(default_factory=dict[tuple[str, int], list[str]])
    append: dict[str, list[str]] = field(default_factory=dict[str, list[str]])


def apply_fix(text: str) -> list[str]:
    """Make every change the fix text prints; the files changed."""
    edits = _Edits()
    for section in text.split("\n\n"):
        lines = section.splitlines()
        if not lines or not lines[0].startswith("# ") or ": " not in lines[0]:
            continue
        created = _CREATE.match(lines[0])
        if created:
            edits.append.setdefault(created["file"], []).extend(_resource_hcl(lines))
        elif ": change in place" in lines[0]:
            _changes(lines, edits)
    touched = sorted({f for f, _ in edits.replace} | {f for f, _ in edits.insert_after} | set(edits.append))
    for name in touched:
        path = Path(name)
        content = path.read_text().splitlines()
        for line in sorted({n for f, n in [*edits.replace, *edits.insert_after] if f == name}, reverse=True):
            if (name, line) in edits.insert_after:
                content[line:line] = edits.insert_after[(name, line)]
            if (name, line) in edits.replace:
                replacement = edits.replace[(name, line)]
                if replacement == "":
                    del content[line - 1]
                else:
                    content[line - 1] = replacement
        if name in edits.append:
            content += ["", *edits.append[name]]
        path.write_text("\n".join(content) + "\n")
    return touched


def _resource_hcl(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("+ resource "):
            out.append(stripped[2:])
        elif stripped.startswith("+ "):
            out.append("  " + stripped[2:])
        elif stripped == "}":
            out.append("}")
    return out


def _changes(lines: list[str], edits: _Edits) -> None:
    at: dict[str, tuple[str, int]] = {}
    for line in lines:
        for what in ("`machines`", "`config`", "the `expose` block", '`dynamic "expose"` block'):
            if what in line and (found := _AT.search(line)):
                at[what] = (found["file"], int(found["line"]))
    body = [line for line in lines if not line.lstrip().startswith("#")]
    if "~ machines = [" in "\n".join(body):
        start = next(i for i, line in enumerate(body) if "~ machines = [" in line)
        entries: list[str] = []
        for line in body[start + 1 :]:
            stripped = line.strip()
            if stripped == "]":
                break
            if not stripped.startswith("- "):
                entries.append(stripped.removeprefix("+ ").rstrip(","))
        file, line_no = at["`machines`"]
        edits.replace[(file, line_no)] = f"  machines = [{', '.join(entries)}]"
    for line in body:
        changed = _CONFIG_CHANGE.match(line)
        added = _CONFIG_ADD.match(line)
        if changed:
            file, line_no = at["`config`"]
            source = Path(file).read_text().splitlines()
            pattern = re.compile(
                rf"^(\s*){re.escape(changed['key'])}(\s*)=\s*{re.escape(changed['old'])}\s*$"
            )
            target = next(i for i in range(line_no - 1, len(source)) if pattern.match(source[i]))
            edits.replace[(file, target + 1)] = pattern.sub(
                rf"\g<1>{changed['key']}\g<2>= {changed['new']}", source[target]
            )
        elif added and "`config`" in at:
            file, line_no = at["`config`"]
            edits.insert_after.setdefault((file, line_no), []).append(f"    {added['key']} = {added['new']}")
        elif line.strip() in ("- expose {}", "- expose {"):
            file, line_no = at["the `expose` block"]
            source = Path(file).read_text().splitlines()
            assert source[line_no - 1].strip().startswith("expose {")
            end = line_no
            while source[end - 1].strip() not in ("}", "expose {}"):
                end += 1
            for number in range(line_no, end + 1):
                edits.replace[(file, number)] = ""
