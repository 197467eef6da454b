"""Shared core of the fake `open-port`, `close-port` and `opened-ports` executables (stdlib only).

They speak Juju 3.x's command lines, output formats, exit codes and error texts, and keep one
machine's port state in the JSON file named by $FAKE_JUJU_STATE. This is a second, independent
implementation of the rules `anbox_cloud_ports.charm.testing.FakeHookTools` applies (so tests can compare
the two); every rule cites the Juju source it comes from.

State file:
    {"endpoints": {"app": ["internal", "public"]},          # bound endpoints per application
     "units": {"app/0": {"public": ["5349/tcp"], "": ["80/tcp"]}},   # committed, per endpoint
     "pending": {"app/0": {"hook": "h1", "open": {...}, "close": {...}}}}

A hook's open/close requests stay pending until the hook ends, as in Juju. $FAKE_JUJU_HOOK names the
current hook: a tool run under a new name first commits the unit's previous hook. Without it, every
command is a hook of its own (committed at once). `commit(path, unit)` ends a hook explicitly.
Every invocation is appended to $FAKE_JUJU_LOG (one JSON argv per line) when that is set.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sys
from collections.abc import Generator
from typing import Any

Range = tuple[str, int, int]  # (protocol, from, to); icmp is ("icmp", -1, -1) as in Juju
Grouped = dict[str, list[Range]]

STATE_ENV = "FAKE_JUJU_STATE"
HOOK_ENV = "FAKE_JUJU_HOOK"
LOG_ENV = "FAKE_JUJU_LOG"


class CommandError(Exception):
    """A failed command: juju/cmd prints "ERROR <message>"; Init errors exit 2, Run errors exit 1."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class AlreadyExistsError(Exception):
    """errors.AlreadyExists from checkForConflict: the same range on the same endpoint."""


# -- core/network/portrange.go ------------------------------------------------------------------


def render(pr: Range) -> str:
    """PortRange.String()."""
    proto, lo, hi = pr
    if proto == "icmp":
        return "icmp"
    return f"{lo}/{proto}" if lo == hi else f"{lo}-{hi}/{proto}"


def parse_range(text: str) -> Range:
    """ParsePortRange (after open-port/close-port lower-case the argument), with Validate()."""
    protocol = "tcp"
    ports = text
    if "/" in text:
        ports, protocol = text.split("/", 1)
    parts = ports.split("-")
    if len(parts) > 2:
        raise CommandError(f'invalid port range "{ports}"', 2)
    if len(parts) == 1 and parts[0] == "icmp":
        lo = hi = -1
    else:
        try:
            lo = _atoi(parts[0])
            hi = _atoi(parts[1]) if len(parts) == 2 else lo
        except ValueError:
            bad = parts[0] if len(parts) == 1 else next(p for p in parts if not _is_int(p))
            raise CommandError(
                f'invalid port "{bad}": strconv.Atoi: parsing "{bad}": invalid syntax', 2
            ) from None
    if lo == -1:
        protocol = "icmp"
    if protocol not in ("tcp", "udp", "icmp"):
        raise CommandError(f'invalid protocol "{protocol}", expected "tcp", "udp", or "icmp"', 2)
    if protocol == "icmp":
        if lo == hi == -1:
            return ("icmp", -1, -1)
        raise CommandError(f'protocol "icmp" doesn\'t support any ports; got "{lo}"', 2)
    if lo > hi:
        raise CommandError(f"invalid port range {render((protocol, lo, hi))}", 2)
    if not (0 <= lo <= 65535 and 0 <= hi <= 65535):
        raise CommandError(f"port range bounds must be between 0 and 65535, got {lo}-{hi}", 2)
    return (protocol, lo, hi)


def _atoi(text: str) -> int:
    if not _is_int(text):
        raise ValueError(text)
    return int(text)


