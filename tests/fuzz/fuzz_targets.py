"""Fuzz targets: every parser and source of the library, each held to the errors it documents.

A target is one call that takes outside input (a port string, a bundle, a `juju status` dump, a
relation databag, charm config) with the exceptions its docstring promises. Any other exception is a
bug: a traceback where a user should have had one line naming the problem. Sources run the whole
`anbox-ports check` path (load, check under Juju 3 and 4, every renderer), so a crash anywhere behind a
parser counts too. The renderers have a target of their own: hostile text in every field a finding can
carry from input, and every format must stay inert (tests/hostile_text.py `escaping_violations`).

The same targets serve three campaigns:
- tests/unit/test_fuzz_quick.py: a few dozen derandomized hypothesis examples each, in the unit suite;
- tests/fuzz/run.py: thousands of hypothesis examples, atheris (coverage-guided, from bytes), and the
  time-versus-size table (`growth`) that shows each source is linear in its input;
- BOMBS: hostile YAML and JSON that must be refused quickly with a clear InputError.

KNOWN_BUGS lists failures already reported (each also has a strict xfail in the quick suite): the
campaigns count them apart so a new bug stands out, and the xfail flips once the bug is fixed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import string
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import strategies as st
from pydantic import ValidationError

from anbox_cloud_ports import cli, databag, ports
from anbox_cloud_ports.catalog import Catalog, ConfigOption
from anbox_cloud_ports.charm import config as charm_config
from anbox_cloud_ports.charm import hooktools, opener
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.errors import InputError, PortRangeError
from anbox_cloud_ports.model import Deployment
from anbox_cloud_ports.render import render
from anbox_cloud_ports.sources import (
    appliance,
    load,
    load_bundle,
    load_inputs,
    load_status,
    reference,
    relation,
    yamlload,
)
from anbox_cloud_ports.sources.catalog_file import load_catalog_rows
from anbox_cloud_ports.sources.show_unit import load_show_unit

CATALOG = Catalog.builtin()
CORPUS = Path(__file__).resolve().parents[1] / "unit" / "data" / "corpus"
FORMATS = ("json", "sarif", "table", "markdown")

# -- targets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One call under fuzzing.

    `allowed` are the documented exceptions; `strategy` builds hypothesis inputs; `from_bytes` turns
    atheris' raw bytes into an input; `seeds` are bytes that `from_bytes` reads as valid inputs (the
    corpus atheris starts from).
    """

    name: str
    call: Callable[[Any], object]
    allowed: tuple[type[BaseException], ...]
    strategy: Callable[[], st.SearchStrategy[Any]]
    from_bytes: Callable[[bytes], Any]
    seeds: Callable[[], Sequence[bytes]] = tuple
    doc: str = ""


@dataclass(frozen=True)
class KnownBug:
    """A failure already reported: recognised by `matches` in `target` ("*": any), reproduced by `reproducer`."""

    target: str
    title: str
    matches: Callable[[BaseException, Any], bool]
    reproducer: Any


@dataclass
class Outcome:
    error: BaseException | None = None
    known: KnownBug | None = None

    @property
    def unexpected(self) -> bool:
        return self.error is not None and self.known is None


def exercise(target: Target, value: Any) -> Outcome:
    """Run one input; an exception outside `allowed` is returned, never raised."""
    try:
        target.call(value)
    except target.allowed:
        return Outcome()
    except Exception as err:  # noqa: BLE001 - any other exception is the finding
        return Outcome(err, known_bug(target, err, value))
    return Outcome()


