"""The kernel as the oracle of the engine's "bind" view: what the engine says collides, the kernel refuses.

For a Deployment, every Host becomes a fresh network namespace with an address of its own, and
kernel_bind.py binds that host's claims there in placement order (units in deployment order, each
unit's claims in order), as exclusive daemons would. The claims the kernel refuses with EADDRINUSE
must be exactly the ones predicted three ways:

- the rule itself, written out here: a claim fails when it shares a port other than 0, in the same
  protocol, with a claim placed earlier on the same host by another process: another unit, or another
  catalog service of the same unit (ams's API and its Prometheus endpoint). icmp binds nothing, and
  binding port 0 takes any free port, so neither ever fails;
- the engine's raw pairs (`checks.conflict_pairs`, the "bind" view), the later claim of each pair failing;
- the engine's findings (`check(...)`, port-conflict findings carrying "bind"), whatever `juju` says.

Each host is bound three times (every service on 0.0.0.0, every one on the host's address, and a mix
of 0.0.0.0, the address and dual-stack [::]), so the verdict holds whichever address services bind.
The namespaces are deleted whatever happens (netns.namespaces cleans up in a finally).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.checks import check, conflict_pairs, port_conflict
from anbox_cloud_ports.findings import JUJU_VERSIONS
from anbox_cloud_ports.model import Application, Claim, Deployment, Host, Unit
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources.appliance import appliance_deployment

from .netns import Namespace, namespaces, require_netns
from .netns_listeners import give_address

pytestmark = pytest.mark.netns

KERNEL_BIND = Path(__file__).with_name("kernel_bind.py")
MODES = ("any", "host", "mixed")
# Sockets one namespace may hold at once: the open-files hard limit on CI runners is often 4096+,
# and the largest case (every charmed service on one machine) needs about 3100.
SOCKET_BUDGET = 8_000
LIB = Path(__file__).resolve().parents[2] / "lib" / "anbox_cloud_ports"
CATALOG = Catalog.builtin()

Key = tuple[str, PortRange]  # (unit, range): claims differing only by endpoint are one socket
# (unit, range, service): a unit's claims of two catalog rows are two processes; "" is the unit itself.
Entry = tuple[str, PortRange, str]


# -- the tally printed at the end ------------------------------------------------------------------


@dataclass
class Tally:
    deployments: int = 0
    claims: int = 0
    keys: int = 0
    sockets: int = 0
    refused: int = 0
    disagreements: list[str] = field(default_factory=list)

    def line(self) -> str:
        verdict = "all agreeing" if not self.disagreements else f"{len(self.disagreements)} DISAGREEING"
        return (
            f"kernel oracle: {self.deployments} deployments, {self.claims} claims checked "
            f"({self.keys} distinct unit ranges, {self.sockets} socket binds over {len(MODES)} address modes, "
            f"{self.refused} refusals by the kernel), {verdict}"
        )


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def _report_tally(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not TALLY.deployments:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - pytest without its terminal
        print(TALLY.line())
        return
    # Module teardown runs under output capture; the count is for the person reading the run.
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(TALLY.line())


# -- placement and the three predictions -----------------------------------------------------------


def placement(deployment: Deployment) -> dict[Host, list[Entry]]:
    """Per host, the (unit, range, service) entries in the order the services start; icmp included."""
    by_unit: dict[str, list[Claim]] = {}
    for claim in deployment.claims:
        by_unit.setdefault(claim.unit, []).append(claim)
    hosts: dict[Host, list[Entry]] = {}
    for unit in deployment.units:
        entries = hosts.setdefault(unit.host, [])
        for claim in by_unit.get(unit.name, ()):
            entry = (unit.name, claim.port, service_of(claim))
            if entry not in entries:
                entries.append(entry)
    return hosts


def service_of(claim: Claim) -> str:
    """The catalog service a claim realises (a process of its own), or "" for the unit's own ports."""
    row = claim.row
    return "" if row is None else f"{row.service}|{row.ports}|{row.protocol}|{row.description}"