def _is_int(text: str) -> bool:
    """What strconv.Atoi accepts: an optional sign, then ASCII digits."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


def conflicts(a: Range, b: Range) -> bool:
    """PortRange.ConflictsWith: same protocol and inclusive overlap (icmp vs icmp: -1..-1 overlaps)."""
    return a[0] == b[0] and a[2] >= b[1] and b[2] >= a[1]


def sort_key(pr: Range) -> Range:
    """SortPortRanges: protocol, then from, then to."""
    return pr


# -- state ----------------------------------------------------------------------------------------


def _load_ranges(group: dict[str, list[str]]) -> Grouped:
    return {ep: [parse_range(text) for text in ranges] for ep, ranges in group.items()}


def _dump_ranges(group: Grouped) -> dict[str, list[str]]:
    return {ep: [render(pr) for pr in ranges] for ep, ranges in group.items()}


@contextlib.contextmanager
def machine_state(path: str) -> Generator[dict[str, Any]]:
    """The state document, locked for the duration (two units' tools may run at once).

    Written back even when the command fails: Juju's hook-side recorder keeps what a failed
    `close-port` did before its conflict check (it drops the matching pending open first), and a hook
    whose commit fails loses its pending changes (`Machine.commit` pops them before it checks).
    `Machine.commit` changes `state["units"]` only through `save()`, after every check has passed.
    """
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        state: dict[str, Any] = json.loads(text) if text.strip() else {}
        state.setdefault("endpoints", {})
        state.setdefault("units", {})
        state.setdefault("pending", {})
        try:
            yield state
        finally:
            handle.seek(0)
            handle.truncate()
            json.dump(state, handle, sort_keys=True, separators=(",", ":"))


class Machine:
    """One machine: committed port ranges per unit, and the pending requests of the running hooks."""

    def __init__(self, state: dict[str, Any]):
        self.state = state
        self.units: dict[str, Grouped] = {u: _load_ranges(g) for u, g in state["units"].items()}

    def save(self) -> None:
        self.state["units"] = {u: _dump_ranges(g) for u, g in self.units.items()}

    def pending(self, unit: str) -> tuple[Grouped, Grouped]:
        entry = self.state["pending"].get(unit, {})
        return _load_ranges(entry.get("open", {})), _load_ranges(entry.get("close", {}))

    def set_pending(self, unit: str, hook: str | None, opens: Grouped, closes: Grouped) -> None:
        self.state["pending"][unit] = {
            "hook": hook,
            "open": _dump_ranges(opens),
            "close": _dump_ranges(closes),
        }

    def begin(self, unit: str, hook: str | None) -> None:
        """Commit the unit's previous hook if this command belongs to another one."""
        entry = self.state["pending"].get(unit)
        if entry is not None and entry.get("hook") != hook:
            self.commit(unit)

    # -- worker/uniter/runner/context/ports.go (hook side) ------------------------------------

    def check(
        self, unit: str, endpoint: str, pr: Range, *, other: str, ranges: Grouped, pending: bool
    ) -> None:
        """checkForConflict."""
        for existing_endpoint, existing in ranges.items():
            for held in existing:
                if not conflicts(pr, held):
                    continue
                if other == unit and pr == held:
                    if endpoint != existing_endpoint:
                        continue
                    raise AlreadyExistsError
                suffix = " requested earlier" if pending else ""
                raise CommandError(f'port range conflicts with {render(held)} (unit "{other}"){suffix}')

    def open(self, unit: str, endpoint: str, pr: Range, opens: Grouped, closes: Grouped) -> None:
        """OpenPortRange."""
        if pr in closes.get(endpoint, []):
            closes[endpoint].remove(pr)
        try:
            self.check(unit, endpoint, pr, other=unit, ranges=opens, pending=True)
            for other, ranges in self.units.items():
                self.check(unit, endpoint, pr, other=other, ranges=ranges, pending=False)
        except AlreadyExistsError:
            return
        except CommandError as err:
            raise CommandError(f'cannot open {render(pr)} (unit "{unit}"): {err}') from None
        opens.setdefault(endpoint, []).append(pr)

    def close(self, unit: str, endpoint: str, pr: Range, opens: Grouped, closes: Grouped) -> None:
        """ClosePortRange."""
        if pr in opens.get(endpoint, []):
            opens[endpoint].remove(pr)
        try:
            self.check(unit, endpoint, pr, other=unit, ranges=closes, pending=True)
        except AlreadyExistsError:
            return
        except CommandError as err:
            raise CommandError(f'cannot close {render(pr)} (unit "{unit}"): {err}') from None
        for other, ranges in self.units.items():
            try:
                self.check(unit, endpoint, pr, other=other, ranges=ranges, pending=False)
            except AlreadyExistsError:
                continue
            except CommandError as err:
                raise CommandError(f'cannot close {render(pr)} (unit "{unit}"): {err}') from None
        if not self.units:
            return
        closes.setdefault(endpoint, []).append(pr)

    # -- state/machine_ports_ops.go (controller side, at the end of the hook) ----------------

    def commit(self, unit: str) -> None:
        """openClosePortRangesOperation.Build for one unit's pending changes; raises CommandError."""
        opens, closes = self.pending(unit)
        self.state["pending"].pop(unit, None)
        app = unit.split("/", maxsplit=1)[0]
        bound = self.state["endpoints"].get(app)
        for verb, requests in (("open", opens), ("close", closes)):
            for endpoint in requests:
                if endpoint and bound is not None and endpoint not in bound:
                    raise CommandError(
                        f'cannot open/close ports: {verb} port range: endpoint "{endpoint}" for unit "{unit}" not found'
                    )
        owner: dict[Range, str] = {}
        for name, group in self.units.items():
            for ranges in group.values():
                for pr in ranges:
                    owner[pr] = name
        mine = self.units.setdefault(unit, {})
        for endpoint, ranges in opens.items():  # mergePendingOpenPortRanges
            for pr in ranges:
                if owner.get(pr) == unit:
                    if pr in mine.get("", []) or pr in mine.get(endpoint, []):
                        continue
                else:
                    self._state_conflict("open", unit, pr, owner)
                mine.setdefault(endpoint, []).append(pr)
                owner[pr] = unit
        for endpoint in list(mine):  # pruneOpenPorts
            if endpoint:
                mine[endpoint] = [pr for pr in mine[endpoint] if pr not in mine.get("", [])]
        for endpoint, ranges in closes.items():  # mergePendingClosePortRanges
            for pr in ranges:
                if owner.get(pr) != unit:
                    self._state_conflict("close", unit, pr, owner)
                    continue
                self._remove(mine, endpoint, pr, bound or [])
                if not any(pr in held for held in mine.values()):
                    owner.pop(pr, None)
        for name in list(self.units):  # pruneEmptySections
            group = {ep: ranges for ep, ranges in self.units[name].items() if ranges}
            if group:
                self.units[name] = group
            else:
                del self.units[name]

    @staticmethod
    def _state_conflict(verb: str, unit: str, pr: Range, owner: dict[Range, str]) -> None:
        for held, holder in owner.items():
            if conflicts(pr, held):
                raise CommandError(
                    f'cannot {verb} ports {render(pr)}: port ranges {render(held)} ("{holder}") and '
                    f'{render(pr)} ("{unit}") conflict'
                )

    @staticmethod
    def _remove(mine: Grouped, endpoint: str, pr: Range, bound: list[str]) -> None:
        """removePortRange: a wildcard range closed on one endpoint stays open on the other bound ones."""
        if endpoint == "":
            for ranges in mine.values():
                if pr in ranges:
                    ranges.remove(pr)
            return
        if pr in mine.get(endpoint, []):
            mine[endpoint].remove(pr)
        if pr in mine.get("", []):
            mine[""].remove(pr)
            for other in bound:
                if other != endpoint:
                    mine.setdefault(other, []).append(pr)

    def opened(self, unit: str) -> dict[Range, set[str]]:
        """OpenedUnitPortRanges: the committed ranges, plus this hook's pending opens, minus its pending
        closes (MergePendingOpenPortRanges / MergePendingClosePortRanges: an exact (endpoint, range)
        match only, so a wildcard range closed on one endpoint still shows `*` until the commit)."""
        view = {ep: list(ranges) for ep, ranges in self.units.get(unit, {}).items()}
        opens, closes = self.pending(unit)
        for endpoint, ranges in opens.items():
            for pr in ranges:
                if pr not in view.setdefault(endpoint, []):
                    view[endpoint].append(pr)
        for endpoint, ranges in closes.items():
            for pr in ranges:
                if pr in view.get(endpoint, []):
                    view[endpoint].remove(pr)
        by_range: dict[Range, set[str]] = {}
        for endpoint, ranges in view.items():
            for pr in ranges:
                by_range.setdefault(pr, set()).add(endpoint)
        return by_range


def commit(path: str, unit: str | None = None) -> None:
    """End the running hook of `unit` (of every unit when None); raises CommandError like a failed hook."""
    with machine_state(path) as state:
        machine = Machine(state)
        for name in [unit] if unit else list(state["pending"]):
            if name in state["pending"]:
                machine.commit(name)
        machine.save()


# -- the command lines (juju/cmd + gnuflag, interspersed flags) -------------------------------


def _parse_flags(args: list[str], strings: set[str], bools: set[str]) -> tuple[dict[str, Any], list[str]]:
    flags: dict[str, Any] = {}
    positional: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--":
            positional.extend(items)
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if name in bools:
            flags[name] = value.lower() not in ("false", "0") if eq else True
        elif name in strings:
            if not eq:
                value = next(items, None)  # type: ignore[assignment]
                if value is None:
                    raise CommandError(f"flag needs an argument: {arg}", 2)
            flags[name] = value
        else:
            raise CommandError(f"flag provided but not defined: {arg.split('=', 1)[0]}", 2)
    return flags, positional


def _unit() -> str:
    unit = os.environ.get("JUJU_UNIT_NAME", "")
    if not re.fullmatch(r"[a-z][a-z0-9-]*/[0-9]+", unit):
        raise CommandError("JUJU_UNIT_NAME not set: not running in a hook context")
    return unit


def _log(argv: list[str]) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(argv) + "\n")