def size_of(value: Any) -> int:
    """An input's size in characters (bytes for bytes), for the time-per-size buckets."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple | list) and all(isinstance(v, str | bytes) for v in value):
        return sum(len(v) for v in value)
    try:
        return len(json.dumps(value, default=repr))
    except (ValueError, TypeError, RecursionError):
        return len(repr(value))


# -- vocabularies: values near the edges of every grammar ------------------------------------------

# Digits outside ASCII pass str.isdigit() (and some of them int()); Juju accepts ASCII only.
ODD_DIGITS = ["٣", "８４４４", "²", "³⁴", "１-２", "߀", "〇"]
PORT_TEXTS = [
    "80", "8444", "8444/tcp", "8444/TCP", "5349/udp", "10000-11000", "10000-11000/udp", "50000-51000/udp",
    "icmp", "ICMP", "icmp/tcp", "0", "0/tcp", "1", "65535", "65536", "-1", "1-", "-2", "2-1", "1-65535/udp",
    "80/sctp", "80/", "/tcp", "80//tcp", " 80", "80 ", "0x50", "1e3", "8_444", "+80", "80-80", "", "*",
    "99999999999999999999", "1" * 40, "80/tcp (ep1, ep2)", *ODD_DIGITS,
]  # fmt: skip
CHARM_REFS = [
    "ams", "ams-lxd", "lxd", "coturn", "nats", "etcd", "charmed-etcd", "haproxy", "anbox-stream-agent",
    "anbox-stream-gateway", "anbox-cloud-dashboard", "ch:ams", "ch:amd64/jammy/ams-42", "cs:~anbox-charmers/ams-7",
    "local:jammy/coturn-3", "./charms/nats", "./ams_ubuntu-22.04-amd64.charm", "mysql-8", "ch:", "", "/", ":",
]  # fmt: skip
APP_NAMES = [
    "ams", "lxd", "coturn", "nats", "etcd", "anbox-stream-agent", "anbox-stream-gateway",
    "anbox-stream-gateway-lb", "anbox-cloud-dashboard", "x", "new", "ams-", "Ams", "1", "a_b", "",
]  # fmt: skip
UNIT_NAMES = [
    "ams/0",
    "lxd/0",
    "lxd/1",
    "coturn/0",
    "nats/0",
    "x/0",
    "ams/01",
    "ams",
    "/0",
    "Ams/0",
    "a/-1",
    "lxd/99",
]
MACHINE_IDS: list[Any] = ["0", "1", "2", "3", "01", "-1", "new", "a", "", 0, 1, 2, True, None]
MACHINE_REFS: list[Any] = ["0", "1", "0/lxd/0", "0/lxd/1", "1/kvm/0", "", "x", 0, 1, None, "0/lxd", "0//0"]
PLACEMENTS: list[Any] = [
    "0", "1", "2", "lxd:0", "lxd:1", "lxd:new", "new", "ams/0", "lxd:ams/0", "lxd:ams", "ams", "kvm:2",
    "zone=a", "lxd:", ":0", "0/lxd/0", "", "nats/5", "ams/00", 0, 1, None, True,
]  # fmt: skip
ENDPOINTS = ["", "public", "internal", "website", "api", "ports", "*", "a b", "A", "a,b", "x" * 70]
CIDRS = [
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/8",
    "192.168.1.0/24",
    "fd00::/8",
    "1.2.3.4",
    "not-a-cidr",
    "",
    "300.1.1.1/8",
]
OPTION_NAMES = [
    "port", "prometheus_target_port", "port_range", "exposed_instance_ports", "client-port", "client_port",
    "prometheus_port", "other",
]  # fmt: skip
YAML_TOKENS = [
    "&a ", "*a", "<<: *a\n", "<<: [*a, *a]\n", "!!python/object/apply:os.system ['true']", "!!binary aGk=",
    "!!int ", "!!float ", "!!set ", "!!omap ", "!!timestamp 2001-12-14", "!x ", "- ", ": ", "? ", "{", "}",
    "[", "]", ", ", "\n", "\n  ", "\n    - ", "\t", "\x00", "\ufeff", "\u2028", "\r", "---\n", "...\n", "~",
    "null", "true", "yes", "on", "0x1F", "0o17", "1e9", ".nan", "-.inf", "2001-12-14", '"', "'", "#", "|\n",
    ">-\n", "%YAML 1.1\n", "%TAG ! tag:x:\n", "=", "1" * 5000, "a" * 300, *PORT_TEXTS[:12], *PLACEMENTS[:12],
]  # fmt: skip


def _port_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(PORT_TEXTS),
        st.integers(-5, 70_000),
        st.integers(),
        st.sampled_from([True, False, None, 8444.0, 1e400, [], {}, b"80"]),
        st.text(alphabet="0123456789-/tcpud ", max_size=14),
        st.text(max_size=12),
    )


def _junk() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.text(max_size=16),
        st.sampled_from(PORT_TEXTS),
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
        max_leaves=8,
    )


def shaped(good: st.SearchStrategy[Any], junk_one_in: int = 10) -> st.SearchStrategy[Any]:
    """Mostly the expected shape, sometimes anything at all: reaches deep code, then breaks it."""
    return st.integers(0, junk_one_in - 1).flatmap(lambda i: _junk() if i == 0 else good)


def _opt(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={key.replace("__", "-"): value for key, value in fields.items()}
    )


def _dicts(keys: Sequence[Any], values: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Any]:
    return st.dictionaries(st.sampled_from(keys), values, max_size=max_size)


def _sample(items: Sequence[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from(items)


# -- document shapes ---------------------------------------------------------------------------------


def bundle_documents() -> st.SearchStrategy[dict[str, Any]]:
    expose_rule = _opt(
        expose__to__cidrs=shaped(st.lists(_sample(CIDRS), max_size=2)),
        expose__to__spaces=shaped(st.lists(_sample(["alpha", "", "db"]), max_size=2)),
    )
    app = _opt(
        charm=shaped(_sample(CHARM_REFS)),
        num_units=shaped(st.integers(0, 4)),
        scale=shaped(st.integers(0, 3)),
        to=shaped(st.lists(_sample(PLACEMENTS), max_size=4)),
        expose=shaped(st.booleans()),
        exposed__endpoints=shaped(_dicts(ENDPOINTS, expose_rule, 2)),
        options=shaped(_dicts(OPTION_NAMES, _port_values(), 3)),
        series=_sample(["jammy", "focal", ""]),
        constraints=_sample(["mem=4G", "arch=amd64 cores=2"]),
        offers=shaped(st.just({"ams-offer": {"endpoints": ["rest-api"]}})),
    )
    machine = st.one_of(st.none(), _opt(series=_sample(["jammy", 1]), constraints=_sample(["mem=4G", ""])))
    return _opt(
        applications=shaped(_dicts(APP_NAMES, st.one_of(st.none(), app), 5)),
        services=shaped(_dicts(APP_NAMES, app, 2), junk_one_in=3),
        machines=shaped(_dicts(MACHINE_IDS, machine, 4)),
        relations=shaped(
            st.lists(
                st.lists(_sample(["ams:lxd", "lxd:api", "nats:client", "ams", "a:b:c", ""]), max_size=3),
                max_size=3,
            )
        ),
        series=_sample(["jammy", "focal"]),
        default__base=_sample(["ubuntu@22.04", 22]),
        bundle=shaped(_sample(["kubernetes", "machines", "lxd"])),
        saas=shaped(_dicts(APP_NAMES, st.one_of(st.none(), st.just({"url": "admin/m.nats"})), 2)),
        description=st.text(max_size=10),
    )


def status_documents() -> st.SearchStrategy[dict[str, Any]]:
    sub_unit = _opt(
        open__ports=shaped(st.lists(_sample(PORT_TEXTS), max_size=2)), machine=_sample(MACHINE_REFS)
    )
    unit = _opt(
        machine=shaped(_sample(MACHINE_REFS)),
        open__ports=shaped(st.lists(_sample(PORT_TEXTS), max_size=4)),
        subordinates=shaped(_dicts(UNIT_NAMES, sub_unit, 2)),
        leader=st.booleans(),
    )
    rule = _opt(
        expose__to__cidrs=shaped(st.lists(_sample(CIDRS), max_size=2)),
        expose__to__spaces=shaped(st.lists(_sample(["alpha", ""]), max_size=1)),
    )
    app = _opt(
        charm=shaped(_sample(CHARM_REFS)),
        charm__name=shaped(_sample(CHARM_REFS)),
        exposed=shaped(st.booleans()),
        exposed__endpoints=shaped(_dicts([*ENDPOINTS, None], rule, 2)),
        subordinate__to=shaped(st.lists(_sample(APP_NAMES), max_size=1)),
        units=shaped(_dicts(UNIT_NAMES, unit, 3)),
    )
    machine = st.deferred(
        lambda: _opt(containers=shaped(_dicts(MACHINE_REFS, machine, 2)), series=st.just("jammy"))
    )
    return st.fixed_dictionaries(
        {"model": shaped(_opt(name=st.just("m"), type=_sample(["iaas", "caas"]), version=st.just("3.6.4")))},
        optional={
            "machines": shaped(_dicts(MACHINE_IDS, machine, 3)),
            "applications": shaped(_dicts(APP_NAMES, app, 4)),
            "services": shaped(_dicts(APP_NAMES, app, 1), junk_one_in=2),
            "environment": _sample(["m", 1]),
        },
    )


def catalog_documents() -> st.SearchStrategy[Any]:
    service = _opt(
        service=shaped(_sample(["NRPE", "Telegraf", "", "x" * 201])),
        charms=shaped(st.lists(_sample(CHARM_REFS), max_size=3)),
        ports=shaped(st.lists(_sample(PORT_TEXTS), max_size=3)),
        exposed=shaped(st.booleans()),
        required=shaped(_sample([True, False, "yes", "no", "conditional", "maybe"])),
        condition=st.text(max_size=8),
        description=st.text(max_size=8),
        profile=shaped(_sample(["charmed", "appliance", "k8s"])),
    )
    return shaped(st.fixed_dictionaries({"services": shaped(st.lists(service, max_size=3))}))


CATALOG_SEED = """\
services:
  - service: NRPE
    charms: [nrpe]
    ports: ["5666/tcp"]
    exposed: false
    required: true
    description: Nagios remote plugin executor
  - service: Exporter
    charms: [ams]
    ports: ["9100", "icmp", "10500-10600/udp"]
    profile: charmed
  - service: Node exporter
    charms: [coturn]
    ports: ["60050/udp"]
    profile: appliance