def positions(placed: Mapping[Host, Sequence[Entry]]) -> dict[Key, int]:
    """Where each (unit, range) first binds on its host: the later of two claims is the one that fails."""
    out: dict[Key, int] = {}
    for entries in placed.values():
        for index, (unit, port, _) in enumerate(entries):
            out.setdefault((unit, port), index)
    return out


def unit_order(deployment: Deployment) -> dict[str, int]:
    order: dict[str, int] = {}
    for unit in deployment.units:
        order.setdefault(unit.name, len(order))
    return order


def predicted_by_rule(placed: Mapping[Host, Sequence[Entry]]) -> set[Key]:
    """The rule, literally: shares a port other than 0 with an earlier claim of another process."""
    failing: set[Key] = set()
    for entries in placed.values():
        for j, (unit, port, service) in enumerate(entries):
            if port.protocol == "icmp":
                continue
            for other, earlier, other_service in entries[:j]:
                shares = port.protocol == earlier.protocol and max(port.start, earlier.start, 1) <= min(
                    port.end, earlier.end
                )
                two_processes = other != unit or (service and other_service and service != other_service)
                if shares and two_processes:
                    failing.add((unit, port))
                    break
    return failing


def _later(position: Mapping[Key, int], a: Key, b: Key) -> Key:
    return a if position[a] > position[b] else b


def predicted_by_pairs(deployment: Deployment) -> dict[str, set[Key]]:
    position = positions(placement(deployment))
    return {
        "conflict_pairs": {
            _later(position, (ua, ra), (ub, rb))
            for ua, ra, ub, rb, view in conflict_pairs(deployment)
            if view == "bind"
        }
    }


def predicted_by_findings(deployment: Deployment) -> dict[str, set[Key]]:
    """From port-conflict findings with the bind view: units (first, second), ports in the same order."""
    position = positions(placement(deployment))
    out: dict[str, set[Key]] = {}
    # Every pair listed one by one: the summary finding past PAIR_CAP names no pairs.
    with mock.patch.object(port_conflict, "PAIR_CAP", 1_000_000):
        for juju in JUJU_VERSIONS:
            failing: set[Key] = set()
            for finding in check(deployment, juju=juju).findings:
                if finding.rule != "port-conflict" or "bind" not in finding.views:
                    continue
                assert 1 <= len(finding.units) <= 2, finding
                assert 1 <= len(finding.ports) <= 2, finding
                first = (finding.units[0], finding.ports[0])
                second = (finding.units[-1], finding.ports[-1])
                failing.add(_later(position, first, second))
            out[f"check(juju={juju}).findings"] = failing
    return out


# -- the kernel -------------------------------------------------------------------------------------


def host_address(index: int) -> str:
    return f"10.77.{index // 250}.{index % 250 + 1}"


def bind_in(ns: Namespace, address: str, entries: Sequence[Entry], mode: str) -> tuple[set[Key], int]:
    request = {
        "address": address,
        "mode": mode,
        "claims": [
            {
                "unit": unit,
                "service": service,
                "protocol": port.protocol,
                "start": port.start,
                "end": port.end,
            }
            for unit, port, service in entries
        ],
    }
    done = ns.run(sys.executable, str(KERNEL_BIND), input=json.dumps(request), timeout=120)
    answer = json.loads(done.stdout)
    return {entries[i][:2] for i in answer["failed"]}, int(answer["sockets"])


def kernel_refusals(placed: Mapping[Host, Sequence[Entry]]) -> dict[str, tuple[set[Key], int]]:
    """Per address mode, the keys the kernel refused on any host and the sockets bound."""
    busy = {host: keys for host, keys in placed.items() if any(p.protocol != "icmp" for _, p, _ in keys)}
    for host, keys in busy.items():
        sockets = sum(port.size for _, port, _ in keys)
        assert sockets <= SOCKET_BUDGET, f"{host} needs {sockets} sockets, over the harness budget"
    result: dict[str, tuple[set[Key], int]] = {mode: (set(), 0) for mode in MODES}
    if not busy:
        return result
    with namespaces(len(busy), prefix="acp-kernel") as spaces:
        for index, (ns, keys) in enumerate(zip(spaces, busy.values(), strict=True)):
            address = host_address(index)
            give_address(ns, address)
            for mode in MODES:
                refused, sockets = bind_in(ns, address, keys, mode)
                failed, total = result[mode]
                result[mode] = (failed | refused, total + sockets)
    return result


