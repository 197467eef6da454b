"""Preflight against a real kernel: sockets bound in a fresh network namespace, read back from /proc.

A fresh namespace has no sockets of its own, so "it names these listeners and nothing else" is an
exact assertion, and the kernel facts the preflight message relies on are checked here too.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from .netns import Namespace, connect, namespace, namespaces, require_netns

pytestmark = pytest.mark.netns

PROCESS_NAME = "acp-listener"  # at most 15 characters: the kernel's comm limit

# Binds what argv says (`tcp:0.0.0.0:8444 udp:[::]:5349 ...`), names itself, says "ready", and holds the
# sockets until its stdin closes. IPv6 sockets are v6-only, so [::] and 0.0.0.0 can share a port.
LISTENER = f"""
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, b"{PROCESS_NAME}", 0, 0, 0)  # PR_SET_NAME: /proc/<pid>/comm
held = []
for spec in sys.argv[1:]:
    proto, rest = spec.split(":", 1)
    address, port = rest.rsplit(":", 1)
    address = address.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family, kind)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((address, int(port)))
    if kind == socket.SOCK_STREAM:
        s.listen()
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
"""

# Runs inside the namespace: everything the preflight sees, as JSON.
PREFLIGHT = """
import json, sys
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.model import Host
from anbox_cloud_ports.sources.local_host import listening_sockets, local_host_deployment
services = json.loads(sys.argv[2])
findings = check(local_host_deployment(sys.argv[1], services, host=Host("netns"))).findings
print(json.dumps({
    "listeners": [[x.protocol, x.address, x.port, x.pid, x.process] for x in listening_sockets()],
    "findings": [
        {"rule": f.rule, "severity": f.severity, "message": f.message, "fix": f.fix,
         "ports": [str(p) for p in f.ports], "views": list(f.views)}
        for f in findings
    ],
}))
"""


def start_listener(ns: Namespace, *specs: str) -> subprocess.Popen[str]:
    child = ns.spawn_python(LISTENER, *specs)
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != "ready":
        _, err = child.communicate(timeout=5)
        raise AssertionError(f"listener did not start: {line!r}\n{err}")
    return child


def run_preflight(
    ns: Namespace, profile: str = "appliance", services: list[str] | None = None
) -> dict[str, Any]:
    out = ns.python(PREFLIGHT, profile, json.dumps(services))
    return json.loads(out.stdout)


def test_names_the_listeners_on_catalog_ports_and_nothing_else():
    require_netns()
    with namespace() as ns:
        child = start_listener(ns, "tcp:0.0.0.0:8444", "tcp:[::]:8444", "udp:0.0.0.0:5349", "udp:[::]:5349")
        seen = run_preflight(ns)
        pid = child.pid

    assert sorted(map(tuple, seen["listeners"])) == [
        ("tcp", "0.0.0.0", 8444, pid, PROCESS_NAME),
        ("tcp", "::", 8444, pid, PROCESS_NAME),
        ("udp", "0.0.0.0", 5349, pid, PROCESS_NAME),
        ("udp", "::", 5349, pid, PROCESS_NAME),
    ]
    assert seen["findings"] == [
        {
            "rule": "port-conflict",
            "severity": "error",
            "message": f"5349/udp needed by Coturn is taken by {PROCESS_NAME} (pid {pid}) on 0.0.0.0 and [::]",
            "fix": f"stop {PROCESS_NAME} or move it off 5349/udp",
            "ports": ["5349/udp"],
            "views": ["bind"],
        },
        {
            "rule": "port-conflict",
            "severity": "error",
            "message": f"8444/tcp needed by AMS API is taken by {PROCESS_NAME} (pid {pid}) on 0.0.0.0 and [::]",
            "fix": f"stop {PROCESS_NAME} or move it off 8444/tcp",
            "ports": ["8444/tcp"],
            "views": ["bind"],
        },
    ]


def test_empty_namespace_has_no_findings():
    require_netns()
    with namespace() as ns:
        seen = run_preflight(ns)
    assert seen == {"listeners": [], "findings": []}


def test_port_inside_a_range_and_service_filter():
    require_netns()
    with namespace() as ns:
        child = start_listener(ns, "udp:127.0.0.1:60050", "tcp:[::1]:10022")
        everything = run_preflight(ns)
        only_coturn = run_preflight(ns, services=["coturn"])
        pid = child.pid
    messages = [f["message"] for f in everything["findings"]]
    assert messages == [
        f"10022/tcp (in 10000-11000/tcp) needed by AMS node controller is taken by {PROCESS_NAME} (pid {pid}) "
        "on [::1]; a listener on one address still blocks the wildcard bind the service makes",
        f"60050/udp (in 60000-60100/udp) needed by Coturn is taken by {PROCESS_NAME} (pid {pid}) on 127.0.0.1; "
        "a listener on one address still blocks the wildcard bind the service makes",
    ]
    assert [f["ports"] for f in only_coturn["findings"]] == [["60050/udp"]]


def test_charmed_profile_names_every_service_of_a_shared_port():
    require_netns()
    with namespace() as ns:
        child = start_listener(ns, "tcp:0.0.0.0:443")
        seen = run_preflight(ns, profile="charmed")
        pid = child.pid
    assert [f["message"] for f in seen["findings"]] == [
        f"443/tcp needed by Anbox Stream Agent and HAProxy is taken by {PROCESS_NAME} (pid {pid}) on 0.0.0.0"
    ]


# The fact behind counting loopback listeners: a wildcard bind fails while a specific-address socket
# holds the port, even with SO_REUSEADDR when that socket is a TCP listener.
KERNEL_FACT = """
import errno, json, socket
def attempt(kind, first, second, reuse):
    a = socket.socket(first[0], kind)
    b = socket.socket(second[0], kind)
    for s in (a, b):
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    a.bind(first[1])
    if kind == socket.SOCK_STREAM:
        a.listen()
    try:
        b.bind(second[1])
        return "ok"
    except OSError as err:
        return errno.errorcode[err.errno]
    finally:
        a.close(); b.close()
