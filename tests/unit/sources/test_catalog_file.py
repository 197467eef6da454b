"""`--catalog FILE`: an operator's own services as catalog rows, read like every other input and bounded
so that no file makes every unit of a charm costly."""

from __future__ import annotations

import json

import pytest

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.sources.catalog_file import MAX_CATALOG_PORTS, MAX_PORTS_PER_CHARM, load_catalog_rows


def _file(*services: tuple[str, list[str], list[str]]) -> str:
    lines = ["services:"]
    for name, charms, ports in services:
        lines += [
            f"  - service: {name}",
            f"    charms: {json.dumps(charms)}",
            f"    ports: {json.dumps(ports)}",
        ]
    return "\n".join(lines) + "\n"


def test_rows_are_read_with_their_ports():
    rows = load_catalog_rows(_file(("NRPE", ["nrpe"], ["5666/tcp", "icmp"])), input="cat.yaml")
    assert [(r.service, r.ports, r.protocol) for r in rows] == [("NRPE", "5666", "TCP"), ("NRPE", "", "ICMP")]


def test_one_charm_may_name_at_most_its_bound_of_ports_counting_the_built_in_rows():
    builtin = sum(len(r.claims) for r in Catalog.builtin().for_charm("ams"))
    fits = [f"{p}/tcp" for p in range(20000, 20000 + MAX_PORTS_PER_CHARM - builtin)]
    assert len(load_catalog_rows(_file(("extra", ["ams"], fits)), input="cat.yaml")) == len(fits)
    with pytest.raises(InputError) as caught:
        load_catalog_rows(_file(("extra", ["ams"], [*fits, "30000/tcp"])), input="cat.yaml")
    assert str(caught.value) == (
        f"cat.yaml:4: services[0].ports[{len(fits)}]: charm ams would hold more than {MAX_PORTS_PER_CHARM} "
        "ports and ranges in the charmed catalog; every unit of it holds them all"
    )


def test_the_bound_holds_across_files():
    first = [f"{p}/udp" for p in range(20000, 20040)]
    base = Catalog.builtin()
    base = base.extend(load_catalog_rows(_file(("a", ["agent"], first)), input="a.yaml", base=base))
    with pytest.raises(InputError, match=r"^b\.yaml:4: services\[0\]\.ports\[\d+\]: charm agent would hold"):
        load_catalog_rows(_file(("b", ["agent"], first)), input="b.yaml", base=base)


def test_the_whole_catalog_is_bounded_too():
    services = [(f"s{i}", [f"charm{i}"], [f"{p}/tcp" for p in range(1000, 1050)]) for i in range(250)]
    with pytest.raises(InputError, match=f"the catalog would name more than {MAX_CATALOG_PORTS} ports"):
        load_catalog_rows(_file(*services), input="cat.yaml")


def test_131_thousand_ranges_for_one_charm_are_refused_at_the_first_one_too_many():
    ports = [f"{p}/tcp" for p in range(1, 65536)] + [f"{p}/udp" for p in range(1, 65536)]
    text = _file(*((f"s{i}", ["ams"], ports[i : i + 200]) for i in range(0, len(ports), 200)))
    with pytest.raises(InputError, match=r"^cat\.yaml:4: services\[0\]\.ports\[\d+\]: charm ams would hold"):
        load_catalog_rows(text, input="cat.yaml")


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
