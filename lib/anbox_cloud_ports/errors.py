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


class InputError(AnboxPortsError):
    """An input document that cannot be used at all (exit status 2 of the CLI).

    `source` names where it came from (a file name, `<stdin>`, `relation ports:3 unit ams/0`), `where`
    the place inside it (a YAML path, a line), `problem` what is wrong. `str()` is the one line a user sees.
    """

    def __init__(self, source: str, problem: str, *, where: str | None = None, line: int | None = None):
        self.source = source
        self.problem = problem
        self.where = where
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        place = self.source
        if self.line is not None:
            place += f":{self.line}"
        if self.where:
            place += f": {self.where}"
        return f"{place}: {self.problem}"