def port_command(verb: str, args: list[str]) -> int:
    """open-port / close-port: jujuc ports.go (`portCommand`, `makePortRangeCommand`)."""
    flags, positional = _parse_flags(args, {"endpoints", "format"}, set())
    if not positional:
        raise CommandError("no port or range specified", 2)
    pr = parse_range(positional[0].lower())
    if len(positional) > 1:
        raise CommandError(f"unrecognized args: {json.dumps(positional[1:])}", 2)
    if flags.get("format"):
        sys.stderr.write(f'--format flag deprecated for command "{verb}"')
    unit = _unit()
    endpoints_flag = flags.get("endpoints", "")
    endpoints = [ep.strip() for ep in endpoints_flag.split(",")] if endpoints_flag else [""]
    hook = os.environ.get(HOOK_ENV) or None
    with machine_state(_state_path()) as state:
        machine = Machine(state)
        machine.begin(unit, hook)
        opens, closes = machine.pending(unit)
        action = machine.open if verb == "open-port" else machine.close
        try:
            for endpoint in endpoints:
                action(unit, endpoint, pr, opens, closes)
        finally:
            machine.set_pending(unit, hook, opens, closes)
            if hook is None:
                machine.commit(unit)
            machine.save()
    return 0


def opened_ports_command(args: list[str]) -> int:
    """opened-ports: jujuc opened-ports.go; `--format` json, yaml or smart (one entry per line)."""
    flags, positional = _parse_flags(args, {"format", "output", "o"}, {"endpoints"})
    if positional:
        raise CommandError(f"unrecognized args: {json.dumps(positional)}", 2)
    fmt = flags.get("format", "smart")
    if fmt not in ("json", "yaml", "smart"):
        raise CommandError(f'invalid value "{fmt}" for option --format: unknown format "{fmt}"', 2)
    unit = _unit()
    hook = os.environ.get(HOOK_ENV) or None
    with machine_state(_state_path()) as state:
        machine = Machine(state)
        machine.begin(unit, hook)
        opened = machine.opened(unit)
        machine.save()
    results: list[str] = []
    for pr in sorted(opened, key=sort_key):
        if not flags.get("endpoints"):
            results.append(render(pr))
            continue
        names = opened[pr]
        described = "*" if "" in names else ", ".join(sorted(names))
        results.append(f"{render(pr)} ({described})")
    if fmt == "json":
        sys.stdout.write(json.dumps(results) + "\n")
    elif fmt == "yaml":
        sys.stdout.write("".join(f"- {item}\n" for item in results) if results else "[]\n")
    else:
        sys.stdout.write("".join(f"{item}\n" for item in results))
    return 0


def _state_path() -> str:
    path = os.environ.get(STATE_ENV)
    if not path:
        raise CommandError(f"{STATE_ENV} not set: the fake hook tools need a state file")
    return path


def main(tool: str, args: list[str]) -> int:
    _log([tool, *args])
    try:
        if tool == "opened-ports":
            return opened_ports_command(args)
        return port_command(tool, args)
    except CommandError as err:
        sys.stderr.write(f"ERROR {err}\n")
        return err.code