"""


def claim_payloads() -> st.SearchStrategy[Any]:
    claim = st.fixed_dictionaries(
        {
            "port": shaped(_sample(PORT_TEXTS)),
            "endpoint": shaped(_sample(ENDPOINTS)),
            "exposed": shaped(st.booleans()),
            "source": shaped(_sample(["default", "extra", "option:port", "option:", "option:A", "x"])),
        },
        optional={"extra": st.just(1)},
    )
    return shaped(st.lists(claim, max_size=4))


def _json_text(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return values.map(lambda v: json.dumps(v, default=repr))


def databags() -> st.SearchStrategy[dict[str, Any]]:
    text = st.text(max_size=10)
    return _opt(
        version=shaped(
            st.one_of(_sample(["1", "2", "0", '"1"', "true", "1.0", "", "-1", "1e400", "9" * 5000]), text)
        ),
        service=shaped(st.one_of(_json_text(_sample(CHARM_REFS)), text)),
        profile=shaped(st.one_of(_json_text(_sample(["charmed", "appliance", "x"])), text)),
        model=shaped(
            st.one_of(
                _json_text(_sample(["0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40", "0b6f2c1e", ""])),
                st.uuids().map(lambda u: json.dumps(str(u))),
            )
        ),
        machine=shaped(st.one_of(_json_text(_sample(MACHINE_REFS)), text)),
        claims=shaped(st.one_of(_json_text(claim_payloads()), text)),
        ingress__address=_sample(["10.0.0.1"]),
        egress__subnets=_sample(["10.0.0.1/32"]),
        private__address=_sample(["10.0.0.1"]),
    )


def completing_documents() -> st.SearchStrategy[Any]:
    """What completes a status: show-application, `juju exec ... opened-ports`, `juju spaces` output."""
    rule = _opt(
        expose__to__cidrs=shaped(st.lists(_sample(CIDRS), max_size=2)),
        expose__to__spaces=shaped(st.lists(_sample(["alpha", "dmz", "", "A"]), max_size=2)),
    )
    shown = _dicts(
        [*APP_NAMES, "Bad"],
        st.fixed_dictionaries(
            {
                "principal": st.booleans(),
                "exposed": shaped(st.booleans()),
                "remote": shaped(st.booleans(), 5),
            },
            optional={"exposed-endpoints": shaped(_dicts(ENDPOINTS, rule, 2))},
        ),
        3,
    )
    entry = st.one_of(
        _sample(PORT_TEXTS).map(lambda p: f"{p} (*)"),
        st.tuples(_sample(PORT_TEXTS), st.lists(_sample(ENDPOINTS), min_size=1, max_size=2)).map(
            lambda t: f"{t[0]} ({', '.join(t[1])})"
        ),
        _sample(PORT_TEXTS),
    )
    stdout = st.one_of(_json_text(st.lists(entry, max_size=3)), st.text(max_size=20))
    task = st.fixed_dictionaries(
        {"id": _sample(["1", "x", 1]), "status": _sample(["completed", "completed", "failed", 3])},
        optional={
            "unit": _sample(UNIT_NAMES),
            "machine": _sample(["0", 0]),
            "results": shaped(
                _opt(
                    **{"return-code": _sample([0, 0, 1, "0"])},
                    stdout=shaped(stdout),
                    stderr=st.text(max_size=10),
                )
            ),
        },
    )
    tasks = _dicts([*UNIT_NAMES, "0", "0/lxd/0", "x"], task, 3)
    subnet = _opt(type=_sample(["ipv4", "ipv6"]), zones=st.lists(st.text(max_size=4), max_size=1))
    space = _opt(
        id=_sample(["0", "1"]),
        name=shaped(_sample(["alpha", "dmz", "Alpha", ""])),
        subnets=shaped(_dicts(CIDRS, subnet, 2)),
    )
    spaces = st.fixed_dictionaries(
        {"spaces": shaped(st.lists(st.one_of(space, _sample(["alpha"])), max_size=3))}
    )
    return st.one_of(shown, tasks, spaces)


def show_unit_documents() -> st.SearchStrategy[Any]:
    record = _opt(in__scope=shaped(st.booleans()), data=shaped(databags()))
    entry = _opt(
        endpoint=_sample(["ports", "anbox-ports", "x"]),
        related__endpoint=_sample(["ports", "anbox-ports"]),
        application__data=_dicts(["a", "b"], st.text(max_size=5)),
        local__unit=shaped(record),
        related__units=shaped(_dicts(UNIT_NAMES, record, 3)),
        cross__model=st.booleans(),
        relation__id=st.integers(0, 9),
    )
    details = _opt(
        machine=_sample(MACHINE_REFS),
        opened__ports=st.lists(_sample(PORT_TEXTS), max_size=2),
        charm=st.just("ch:amd64/anbox-cloud-ports-1"),
        leader=st.booleans(),
        relation__info=shaped(st.lists(entry, max_size=3)),
    )
    return shaped(st.dictionaries(_sample(UNIT_NAMES), details, min_size=1, max_size=2))


# -- seeds -------------------------------------------------------------------------------------------

BUNDLE_SEED = """\
series: jammy
applications:
  ams:
    charm: ams
    num_units: 1
    to: ["1"]
    options:
      port: 8444
  lxd:
    charm: ams-lxd
    num_units: 2
    to: ["3", "lxd:4"]
    options:
      exposed_instance_ports: "10000-11000"
  coturn:
    charm: coturn
    num_units: 1
    to: ["1"]
    expose: true
  nats:
    charm: ch:nats
    num_units: 1
    to: [ams/0]
    options: {client-port: 4222}
  anbox-stream-gateway-lb:
    charm: haproxy
    num_units: 1
    to: [lxd:1]
machines:
  "1": {}
  "3": {constraints: mem=8G}
  "4":
relations:
  - [ams:lxd, lxd:api]
"""

OVERLAY_SEED = """\
applications:
  anbox-stream-gateway-lb:
    exposed-endpoints:
      website:
        expose-to-cidrs: [0.0.0.0/0]
  lxd:
    options:
      exposed_instance_ports: 50500-51500
  coturn:
    num_units: 2