def assert_kernel_agrees(deployment: Deployment, label: str) -> set[Key]:
    """Bind for real and hold every prediction to the kernel's answer; returns the refused keys."""
    placed = placement(deployment)
    expected = predicted_by_rule(placed)
    predictions = {
        "the rule": expected,
        **predicted_by_pairs(deployment),
        **predicted_by_findings(deployment),
    }
    kernel = kernel_refusals(placed)

    TALLY.deployments += 1
    TALLY.claims += sum(1 for c in deployment.claims if c.unit in unit_order(deployment))
    TALLY.keys += sum(len(keys) for keys in placed.values())
    problems: list[str] = []
    for mode, (refused, sockets) in kernel.items():
        TALLY.sockets += sockets
        TALLY.refused += len(refused)
        for name, predicted in predictions.items():
            if predicted != refused:
                problems.append(
                    f"{label} [{mode}]: {name} predicts {_show(predicted - refused)} to fail that the kernel "
                    f"binds, and misses {_show(refused - predicted)} that the kernel refuses"
                )
    TALLY.disagreements.extend(problems)
    assert not problems, "\n".join(problems)
    return expected


def _show(keys: set[Key]) -> str:
    return "{" + ", ".join(f"{u} {p}" for u, p in sorted(keys)) + "}"


# -- building deployments ---------------------------------------------------------------------------


def catalog_layout(
    units: Sequence[tuple[str, str, str]],
    *,
    options: Mapping[str, Mapping[str, object]] | None = None,
    extra: Sequence[tuple[str, str, str]] = (),
    subordinates: Mapping[str, str] | None = None,
) -> Deployment:
    """Units (name, charm, machine) claiming their charm's catalog rows, moved by per-app options.

    `extra` adds declared claims (unit, port, endpoint); `subordinates` maps a subordinate unit to its
    principal, whose host it shares.
    """
    made: list[Unit] = [
        Unit(name, name.split("/")[0], charm, Host(machine)) for name, charm, machine in units
    ]
    hosts = {u.name: u.host for u in made}
    for sub, principal in (subordinates or {}).items():
        made.append(Unit(sub, sub.split("/")[0], sub.split("/")[0], hosts[principal], subordinate=True))
    claims: list[Claim] = []
    for unit in made:
        app_options = (options or {}).get(unit.application)
        for row in CATALOG.for_charm(unit.charm):
            for port, option in row.claims_for(unit.charm, app_options):
                claims.append(Claim(unit.name, port, "", "config" if option else "catalog", option, row))
    claims.extend(Claim(u, PortRange.parse(p), ep, "declared") for u, p, ep in extra)
    apps = {u.application: Application(u.application, u.charm, subordinate=u.subordinate) for u in made}
    return Deployment("kernel-oracle", MappingProxyType(apps), tuple(made), tuple(claims))


# The charmed reference layout (as the engine's own tests place it): control plane on 0, AMS with its
# agent and TURN on 1, etcd on 2, LXD on 3 and 4.
REFERENCE_UNITS: tuple[tuple[str, str, str], ...] = (
    ("nats/0", "nats", "0"),
    ("anbox-stream-gateway/0", "anbox-stream-gateway", "0"),
    ("anbox-cloud-dashboard/0", "anbox-cloud-dashboard", "0"),
    ("anbox-stream-gateway-lb/0", "haproxy", "0"),
    ("ams/0", "ams", "1"),
    ("anbox-stream-agent/0", "anbox-stream-agent", "1"),
    ("coturn/0", "coturn", "1"),
    ("etcd/0", "etcd", "2"),
    ("lxd/0", "ams-lxd", "3"),
    ("lxd/1", "ams-lxd", "4"),
)


