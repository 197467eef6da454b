"""This machine's listening sockets as a Deployment: a preflight of which catalog ports are taken.

An appliance install (or a manually placed Anbox service) fails late and obscurely when another
program already holds one of its ports. Linux says who holds what in /proc: the sockets of the
reader's network namespace in /proc/net/{tcp,tcp6,udp,udp6}, and each process's open sockets as
`socket:[inode]` links in /proc/<pid>/fd. Reading those files needs no tool (`ss`, `lsof`) and no
privilege for the sockets themselves; only naming another user's process needs root.

`proc` is a parameter so tests drive the parser with fixture trees, and so a caller can point it at
another root (a container's /proc).

The deployment holds the candidate services (the selected catalog rows, one unit per service, as the
appliance map has them) and one unit per process that holds a socket, whose claims are `listener`
claims. Its conflict scope is `taken`: the port-conflict rule reports a service's port only where a
socket already holds it, never two candidate services against each other (a charmed machine runs
some of them, not all).
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

from ..catalog import Catalog, CatalogRow, parse_profile
from ..errors import InputError
from ..model import Application, Claim, Deployment, Host, Socket, Unit
from ..ports import PortRange

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


# -- the deployment -------------------------------------------------------------------------------


def local_host_deployment(
    profile: str = "appliance",
    services: Sequence[str] | None = None,
    catalog: Catalog | None = None,
    proc: str | os.PathLike[str] = "/proc",
    *,
    listeners: Iterable[Listener] | None = None,
    host: Host | None = None,
) -> Deployment:
    """The profile's services (or only `services`) and this machine's sockets, on one host.

    `listeners` replaces reading `proc` (tests, or sockets gathered elsewhere).
    """
    chosen = parse_profile(profile)
    rows = (Catalog.builtin() if catalog is None else catalog).select(chosen, services)
    held = list(listening_sockets(proc)) if listeners is None else list(listeners)
    where = host if host is not None else Host(socket.gethostname())
    applications: dict[str, Application] = {}
    units: list[Unit] = []
    claims: list[Claim] = []
    by_key: dict[str, list[CatalogRow]] = {}
    for row in rows:
        by_key.setdefault(row.charms[0], []).append(row)
    for key, key_rows in by_key.items():
        applications[key] = Application(key, key)
        unit = Unit(f"{key}/0", key, key, where)
        units.append(unit)
        claims.extend(
            Claim(unit.key, port, "", "catalog", row=row) for row in key_rows for port in row.claims
        )
    for listener in held:
        owner = f"pid-{listener.pid}" if listener.pid is not None else "unowned"
        if owner not in applications:
            applications[owner] = Application(owner, listener.process or owner)
            units.append(Unit(f"{owner}/0", owner, listener.process or owner, where))
        claims.append(
            Claim(
                f"{owner}/0",
                PortRange.single(listener.port, listener.protocol),
                origin="listener",
                socket=Socket(listener.address, listener.pid, listener.process),
            )
        )
    return Deployment(
        input=f"this machine ({chosen} profile)",
        applications=applications,
        units=tuple(units),
        claims=tuple(claims),
        profile=chosen,
        juju_managed=False,
        conflict_scope="taken",
        # Nothing is exposed by Juju on a machine checked for what its sockets hold.
        exposure_known=False,
    )