"""

STATUS_SEED: dict[str, Any] = {
    "model": {"name": "anbox", "type": "iaas", "version": "3.6.4"},
    "machines": {"0": {"containers": {"0/lxd/0": {}}}, "1": {}},
    "applications": {
        "ams": {
            "charm": "ch:amd64/jammy/ams-42",
            "charm-name": "ams",
            "exposed": False,
            "units": {
                "ams/0": {
                    "machine": "0",
                    "open-ports": ["8444/tcp", "20002/tcp"],
                    "subordinates": {"telegraf/0": {"open-ports": ["9103/tcp"]}},
                }
            },
        },
        "coturn": {
            "charm": "coturn",
            "exposed": True,
            "exposed-endpoints": {"": {"expose-to-cidrs": ["0.0.0.0/0", "::/0"]}},
            "units": {
                "coturn/0": {"machine": "0/lxd/0", "open-ports": ["5349/tcp", "5349/udp", "50000-51000/udp"]}
            },
        },
        "telegraf": {"charm": "telegraf", "subordinate-to": ["ams"]},
    },
}

SHOW_UNIT_SEED: dict[str, Any] = {
    "anbox-cloud-ports/0": {
        "machine": "2",
        "opened-ports": [],
        "charm": "ch:amd64/anbox-cloud-ports-1",
        "leader": True,
        "relation-info": [
            {
                "endpoint": "ports",
                "related-endpoint": "anbox-ports",
                "application-data": {},
                "related-units": {
                    "ams/0": {
                        "in-scope": True,
                        "data": databag.encode_provider(
                            "ams",
                            "charmed",
                            "0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40",
                            "0",
                            [databag.PublishedClaim(ports.PortRange.parse("8444/tcp"), "internal")],
                        ),
                    },
                    "lxd/0": {"in-scope": False},
                },
            }
        ],
    }
}


def _corpus(kind: str) -> list[str]:
    folder = CORPUS / kind
    if not folder.is_dir():
        return []
    return [
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(folder.iterdir())
        if p.suffix in (".yaml", ".json")
    ]


@cache
def text_seeds(kind: str) -> tuple[str, ...]:
    """Valid documents of one kind (bundle, status, show-unit), small ones first: mutation starts here."""
    if kind == "bundle":
        found = [BUNDLE_SEED, OVERLAY_SEED, BUNDLE_SEED + "---\n" + OVERLAY_SEED, *_corpus("bundles")]
    elif kind == "status":
        found = [
            json.dumps(STATUS_SEED),
            yaml.safe_dump(STATUS_SEED),
            json.dumps(STATUS_SEED, indent=1),
            *_corpus("status"),
        ]
    elif kind == "show-unit":
        found = [json.dumps(SHOW_UNIT_SEED), yaml.safe_dump(SHOW_UNIT_SEED)]
    elif kind == "catalog":
        found = [CATALOG_SEED]
    else:
        found = [*text_seeds("bundle")[:3], *text_seeds("status")[:2], *text_seeds("show-unit")]
    return tuple(sorted(found, key=len))


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[str], small: bool = True) -> str:
    """A valid document with a few edits: YAML tokens inserted, spans deleted, duplicated or replaced."""
    pool = [s for s in seeds if len(s) < 4000] if small else list(seeds)
    text = draw(st.sampled_from(pool or list(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(text)))
        op = draw(st.integers(0, 3))
        if op == 0:
            text = text[:where] + draw(st.sampled_from(YAML_TOKENS)) + text[where:]
        elif op == 1:
            text = text[:where] + text[where + draw(st.integers(1, 40)) :]
        elif op == 2:
            start = draw(st.integers(0, len(text)))
            text = text[:where] + text[start : start + draw(st.integers(1, 200))] + text[where:]
        else:
            text = text[:where] + draw(st.text(max_size=6)) + text[where + draw(st.integers(0, 6)) :]
    return text


def _dump(document: Any, style: int) -> str:
    if style == 0:
        return json.dumps(document, default=repr)
    if style == 1:
        return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=True)


def texts(kind: str, documents: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Rendered structured documents, mutated seeds, and plain noise, as str and sometimes bytes."""
    rendered = st.tuples(documents, st.integers(0, 2)).map(lambda pair: _dump(pair[0], pair[1]))
    text = st.one_of(rendered, rendered, mutated(text_seeds(kind)), st.text(max_size=80))
    return st.one_of(
        text, text, text, text.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=64)
    )


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _json_or(data: bytes, fallback: Callable[[bytes], Any]) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return fallback(data)


# -- the calls -------------------------------------------------------------------------------------


def judge(deployment: Deployment, catalog: Catalog | None = None) -> None:
    """What `anbox-ports check` does after loading: both Juju versions, every output format."""
    for juju in ("3", "4"):
        report = check(deployment, catalog=catalog, juju=juju)
        for fmt in FORMATS:
            render(report, fmt)


def _source_text(value: Any) -> str | bytes:
    return value if isinstance(value, str | bytes) else str(value)


def call_load(value: Any) -> None:
    judge(load(_source_text(value), input="fuzz.yaml"))


def call_bundle(value: Any) -> None:
    judge(load_bundle(_source_text(value), input="bundle.yaml"))


def call_bundle_overlay(value: Any) -> None:
    base, overlay = value
    judge(load_bundle(base, input="bundle.yaml", overlays=[(overlay, "overlay.yaml")]))


def call_status(value: Any) -> None:
    judge(load_status(_source_text(value), input="status.json"))


def call_show_unit(value: Any) -> None:
    parsed = yamlload.load(_source_text(value), "show-unit.json")
    if not parsed.documents:
        return
    judge(load_show_unit(parsed.documents[0], input="show-unit.json"))  # type: ignore[arg-type]


def call_combined(value: Any) -> None:
    """A status and a dump that completes it (or does not match it), with a `--space` option."""
    status, more, space = value
    judge(load_inputs([(status, "status.json"), (more, "dump.json")], spaces=[space]))


def call_yamlload(value: Any) -> None:
    yamlload.load(_source_text(value), "fuzz.yaml")


def call_databag(value: Any) -> None:
    """decode_unit and deployment_from_units promise never to raise: a bad unit is a finding."""
    units: list[databag.RelatedUnit] = []
    for unit, bag in value:
        result = databag.decode_unit(unit, bag, app=str(unit).split("/")[0])
        assert isinstance(result, databag.DecodedUnit | databag.UnitDataError), result
        units.append((unit, str(unit).split("/")[0], bag))
    judge(relation.deployment_from_units(units, input="relation ports:1"))


