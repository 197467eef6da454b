"""Anbox-shaped inputs at scale, for the benchmarks: `juju status` JSON, bundles, relation databags.

One region is what an Anbox Cloud deployment looks like: a control node (NATS, the stream gateway,
the dashboard, HAProxy as the gateway's load balancer), an AMS node (AMS, the stream agent, Coturn),
an etcd node, and 16 LXD nodes, each with a subordinate (node-exporter). Every fifth region puts the
stream agent beside HAProxy (a 443/tcp conflict), and LXD is exposed with the wildcard rule (its
8443/tcp API leaks): the checks have real work to do, as on a real estate with mistakes in it.
"""

from __future__ import annotations

import json
from typing import Any

LXD_NODES = 16
UNITS_PER_REGION = 4 + 3 + 1 + 2 * LXD_NODES  # 40
MACHINES_PER_REGION = 3 + LXD_NODES  # 19

_PORTS: dict[str, list[str]] = {
    "nats": ["4222/tcp"],
    "anbox-stream-gateway": ["4000/tcp", "7000/tcp"],
    "anbox-cloud-dashboard": ["5000/tcp"],
    "haproxy": ["80/tcp", "443/tcp"],
    "ams": ["8444/tcp", "20002/tcp"],
    "anbox-stream-agent": ["443/tcp"],
    "coturn": ["5349/tcp", "5349/udp", "50000-51000/udp"],
    "etcd": ["2379/tcp"],
    "ams-lxd": ["8443/tcp", "10000-11000/tcp", "10000-11000/udp"],
}
_CHARMS = {
    "nats": "nats",
    "gateway": "anbox-stream-gateway",
    "dashboard": "anbox-cloud-dashboard",
    "lb": "haproxy",
    "ams": "ams",
    "agent": "anbox-stream-agent",
    "coturn": "coturn",
    "etcd": "etcd",
    "lxd": "ams-lxd",
}


def regions_for(units: int) -> int:
    return max(1, units // UNITS_PER_REGION)


def _placements(region: int) -> list[tuple[str, int]]:
    """(application, machine offset within the region) for every principal unit of one region."""
    agent_machine = 0 if region % 5 == 0 else 1  # every fifth region: the agent beside HAProxy
    return [
        ("nats", 0),
        ("gateway", 0),
        ("dashboard", 0),
        ("lb", 0),
        ("ams", 1),
        ("agent", agent_machine),
        ("coturn", 1),
        ("etcd", 2),
        *(("lxd", 3 + i) for i in range(LXD_NODES)),
    ]


def status_json(units: int) -> str:
    """`juju status --format=json` of a model with about `units` units (Juju writes it on one line)."""
    regions = regions_for(units)
    machines: dict[str, Any] = {}
    apps: dict[str, dict[str, Any]] = {}
    for name, charm in _CHARMS.items():
        apps[name] = {
            "charm": charm,
            "charm-name": charm,
            "exposed": name in ("lb", "coturn", "lxd"),
            "application-status": {"current": "active"},
            "units": {},
        }
    apps["exporter"] = {
        "charm": "node-exporter",
        "charm-name": "node-exporter",
        "exposed": False,
        "subordinate-to": ["lxd"],
    }
    counters = dict.fromkeys(_CHARMS, 0)
    exporter = 0
    for region in range(regions):
        base = region * MACHINES_PER_REGION
        for m in range(MACHINES_PER_REGION):
            machines[str(base + m)] = {
                "juju-status": {"current": "started"},
                "dns-name": f"10.{region // 250}.{region % 250}.{m}",
                "instance-id": f"machine-{base + m}",
                "base": {"name": "ubuntu", "channel": "22.04"},
            }
        for app, offset in _placements(region):
            number = counters[app]
            counters[app] += 1
            unit: dict[str, Any] = {
                "workload-status": {"current": "active"},
                "juju-status": {"current": "idle"},
                "machine": str(base + offset),
                "open-ports": _PORTS[_CHARMS[app]],
                "public-address": f"10.{region // 250}.{region % 250}.{offset}",
            }
            if app == "lxd":
                unit["subordinates"] = {
                    f"exporter/{exporter}": {
                        "workload-status": {"current": "active"},
                        "juju-status": {"current": "idle"},
                        "open-ports": ["9100/tcp"],
                    }
                }
                exporter += 1
            apps[app]["units"][f"{app}/{number}"] = unit
    document = {
        "model": {"name": "anbox", "type": "iaas", "controller": "c", "cloud": "maas", "version": "3.6.8"},
        "machines": machines,
        "applications": apps,
        "storage": {},
        "controller": {"timestamp": "12:00:00Z"},
    }
    return json.dumps(document, separators=(",", ":"))


def bundle_yaml(units: int) -> str:
    """A bundle placing about `units` units (principals and their subordinates) as the status above."""
    regions = regions_for(units)
    to: dict[str, list[str]] = {app: [] for app in _CHARMS}
    for region in range(regions):
        base = region * MACHINES_PER_REGION
        for app, offset in _placements(region):
            to[app].append(str(base + offset))
    lines = ["description: generated Anbox Cloud at scale", "default-base: ubuntu@22.04", "machines:"]
    lines += [f'  "{m}":\n    constraints: cores=16 mem=32G' for m in range(regions * MACHINES_PER_REGION)]
    lines.append("applications:")
    for app, charm in _CHARMS.items():
        lines.append(f"  {app}:\n    charm: {charm}\n    channel: 1.24/stable\n    num_units: {len(to[app])}")
        if app in ("lb", "coturn", "lxd"):
            lines.append("    expose: true")
        lines.append("    to:")
        lines.extend(f'      - "{t}"' for t in to[app])
    lines.append("  exporter:\n    charm: node-exporter")
    lines.append("relations:")
    lines += [
        "  - [ams, lxd]",
        "  - [agent, ams]",
        "  - [agent, nats]",
        "  - [gateway, nats]",
        "  - [gateway, lb]",
        "  - [dashboard, gateway]",
        "  - [agent, coturn]",
        "  - [ams, etcd]",
        '  - ["exporter:juju-info", "lxd:juju-info"]',
    ]
    return "\n".join(lines) + "\n"


def relation_databags(units: int) -> list[tuple[str, str, dict[str, str]]]:
    """(unit, application, databag) for `units` related provider units, as the validator reads them."""
    from anbox_cloud_ports.catalog import Catalog
    from anbox_cloud_ports.databag import PublishedClaim, encode_provider

    catalog = Catalog.builtin()
    model = "0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"
    out: list[tuple[str, str, dict[str, str]]] = []
    counters = dict.fromkeys(_CHARMS, 0)
    # Subordinates publish nothing on this relation: a region has 24 related units, so as many
    # regions as it takes to reach `units`.
    per_region = len(_placements(0))
    for region in range(-(-units // per_region)):
        base = region * MACHINES_PER_REGION
        for app, offset in _placements(region):
            charm = _CHARMS[app]
            claims = [
                PublishedClaim(port, "public" if row.exposed else "internal", row.exposed)
                for row in catalog.for_charm(charm)
                for port in row.claims
            ]
            number = counters[app]
            counters[app] += 1
            databag = encode_provider(charm, "charmed", model, str(base + offset), claims)
            databag.update({"ingress-address": "10.0.0.1", "egress-subnets": "10.0.0.1/32"})
            out.append((f"{app}/{number}", app, databag))
            if len(out) >= units:
                return out
    return out
