"""The library's error types.

Every rejection of outside input ends in one of these, so callers (the CLI, a charm, a test) can catch
one family and print one line. Nothing else is meant to escape a parser.
"""

from __future__ import annotations


class AnboxPortsError(Exception):
    """Base of every error this library raises on purpose."""


class PortRangeError(AnboxPortsError, ValueError):
    """A port, range or protocol that Juju would not accept.

    The message always quotes the offending text, as Juju's own `ParsePortRange` does
    (juju core/network/portrange.go), so a user can find it in their input.
    """


class OptionError(PortRangeError):
    """A config option's value that cannot be the port (or range) the option holds.

    `str()` is the one line a charm shows as its status and `check` as a finding: the option, the
    value as the operator typed it, and the rule, e.g. `port=70000: must be a port number 1-65535`.
    A ValueError, so ops' `load_config(..., errors="blocked")` turns it into a BlockedStatus as is.
    """

    def __init__(self, option: str, value: object, rule: str, *, more: int = 0):
        self.option = option
        self.value = value
        self.rule = rule
        line = f"{option}={show_value(value)}: {rule}"
        if more:
            line += f" (and {more} more invalid option{'s' if more > 1 else ''})"
        super().__init__(line)


def show_value(value: object) -> str:
    """A config value as the operator typed it: numbers bare, text quoted and bounded, one line."""
    from .text import quote

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return quote(value, 40)


class InputError(AnboxPortsError):
    """An input document that cannot be used at all (exit status 2 of the CLI).

    `input` names where it came from (a file name, `<stdin>`, `relation ports:3 unit ams/0`), `where`
    the place inside it (a YAML path, a line), `problem` what is wrong. `str()` is the one line a user sees.
    """

    def __init__(self, input: str, problem: str, *, where: str | None = None, line: int | None = None):
        self.input = input
        self.problem = problem
        self.where = where
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        place = self.input
        if self.line is not None:
            place += f":{self.line}"
        if self.where:
            place += f": {self.where}"
        return f"{place}: {self.problem}"