def call_config_models(value: Any) -> None:
    """Construction (what ops' load_config does) raises PortConfigError; model_validate a ValidationError."""
    service, config = value
    model = charm_config.config_model_for(service)
    try:
        model(**config)
    except charm_config.PortConfigError as err:
        if "\n" in str(err):  # a status line must be one line
            raise AssertionError(f"PortConfigError of more than one line: {err!r}") from None
    with contextlib.suppress(ValidationError):
        model.model_validate(config)
    opener.desired_claims(service, config=config)


def call_check_option(value: Any) -> None:
    option, raw = value
    charm_config.check_option(option, raw)


def call_port_range(value: Any) -> None:
    ports.PortRange.parse(value)


def call_port_option(value: Any) -> None:
    raw, protocol = value
    ports.parse_port_option(raw, protocol)


def call_range_option(value: Any) -> None:
    raw, protocol = value
    ports.parse_range_option(raw, protocol)


def call_ports_cell(value: Any) -> None:
    cell, protocols = value
    ports.parse_ports_cell(cell, protocols)


def call_config_option(value: Any) -> None:
    option, raw, protocol = value
    option.parse(raw, protocol)


def call_opened_ports(value: Any) -> None:
    hooktools.parse_opened_ports(_decode(value) if isinstance(value, bytes) else value)


def call_conflict_stderr(value: Any) -> None:
    hooktools.conflict_from_stderr(value)


def call_appliance_claims(value: Any) -> None:
    pairs = appliance.claims_from_data(value, "claims.yaml")
    appliance.appliance_deployment(
        extra=[(port, name) for port, name in pairs if name not in _APPLIANCE_KEYS]
    )


def call_renderers(value: Any) -> None:
    """Every output format with `value` in every field a finding can carry from input: all inert."""
    from tests.hostile_text import escaping_violations

    violations = escaping_violations(value)
    if violations:
        raise AssertionError("; ".join(violations))


def _hostile_text() -> st.SearchStrategy[str]:
    from tests.hostile_text import HOSTILE

    pieces = st.one_of(_sample(HOSTILE), st.text(st.characters(exclude_categories=()), max_size=12))
    return st.lists(pieces, min_size=1, max_size=4).map("".join)


def call_claim_arg(value: Any) -> None:
    appliance.parse_claim_arg(value)


def call_catalog_file(value: Any) -> None:
    """An operator's catalog file, then the reference and the appliance checked against it."""
    rows = load_catalog_rows(_source_text(value), input="catalog.yaml")
    catalog = CATALOG.extend(rows)
    judge(reference(catalog), catalog)
    judge(appliance.appliance_deployment(catalog), catalog)


def call_cli(value: Any) -> None:
    """`anbox-ports check - --format F --juju J`: exit 0, 1 or 2, never an internal error, clean JSON."""
    data, fmt, juju, profile = value
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(sys, "stdin", stdin))
        stack.enter_context(mock.patch.dict(os.environ, {"ANBOX_PORTS_DEBUG": "1"}))
        code = cli.main(
            ["check", "-", "--format", fmt, "--juju", juju, "--profile", profile], out=out, err=err
        )
    if code not in (0, 1, 2):
        raise AssertionError(f"exit status {code}")
    if code == 2 and (out.getvalue() or err.getvalue().count("\n") != 1):
        raise AssertionError(
            f"exit 2 must print one line on stderr and nothing on stdout: {err.getvalue()!r}"
        )
    if code in (0, 1) and fmt in ("json", "sarif"):
        json.loads(out.getvalue())


_APPLIANCE_KEYS = frozenset(row.charms[0] for row in CATALOG.profile("appliance"))
CONFIG_OPTIONS: tuple[ConfigOption, ...] = tuple(o for row in CATALOG for o in row.options)
CONFIG_SERVICES = ("ams", "ams-lxd", "nats", "anbox-stream-gateway", "coturn", "haproxy")


# -- strategies and byte decoders per target ---------------------------------------------------------


def _from_provider(data: bytes) -> Any:
    """Atheris bytes -> one loosely typed value (str, int, bool, None, float) for the port parsers."""
    if not data:
        return ""
    kind, rest = data[0] % 6, data[1:]
    if kind == 0:
        return int.from_bytes(rest[:8], "little", signed=True)
    if kind == 1:
        return bool(rest[:1] and rest[0] & 1)
    if kind == 2:
        return None
    if kind == 3:
        return float(int.from_bytes(rest[:4], "little"))
    return _decode(rest)


def _pairs_of(data: bytes) -> list[tuple[str, Any]]:
    """Atheris bytes -> [(unit, databag)]: JSON when it parses, else `key=value` lines."""
    loaded = _json_or(data, lambda _d: None)
    if isinstance(loaded, list):
        return [
            (str(u), b)
            for u, b in (
                item if isinstance(item, list) and len(item) == 2 else ("x/0", item) for item in loaded
            )
        ]
    if isinstance(loaded, dict):
        return [("ams/0", loaded)]
    bag = {}
    for line in _decode(data).splitlines():
        key, _, rest = line.partition("=")
        bag[key] = rest
    return [("ams/0", bag)]


def _config_of(data: bytes) -> tuple[str, dict[str, Any]]:
    loaded = _json_or(data, lambda _d: {})
    service = CONFIG_SERVICES[len(data) % len(CONFIG_SERVICES)]
    if isinstance(loaded, dict):
        return service, {str(k): v for k, v in loaded.items()}
    return service, {"port": loaded}


_PROTOCOLS = st.sampled_from(["tcp", "udp"])


def _typed_seeds(texts: Sequence[str]) -> list[bytes]:
    """Seeds for `_from_provider`: kind byte 4 (text), then the text; plus one int, bool and None."""
    return [b"\x04" + t.encode() for t in texts] + [
        b"\x00" + (8444).to_bytes(8, "little"),
        b"\x01\x01",
        b"\x02",
    ]


def _text_seeds(kind: str) -> list[bytes]:
    return [t.encode() for t in text_seeds(kind)]


def _json_seeds(*values: Any) -> list[bytes]:
    return [json.dumps(v).encode() for v in values]


def _halves(first: str, second: str) -> bytes:
    """Two texts as one input that `d[:len(d)//2], d[len(d)//2:]` splits back (padding with a comment)."""
    a, b = first.encode(), second.encode()
    if len(a) < len(b):
        a += b"\n#" + b"x" * (len(b) - len(a) - 2)
    elif len(b) < len(a):
        b += b"\n#" + b"x" * (len(a) - len(b) - 2)
    return a + b


