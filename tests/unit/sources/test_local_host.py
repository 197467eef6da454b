"""Preflight's /proc parser and findings, on fixture trees shaped like Linux's /proc."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog, parse_profile
from anbox_cloud_ports.checks import RULES_BY_ID as RULES
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.findings import Finding
from anbox_cloud_ports.model import Host
from anbox_cloud_ports.sources.local_host import (
    Listener,
    hex_address,
    listening_sockets,
    local_host_deployment,
)

HOST = Host("test")


def preflight(profile: str = "appliance", services: list[str] | None = None, **kwargs: Any) -> list[Finding]:
    """What `anbox-ports preflight` reports: the engine's findings on this machine's deployment."""
    return list(check(local_host_deployment(profile, services, **kwargs)).findings)


TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
)
UDP_HEADER = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
TCP6_HEADER = (
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when"
    " retrnsmt   uid  timeout inode\n"
)


def row(sl: int, local: str, remote: str, state: str, inode: int) -> str:
    """One /proc/net/{tcp,udp} line (net/ipv4/tcp_ipv4.c get_tcp4_sock's layout)."""
    return (
        f"  {sl:>3}: {local} {remote} {state} 00000000:00000000 00:00000000 00000000     0        0 {inode} "
        "1 0000000000000000 100 0 0 10 0\n"
    )


def kernel_hex(address: str, byteorder: str = "little") -> str:
    """An address as the kernel prints it: each 32-bit word of the packed address as a native %08X."""
    packed = ipaddress.ip_address(address).packed
    return "".join(f"{int.from_bytes(packed[i : i + 4], byteorder):08X}" for i in range(0, len(packed), 4))  # type: ignore[arg-type]


def endpoint(address: str, port: int) -> str:
    return f"{kernel_hex(address)}:{port:04X}"


def make_proc(root: Path, tables: dict[str, str], processes: dict[int, tuple[str | None, list[int]]]) -> Path:
    """A /proc tree: net/<table> files, and /proc/<pid>/{comm,fd/N -> socket:[inode]}."""
    (root / "net").mkdir(parents=True)
    for name, text in tables.items():
        (root / "net" / name).write_text(text)
    for pid, (comm, inodes) in processes.items():
        fd = root / str(pid) / "fd"
        fd.mkdir(parents=True)
        if comm is not None:
            (root / str(pid) / "comm").write_text(comm + "\n")
        os.symlink("/dev/null", fd / "0")
        os.symlink("pipe:[999]", fd / "1")
        for n, inode in enumerate(inodes, start=3):
            os.symlink(f"socket:[{inode}]", fd / str(n))
    (root / "self").mkdir()  # non-numeric entries are not processes
    return root


# -- addresses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "byteorder", "address"),
    [
        ("0100007F", "little", "127.0.0.1"),
        ("00000000", "little", "0.0.0.0"),
        ("0A00A8C0", "little", "192.168.0.10"),
        ("7F000001", "big", "127.0.0.1"),
        ("00000000000000000000000001000000", "little", "::1"),
        ("00000000000000000000000000000001", "big", "::1"),
        ("000080FE00000000FF005452120034FE", "little", "fe80::5254:ff:fe34:12"),
        ("0000000000000000FFFF00000100007F", "little", "::ffff:127.0.0.1"),
    ],
)
def test_hex_address(text: str, byteorder: str, address: str):
    assert hex_address(text, byteorder) == address  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "0100007", "0100007G", "+100007F", " 100007F", "0" * 16])
def test_hex_address_rejects_junk(text: str):
    with pytest.raises(ValueError, match="not a /proc/net address"):
        hex_address(text)


@given(
    address=st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)),
    byteorder=st.sampled_from(["little", "big"]),
)
def test_hex_address_inverts_the_kernel_encoding(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, byteorder: str
):
    decoded = ipaddress.ip_address(hex_address(kernel_hex(str(address), byteorder), byteorder))  # type: ignore[arg-type]
    assert decoded == address


# -- reading /proc --------------------------------------------------------------------------------


