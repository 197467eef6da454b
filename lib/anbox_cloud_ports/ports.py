"""PortRange: the one value type every other module speaks.

Juju names opened ports as `80/tcp`, `8000-8999/udp` or `icmp` (juju core/network/portrange.go,
`ParsePortRange` and `PortRange.String`); the seed tables name them as a port column (`10000-11000`)
and a protocol column (`UDP & TCP`); charm config names them as an int or a range string. All three
forms parse into the same immutable value, and only Juju's form is ever printed, so nothing read from
outside reaches a hook tool except as a re-rendered PortRange.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, cast

from .errors import PortRangeError
from .text import quote

Protocol = Literal["tcp", "udp", "icmp"]
PROTOCOLS: tuple[Protocol, ...] = ("tcp", "udp", "icmp")
# Juju's bounds (docs/juju-facts.md#port-syntax: `Validate` allows 0..65535, and nothing in Juju
# refuses port 0). Config options and listeners are stricter: see OPTION_MIN_PORT.
MIN_PORT = 0
MAX_PORT = 65535
OPTION_MIN_PORT = 1
"""The lowest port a config option, a catalog row or a declared listener may name. Juju would open
`0/tcp`, but a service told to listen on port 0 gets whatever free port the kernel picks, so no
firewall rule, catalog row or conflict check can name the port it ends up on: an option of 0 is an
operator's mistake, refused before it reaches a hook tool."""

PORT_ZERO = (
    "port 0 is not a port a service can be reached on (binding port 0 takes any free port the kernel "
    "picks), so it cannot be opened, exposed or checked"
)

# Longer than any port range Juju prints ("65535-65535/icmp" is 16): refuse before any other work, so
# a hostile megabyte of digits costs nothing.
_MAX_TEXT = 32

# Go's strconv.Atoi on the pieces ParsePortRange splits out: an optional sign, then ASCII digits.
_ATOI = re.compile(r"[+-]?[0-9]+")


_PARSED: dict[str, PortRange] = {}
"""`PortRange.parse` results by text: a 20,000-unit `juju status` prints the same ten ranges tens of
thousands of times. Bounded, so hostile input with many distinct ranges cannot grow it without end."""
_PARSED_MAX = 4096


class PortRange:
    """An inclusive range of ports of one protocol; icmp has no ports (start = end = 0).

    Juju writes icmp as -1..-1; here it is 0..0 of protocol icmp, which never meets a tcp or udp
    range, so `0/tcp` (valid in Juju) and icmp stay apart.

    Immutable, and equal, hashed and ordered as the tuple (protocol, start, end), as a frozen ordered
    dataclass would be. Written out rather than generated: every claim of every input holds one, the
    engine compares and hashes them by the hundred thousand (here against a tuple built once, at C
    speed), and the CLI defines it at start-up, where generating a dataclass costs more than the
    check of a small bundle.
    """

    __slots__ = ("_key", "end", "protocol", "start")
    __match_args__ = ("protocol", "start", "end")

    protocol: Protocol
    start: int
    end: int
    _key: tuple[str, int, int]

    def __init__(self, protocol: Protocol, start: int, end: int) -> None:
        problem = _problem(protocol, start, end)
        if problem:
            raise PortRangeError(f"invalid port range {_quote(_raw(protocol, start, end))}: {problem}")
        _set = object.__setattr__
        _set(self, "protocol", protocol)
        _set(self, "start", start)
        _set(self, "end", end)
        _set(self, "_key", (protocol, start, end))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a PortRange is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a PortRange is immutable")

    def __reduce__(self) -> tuple[type[PortRange], tuple[str, int, int]]:
        return (PortRange, self._key)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is PortRange:
            return self._key == other._key  # pyright: ignore[reportAttributeAccessIssue]
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if other.__class__ is PortRange:
            return self._key != other._key  # pyright: ignore[reportAttributeAccessIssue]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    def __lt__(self, other: PortRange) -> bool:
        if other.__class__ is PortRange:
            return self._key < other._key
        return NotImplemented

    def __le__(self, other: PortRange) -> bool:
        if other.__class__ is PortRange:
            return self._key <= other._key
        return NotImplemented

    def __gt__(self, other: PortRange) -> bool:
        if other.__class__ is PortRange:
            return self._key > other._key
        return NotImplemented

    def __ge__(self, other: PortRange) -> bool:
        if other.__class__ is PortRange:
            return self._key >= other._key
        return NotImplemented

    def _raw(self) -> str:
        return _raw(self.protocol, self.start, self.end)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: object) -> PortRange:
        """Juju's own reading of a port range: `ParsePortRange` then `Validate`, rule for rule.

        docs/juju-facts.md#port-syntax: split at the first `/` (no `/`: tcp); the port part is `icmp`
        or one or two `strconv.Atoi` numbers joined by `-`; `icmp` forces the protocol to icmp
        (`icmp/tcp` is icmp); the protocol is checked case-insensitively; bounds are 0..65535. So
        `0/tcp`, `icmp/udp`, `+80` and `80/TCP` are read, `ICMP` and ` 80` are not. Errors end with
        Juju's own words. This is the reading for every door that carries text Juju printed (`juju
        status`, `opened-ports`, relation data); `parse_open_port` is what the hook tool accepts.

        Ranges are values, so a text read before is answered from a cache, as the same object.
        """
        if type(text) is str:
            known = _PARSED.get(text)
            if known is not None:
                return known
            port = cls._parse(text)
            if len(_PARSED) < _PARSED_MAX:
                _PARSED[text] = port
            return port
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: object) -> PortRange:
        """`parse` without the cache."""
        if not isinstance(text, str):
            raise PortRangeError(f"invalid port range {_quote(text)}: expected a string like 80/tcp")
        if len(text) > _MAX_TEXT:
            raise PortRangeError(f"invalid port range {_quote(text)}: too long to be a port range")
        ports, slash, written = text.partition("/")
        protocol = written if slash else "tcp"
        pieces = ports.split("-")
        if len(pieces) > 2:
            raise PortRangeError(f"invalid port range {_quote(text)}: invalid port range {_go_quote(ports)}")
        if pieces == ["icmp"]:
            start = end = -1
            protocol = "icmp"
        else:
            for piece in pieces:
                if not _ATOI.fullmatch(piece):
                    shown = ports if len(pieces) == 1 else piece
                    raise PortRangeError(
                        f"invalid port range {_quote(text)}: invalid port {_go_quote(shown)}: "
                        f"strconv.Atoi: parsing {_go_quote(piece)}: invalid syntax"
                    )
            start, end = int(pieces[0]), int(pieces[-1])
        problem = _juju_problem(protocol.lower(), start, end)
        if problem:
            raise PortRangeError(f"invalid port range {_quote(text)}: {problem}")
        if start == -1:
            return ICMP
        return cls(cast(Protocol, protocol.lower()), start, end)

    @classmethod
    def parse_open_port(cls, text: object) -> PortRange:
        """What `open-port TEXT` accepts: the text lower-cased, then `parse` (jujuc/ports.go)."""
        return cls.parse(text.lower() if isinstance(text, str) else text)

    @classmethod
    def single(cls, port: int, protocol: Protocol = "tcp") -> PortRange:
        return cls(protocol, port, port)

    # -- queries -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """How many ports (sockets per address) the range needs; icmp needs none."""
        return 0 if self.protocol == "icmp" else self.end - self.start + 1

    @property
    def has_port_zero(self) -> bool:
        """True for a tcp or udp range starting at 0, which Juju accepts and no service listens on."""
        return self.protocol != "icmp" and self.start == 0

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