v4, v6 = socket.AF_INET, socket.AF_INET6
tcp, udp = socket.SOCK_STREAM, socket.SOCK_DGRAM
print(json.dumps({
    "tcp 127.0.0.1 then 0.0.0.0, reuseaddr": attempt(tcp, (v4, ("127.0.0.1", 7001)), (v4, ("0.0.0.0", 7001)), True),
    "tcp 127.0.0.1 then [::] dual-stack": attempt(tcp, (v4, ("127.0.0.1", 7002)), (v6, ("::", 7002)), False),
    "tcp ::1 then [::] dual-stack": attempt(tcp, (v6, ("::1", 7003)), (v6, ("::", 7003)), True),
    "udp 127.0.0.1 then 0.0.0.0": attempt(udp, (v4, ("127.0.0.1", 7004)), (v4, ("0.0.0.0", 7004)), False),
}))
"""


def test_kernel_refuses_a_wildcard_bind_over_a_specific_address():
    require_netns()
    with namespace() as ns:
        results = json.loads(ns.python(KERNEL_FACT).stdout)
    assert results == {
        "tcp 127.0.0.1 then 0.0.0.0, reuseaddr": "EADDRINUSE",
        "tcp 127.0.0.1 then [::] dual-stack": "EADDRINUSE",
        "tcp ::1 then [::] dual-stack": "EADDRINUSE",
        "udp 127.0.0.1 then 0.0.0.0": "EADDRINUSE",
    }


def test_namespace_cleanup_survives_a_failing_test():
    require_netns()
    names: list[str] = []
    with pytest.raises(RuntimeError, match="boom"), namespace() as ns:  # noqa: PT012
        names.append(ns.name)
        start_listener(ns, "tcp:0.0.0.0:8444")
        raise RuntimeError("boom")
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert names[0] not in listed


def test_connected_namespaces_reach_each_other():
    require_netns()
    with namespaces(2) as (a, b):
        connect(a, b)
        server = start_listener(b, "tcp:10.200.0.2:8444")
        reached = a.python(
            "import socket; socket.create_connection(('10.200.0.2', 8444), timeout=5).close(); print('ok')"
        )
        assert reached.stdout.strip() == "ok"
        assert server.pid in b.pids()
        assert server.pid not in a.pids()