def test_listening_sockets_reads_every_table_and_names_owners(tmp_path: Path):
    tcp = TCP_HEADER + "".join(
        [
            row(0, endpoint("0.0.0.0", 5000), endpoint("0.0.0.0", 0), "0A", 101),  # nginx listens
            row(1, endpoint("127.0.0.1", 8444), endpoint("0.0.0.0", 0), "0A", 102),  # loopback listener
            row(2, endpoint("10.0.0.5", 40000), endpoint("1.2.3.4", 443), "01", 103),  # a client: not held
            row(3, endpoint("10.0.0.5", 5000), endpoint("1.2.3.4", 5555), "06", 104),  # TIME_WAIT: not held
        ]
    )
    tcp6 = TCP6_HEADER + row(0, endpoint("::", 5000), endpoint("::", 0), "0A", 105)
    udp = UDP_HEADER + "".join(
        [
            row(0, endpoint("0.0.0.0", 5349), endpoint("0.0.0.0", 0), "07", 201),  # bound
            row(
                1, endpoint("10.0.0.5", 60050), endpoint("8.8.8.8", 53), "01", 202
            ),  # connected: still holds it
            row(2, endpoint("0.0.0.0", 0), endpoint("0.0.0.0", 0), "07", 204),  # not bound yet
            row(4, endpoint("0.0.0.0", 4004), endpoint("0.0.0.0", 0), "07", 203),
            row(3, endpoint("0.0.0.0", 51820), endpoint("0.0.0.0", 0), "07", 0),  # kernel socket (WireGuard)
        ]
    )
    proc = make_proc(
        tmp_path / "proc",
        {"tcp": tcp, "tcp6": tcp6, "udp": udp},  # no udp6: IPv6 tables are optional
        {
            300: ("nginx", [101, 105]),
            301: ("nginx", [101, 105]),  # a worker sharing the parent's sockets
            299: ("coturn", [201]),
            400: (None, [202]),  # comm unreadable
            401: ("evil\x1b[2J\rname", [203]),  # a process may name itself anything
            500: ("sshd", [999]),  # holds nothing of interest
        },
    )
    (proc / "600").mkdir()  # a process whose fd directory is hidden from this user

    assert listening_sockets(proc) == [
        Listener("tcp", "0.0.0.0", 5000, 300, "nginx"),
        Listener("tcp", "::", 5000, 300, "nginx"),
        Listener("tcp", "127.0.0.1", 8444, None, None),
        Listener("udp", "0.0.0.0", 4004, 401, "evil?[2J?name"),
        Listener("udp", "0.0.0.0", 5349, 299, "coturn"),
        Listener("udp", "0.0.0.0", 51820, None, None),
        Listener("udp", "10.0.0.5", 60050, 400, None),
    ]


def test_listening_sockets_skips_malformed_lines(tmp_path: Path):
    tcp = (
        TCP_HEADER
        + "garbage\n  1: zz:yy 00000000:0000 0A 0 0 0 0 0 1 2\n"
        + row(2, endpoint("0.0.0.0", 80), endpoint("0.0.0.0", 0), "0A", 7)
    )
    proc = make_proc(tmp_path / "proc", {"tcp": tcp}, {})
    assert listening_sockets(proc) == [Listener("tcp", "0.0.0.0", 80)]


def test_listening_sockets_needs_the_tcp_table(tmp_path: Path):
    with pytest.raises(
        InputError, match=r"net/tcp: cannot read the socket table .*preflight needs Linux's /proc"
    ):
        listening_sockets(tmp_path)


def test_listening_sockets_reads_this_machine():
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp: not Linux")
    for listener in listening_sockets():
        assert 1 <= listener.port <= 65535
        ipaddress.ip_address(listener.address)


# -- findings -------------------------------------------------------------------------------------


def run(
    *listeners: Listener, profile: str = "appliance", services: list[str] | None = None
) -> list[tuple[str, str, str]]:
    findings = preflight(profile, services, listeners=listeners, host=HOST)
    for f in findings:
        assert f.rule == "port-conflict"
        assert f.rule in RULES
        assert f.severity == "error"
        assert f.views == ("bind",)
        assert f.hosts == (HOST,)
        assert len(f.ports) == 1
    return [(str(f.ports[0]), f.message, f.fix or "") for f in findings]


def test_one_listener_on_one_catalog_port():
    assert run(Listener("tcp", "0.0.0.0", 5000, 123, "nginx")) == [
        (
            "5000/tcp",
            "5000/tcp needed by Anbox Cloud Dashboard is taken by nginx (pid 123) on 0.0.0.0",
            "stop nginx or move it off 5000/tcp",
        )
    ]


def test_listeners_off_the_catalog_and_other_protocols_are_ignored():
    assert (
        run(
            Listener("tcp", "0.0.0.0", 22, 1, "sshd"),
            Listener("udp", "0.0.0.0", 8444, 2, "x"),  # AMS needs 8444/tcp, not udp
            Listener("tcp", "0.0.0.0", 5349, 3, "y"),  # the appliance's coturn is udp only
        )
        == []
    )


def test_both_families_of_one_process_make_one_holder():
    assert run(
        Listener("udp", "0.0.0.0", 5349, 7, "turnserver"), Listener("udp", "::", 5349, 7, "turnserver")
    ) == [
        (
            "5349/udp",
            "5349/udp needed by Coturn is taken by turnserver (pid 7) on 0.0.0.0 and [::]",
            "stop turnserver or move it off 5349/udp",
        )
    ]


def test_a_port_in_a_range_names_the_range():
    ((port, message, _),) = run(Listener("udp", "0.0.0.0", 10500, 9, "dnsmasq"))
    assert port == "10500/udp"
    assert (
        message
        == "10500/udp (in 10000-11000/udp) needed by AMS node controller is taken by dnsmasq (pid 9) on 0.0.0.0"
    )