def _targets() -> list[Target]:
    bundle_docs = texts("bundle", bundle_documents())
    status_docs = texts("status", status_documents())
    show_docs = texts("show-unit", show_unit_documents())
    any_docs = st.one_of(bundle_docs, status_docs, show_docs)
    loose = st.one_of(_port_values(), st.text(max_size=40))
    related = st.lists(
        st.tuples(st.one_of(_sample(UNIT_NAMES), st.text(max_size=8)), st.one_of(databags(), _junk())),
        min_size=1,
        max_size=3,
    )
    config = st.tuples(
        _sample(CONFIG_SERVICES), st.dictionaries(_sample(OPTION_NAMES), _port_values(), max_size=3)
    )
    opened = st.one_of(
        _json_text(st.lists(st.one_of(_sample(PORT_TEXTS), _sample(PORT_TEXTS).map(lambda p: f"{p} (*)"),
                                      st.tuples(_sample(PORT_TEXTS), st.lists(_sample(ENDPOINTS), max_size=3)).map(
                                          lambda t: f"{t[0]} ({', '.join(t[1])})"), _junk()), max_size=4)),
        st.text(max_size=30),
    )  # fmt: skip
    appliance_data = st.one_of(
        st.fixed_dictionaries({"claims": shaped(st.dictionaries(st.text(string.ascii_letters + "-_.", max_size=8),
                                                                st.one_of(loose, st.lists(loose, max_size=3)), max_size=3))}),
        st.fixed_dictionaries({"claims": st.lists(st.one_of(st.text(max_size=20), st.tuples(_sample(PORT_TEXTS), st.text(max_size=8)).map("=".join)), max_size=3)}),
        _junk(),
    )  # fmt: skip
    return [
        Target("ports.PortRange.parse", call_port_range, (PortRangeError,), lambda: loose, _from_provider,
               lambda: _typed_seeds(PORT_TEXTS)),
        Target("ports.parse_port_option", call_port_option, (PortRangeError,), lambda: st.tuples(loose, _PROTOCOLS),
               lambda d: (_from_provider(d), "tcp"), lambda: _typed_seeds(PORT_TEXTS)),
        Target("ports.parse_range_option", call_range_option, (PortRangeError,), lambda: st.tuples(loose, _PROTOCOLS),
               lambda d: (_from_provider(d), "udp"), lambda: _typed_seeds(PORT_TEXTS)),
        Target("ports.parse_ports_cell", call_ports_cell, (PortRangeError,),
               lambda: st.tuples(loose, st.one_of(_sample(["TCP", "UDP & TCP", "ICMP", "udp&tcp", "TCP & TCP", "SCTP", ""]), st.text(max_size=12))),
               lambda d: (_decode(d[: len(d) // 2]), _decode(d[len(d) // 2 :])), lambda: [_halves("10000-11000", "UDP & TCP")]),
        Target("catalog.ConfigOption.parse", call_config_option, (PortRangeError,),
               lambda: st.tuples(_sample(CONFIG_OPTIONS), _port_values(), _PROTOCOLS),
               lambda d: (CONFIG_OPTIONS[len(d) % len(CONFIG_OPTIONS)], _from_provider(d), "tcp"),
               lambda: _typed_seeds(PORT_TEXTS)),
        Target("charm.config.check_option", call_check_option, (charm_config.PortConfigError,),
               lambda: st.tuples(_sample(CONFIG_OPTIONS), _port_values()),
               lambda d: (CONFIG_OPTIONS[len(d) % len(CONFIG_OPTIONS)], _from_provider(d)),
               lambda: _typed_seeds(PORT_TEXTS)),
        Target("charm.config models + desired_claims", call_config_models, (charm_config.PortConfigError,),
               lambda: config, _config_of, lambda: _json_seeds({"port": 8444}, {"exposed_instance_ports": "10000-11000", "client-port": "4222"})),
        Target("charm.hooktools.parse_opened_ports", call_opened_ports, (hooktools.HookToolOutputError,),
               lambda: opened, _decode, lambda: [b'["80/tcp (ep1, ep2)", "10000-11000/udp (*)", "icmp"]']),
        Target("charm.hooktools.conflict_from_stderr", call_conflict_stderr, (),
               lambda: st.one_of(st.text(max_size=200), mutated(['ERROR cannot open 10-20/tcp (unit "u/0"): port range conflicts with 10-20/tcp (unit "other/0")'])),
               _decode, lambda: [b'ERROR cannot open 10-20/tcp (unit "u/0"): port range conflicts with 10-20/tcp (unit "other/0")']),
        Target("sources.yamlload.load", call_yamlload, (InputError,), lambda: any_docs, lambda d: d,
               lambda: _text_seeds("any")),
        Target("sources.load (any input)", call_load, (InputError,), lambda: any_docs, lambda d: d,
               lambda: _text_seeds("any")),
        Target("sources.load_bundle", call_bundle, (InputError,), lambda: bundle_docs, lambda d: d,
               lambda: _text_seeds("bundle")),
        Target("sources.load_bundle + overlay", call_bundle_overlay, (InputError,),
               lambda: st.tuples(bundle_docs, bundle_docs),
               lambda d: (d[: len(d) // 2], d[len(d) // 2 :]), lambda: [_halves(BUNDLE_SEED, OVERLAY_SEED)]),
        Target("sources.load_status (json, yaml)", call_status, (InputError,), lambda: status_docs, lambda d: d,
               lambda: _text_seeds("status")),
        Target("sources.show_unit", call_show_unit, (InputError,), lambda: show_docs, lambda d: d,
               lambda: _text_seeds("show-unit")),
        Target("sources.load_inputs (status + show-application, opened-ports, spaces)", call_combined, (InputError,),
               lambda: st.tuples(status_docs, _json_text(completing_documents()), _sample(["dmz=10.0.0.0/8", "alpha=", "A=1"])),
               lambda d: (d[: len(d) // 2], d[len(d) // 2 :], "dmz=10.0.0.0/8"),
               lambda: [_halves(_text_seeds("status")[0].decode(), '{"lxd": {"principal": true, "exposed": false, "remote": false}}')]),
        Target("databag.decode_unit + deployment_from_units", call_databag, (), lambda: related, _pairs_of,
               lambda: _json_seeds([["ams/0", SHOW_UNIT_SEED["anbox-cloud-ports/0"]["relation-info"][0]["related-units"]["ams/0"]["data"]]])),
        Target("appliance.claims_from_data", call_appliance_claims, (InputError,), lambda: appliance_data,
               lambda d: _json_or(d, _decode), lambda: _json_seeds({"claims": {"my-api": "8444/tcp"}}, {"claims": ["9000/udp=x"]})),
        Target("sources.catalog_file + check", call_catalog_file, (InputError,),
               lambda: texts("catalog", catalog_documents()), lambda d: d, lambda: _text_seeds("catalog")),
        Target("cli.main check -", call_cli, (),
               lambda: st.tuples(st.one_of(any_docs, texts("catalog", catalog_documents())), _sample(FORMATS),
                                 _sample(["3", "4", "5"]), _sample(["charmed", "appliance"])),
               lambda d: (d, "json", "3", "charmed"), lambda: _text_seeds("any")),
        Target("render.* (escaping of input text)", call_renderers, (), _hostile_text,
               lambda d: d.decode("utf-8", "surrogateescape"),
               lambda: [b"ams` [x](https://evil.example) <img src=x>", b"hide\x1b[8m", b"a\nOK: 0 errors"]),
        Target("appliance.parse_claim_arg", call_claim_arg, (InputError, PortRangeError),
               lambda: st.one_of(st.text(max_size=30), st.tuples(_sample(PORT_TEXTS), st.text(max_size=10)).map("=".join)),
               _decode, lambda: [b"8444/tcp=my-service"]),
    ]  # fmt: skip


@cache
def targets() -> tuple[Target, ...]:
    return tuple(_targets())


def target(name: str) -> Target:
    for found in targets():
        if found.name == name:
            return found
    raise KeyError(name)


# -- known bugs (each has a strict xfail in tests/unit/test_fuzz_quick.py) -----------------------------


def raised_in(err: BaseException, filename: str, function: str) -> bool:
    """True when the innermost library frame of `err` is `function` in a file ending in `filename`."""
    tb = err.__traceback__
    last: tuple[str, str] | None = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if "anbox_cloud_ports" in code.co_filename:
            last = (code.co_filename, code.co_name)
        tb = tb.tb_next
    return last is not None and last[0].endswith(filename) and last[1] == function


def bug_in(filename: str, function: str, *kinds: type[BaseException]) -> Callable[[BaseException, Any], bool]:
    """A KnownBug matcher: an exception of one of `kinds` raised last in `function` of `filename`."""
    return lambda err, _value: type(err) in kinds and raised_in(err, filename, function)


# Empty: every bug fuzzing has found so far is fixed (tests/unit/test_fuzz_quick.py keeps their
# reproducers as regression tests). An entry looks like:
#     KnownBug("*", "what is wrong", bug_in("ports.py", "parse_port_option", ValueError), ("²", "tcp"))
KNOWN_BUGS: list[KnownBug] = []


def known_bug(target: Target, err: BaseException, value: Any) -> KnownBug | None:
    for bug in KNOWN_BUGS:
        if bug.target in ("*", target.name) and bug.matches(err, value):
            return bug
    return None


# -- hostile documents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bomb:
    name: str
    text: Callable[[], str | bytes]
    says: str  # a word the InputError must contain, so the refusal names its reason
    call: Callable[[Any], object] = call_load


def _laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _merge_bomb() -> str:
    """Merge keys and aliases doubling at every level: 2**30 nodes once expanded, from 40 lines."""
    lines = ["b0: &b0 {k: v}"]
    for i in range(1, 31):
        lines.append(f"b{i}: &b{i} {{<<: [*b{i - 1}], k{i}: [*b{i - 1}, *b{i - 1}]}}")
    return "\n".join(lines) + "\n"


def _flow_list(n: int) -> str:
    return "[" + ",".join(["1"] * n) + "]\n"


def _catalog_bomb() -> str:
    """131,070 ranges for one charm (every TCP and UDP port), in services of the allowed 200 ports."""
    ports = [f"{p}/tcp" for p in range(1, 65536)] + [f"{p}/udp" for p in range(1, 65536)]
    lines = ["services:"]
    for i in range(0, len(ports), 200):
        lines += [f"  - service: s{i}", "    charms: [ams]", f"    ports: {json.dumps(ports[i : i + 200])}"]
    return "\n".join(lines) + "\n"


def _load_catalog(text: Any) -> object:
    return load_catalog_rows(text, input="catalog.yaml")


def _bundle_with_catalog(text: Any) -> object:
    ports = json.dumps([f"{p}/tcp" for p in range(20000, 20010)])
    rows = load_catalog_rows(
        f"services:\n  - service: ten\n    charms: [ams]\n    ports: {ports}\n", input="c.yaml"
    )
    return load(text, input="bundle.yaml", catalog=CATALOG.extend(rows))


BOMBS: tuple[Bomb, ...] = (
    Bomb("billion laughs (9 levels of 9 aliases)", _laughs, "alias"),
    Bomb(
        "billion laughs in a bundle's options",
        lambda: _laughs() + "applications:\n  ams:\n    options: *a9\n",
        "alias",
    ),
    Bomb("merge-key bomb (<<: [*b, *b, ...])", _merge_bomb, "alias"),
    Bomb(
        "1001 uses of one small list", lambda: "x: &x [1]\ny: [" + ", ".join(["*x"] * 1001) + "]\n", "alias"
    ),
    Bomb("recursive alias", lambda: "a: &a [*a]\n", "alias"),
    Bomb("flow nesting 100 000 deep", lambda: "[" * 100_000 + "]" * 100_000, "nest"),
    Bomb(
        "block nesting 5 000 deep",
        lambda: "".join(f"{'  ' * i}k:\n" for i in range(5_000)) + "  " * 5_000 + "v\n",
        "nest",
    ),
    Bomb("JSON nesting 200 000 deep", lambda: '{"a":' * 200_000 + "1" + "}" * 200_000, "nest"),
    Bomb(
        "JSON list nesting 200 000 deep", lambda: '{"model": ' + "[" * 200_000 + "]" * 200_000 + "}", "nest"
    ),
    Bomb("33 MiB document", lambda: "applications: {}\n# " + "x" * (33 * 1024 * 1024) + "\n", "MiB"),
    Bomb("33 MiB of bytes", lambda: b"applications: {}\n# " + b"x" * (33 * 1024 * 1024) + b"\n", "MiB"),
    Bomb(
        "a 100 000 digit integer (YAML)",
        lambda: "applications:\n  ams:\n    num_units: " + "9" * 100_000 + "\n",
        "digits",
    ),
    Bomb("a 100 000 digit integer (JSON)", lambda: '{"model": {}, "x": ' + "9" * 100_000 + "}", "digits"),
    Bomb("!!python/object tag", lambda: "a: !!python/object/apply:os.system ['true']\n", "tag"),
    Bomb("invalid UTF-8", lambda: b"applications:\n  \xff\xfe\xfa: {}\n", "UTF-8"),
    Bomb("NUL byte", lambda: "applications:\n  ams: {charm: \x00}\n", "YAML"),
    Bomb("4 MB flow list of 2 million scalars", lambda: _flow_list(2_000_000), "YAML nodes"),
    Bomb("31 MB flow list of 15.5 million scalars", lambda: _flow_list(15_500_000), "YAML nodes"),
    Bomb(
        "4 MB JSON of a million values", lambda: '{"a": [' + ",".join(["1"] * 1_000_000) + "]}", "JSON values"
    ),
    Bomb("2 MB catalog: 131,070 ranges for one charm", _catalog_bomb, "ports and ranges", _load_catalog),
    Bomb(
        "100,000 units holding 12 catalog ports each",
        lambda: "applications:\n  ams:\n    charm: ams\n    num_units: 100000\n",
        "catalog ports",
        _bundle_with_catalog,
    ),
    Bomb(
        "50 000 machines, the last one wrong",
        lambda: "machines:\n" + "".join(f"  {i}: {{}}\n" for i in range(50_000)) + "  x: 1\n",
        "machine",
    ),
)


# -- time versus size ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    """An input family indexed by scale n: if the call is linear, time(10n)/time(n) is about 10."""

    name: str
    make: Callable[[int], Any]
    call: Callable[[Any], object]
    base: int
    allowed: tuple[type[BaseException], ...] = (InputError,)
    note: str = field(default="")
    known: str | None = None  # a reported, unfixed superlinearity: printed, not counted as new


def grow_bundle(n: int, *, one_machine: bool = False) -> str:
    charms = ["ams", "coturn", "nats", "etcd", "anbox-stream-agent", "anbox-cloud-dashboard"]
    lines = ["applications:"]
    for i in range(n):
        charm = charms[i % len(charms)]
        lines += [
            f"  app{i}:",
            f"    charm: ch:{charm}",
            "    num_units: 1",
            f'    to: ["{0 if one_machine else i}"]',
            "    options: {port: 8444, client-port: 4222}",
        ]
    lines.append("machines:")
    lines += [f'  "{i}": {{}}' for i in range(1 if one_machine else n)]
    return "\n".join(lines) + "\n"


def grow_overlay(n: int) -> tuple[str, str]:
    overlay = ["applications:"]
    for i in range(n):
        overlay += [f"  app{i}:", "    expose: true" if i % 2 else "    options: {port: 9000}"]
    return grow_bundle(n), "\n".join(overlay) + "\n"


def _status(n: int, *, one_machine: bool = False) -> dict[str, Any]:
    apps: dict[str, Any] = {}
    for i in range(n):
        apps[f"lxd{i}"] = {
            "charm": "ch:amd64/jammy/ams-lxd-7",
            "exposed": bool(i % 2),
            "units": {
                f"lxd{i}/0": {
                    "machine": "0" if one_machine else str(i),
                    "open-ports": ["8443/tcp", "10000-11000/tcp", "10000-11000/udp"],
                }
            },
        }
    machines = {"0": {}} if one_machine else {str(i): {} for i in range(n)}
    return {"model": {"name": "m", "type": "iaas"}, "machines": machines, "applications": apps}


def grow_databags(n: int) -> list[tuple[str, dict[str, str]]]:
    claims = [
        databag.PublishedClaim(ports.PortRange.single(20000 + j), "internal") for j in range(min(n, 999))
    ]
    return [
        (
            f"svc{i}/0",
            databag.encode_provider(
                "ams", "charmed", "0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40", str(i), claims[:10]
            ),
        )
        for i in range(n)
    ]


def grow_show_unit(n: int) -> str:
    dump = json.loads(json.dumps(SHOW_UNIT_SEED))
    related = dump["anbox-cloud-ports/0"]["relation-info"][0]["related-units"]
    template = related["ams/0"]
    related.clear()
    for i in range(n):
        data = dict(template["data"])
        data["machine"] = json.dumps(str(i))
        related[f"ams{i}/0"] = {"in-scope": True, "data": data}
    return json.dumps(dump)


def grow_aliased_status(n: int) -> str:
    """A status whose n applications all alias one n-unit mapping: n*n units from about 80n characters.

    `juju status` never writes anchors, so this is hostile input: time grows with the square of the
    text until yamlload's expansion cap (5 000 000 nodes) refuses it.
    """
    units = ", ".join(f"'x{j}/0': {{machine: '0', open-ports: [8444/tcp]}}" for j in range(n))
    lines = ["model: {name: m, type: iaas}", f"u: &u {{{units}}}", "applications:"]
    lines += [f"  a{i}: {{charm: ams, units: *u}}" for i in range(n)]
    return "\n".join(lines) + "\n"


def growths() -> tuple[Growth, ...]:
    return (
        Growth("yamlload: n mappings in a list (YAML)", lambda n: "".join(f"- {{a: {i}, b: [x, y]}}\n" for i in range(n)), call_yamlload, 2_000),
        Growth("yamlload: nesting 150 deep, n times", lambda n: "".join("- " + "[" * 150 + "]" * 150 + "\n" for _ in range(n)), call_yamlload, 20),
        Growth("yamlload: one scalar of 1 000 n characters", lambda n: "k: " + "x" * (1_000 * n) + "\n", call_yamlload, 100),
        Growth(
            "yamlload: n anchors, each aliased once (n up to 900)",
            lambda n: "".join(f"a{i}: &a{i} [1, 2, {{k: v}}]\nb{i}: *a{i}\n" for i in range(n)),
            call_yamlload,
            9,
        ),
        Growth("bundle: n applications on n machines", grow_bundle, call_bundle, 50),
        Growth("bundle: n applications on one machine", lambda n: grow_bundle(n, one_machine=True), call_bundle, 50,
               note="conflicting pairs are capped, so the engine stays linear"),
        Growth("bundle + overlay: n applications each", grow_overlay, call_bundle_overlay, 50),
        Growth("status (JSON): n units", lambda n: json.dumps(_status(n)), call_status, 50),
        Growth("status (YAML): n units", lambda n: yaml.safe_dump(_status(n)), call_status, 50),
        Growth("status (JSON): n lxd units on one machine", lambda n: json.dumps(_status(n, one_machine=True)), call_status, 50),
        Growth("status (YAML): n applications aliasing one n-unit map", grow_aliased_status, call_status, 7,
               note="refused once aliases expand it past 2 nodes per character: reading stays linear"),
        Growth("show-unit: n related units", grow_show_unit, call_show_unit, 20),
        Growth("databag: n related units", grow_databags, call_databag, 20, allowed=()),
        Growth("parse_opened_ports: n entries", lambda n: json.dumps([f"{20000 + i}/tcp (ep{i % 7}, x)" for i in range(n)]),
               call_opened_ports, 200, allowed=(hooktools.HookToolOutputError,)),
        Growth("PortRange.parse: 1 000 n digits", lambda n: "1" * (1_000 * n), call_port_range, 10, allowed=(PortRangeError,)),
        Growth("config models: a 1 000 n character value", lambda n: ("ams", {"port": "9" * (1_000 * n)}), call_config_models, 10,
               allowed=(charm_config.PortConfigError,)),
    )  # fmt: skip
