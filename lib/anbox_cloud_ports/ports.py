"""PortRange: the one value type every other module speaks.

Juju names opened ports as `80/tcp`, `8000-8999/udp` or `icmp` (juju core/network/portrange.go,
`ParsePortRange` and `PortRange.String`); the seed tables name them as a port column (`10000-11000`)
and a protocol column (`UDP & TCP`); charm config names them as an int or a range string. All three
forms parse into the same immutable value, and only Juju's form is ever printed, so nothing read from
outside reaches a hook tool except as a re-rendered PortRange.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

from .errors import PortRangeError

Protocol = Literal["tcp", "udp", "icmp"]
PROTOCOLS: tuple[Protocol, ...] = ("tcp", "udp", "icmp")
MIN_PORT = 1
MAX_PORT = 65535

# Longer than any valid port range ("65535-65535/icmp" is 16): refuse before any regex work, so a
# hostile megabyte of digits costs nothing.
_MAX_TEXT = 32

# Juju's grammar (juju core/network/portrange.go `ParsePortRange`): <port>[/<proto>],
# <from>-<to>[/<proto>], or icmp; protocol defaults to tcp.
_JUJU_FORM = re.compile(r"(?P<start>[0-9]+)(?:-(?P<end>[0-9]+))?(?:/(?P<proto>[A-Za-z]+))?")


@dataclass(frozen=True, order=True, slots=True)
class PortRange:
    """An inclusive range of ports of one protocol; icmp has no ports (start = end = 0)."""

    protocol: Protocol
    start: int
    end: int

    def __post_init__(self) -> None:
        problem = _problem(self.protocol, self.start, self.end)
        if problem:
            raise PortRangeError(f"invalid port range {_quote(self._raw())}: {problem}")

    def _raw(self) -> str:
        if self.protocol == "icmp":
            return "icmp"
        if self.start == self.end:
            return f"{self.start}/{self.protocol}"
        return f"{self.start}-{self.end}/{self.protocol}"

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: object) -> PortRange:
        """Parse Juju's syntax: `8444`, `8444/tcp`, `10000-11000/UDP`, `icmp`."""
        if not isinstance(text, str):
            raise PortRangeError(f"invalid port range {_quote(text)}: expected a string like 80/tcp")
        if len(text) > _MAX_TEXT:
            raise PortRangeError(f"invalid port range {_quote(text)}: too long to be a port range")
        if text.lower() == "icmp":
            return ICMP
        match = _JUJU_FORM.fullmatch(text)
        if match is None:
            raise PortRangeError(
                f"invalid port range {_quote(text)}: expected <port>[/<protocol>], "
                "<from>-<to>[/<protocol>] or icmp"
            )
        proto = (match["proto"] or "tcp").lower()
        if proto not in ("tcp", "udp"):
            detail = "icmp takes no port" if proto == "icmp" else f'unknown protocol "{match["proto"]}"'
            raise PortRangeError(f"invalid port range {_quote(text)}: {detail}")
        start = int(match["start"])
        end = int(match["end"]) if match["end"] is not None else start
        problem = _problem(proto, start, end)
        if problem:
            raise PortRangeError(f"invalid port range {_quote(text)}: {problem}")
        return cls(cast(Protocol, proto), start, end)

    @classmethod
    def single(cls, port: int, protocol: Protocol = "tcp") -> PortRange:
        return cls(protocol, port, port)

    # -- queries -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """How many ports (sockets per address) the range needs; icmp needs none."""
        return 0 if self.protocol == "icmp" else self.end - self.start + 1

    def overlaps(self, other: PortRange) -> bool:
        """Same protocol and at least one port in common (inclusive bounds), as Juju's ConflictsWith.

        Two icmp claims overlap: Juju treats icmp as one port-less range (portrange.go `ConflictsWith`).
        """
        if self.protocol != other.protocol:
            return False
        return self.start <= other.end and other.start <= self.end

    def contains(self, other: PortRange) -> bool:
        return self.protocol == other.protocol and self.start <= other.start and other.end <= self.end

    def ports(self) -> range:
        return range(self.start, self.end + 1) if self.protocol != "icmp" else range(0)

    def __str__(self) -> str:
        return self._raw()

    def __repr__(self) -> str:
        return f"PortRange({str(self)!r})"