def _raw(protocol: str, start: int, end: int) -> str:
    if protocol == "icmp":
        return "icmp"
    if start == end:
        return f"{start}/{protocol}"
    return f"{start}-{end}/{protocol}"


def _problem(protocol: str, start: int, end: int) -> str | None:
    """What is wrong with a constructed range (our icmp is 0..0), in Juju's words."""
    if protocol == "icmp":
        return None if start == end == 0 else f'protocol "icmp" doesn\'t support any ports; got "{start}"'
    return _juju_problem(protocol, start, end)


def _juju_problem(protocol: str, start: int, end: int) -> str | None:
    """juju core/network/portrange.go `Validate` (icmp is -1..-1 there), message for message."""
    if protocol not in PROTOCOLS:
        return f'invalid protocol {_go_quote(protocol)}, expected "tcp", "udp", or "icmp"'
    if protocol == "icmp":
        return None if start == end == -1 else f'protocol "icmp" doesn\'t support any ports; got "{start}"'
    if start > end:
        return f"invalid port range {start}-{end}/{protocol}"
    if not (MIN_PORT <= start <= MAX_PORT and MIN_PORT <= end <= MAX_PORT):
        return f"port range bounds must be between {MIN_PORT} and {MAX_PORT}, got {start}-{end}"
    return None


def _go_quote(text: str) -> str:
    """Go's %q of a short piece of input, as Juju's errors print it (bounded, escaped)."""
    return quote(text, 40)


def _quote(text: object) -> str:
    """Input quoted in an error message: bounded, escaped, one line (text.quote)."""
    return quote(text, 40)


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

    YAML and Juju config hand over ints or strings; bools are ints to Python and are refused. Port 0
    is refused although Juju would open it (see OPTION_MIN_PORT).
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PortRangeError(f"invalid port {_quote(value)}: expected a port number 1-65535")
    text = str(value)
    if len(text) > _MAX_TEXT or not _DIGITS.fullmatch(text):
        raise PortRangeError(f"invalid port {_quote(text)}: expected a port number 1-65535")
    port = int(text)
    problem = _option_bounds(port, port)
    if problem:
        raise PortRangeError(f"invalid port {_quote(text)}: {problem}")
    return PortRange(protocol, port, port)


_OPTION_RANGE = re.compile(r"([0-9]+)(?:-([0-9]+))?")


def parse_range_option(value: object, protocol: Protocol = "tcp") -> PortRange:
    """A config option holding a range (`exposed_instance_ports: "10000-11000"`); a single port is accepted.

    Digits and one `-` only: no protocol, no sign, no `icmp` (Juju's syntax reads those, an option of
    the charm does not). Errors quote the value as the user wrote it.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PortRangeError(f"invalid port range {_quote(value)}: expected <from>-<to>")
    text = str(value)
    if "/" in text:
        raise PortRangeError(f"invalid port range {_quote(text)}: expected <from>-<to> without a protocol")
    match = _OPTION_RANGE.fullmatch(text) if len(text) <= _MAX_TEXT else None
    if match is None:
        raise PortRangeError(f"invalid port range {_quote(text)}: expected <from>-<to>, e.g. 10000-11000")
    start = int(match[1])
    end = int(match[2]) if match[2] is not None else start
    problem = _option_bounds(start, end)
    if problem:
        raise PortRangeError(f"invalid port range {_quote(text)}: {problem}")
    return PortRange(protocol, start, end)


def _option_bounds(start: int, end: int) -> str | None:
    for port in (start, end):
        if not OPTION_MIN_PORT <= port <= MAX_PORT:
            return f"port {port} is out of range {OPTION_MIN_PORT}-{MAX_PORT}"
    if start > end:
        return "start is greater than end"
    return None


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