def _on(machine: str, units: Sequence[tuple[str, str, str]] = REFERENCE_UNITS) -> list[tuple[str, str, str]]:
    return [(name, charm, machine) for name, charm, _ in units]


P = PortRange.parse

# name -> (deployment builder, the keys the kernel must refuse): the expectation is written out so a
# case that silently stopped conflicting (or started to) is caught even if engine and kernel agree.
BROKEN: Mapping[str, tuple[Callable[[], Deployment], set[Key]]] = {
    "stream agent + haproxy on one machine (443/tcp)": (
        lambda: catalog_layout(
            [
                ("anbox-stream-agent/0", "anbox-stream-agent", "1"),
                ("anbox-stream-gateway-lb/0", "haproxy", "1"),
            ]
        ),
        {("anbox-stream-gateway-lb/0", P("443/tcp"))},
    ),
    "two lxd units on one machine (8443, 10000-11000 tcp+udp)": (
        lambda: catalog_layout([("lxd/0", "ams-lxd", "3"), ("lxd/1", "ams-lxd", "3")]),
        {("lxd/1", P("8443/tcp")), ("lxd/1", P("10000-11000/tcp")), ("lxd/1", P("10000-11000/udp"))},
    ),
    "coturn + lxd moved into the TURN relay range (udp only)": (
        lambda: catalog_layout(
            [("coturn/0", "coturn", "1"), ("lxd/0", "ams-lxd", "1")],
            options={"lxd": {"exposed_instance_ports": "50500-51500"}},
        ),
        {("lxd/0", P("50500-51500/udp"))},
    ),
    "lxd moved to touch the relay range's last port": (
        lambda: catalog_layout(
            [("lxd/0", "ams-lxd", "1"), ("coturn/0", "coturn", "1")],
            options={"lxd": {"exposed_instance_ports": "51000-51999"}},
        ),
        {("coturn/0", P("50000-51000/udp"))},
    ),
    "lxd moved to just past the relay range (clean)": (
        lambda: catalog_layout(
            [("coturn/0", "coturn", "1"), ("lxd/0", "ams-lxd", "1")],
            options={"lxd": {"exposed_instance_ports": "51001-52000"}},
        ),
        set(),
    ),
    "ams moved onto LXD's 8443": (
        lambda: catalog_layout(
            [("lxd/0", "ams-lxd", "0"), ("ams/0", "ams", "0")], options={"ams": {"port": 8443}}
        ),
        {("ams/0", P("8443/tcp"))},
    ),
    "nats moved onto etcd's 2379": (
        lambda: catalog_layout(
            [("etcd/0", "etcd", "2"), ("nats/0", "nats", "2")], options={"nats": {"client-port": "2379"}}
        ),
        {("nats/0", P("2379/tcp"))},
    ),
    "two coturn units on one machine (5349 tcp+udp, relay range)": (
        lambda: catalog_layout([("coturn/0", "coturn", "1"), ("coturn/1", "coturn", "1")]),
        {("coturn/1", P("5349/tcp")), ("coturn/1", P("5349/udp")), ("coturn/1", P("50000-51000/udp"))},
    ),
    "the whole charmed catalog on one machine, one lxd": (
        lambda: catalog_layout(_on("0", REFERENCE_UNITS[:-1])),
        {("anbox-stream-agent/0", P("443/tcp"))},
    ),
    "two lxd units in two containers of one machine (clean)": (
        lambda: catalog_layout([("lxd/0", "ams-lxd", "0/lxd/0"), ("lxd/1", "ams-lxd", "0/lxd/1")]),
        set(),
    ),
    "a subordinate on the principal's host taking its port": (
        lambda: catalog_layout(
            [("anbox-stream-gateway/0", "anbox-stream-gateway", "0")],
            subordinates={"exporter/0": "anbox-stream-gateway/0"},
            extra=[("exporter/0", "4000", "metrics"), ("exporter/0", "9100", "metrics")],
        ),
        {("exporter/0", P("4000/tcp"))},
    ),
    "one unit: same range on two endpoints, overlapping own ranges (clean)": (
        lambda: catalog_layout(
            [("x/0", "x", "0")],
            extra=[("x/0", "7000", "a"), ("x/0", "7000", "b"), ("x/0", "7000-7010", ""), ("x/0", "icmp", "")],
        ),
        set(),
    ),
    "tcp and udp on one port, icmp twice (clean)": (
        lambda: catalog_layout(
            [("x/0", "x", "0"), ("y/0", "y", "0")],
            extra=[
                ("x/0", "7000/tcp", ""),
                ("y/0", "7000/udp", ""),
                ("x/0", "icmp", ""),
                ("y/0", "icmp", ""),
            ],
        ),
        set(),
    ),
    "ams's API moved onto its own Prometheus port (two services of one unit)": (
        lambda: catalog_layout([("ams/0", "ams", "1")], options={"ams": {"port": 20002}}),
        {("ams/0", P("20002/tcp"))},
    ),
    "lxd instance ports moved over its own API port (two services of one unit)": (
        lambda: catalog_layout(
            [("lxd/0", "ams-lxd", "3")], options={"lxd": {"exposed_instance_ports": "8000-9000"}}
        ),
        {("lxd/0", P("8000-9000/tcp"))},
    ),
    "port 0 on two units, and a range from 0 (binds nothing in particular: clean)": (
        lambda: catalog_layout(
            [("x/0", "x", "0"), ("y/0", "y", "0")],
            extra=[("x/0", "0/tcp", ""), ("y/0", "0/tcp", ""), ("y/0", "0-5/udp", ""), ("x/0", "0/udp", "")],
        ),
        set(),
    ),
    "a range swallowing two earlier singles of two units": (
        lambda: catalog_layout(
            [("a/0", "a", "0"), ("b/0", "b", "0"), ("c/0", "c", "0")],
            extra=[
                ("a/0", "7001", ""),
                ("b/0", "7005/udp", ""),
                ("b/0", "7009", ""),
                ("c/0", "7000-7010", ""),
            ],
        ),
        {("c/0", P("7000-7010/tcp"))},
    ),
}


