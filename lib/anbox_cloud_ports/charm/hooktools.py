"""The narrow seam between a charm and Juju's port hook tools: `opened-ports`, `open-port`, `close-port`.

ops cannot be that seam: `Unit.opened_ports` truncates a range to its first port and knows no endpoints,
and `ops.hookcmds.opened_ports(endpoints=True)` mangles `"80/tcp (ep1, ep2)"` (docs/juju-facts.md#ops-ports-limits). So this
module speaks the three tools itself, through argument lists built only from a PortRange (re-rendered by
`str()`) and endpoint names checked against Juju's grammar: nothing a user typed reaches a tool verbatim.

Endpoints are passed and returned as a tuple of names; the empty tuple means all endpoints, Juju's
wildcard endpoint `""` (what `open-port` does without `--endpoints`, and what `opened-ports` shows as
`(*)`). So `close_port(port, endpoints)` undoes exactly an entry `opened_ports()` returned.
"""

from __future__ import annotations

import json
import re
import subprocess
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import ops

from ..errors import AnboxPortsError, PortRangeError
from ..ports import PortRange

__all__ = [
    "ENDPOINT_NAME",
    "EndpointNameError",
    "HookToolOutputError",
    "HookTools",
    "OpenedPorts",
    "PortConflictError",
    "SubprocessHookTools",
    "conflict_from_stderr",
    "format_opened_entry",
    "opened_ports_argv",
    "parse_opened_entry",
    "parse_opened_ports",
    "port_argv",
    "validate_endpoint",
]

OpenedPorts = list[tuple[PortRange, tuple[str, ...]]]
"""What `opened-ports --endpoints` says: each range once, with its endpoints (`()` = all endpoints)."""

Verb = Literal["open-port", "close-port"]

# Juju's relation (endpoint) name grammar: juju/names relation.go `RelationSnippet`. Extra-bindings
# share it (juju charm meta.go parses both into the same bindings map).
ENDPOINT_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")
_MAX_ENTRY = 4096  # one opened-ports entry; far beyond any real endpoint list, small enough to bound work


class EndpointNameError(AnboxPortsError, ValueError):
    """A name that cannot be a Juju endpoint, so it must never reach `--endpoints`."""


class HookToolOutputError(AnboxPortsError, ValueError):
    """`opened-ports` printed something this parser does not recognise as Juju's format."""


class PortConflictError(ops.ModelError):
    """Juju refused to open (or close) a range because it overlaps one held on the same machine.

    `port` is the range this unit asked for, `other_port` the range in the way and `other_unit` who
    holds it (possibly this very unit: Juju also refuses a range overlapping one of the unit's own).
    `message` is Juju's text without the `ERROR ` prefix, e.g. `cannot open 10-20/tcp (unit "u/0"):
    port range conflicts with 10-20/tcp (unit "other/0")`.
    """

    def __init__(
        self,
        message: str,
        port: PortRange | None,
        other_unit: str,
        other_port: PortRange | None,
        *,
        unit: str = "",
        action: Literal["open", "close"] = "open",
    ):
        super().__init__(message)
        self.message = message
        self.port = port
        self.other_unit = other_unit
        self.other_port = other_port
        self.unit = unit
        self.action: Literal["open", "close"] = action


@typing.runtime_checkable
class HookTools(typing.Protocol):
    """Juju's three port hook tools, as the charm library needs them.

    Implementations: `SubprocessHookTools` (the real tools) and `anbox_cloud_ports.charm.testing.FakeHookTools`
    (an in-memory double applying Juju's rules). Both raise `PortConflictError` for a conflict Juju
    reports and `ops.ModelError` for any other failure.
    """

    def opened_ports(self) -> OpenedPorts:
        """This unit's opened ranges with their endpoints; `()` means all endpoints (`*`)."""
        ...

    def open_port(self, port: PortRange, endpoints: Sequence[str]) -> None:
        """`open-port [--endpoints a,b] <port>`: one call for a whole range; `()` opens on all endpoints."""
        ...

    def close_port(self, port: PortRange, endpoints: Sequence[str]) -> None:
        """`close-port [--endpoints a,b] <port>`: `()` closes the range on every endpoint."""
        ...


# -- names and argument lists --------------------------------------------------------------------