def _problem(protocol: str, start: int, end: int) -> str | None:
    if protocol not in PROTOCOLS:
        return f'unknown protocol "{protocol}"'
    if protocol == "icmp":
        return None if start == end == 0 else "icmp takes no port"
    for port in (start, end):
        if not MIN_PORT <= port <= MAX_PORT:
            return f"port {port} is out of range {MIN_PORT}-{MAX_PORT}"
    if start > end:
        return "start is greater than end"
    return None


def _quote(text: object) -> str:
    """Quote input for an error message: bounded, and escaped (JSON-style) so it stays one line."""
    shown = text if isinstance(text, str) else repr(text)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return json.dumps(shown, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


ICMP = PortRange("icmp", 0, 0)


# -- the seed tables' and config options' forms ---------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")
_TABLE_PROTOCOLS = re.compile(r"[A-Za-z]+(?:\s*&\s*[A-Za-z]+)*")


def parse_protocols(text: str) -> tuple[Protocol, ...]:
    """The seed table's protocol cell: `TCP`, `UDP`, `UDP & TCP` (one claim per protocol, in order)."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT or not _TABLE_PROTOCOLS.fullmatch(text.strip()):
        raise PortRangeError(f"invalid protocol {_quote(text)}: expected TCP, UDP, ICMP or e.g. UDP & TCP")
    protocols: list[Protocol] = []
    for part in text.split("&"):
        proto = part.strip().lower()
        if proto not in PROTOCOLS:
            raise PortRangeError(f"invalid protocol {_quote(text)}: unknown protocol {_quote(part.strip())}")
        if proto in protocols:
            raise PortRangeError(f"invalid protocol {_quote(text)}: {proto} is listed twice")
        protocols.append(proto)
    return tuple(protocols)


def parse_ports_cell(ports: str, protocols: str) -> tuple[PortRange, ...]:
    """One seed-table row (`10000-11000`, `UDP & TCP`) as its claims: one PortRange per protocol."""
    result: list[PortRange] = []
    for proto in parse_protocols(protocols):
        if proto == "icmp":
            result.append(ICMP)
            continue
        if not isinstance(ports, str) or "/" in ports:
            raise PortRangeError(f"invalid port range {_quote(ports)}: expected <port> or <from>-<to>")
        result.append(PortRange.parse(f"{ports}/{proto}"))
    return tuple(result)


def parse_port_option(value: object, protocol: Protocol = "tcp") -> PortRange:
    """A config option holding one port (`port: 8444`, `client-port: "4222"`).

    YAML and Juju config hand over ints or strings; bools are ints to Python and are refused.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PortRangeError(f"invalid port {_quote(value)}: expected a port number 1-65535")
    text = str(value)
    if len(text) > _MAX_TEXT or not _DIGITS.fullmatch(text):
        raise PortRangeError(f"invalid port {_quote(text)}: expected a port number 1-65535")
    port = int(text)
    if not MIN_PORT <= port <= MAX_PORT:
        raise PortRangeError(
            f"invalid port {_quote(text)}: port {port} is out of range {MIN_PORT}-{MAX_PORT}"
        )
    return PortRange(protocol, port, port)


def parse_range_option(value: object, protocol: Protocol = "tcp") -> PortRange:
    """A config option holding a range (`exposed_instance_ports: "10000-11000"`); a single port is accepted.

    Errors quote the value as the user wrote it, not with the protocol this function appends.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PortRangeError(f"invalid port range {_quote(value)}: expected <from>-<to>")
    text = str(value)
    if "/" in text:
        raise PortRangeError(f"invalid port range {_quote(text)}: expected <from>-<to> without a protocol")
    try:
        return PortRange.parse(f"{text}/{protocol}")
    except PortRangeError as err:
        problem = str(err).partition(": ")[2]
        raise PortRangeError(f"invalid port range {_quote(text)}: {problem}") from None


def merge(ranges: Iterable[PortRange]) -> list[PortRange]:
    """Coalesce overlapping or touching ranges per protocol (for firewall rules and summaries)."""
    out: list[PortRange] = []
    for r in sorted(set(ranges)):
        if out and out[-1].protocol == r.protocol and r.protocol != "icmp" and r.start <= out[-1].end + 1:
            last = out[-1]
            out[-1] = PortRange(last.protocol, last.start, max(last.end, r.end))
        elif not (out and r == out[-1]):
            out.append(r)
    return out
