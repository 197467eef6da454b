"""Additions to netns.py for tests whose namespaces stand for Juju machines.

A machine has an address of its own besides loopback, and services bind either the wildcard or that
address; the kernel's bind rules differ between the two cases, so the oracle needs both.
"""

from __future__ import annotations

import secrets
import subprocess

from .netns import Namespace


def give_address(ns: Namespace, address: str) -> str:
    """Give `ns` an interface holding `address` (a /32, e.g. 10.77.0.1) and return the interface name.

    A veth pair with both ends inside the namespace: unlike a dummy interface it needs no kernel module
    beyond veth (the dummy type is missing on some CI kernels), and unlike an address on `lo` it is a
    real interface, as on a machine. Both ends stay in the namespace, so nothing can reach or leave it,
    and deleting the namespace deletes the pair. Without veth the address goes on `lo` instead.
    """
    suffix = secrets.token_hex(3)
    inner, peer = f"ah{suffix}", f"ap{suffix}"  # interface names are limited to 15 characters
    made = subprocess.run(
        ["ip", "-n", ns.name, "link", "add", inner, "type", "veth", "peer", "name", peer],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        # No veth in this kernel: the address on loopback still gives the bind rules a second address.
        ns.run("ip", "addr", "add", f"{address}/32", "dev", "lo")
        return "lo"
    ns.run("ip", "addr", "add", f"{address}/32", "dev", inner)
    ns.run("ip", "link", "set", inner, "up")
    ns.run("ip", "link", "set", peer, "up")
    return inner