def test_loopback_listener_still_conflicts_and_says_why():
    ((_, message, _),) = run(Listener("tcp", "127.0.0.1", 8444, 5, "python3"))
    assert message == (
        "8444/tcp needed by AMS API is taken by python3 (pid 5) on 127.0.0.1; "
        "a listener on one address still blocks the wildcard bind the service makes"
    )


def test_several_holders_and_an_unnamed_one():
    ((_, message, fix),) = run(
        Listener("tcp", "10.0.0.5", 443, 20, "apache2"),
        Listener("tcp", "::1", 443, 10, "nginx"),
        Listener("tcp", "127.0.0.1", 443, None, None),
    )
    assert message == (
        "443/tcp needed by UI and API is taken by nginx (pid 10) on [::1], and by apache2 (pid 20) on 10.0.0.5, "
        "and by an unnamed owner (a kernel socket, or a process only root may inspect) on 127.0.0.1; "
        "a listener on one address still blocks the wildcard bind the service makes"
    )
    assert fix == "find the owner with `sudo ss -tlnp sport = :443` and stop it or move it off 443/tcp"


def test_several_named_holders_fix():
    ((_, _, fix),) = run(
        Listener("tcp", "0.0.0.0", 443, 20, "apache2"), Listener("tcp", "::", 443, 10, "nginx")
    )
    assert fix == "stop nginx and apache2 or move them off 443/tcp"


def test_unnamed_udp_owner_fix_uses_ss_for_udp():
    ((_, _, fix),) = run(Listener("udp", "0.0.0.0", 60000, None, None))
    assert fix == "find the owner with `sudo ss -ulnp sport = :60000` and stop it or move it off 60000/udp"


def test_charmed_profile_port_needed_by_two_services():
    assert [m for _, m, _ in run(Listener("tcp", "0.0.0.0", 443, 1, "nginx"), profile="charmed")] == [
        "443/tcp needed by Anbox Stream Agent and HAProxy is taken by nginx (pid 1) on 0.0.0.0"
    ]


def test_findings_are_ordered_and_stable():
    listeners = [
        Listener("tcp", "0.0.0.0", 9033, 3, "c"),
        Listener("tcp", "0.0.0.0", 443, 1, "a"),
        Listener("udp", "0.0.0.0", 60000, 2, "b"),
    ]
    first = run(*listeners)
    assert first == run(*reversed(listeners))
    assert [p for p, _, _ in first] == sorted(p for p, _, _ in first)


def test_service_filter_by_key_or_table_name():
    listeners = (Listener("tcp", "0.0.0.0", 443, 1, "a"), Listener("udp", "0.0.0.0", 5349, 2, "b"))
    assert [p for p, _, _ in run(*listeners, services=["coturn"])] == ["5349/udp"]
    assert [p for p, _, _ in run(*listeners, services=["UI and API"])] == ["443/tcp"]
    assert [p for p, _, _ in run(*listeners, services=["ui-and-api", "Coturn"])] == ["443/tcp", "5349/udp"]
    assert run(*listeners, services=[]) == []


def test_unknown_service_and_profile_are_one_line_input_errors():
    with pytest.raises(InputError) as caught:
        preflight("appliance", ["cotrun"], listeners=[])
    assert str(caught.value) == (
        '--service: unknown service "cotrun" in the appliance profile: expected one of ams-node-controller, '
        "coturn, ui-and-api, ams, nats, anbox-stream-gateway, anbox-stream-agent, anbox-cloud-dashboard"
    )
    with pytest.raises(
        InputError, match=r'^--profile: unknown profile "juju": expected charmed or appliance$'
    ):
        preflight("juju", listeners=[])


def test_parse_profile_and_select():
    assert parse_profile("charmed") == "charmed"
    rows = Catalog.builtin().select("charmed", ["lxd"])
    assert [(r.service, r.ports) for r in rows] == [("LXD", "8443"), ("LXD", "10000-11000")]
    assert Catalog.builtin().select("charmed", ["ams-lxd"]) == rows


def test_preflight_reads_a_fixture_proc(tmp_path: Path):
    tcp = TCP_HEADER + row(0, endpoint("0.0.0.0", 9031), endpoint("0.0.0.0", 0), "0A", 11)
    proc = make_proc(tmp_path / "proc", {"tcp": tcp}, {42: ("gateway", [11])})
    findings = preflight("appliance", proc=proc, host=HOST)
    assert [f.message for f in findings] == [
        "9031/tcp needed by Anbox Stream Gateway is taken by gateway (pid 42) on 0.0.0.0"
    ]


def test_default_host_is_this_machine(tmp_path: Path):
    import socket

    tcp = TCP_HEADER + row(0, endpoint("0.0.0.0", 9031), endpoint("0.0.0.0", 0), "0A", 11)
    proc = make_proc(tmp_path / "proc", {"tcp": tcp}, {})
    (finding,) = preflight("appliance", proc=proc)
    assert finding.hosts == (Host(socket.gethostname()),)