# -- the cases ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _netns() -> None:
    require_netns()


def test_reference_layout_binds_cleanly():
    deployment = catalog_layout(REFERENCE_UNITS)
    assert assert_kernel_agrees(deployment, "reference layout") == set()


def test_library_reference_deployment():
    sources = pytest.importorskip("anbox_cloud_ports.sources")
    reference = getattr(sources, "reference", None)
    if reference is None:
        pytest.skip("anbox_cloud_ports.sources.reference() is not there yet")
    assert assert_kernel_agrees(reference(), "sources.reference()") == set()


def _shipped_layouts() -> list[Path]:
    return sorted((LIB / "data").glob("*.yaml")) if (LIB / "data").is_dir() else []


@pytest.mark.parametrize("path", _shipped_layouts() or [None], ids=lambda p: p.name if p else "none")
def test_shipped_layouts(path: Path | None):
    if path is None:
        pytest.skip(f"no layouts shipped under {LIB / 'data'}")
    sources = pytest.importorskip("anbox_cloud_ports.sources")
    deployment = sources.load(path.read_text(), input=path.name)
    assert_kernel_agrees(deployment, path.name)


def test_appliance_binds_cleanly():
    assert assert_kernel_agrees(appliance_deployment(), "appliance") == set()


def test_appliance_with_the_operators_services():
    extra = [(P("8444/tcp"), "my-api"), (P("60050-60200/udp"), "my-turn"), (P("5349/tcp"), "my-tls")]
    refused = assert_kernel_agrees(appliance_deployment(extra=extra), "appliance + operator services")
    # 5349/tcp is free on the appliance (its Coturn row is udp only): only the other two collide.
    assert refused == {("my-api/0", P("8444/tcp")), ("my-turn/0", P("60050-60200/udp"))}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_colocations(name: str):
    build, expected = BROKEN[name]
    assert assert_kernel_agrees(build(), name) == expected