def validate_endpoint(name: object) -> str:
    """The name itself if Juju could have declared it; otherwise EndpointNameError quoting it.

    The check is what stops `--endpoints x 80` or `a,` (an empty item, which Juju's open-port reads
    as the wildcard: jujuc ports.go `makePortRangeCommand` splits on "," and trims) from becoming
    arguments.
    """
    if not isinstance(name, str) or len(name) > 128 or not ENDPOINT_NAME.fullmatch(name):
        shown = name if isinstance(name, str) else repr(name)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        raise EndpointNameError(
            f"invalid endpoint name {json.dumps(shown)}: expected a Juju endpoint name such as "
            "public or internal-api (lowercase letters, digits, single - or _ between them)"
        )
    return name


def _endpoint_tuple(endpoints: Iterable[str]) -> tuple[str, ...]:
    if isinstance(endpoints, str):
        # A bare string would be iterated letter by letter; refuse rather than guess.
        raise TypeError("endpoints must be a sequence of names, not a string")
    return tuple(sorted({validate_endpoint(name) for name in endpoints}))


def opened_ports_argv() -> list[str]:
    """`opened-ports --endpoints --format=json` (jujuc opened-ports.go: JSON list of strings)."""
    return ["opened-ports", "--endpoints", "--format=json"]


def port_argv(verb: Verb, port: PortRange, endpoints: Sequence[str]) -> list[str]:
    """The argument list for one open-port/close-port call; the range is re-rendered, names are checked.

    Syntax from jujuc ports.go: `[--endpoints a,b] <port>[/<protocol>] | <from>-<to>[/<protocol>] | icmp`;
    no `--endpoints` targets the wildcard endpoint `""` (docs/juju-facts.md#port-syntax).
    """
    if verb not in ("open-port", "close-port"):
        raise ValueError(f"unknown port hook tool {verb!r}")
    if not isinstance(port, PortRange):
        raise TypeError(f"port must be a PortRange, not {type(port).__name__}")
    names = _endpoint_tuple(endpoints)
    argv: list[str] = [verb]
    if names:
        argv += ["--endpoints", ",".join(names)]
    argv.append(str(port))
    return argv


# -- opened-ports output -------------------------------------------------------------------------

# One entry of `opened-ports --endpoints`: jujuc opened-ports.go prints `fmt.Sprintf("%s (%s)", pr,
# endpointDescr)` where endpointDescr is `*` or the sorted names joined with ", " (docs/juju-facts.md#opened-ports-output).
_ENTRY = re.compile(r"\s*(?P<port>[^\s()]+)(?:\s*\((?P<endpoints>[^()]*)\))?\s*")


def parse_opened_entry(text: object) -> tuple[PortRange, tuple[str, ...]]:
    """`"80/tcp (ep1, ep2)"` -> (80/tcp, ("ep1", "ep2")); `"8000-8999/udp (*)"` -> (..., ()).

    An entry without the parenthesis (a Juju older than 2.9 ignores endpoints) is all endpoints.
    Names are split on "," and trimmed, so `ep1,ep2` parses too; an empty or invalid name is an error,
    never a guess, since it would be handed back to close-port.
    """
    if not isinstance(text, str):
        raise HookToolOutputError(f"unexpected opened-ports entry {text!r}: expected a string")
    if len(text) > _MAX_ENTRY:
        raise HookToolOutputError("unexpected opened-ports entry: too long")
    match = _ENTRY.fullmatch(text)
    if match is None:
        raise HookToolOutputError(f"unexpected opened-ports entry {json.dumps(text[:80])}")
    try:
        port = PortRange.parse(match["port"])
    except PortRangeError as err:
        raise HookToolOutputError(f"unexpected opened-ports entry {json.dumps(text[:80])}: {err}") from None
    described = match["endpoints"]
    if described is None or described.strip() == "*":
        return port, ()
    names: set[str] = set()
    for item in described.split(","):
        try:
            names.add(validate_endpoint(item.strip()))
        except EndpointNameError as err:
            raise HookToolOutputError(
                f"unexpected opened-ports entry {json.dumps(text[:80])}: {err}"
            ) from None
    return port, tuple(sorted(names))


def format_opened_entry(port: PortRange, endpoints: Iterable[str]) -> str:
    """The entry exactly as Juju prints it (the inverse of `parse_opened_entry`)."""
    names = _endpoint_tuple(endpoints)
    return f"{port} ({', '.join(names) if names else '*'})"


