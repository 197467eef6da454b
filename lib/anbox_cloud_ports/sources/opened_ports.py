"""`juju exec --application A,B --format=json -- opened-ports --endpoints --format=json` output.

Which endpoint each port is opened on, unit by unit: what `juju status` never says
(docs/juju-facts.md#status-formats). The document (docs/juju-facts.md#juju-exec, juju
cmd/juju/action/exec.go and common.go) maps each receiver to {id, status, unit, results?:
{return-code, stdout?, stderr?, stdout-encoding?}, message?, timing}; `results.stdout` holds the hook
tool's own output, parsed a second time (docs/juju-facts.md#opened-ports-output): a JSON list of
`"<range> (<endpoints>)"`, where `*` means all endpoints and several endpoints are joined by `, `.
The `smart` (one entry per line) and `yaml` forms of the hook tool's output are read too.

`--all` and `--machine` run on machines, outside any hook context, where opened-ports cannot run;
a document keyed by machine says so. A unit whose task failed keeps its ports' endpoints unknown and
the failure is reported, so one unit's agent being down hides nothing about the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import PortRangeError
from ..model import Location
from ..names import is_endpoint, is_machine, is_unit
from ..ports import PortRange
from ..text import plain, quote
from .shape import Shape
from .yamlload import Parsed, as_mapping, as_sequence, path

if TYPE_CHECKING:
    from .combine import Merger

# `fmt.Sprintf("%s (%s)", range, descr)` in opened-ports.go renderPortsWithEndpointDetails.
_ENTRY = r"(?P<range>[^ ()]+) \((?P<endpoints>[^()]*)\)"  # compiled when a dump is read, not when told apart
_WILDCARD = "*"


def looks_like_exec(document: object) -> bool:
    """Every value carries the task's `id` and `status` and names its receiver (`unit` or `machine`)."""
    top = as_mapping(document)
    if not top:
        return False
    for value in top.values():
        task = as_mapping(value)
        if task is None or "id" not in task or "status" not in task:
            return False
        if "unit" not in task and "machine" not in task:
            return False
    return True


class UnitPorts(NamedTuple):
    """One unit's opened ports, each with the endpoints it is opened for (`""`: all endpoints).

    `failure` says why the task gave nothing usable (then `ports` is empty); `bad` holds entries
    that are not a port Juju would print, with why.
    """

    unit: str
    ports: tuple[tuple[PortRange, tuple[str, ...]], ...]
    location: Location
    task: str = ""
    failure: str | None = None
    bad: tuple[tuple[str, str], ...] = ()


class OpenedPorts(NamedTuple):
    """A parsed `juju exec ... opened-ports --endpoints` dump: what it completes is in `apply`."""

    input: str
    units: tuple[UnitPorts, ...]

    def apply(self, merger: Merger) -> None:
        """Set each named unit's claims to these, with their endpoints; the status must have each unit."""
        for found in self.units:
            merger.set_opened_ports(found, self.input)


def read(parsed: Parsed) -> OpenedPorts:
    shape = Shape(parsed)
    top = shape.mapping(shape.one_document("juju exec"), "", what="a mapping of units")
    return OpenedPorts(parsed.input, tuple(_unit(shape, top, key) for key in top))


def _unit(shape: Shape, top: Mapping[Any, object], key: object) -> UnitPorts:
    where = path(str(key))
    if not is_unit(key):
        if is_machine(key):
            raise shape.error(
                where,
                f"juju exec ran on machine {key}, outside any hook context, where opened-ports "
                "cannot run (docs/juju-facts.md#juju-exec): run it with --application or --unit",
                top,
                key,
            )
        raise shape.error(where, f"not a Juju unit name: {quote(key)}", top, key)
    name = str(key)
    task = shape.mapping(top[key], where, top, key, what="a juju exec task")
    if task.get("unit", name) != name:
        raise shape.error(where, f"the task of {name} names unit {quote(task.get('unit'))}", task, "unit")
    location = shape.location(top, key)
    task_id = task.get("id")
    task_id = task_id if isinstance(task_id, str) and task_id.isdigit() else ""
    results = shape.mapping(task.get("results"), path(where, "results"), task, "results", what="task results")
    failure = _failure(task, results)
    if failure is not None:
        return UnitPorts(name, (), location, task_id, failure)
    stdout = _text(shape, results, "stdout", path(where, "results"))
    ports: list[tuple[PortRange, tuple[str, ...]]] = []
    bad: list[tuple[str, str]] = []
    for entry in _entries(shape, stdout, path(where, "results", "stdout"), results):
        match = re.fullmatch(_ENTRY, entry)
        if match is None:
            raise shape.error(
                path(where, "results", "stdout"),
                f"{quote(entry)} is not an `opened-ports --endpoints` entry (`<range> (<endpoints>)`): "
                "run opened-ports with --endpoints",
                results,
                "stdout",
            )
        endpoints = _endpoints(shape, match["endpoints"], path(where, "results", "stdout"), results)
        try:
            ports.append((PortRange.parse(match["range"]), endpoints))
        except PortRangeError as err:
            bad.append((match["range"], str(err)))
    return UnitPorts(name, tuple(ports), location, task_id, None, tuple(bad))


def _failure(task: Mapping[Any, object], results: Mapping[Any, object]) -> str | None:
    """Why a task gave no usable output (exec.go: a non-zero code fails the command, the JSON stays)."""
    status = task.get("status")
    code = results.get("return-code")
    if status == "completed" and (code is None or code == 0):
        return None
    stderr = results.get("stderr")
    detail = (
        next((line for line in stderr.splitlines() if line.strip()), "") if isinstance(stderr, str) else ""
    )
    detail = detail or (task.get("message") if isinstance(task.get("message"), str) else "") or ""
    what = f"task {plain(str(status), 20)}" if status != "completed" else f"return code {code}"
    return f"{what}: {quote(detail, 120)}" if detail else what


def _text(shape: Shape, results: Mapping[Any, object], key: str, where: str) -> str:
    value = results.get(key)
    if value is None:
        return ""  # exec.go leaves an empty stdout out
    if not isinstance(value, str):
        raise shape.error(path(where, key), f"expected text, found {type(value).__name__}", results, key)
    if results.get(f"{key}-encoding") == "base64":
        import base64  # only for output juju exec encoded: detecting a status input imports this module
        import binascii

        try:
            return base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise shape.error(path(where, key), "is not base64-encoded UTF-8 text", results, key) from None
    return value


def _entries(shape: Shape, stdout: str, where: str, results: Mapping[Any, object]) -> list[str]:
    """The hook tool's list: `--format=json` (one JSON list), `yaml` (`- ` lines) or `smart` (lines)."""
    text = stdout.strip()
    if text.startswith("["):
        try:
            loaded: object = json.loads(text)
        except (ValueError, RecursionError):
            raise shape.error(where, "is not the JSON list opened-ports prints", results, "stdout") from None
        items = as_sequence(loaded)
        if items is None or not all(isinstance(item, str) for item in items):
            raise shape.error(where, "is not the JSON list of strings opened-ports prints", results, "stdout")
        return [str(item) for item in items]
    return [line.strip().removeprefix("- ") for line in text.splitlines() if line.strip()]


def _endpoints(shape: Shape, text: str, where: str, results: Mapping[Any, object]) -> tuple[str, ...]:
    if text == _WILDCARD:
        return ("",)
    names = tuple(text.split(", "))
    for name in names:
        if not is_endpoint(name):
            raise shape.error(where, f"not a Juju endpoint name: {quote(name)}", results, "stdout")
    return names
