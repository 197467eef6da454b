"""Bind a host's port claims for real, in placement order, and say which ones the kernel refuses.

Run inside a throwaway network namespace (one per Juju machine) by test_kernel_oracle.py. It reads
JSON on stdin:

    {"address": "10.77.0.1", "mode": "any" | "host" | "mixed",
     "claims": [{"unit": "ams/0", "service": "AMS API", "protocol": "tcp", "start": 8444, "end": 8444}, ...]}

and prints JSON on stdout: {"failed": [claim indices], "sockets": n, "addresses": {unit: address},
"ipv6": whether [::] was among them}.

Each unit stands for one service process that binds its ports exclusively, as a daemon does: no
SO_REUSEADDR, no SO_REUSEPORT, TCP sockets listening, UDP sockets bound. Claims differing only by
endpoint arrive once (one socket per port), and a port the same unit already holds is not bound again
(a process does not collide with itself), unless the two claims name two different services (catalog
rows) of the unit: those are two processes, and the second bind is tried (`service` "" is the unit's
own port, which never collides with the unit). Every other port of every range is bound, port 0
included (the kernel then picks any free port). A claim fails when
any of its ports gets EADDRINUSE, and the ports of a failed claim that did bind stay bound, because
the engine's rule judges a later claim against every earlier one, failed or not. Every socket stays
open until all claims are tried: the question is what the host looks like with all services started.

`mode` picks the address each unit binds, so the oracle holds whichever way services bind:
- `any`: every unit binds 0.0.0.0;
- `host`: every unit binds the host's own address (`address`);
- `mixed`: units take 0.0.0.0, the host address and dual-stack [::] in turn, because the kernel
  refuses a wildcard and a specific address on one port, and an IPv4-mapped [::] against 0.0.0.0
  ([::] is left out where the kernel has no IPv6).

Anything but EADDRINUSE (EMFILE, EACCES, ...) is a broken harness, not a verdict: exit status 3.
Only the standard library is used, so any Python 3 can run it.
"""

from __future__ import annotations

import errno
import json
import resource
import socket
import sys
from typing import Any

WILDCARD_V4 = "0.0.0.0"  # binding the wildcard is the point
WILDCARD_V6 = "::"
# What the harness needs beyond the claims' sockets: stdin/out/err, the interpreter's own files.
SPARE_FDS = 64


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one: a unit holding 10000-11000 tcp+udp is 2002 sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft if hard == resource.RLIM_INFINITY else hard


def have_ipv6() -> bool:
    """Whether this namespace can open IPv6 sockets (kernels booted with ipv6.disable=1 cannot)."""
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()
    except OSError:
        return False
    return True


def address_for(mode: str, unit_index: int, host_address: str, ipv6: bool) -> str:
    if mode == "any":
        return WILDCARD_V4
    if mode == "host":
        return host_address
    if mode == "mixed":
        choices = (WILDCARD_V4, host_address, WILDCARD_V6) if ipv6 else (WILDCARD_V4, host_address)
        return choices[unit_index % len(choices)]
    raise SystemExit(f"unknown mode {mode!r}")


def bind_one(protocol: str, address: str, port: int) -> socket.socket | None:
    """One exclusive socket, or None when the kernel says the port is taken."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(family, kind)
    try:
        if family == socket.AF_INET6:
            # Dual-stack, as a daemon binding [::] gets by default: it also takes the IPv4 port.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(1)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            return None
        raise
    return sock


def main() -> int:
    request = json.load(sys.stdin)
    claims: list[dict[str, Any]] = request["claims"]
    mode = str(request["mode"])
    host_address = str(request["address"])
    limit = raise_fd_limit()
    ipv6 = have_ipv6()
    needed = sum(int(c["end"]) - int(c["start"]) + 1 for c in claims if c["protocol"] != "icmp")
    if needed + SPARE_FDS > limit:
        print(f"{needed} sockets needed, open-files limit is {limit}", file=sys.stderr)
        return 3

    held: list[socket.socket] = []
    # Per unit, the (protocol, port) it already holds and the services holding it: one process never
    # collides with itself.
    owned: dict[str, dict[tuple[str, int], set[str]]] = {}
    addresses: dict[str, str] = {}
    failed: list[int] = []
    for index, claim in enumerate(claims):
        unit = str(claim["unit"])
        service = str(claim.get("service", ""))
        protocol = str(claim["protocol"])
        if protocol == "icmp":
            continue  # nothing to bind: icmp has no ports
        if unit not in addresses:
            addresses[unit] = address_for(mode, len(addresses), host_address, ipv6)
        mine = owned.setdefault(unit, {})
        refused = False
        for port in range(int(claim["start"]), int(claim["end"]) + 1):
            holders = mine.get((protocol, port))
            if holders is not None and (not service or "" in holders or service in holders):
                continue
            try:
                sock = bind_one(protocol, addresses[unit], port)
            except OSError as err:
                print(f"{unit} {protocol} {addresses[unit]}:{port}: {err}", file=sys.stderr)
                return 3
            if sock is None:
                refused = True
                continue
            held.append(sock)
            mine.setdefault((protocol, port), set()).add(service)
        if refused:
            failed.append(index)

    json.dump({"failed": failed, "sockets": len(held), "addresses": addresses, "ipv6": ipv6}, sys.stdout)
    for sock in held:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