# The reference bundle broken by an overlay, read by the bundle source as `anbox-ports check
# reference.yaml --overlay x.yaml` reads it: overlay -> (the keys the kernel must refuse).
OVERLAYS: Mapping[str, tuple[str, set[Key]]] = {
    "haproxy moved beside the stream agent": (
        'applications:\n  anbox-stream-gateway-lb:\n    to: ["1"]\n',
        {("anbox-stream-agent/0", P("443/tcp"))},
    ),
    "a third lxd unit on machine 3": (
        'applications:\n  lxd:\n    num_units: 3\n    to: ["3", "4", "3"]\n',
        {("lxd/2", P("8443/tcp")), ("lxd/2", P("10000-11000/tcp")), ("lxd/2", P("10000-11000/udp"))},
    ),
    "lxd on the coturn machine, instance ports moved into the relay range": (
        'applications:\n  lxd:\n    num_units: 3\n    to: ["1", "3", "4"]\n'
        "    options:\n      exposed_instance_ports: 50500-51500\n",
        {("lxd/0", P("50500-51500/udp"))},
    ),
}


@pytest.mark.parametrize("name", list(OVERLAYS))
def test_reference_bundle_with_breaking_overlay(name: str):
    sources = pytest.importorskip("anbox_cloud_ports.sources")
    if not (LIB / "data" / "reference.yaml").is_file():
        pytest.skip("data/reference.yaml is not shipped yet")
    overlay, expected = OVERLAYS[name]
    deployment = sources.load(
        (LIB / "data" / "reference.yaml").read_text(), input="reference.yaml", overlays=[(overlay, "x.yaml")]
    )
    assert assert_kernel_agrees(deployment, f"reference.yaml + {name}") == expected


# -- generated deployments -----------------------------------------------------------------------------

_BASE = 30_000


@st.composite
def _deployments(draw: st.DrawFn) -> Deployment:
    """A few units on a few hosts, ranges of up to 50 ports in a narrow window so that they collide."""
    host_pool = [Host("0"), Host("1"), Host("0/lxd/0"), Host("0", model="other")]
    hosts = draw(st.lists(st.sampled_from(host_pool), min_size=1, max_size=3, unique=True))
    count = draw(st.integers(1, 6))
    units: list[Unit] = []
    claims: list[Claim] = []
    for number in range(count):
        app = draw(st.sampled_from(["a", "b", "c"]))
        name = f"{app}/{number}"
        units.append(Unit(name, app, app, draw(st.sampled_from(hosts))))
        for _ in range(draw(st.integers(0, 4))):
            protocol = draw(st.sampled_from(["tcp", "udp", "tcp", "udp", "icmp"]))
            if protocol == "icmp":
                port = PortRange.parse("icmp")
            else:
                start = draw(st.integers(_BASE, _BASE + 80))
                port = PortRange.parse(f"{start}-{start + draw(st.integers(0, 49))}/{protocol}")
            claims.append(Claim(name, port, draw(st.sampled_from(["", "a", "b"])), "declared"))
            if draw(st.integers(0, 4)) == 0:
                claims.append(Claim(name, port, "other", "declared"))  # the same socket, another endpoint
    draw(st.randoms(use_true_random=False)).shuffle(claims)  # claims of units interleaved, as sources may
    apps = {u.application: Application(u.application, u.charm) for u in units}
    return Deployment("generated", MappingProxyType(apps), tuple(units), tuple(claims))


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(_deployments())
def test_generated_deployments(deployment: Deployment):
    assert_kernel_agrees(deployment, f"generated {[(u.name, str(u.host)) for u in deployment.units]}")


# -- the closing count -----------------------------------------------------------------------------------


def test_tally():
    """Last in the file: the run checked something, and every check agreed."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("the tally is per process")
    assert not TALLY.disagreements
    if TALLY.deployments == 0:
        pytest.skip("no oracle case ran in this session")
    print(TALLY.line())