def parse_opened_ports(stdout: str) -> OpenedPorts:
    """The whole JSON document; a range listed twice has its endpoints merged (Juju lists each once)."""
    try:
        document = json.loads(stdout) if stdout.strip() else []
    except ValueError:
        raise HookToolOutputError(f"opened-ports did not print JSON: {stdout[:80]!r}") from None
    if document is None:
        document = []
    if not isinstance(document, list):
        raise HookToolOutputError(f"opened-ports printed {type(document).__name__}, expected a JSON list")
    merged: dict[PortRange, set[str] | None] = {}
    for entry in typing.cast(list[object], document):
        port, names = parse_opened_entry(entry)
        if not names:
            merged[port] = None  # all endpoints subsume any named ones
        elif port not in merged:
            merged[port] = set(names)
        elif (known := merged[port]) is not None:
            known.update(names)
    return [(port, tuple(sorted(names)) if names else ()) for port, names in sorted(merged.items())]


# -- errors --------------------------------------------------------------------------------------

# jujuc runs each tool through juju/cmd `Main`, which prints a failed Run as "ERROR <message>" and exits 1.
# Hook-side conflict text: worker/uniter/runner/context/ports.go (`checkForConflict`, annotated by
# `OpenPortRange`/`ClosePortRange`), identical in Juju 3.x and 4.x.
_HOOK_CONFLICT = re.compile(
    r'cannot (?P<action>open|close) (?P<port>\S+) \(unit "(?P<unit>[^"]*)"\): '
    r'port range conflicts with (?P<other_port>\S+) \(unit "(?P<other_unit>[^"]*)"\)(?: requested earlier)?'
)
# Controller-side text, should a conflict only show at commit (state/machine_ports_ops.go
# `checkForPortRangeConflict`): `cannot open ports 15/tcp: port ranges 10-20/tcp ("a/0") and 15/tcp ("b/0") conflict`.
_STATE_CONFLICT = re.compile(
    r'cannot (?P<action>open|close) ports (?P<port>\S+): port ranges (?P<other_port>\S+) \("(?P<other_unit>[^"]*)"\)'
    r' and \S+ \("(?P<unit>[^"]*)"\) conflict'
)


def conflict_from_stderr(stderr: str) -> PortConflictError | None:
    """A PortConflictError when a failed tool's stderr is one of Juju's conflict messages, else None."""
    for line in stderr.splitlines():
        text = line.strip().removeprefix("ERROR ").strip()
        match = _HOOK_CONFLICT.search(text) or _STATE_CONFLICT.search(text)
        if match is None:
            continue
        return PortConflictError(
            text,
            _parse_or_none(match["port"]),
            match["other_unit"],
            _parse_or_none(match["other_port"]),
            unit=match["unit"],
            action="open" if match["action"] == "open" else "close",
        )
    return None


def _parse_or_none(text: str) -> PortRange | None:
    try:
        return PortRange.parse(text)
    except PortRangeError:
        return None


# -- the real tools ------------------------------------------------------------------------------

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run_subprocess(argv: list[str]) -> subprocess.CompletedProcess[str]:
    # An argument list, never a shell: no word splitting, no globbing, no metacharacters.
    return subprocess.run(argv, capture_output=True, text=True, check=False)


class SubprocessHookTools:
    """The real hook tools, found on PATH as Juju provides them in every hook.

    `runner` exists for tests and benchmarks that count or intercept invocations; it receives the
    argument list and returns a CompletedProcess.
    """

    def __init__(self, runner: Runner | None = None):
        self._runner: Runner = runner or _run_subprocess

    def opened_ports(self) -> OpenedPorts:
        stdout = self._run(opened_ports_argv())
        try:
            return parse_opened_ports(stdout)
        except HookToolOutputError as err:
            raise ops.ModelError(str(err)) from None

    def open_port(self, port: PortRange, endpoints: Sequence[str]) -> None:
        self._run(port_argv("open-port", port, endpoints))

    def close_port(self, port: PortRange, endpoints: Sequence[str]) -> None:
        self._run(port_argv("close-port", port, endpoints))

    def _run(self, argv: list[str]) -> str:
        try:
            result = self._runner(argv)
        except FileNotFoundError:
            # ops.testing does not provide hook tools (docs/juju-facts.md#ops-ports-limits): say where the seam is.
            raise ops.ModelError(
                f"hook tool {argv[0]} not found on PATH: not running in a Juju hook? In ops.testing, "
                "wrap the run in anbox_cloud_ports.charm.testing.fake_hook_tools() or pass tools= to ServicePorts"
            ) from None
        if result.returncode != 0:
            conflict = conflict_from_stderr(result.stderr or "")
            if conflict is not None:
                raise conflict
            # The same message ops gives for a failed hook command (ops.model `_wrap_hookcmd`).
            raise ops.ModelError(
                (result.stderr or "").strip() or f"{argv[0]} exited with status {result.returncode}"
            )
        return result.stdout or ""
