"""`--catalog FILE`: an operator's own services as catalog rows, read like every other input."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources.catalog_file import load_catalog_rows


def rows(ports: str) -> list[tuple[str, str]]:
    text = f"services:\n  - service: X\n    charms: [x]\n    ports: {ports}\n"
    return [(row.ports, row.protocol) for row in load_catalog_rows(text, input="c.yaml")]


def test_ports_are_what_open_port_accepts():
    """A row is what the charm opens: open-port lower-cases its argument, then Juju's ParsePortRange
    reads it (docs/juju-facts.md#port-syntax), so `ICMP`, `80/TCP` and `icmp/udp` are fine."""
    assert rows("[ICMP, 80/TCP, icmp/udp, 5000-5010/udp, '+81']") == [
        ("", "ICMP"),
        ("80", "TCP"),
        ("", "ICMP"),
        ("5000-5010", "UDP"),
        ("81", "TCP"),
    ]


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        # Juju would open 0/tcp, but a service on port 0 listens wherever the kernel puts it.
        ("['0/tcp']", 'c.yaml:4: services[0].ports[0]: invalid port range "0/tcp": port 0 is not a port'),
        ("['0-10/udp']", "port 0 is not a port"),
        ("['80/sctp']", 'invalid protocol "sctp", expected "tcp", "udp", or "icmp"'),
        ("['80/icmp']", 'protocol "icmp" doesn\'t support any ports'),
        ("[' 80']", 'invalid port " 80"'),
    ],
)
def test_what_cannot_be_a_catalog_port_is_one_line(ports: str, message: str):
    with pytest.raises(InputError) as info:
        rows(ports)
    assert message in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_a_service_can_say_its_charm_is_a_subordinate():
    from anbox_cloud_ports.catalog import Catalog

    text = (
        "services:\n  - service: Agent\n    charms: [my-agent]\n    ports: [9100/tcp]\n    subordinate: true\n"
        "  - service: Proxy\n    charms: [my-proxy]\n    ports: [8080/tcp]\n"
    )
    catalog = Catalog.builtin().extend(load_catalog_rows(text, input="c.yaml"))
    assert (catalog.subordinate("my-agent"), catalog.subordinate("my-proxy")) == (True, False)
