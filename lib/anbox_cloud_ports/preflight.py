"""Preflight: which catalog ports are already taken on this machine, and by what.

An appliance install (or a manually placed Anbox service) fails late and obscurely when another
program already holds one of its ports. Linux says who holds what in /proc: the sockets of the
reader's network namespace in /proc/net/{tcp,tcp6,udp,udp6}, and each process's open sockets as
`socket:[inode]` links in /proc/<pid>/fd. Reading those files needs no tool (`ss`, `lsof`) and no
privilege for the sockets themselves; only naming another user's process needs root.

`proc` is a parameter so tests drive the parser with fixture trees, and so a caller can point it at
another root (a container's /proc).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import string
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from .catalog import PROFILES, Catalog, CatalogRow, Profile
from .deployment import Host
from .errors import InputError
from .findings import Finding, ordered
from .ports import PortRange

SocketProtocol = Literal["tcp", "udp"]

# /proc/net/tcp `st` column: TCP_LISTEN (include/net/tcp_states.h). Only listeners are taken ports:
# an established connection's local port does not stop a server binding it, because servers set
# SO_REUSEADDR (Go, nginx, Python's socketserver all do), and Linux then refuses the bind only when a
# socket on that port is listening.
_TCP_LISTEN = "0A"


@dataclass(frozen=True, order=True, slots=True)
class Listener:
    """A socket holding a local port: a TCP listener or a bound UDP socket.

    `pid` and `process` are None when the owner is not visible: a kernel socket (WireGuard, NFS) has no
    process, and another user's process hides its file descriptors from a non-root reader.
    """

    protocol: SocketProtocol
    address: str
    port: int
    pid: int | None = None
    process: str | None = None


def listening_sockets(proc: str | os.PathLike[str] = "/proc") -> list[Listener]:
    """Every TCP listener and bound UDP socket of the reader's network namespace, with its owner.

    Raises InputError when `<proc>/net/tcp` cannot be read (not Linux, or no /proc); the IPv6 and UDP
    tables are optional because a kernel without IPv6 has no tcp6/udp6.
    """
    root = Path(proc)
    found: list[tuple[SocketProtocol, str, int, int]] = []
    for name, protocol, required in (
        ("tcp", "tcp", True),
        ("tcp6", "tcp", False),
        ("udp", "udp", False),
        ("udp6", "udp", False),
    ):
        path = root / "net" / name
        try:
            text = path.read_text(encoding="ascii", errors="replace")
        except OSError as err:
            if required:
                raise InputError(
                    str(path),
                    f"cannot read the socket table ({err.strerror or err}); preflight needs Linux's /proc",
                ) from None
            continue
        found.extend(_parse_table(text, cast(SocketProtocol, protocol)))

    owners = _socket_owners(root, {inode for *_, inode in found if inode})
    listeners = {
        Listener(protocol, address, port, *owners.get(inode, (None, None)))
        for protocol, address, port, inode in found
    }
    return sorted(listeners, key=lambda x: (x.protocol, x.port, x.address, x.pid or 0))


def _parse_table(text: str, protocol: SocketProtocol) -> list[tuple[SocketProtocol, str, int, int]]:
    """The rows of one /proc/net table that hold a local port, as (protocol, address, port, inode).

    Columns (net/ipv4/tcp_ipv4.c `get_tcp4_sock`, udp.c `udp4_format_sock`): sl, local_address,
    rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout, inode, ...
    """
    rows: list[tuple[SocketProtocol, str, int, int]] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or ":" not in fields[1]:
            continue
        local, state, inode = fields[1], fields[3], fields[9]
        if protocol == "tcp" and state != _TCP_LISTEN:
            continue
        addr_hex, _, port_hex = local.rpartition(":")
        try:
            port = int(port_hex, 16)
            address = hex_address(addr_hex)
            inode_number = int(inode)
        except ValueError:
            continue
        # UDP has no listen state: a bound socket (st 07, or 01 when connected) holds its port either
        # way; port 0 is a socket not bound yet.
        if port:
            rows.append((protocol, address, port, inode_number))
    return rows


def hex_address(text: str, byteorder: Literal["little", "big"] = sys.byteorder) -> str:
    """An address as /proc/net prints it, in the usual text form.

    The kernel prints each 32-bit word of the network-order address as a native integer (`%08X`):
    on a little-endian machine `0100007F` is 127.0.0.1, and an IPv6 address is four such words.
    """
    if len(text) not in (8, 32) or text.strip(string.hexdigits):
        raise ValueError(f"not a /proc/net address: {text!r}")
    raw = b"".join(int(text[i : i + 8], 16).to_bytes(4, byteorder) for i in range(0, len(text), 8))
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    address = ipaddress.IPv6Address(raw)
    # Python before 3.13 prints ::ffff:7f00:1; `ss` and operators write ::ffff:127.0.0.1.
    return f"::ffff:{address.ipv4_mapped}" if address.ipv4_mapped else str(address)


def _socket_owners(root: Path, inodes: set[int]) -> dict[int, tuple[int, str | None]]:
    """inode -> (lowest pid holding it, its command name), for the inodes asked about.

    Forked servers (nginx workers) share the listening socket, so several pids hold one inode: the
    lowest is the parent an operator would stop. Processes that vanish mid-scan or hide their fds
    from this user are skipped silently: the socket is still reported, without an owner.
    """
    owners: dict[int, int] = {}
    if not inodes:
        return {}
    try:
        entries = [entry.name for entry in os.scandir(root) if entry.name.isdigit()]
    except OSError:
        return {}
    for name in entries:
        pid = int(name)
        try:
            fds = list(os.scandir(root / name / "fd"))
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd.path)
            except OSError:
                continue
            if not (target.startswith("socket:[") and target.endswith("]")):
                continue
            inode = int(target[8:-1]) if target[8:-1].isdigit() else 0
            if inode in inodes and (inode not in owners or pid < owners[inode]):
                owners[inode] = pid
    return {inode: (pid, _command(root, pid)) for inode, pid in owners.items()}


def _command(root: Path, pid: int) -> str | None:
    try:
        name = (root / str(pid) / "comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    # Any process may name itself anything (prctl PR_SET_NAME): keep the finding one printable line.
    name = "".join(c if c.isprintable() else "?" for c in name)
    return name or None


# -- selecting catalog rows ---------------------------------------------------------------------


def as_profile(text: str, source: str = "--profile") -> Profile:
    """A profile name from the command line, or InputError naming the choices."""
    if text not in PROFILES:
        raise InputError(source, f'unknown profile "{text}": expected {" or ".join(PROFILES)}')
    return text


def select_rows(
    catalog: Catalog, profile: Profile, services: Sequence[str] | None, source: str = "--service"
) -> tuple[CatalogRow, ...]:
    """The profile's rows, or only those of the named services (None means all).

    A service is named by its catalog key (`coturn`, `ams-node-controller`, a charm name) or by the
    table's Service cell in any case (`Coturn`, `AMS node controller`); an unknown name is an
    InputError listing the keys, because a typo that silently selects nothing would pass every check.
    """
    rows = catalog.profile(profile)
    if services is None:
        return rows
    chosen: set[int] = set()
    for name in services:
        matched = [
            i for i, row in enumerate(rows) if name in row.charms or name.casefold() == row.service.casefold()
        ]
        if not matched:
            keys = ", ".join(catalog.charms(profile))
            raise InputError(
                source, f'unknown service "{name}" in the {profile} profile: expected one of {keys}'
            )
        chosen.update(matched)
    return tuple(row for i, row in enumerate(rows) if i in chosen)


# -- the check ------------------------------------------------------------------------------------


def preflight(
    profile: str = "appliance",
    services: Sequence[str] | None = None,
    catalog: Catalog | None = None,
    proc: str | os.PathLike[str] = "/proc",
    *,
    listeners: Iterable[Listener] | None = None,
    host: Host | None = None,
) -> list[Finding]:
    """A `port-conflict` finding for every catalog port of the profile a socket here already holds.

    One finding per taken port, naming every catalog service that needs it and every holder. A holder
    on any address counts, loopback included: the Anbox services bind the wildcard address (0.0.0.0,
    or [::] dual-stack), and Linux refuses a wildcard bind while any socket holds the port on any local
    address, even with SO_REUSEADDR when that socket is a TCP listener (inet_csk_bind_conflict; the
    netns integration test shows it on a real kernel). A UDP pair with SO_REUSEADDR on both may share
    the port, but then the more specific socket steals the datagrams for its address: still a
    conflict. `listeners` replaces reading `proc` (tests, or sockets gathered elsewhere).
    """
    chosen_profile = as_profile(profile)
    rows = select_rows(Catalog.builtin() if catalog is None else catalog, chosen_profile, services)
    held = list(listening_sockets(proc)) if listeners is None else list(listeners)
    where = host if host is not None else Host(socket.gethostname())

    # (protocol, port) -> the catalog ranges and services that need it.
    needs: dict[tuple[str, int], tuple[list[PortRange], list[str]]] = {}
    for listener in held:
        for row in rows:
            for claim in row.claims:
                if claim.protocol == listener.protocol and claim.start <= listener.port <= claim.end:
                    ranges, names = needs.setdefault((listener.protocol, listener.port), ([], []))
                    if claim not in ranges:
                        ranges.append(claim)
                    if row.service not in names:
                        names.append(row.service)

    findings: list[Finding] = []
    for (protocol, port), (ranges, names) in needs.items():
        taken = PortRange.single(port, cast(SocketProtocol, protocol))
        holders = [x for x in held if x.protocol == protocol and x.port == port]
        findings.append(_finding(taken, ranges, names, holders, where))
    return ordered(findings)


def _finding(
    taken: PortRange, ranges: list[PortRange], services: list[str], holders: list[Listener], host: Host
) -> Finding:
    within = [r for r in ranges if r != taken]
    port_text = str(taken) + (f" (in {', '.join(map(str, within))})" if within else "")

    # Group by owner so `nginx (pid 1) on 0.0.0.0 and [::]` reads as one holder.
    by_owner: dict[tuple[int | None, str | None], list[str]] = {}
    for listener in sorted(holders, key=lambda x: (x.pid is None, x.pid or 0, x.address)):
        addresses = by_owner.setdefault((listener.pid, listener.process), [])
        shown = _show_address(listener.address)
        if shown not in addresses:
            addresses.append(shown)
    parts = [f"{_owner(pid, process)} on {' and '.join(addrs)}" for (pid, process), addrs in by_owner.items()]
    message = f"{port_text} needed by {_and(services)} is taken by {', and by '.join(parts)}"
    if not any(_is_wildcard(x.address) for x in holders):
        message += "; a listener on one address still blocks the wildcard bind the service makes"

    names = [process for (pid, process) in by_owner if process is not None and pid is not None]
    if names and len(names) == len(by_owner):
        unique = list(dict.fromkeys(names))
        fix = f"stop {_and(unique)} or move {'it' if len(unique) == 1 else 'them'} off {taken}"
    else:
        fix = (
            f"find the owner with `sudo ss -{'t' if taken.protocol == 'tcp' else 'u'}lnp sport = :{taken.start}` "
            f"and stop it or move it off {taken}"
        )
    return Finding(
        rule="port-conflict",
        severity="error",
        message=message,
        hosts=(host,),
        ports=(taken,),
        fix=fix,
        views=("bind",),
    )


def _owner(pid: int | None, process: str | None) -> str:
    if pid is None:
        return "an unnamed owner (a kernel socket, or a process only root may inspect)"
    return f"{process or 'process'} (pid {pid})"


def _show_address(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _is_wildcard(address: str) -> bool:
    return ipaddress.ip_address(address).is_unspecified


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
