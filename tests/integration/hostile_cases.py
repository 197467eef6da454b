"""The hostile inputs of the CLI suite: bundles, overlays, status and show-unit dumps, catalog files, arguments.

Each `Case` is files to write, the argv of one `anbox-ports` run, optional stdin and the exit statuses
it may end with. test_hostile_cli.py runs every case as a real process and asserts the contract of
each (exit 0/1/2 only, no traceback, one stderr line on exit 2, nothing raw on any stream, bounded time
and memory) plus what the case says it must.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from anbox_cloud_ports.databag import MAX_CLAIMS, MAX_FIELD_CHARS, PublishedClaim, encode_provider
from anbox_cloud_ports.ports import PortRange

ANY = frozenset({0, 1, 2})
REFUSED = frozenset({2})
JUDGED = frozenset({0, 1})
FORMATS = ("table", "json", "sarif", "markdown")

# Strings for places that hold a name: each is something Juju would never name.
NAMES = (
    "ams\x1b[31m",
    "ams\x1b]8;;https://evil.example\x1b\\x",
    "a\nb",
    "ams\u2028",
    "\u202eams",
    "ams` [x](https://evil.example) <img src=x>",
    "AMS",
    "ams\x9b2J",
    "a@evil.example",
)
# Strings for places that hold free text (descriptions, option values, databag values).
TEXTS = (
    "hide\x1b[8m",
    "\x1b]0;title\x07\x1b[2J",
    "see [x](https://evil.example) <img src=x> @octocat www.evil.example",
    "two\nFAILED: forged",
    "\u202edesrever\u2029x\x7f\x85",
)


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    files: Mapping[str, str | bytes] = field(default_factory=dict[str, "str | bytes"])
    stdin: bytes | None = None
    expect: frozenset[int] = ANY
    # phrases the output or the error must hold (all of a tuple, any one of a frozenset)
    says: str | tuple[str, ...] | frozenset[str] | None = None


def y(text: str) -> str:
    """A YAML double-quoted scalar holding `text` exactly (JSON's escapes are YAML's)."""
    return json.dumps(text)


MODEL_UUID = "5d0c52b4-8f8b-4d3a-9a3e-1f6c7b2d9e01"


def bundle(apps: str, machines: str = '  "0": {}\n') -> str:
    return f"machines:\n{machines}applications:\n{apps}"


CONFLICT = bundle(
    "  ams:\n    charm: ams\n    num_units: 1\n    to: ['0']\n"
    "  evil:\n    charm: evil\n    num_units: 1\n    to: ['0']\n"
)


def catalog_file(service: str = "Evil", description: str = "evil service", charms: str = '["evil"]') -> str:
    return (
        f"services:\n  - service: {y(service)}\n    charms: {charms}\n    ports: ['8444/tcp']\n"
        f"    exposed: true\n    required: true\n    description: {y(description)}\n"
    )


def status(apps: Mapping[str, object], machines: Mapping[str, object] | None = None) -> str:
    return json.dumps(
        {"model": {"name": "m", "type": "iaas"}, "machines": machines or {"0": {}}, "applications": apps}
    )


def status_app(
    units: Mapping[str, object], charm: str = "ams", extra: Mapping[str, object] | None = None
) -> dict[str, object]:
    return {"charm": charm, "units": units, **(extra or {})}


def show_unit(related: Mapping[str, object]) -> str:
    return json.dumps(
        {
            "anbox-cloud-ports/0": {
                "machine": "0",
                "opened-ports": [],
                "charm": "anbox-cloud-ports",
                "leader": True,
                "relation-info": [
                    {
                        "endpoint": "ports",
                        "related-endpoint": "ports",
                        "application-data": {},
                        "related-units": {
                            name: {"in-scope": True, "data": data} for name, data in related.items()
                        },
                    }
                ],
            }
        }
    )


def databag(service: str, machine: str, port: str = "", endpoint: str = "internal") -> dict[str, str]:
    claims = [PublishedClaim(PortRange.parse(port), endpoint)] if port else None
    from anbox_cloud_ports.catalog import Catalog

    if claims is None:
        claims = [
            PublishedClaim(c, "public" if row.exposed else "internal", row.exposed)
            for row in Catalog.builtin().for_charm(service)
            for c in row.claims
        ]
    return {"private-address": "10.0.0.1", **encode_provider(service, "charmed", MODEL_UUID, machine, claims)}


# Two good units in conflict on machine 0, so "every well-formed unit is still judged" shows.
GOOD_UNITS = {
    "anbox-stream-agent/0": databag("anbox-stream-agent", "0"),
    "anbox-stream-gateway-lb/0": databag("haproxy", "0"),
}


def _bundles() -> Iterator[Case]:
    for i, name in enumerate(NAMES):
        apps = f"  {y(name)}:\n    charm: ams\n    num_units: 1\n    to: ['0']\n"
        yield Case(f"bundle-app-name-{i}", ("check", "{d}/b.yaml"), {"b.yaml": bundle(apps)}, expect=REFUSED)
    for i, text in enumerate(TEXTS):
        apps = f"  other:\n    charm: {y(text)}\n    num_units: 1\n    to: ['0']\n"
        yield Case(
            f"bundle-charm-text-{i}",
            ("check", "{d}/b.yaml", "--format", FORMATS[i % 4]),
            {"b.yaml": bundle(apps)},
            # Juju parses `charm:` as a charm URL and refuses these (docs/juju-facts.md#bundles).
            expect=REFUSED,
            says="invalid charm URL",
        )
    for i, text in enumerate(TEXTS):
        for fmt in FORMATS:
            apps = f"  ams:\n    charm: ams\n    num_units: 1\n    to: ['0']\n    options:\n      port: {y(text)}\n"
            yield Case(
                f"bundle-option-{i}-{fmt}",
                ("check", "{d}/b.yaml", "--format", fmt),
                {"b.yaml": bundle(apps)},
                expect=frozenset({1}),
            )
    yield Case(
        "bundle-machine-id",
        ("check", "{d}/b.yaml"),
        {
            "b.yaml": bundle(
                "  ams: {charm: ams, num_units: 1, to: ['0']}\n",
                f"  {y('0' + chr(27) + '[8m')}: {{}}\n  '0': {{}}\n",
            )
        },
        expect=REFUSED,
    )
    yield Case(
        "bundle-placement",
        ("check", "{d}/b.yaml"),
        {"b.yaml": bundle(f"  ams: {{charm: ams, num_units: 1, to: [{y('lxd:0' + chr(27))}]}}\n")},
        expect=REFUSED,
    )
    yield Case(
        "bundle-relation-endpoint",
        ("check", "{d}/b.yaml"),
        {
            "b.yaml": bundle("  ams: {charm: ams, num_units: 1}\n")
            + f"relations:\n  - [{y('ams:db' + chr(10))}, ams]\n"
        },
        expect=REFUSED,
    )
    yield Case(
        "bundle-description",
        ("check", "{d}/b.yaml"),
        {"b.yaml": f"description: {y(TEXTS[0])}\n" + CONFLICT},
        expect=JUDGED,
    )
    yield Case(
        "bundle-units-huge",
        ("check", "{d}/b.yaml"),
        {"b.yaml": "applications:\n  ams: {charm: ams, num_units: 100000000}\n"},
        expect=REFUSED,
        says="units",
    )
    yield Case(
        "bundle-key-100k",
        ("check", "{d}/b.yaml"),
        {"b.yaml": "applications:\n  " + "a" * 100_000 + ": {charm: ams}\n"},
        expect=REFUSED,
    )


def _laughs() -> str:
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\napplications:\n  ams:\n    options: *a9\n"


def _yaml_bombs() -> Iterator[Case]:
    bombs: dict[str, tuple[str | bytes, str]] = {
        "billion-laughs": (_laughs(), "alias"),
        "merge-bomb": (
            "b0: &b0 {k: v}\n"
            + "".join(
                f"b{i}: &b{i} {{<<: [*b{i - 1}], k{i}: [*b{i - 1}, *b{i - 1}]}}\n" for i in range(1, 31)
            ),
            "alias",
        ),
        "recursive-alias": ("a: &a [*a]\n", "alias"),
        "deep-flow": ("[" * 100_000 + "]" * 100_000, "nest"),
        "flow-4mb": ("[" + ",".join(["1"] * 2_000_000) + "]\n", "YAML nodes"),
        "flow-31mb": ("[" + ",".join(["1"] * 15_500_000) + "]\n", "YAML nodes"),
        "json-million-values": ('{"a": [' + ",".join(["1"] * 1_000_000) + "]}", "JSON values"),
        "json-deep": ('{"a":' * 200_000 + "1" + "}" * 200_000, "nest"),
        "huge-integer": ("applications:\n  ams:\n    num_units: " + "9" * 100_000 + "\n", "digits"),
        "python-tag": ("a: !!python/object/apply:os.system ['true']\n", "tag"),
        "invalid-utf8": (b"applications:\n  \xff\xfe\xfa: {}\n", "UTF-8"),
        "nul-byte": ("applications:\n  ams: {charm: \x00}\n", "YAML"),
        "raw-escape-in-yaml": ("applications:\n  ams: {charm: \x1b[31m}\n", "YAML"),
        "utf16-with-escape": (
            '\ufeffapplications:\n  "ams\\u001b": {charm: ams, num_units: 1}\n'.encode("utf-16-le"),
            "",
        ),
        "lone-surrogate-escape": ('applications:\n  "ams\\ud800": {charm: ams, num_units: 1}\n', ""),
        "scalar-20mb": (
            "applications:\n  ams:\n    charm: ams\n    num_units: 1\n    description: "
            + "x" * 20_000_000
            + "\n",
            "",
        ),
        "many-documents": ("---\n{}\n" * 20_000, ""),
        "33mib": ("applications: {}\n# " + "x" * (33 * 1024 * 1024) + "\n", "MiB"),
    }
    for name, (text, says) in bombs.items():
        expect = JUDGED if name == "scalar-20mb" else REFUSED  # one long value is not a bomb
        yield Case(
            f"yaml-{name}", ("check", "{d}/bomb.yaml"), {"bomb.yaml": text}, expect=expect, says=says or None
        )


def _overlays() -> Iterator[Case]:
    overlay = "applications:\n  evil:\n    expose: true\n"
    for i, name in enumerate(("over\nlay.yaml", "over\x1b[2Jlay.yaml", "over\u202elay.yaml")):
        yield Case(
            f"overlay-file-name-{i}",
            ("check", "{d}/b.yaml", "--overlay", "{d}/" + name, "--format", FORMATS[i]),
            {"b.yaml": CONFLICT, name: overlay},
            expect=JUDGED,
        )
    exposed = "applications:\n  ams:\n    exposed-endpoints:\n      {key}:\n        expose-to-cidrs: [{cidr}]\n        expose-to-spaces: [{space}]\n"
    for i, (key, cidr, space) in enumerate(
        [
            (y("ep\x1b[31m"), '"10.0.0.0/8"', "dmz"),
            ('""', y("10.0.0.0/8\n"), "dmz"),
            ('""', '"10.0.0.0/8"', y("dmz` <img src=x>")),
        ]
    ):
        yield Case(
            f"overlay-exposed-{i}",
            ("check", "{d}/b.yaml", "--overlay", "{d}/o.yaml"),
            {"b.yaml": CONFLICT, "o.yaml": exposed.format(key=key, cidr=cidr, space=space)},
            expect=REFUSED,
        )
    yield Case(
        "overlay-app-name",
        ("check", "{d}/b.yaml", "--overlay", "{d}/o.yaml"),
        {"b.yaml": CONFLICT, "o.yaml": f"applications:\n  {y(NAMES[0])}: {{charm: ams, num_units: 1}}\n"},
        expect=REFUSED,
    )
    yield Case(
        "overlay-bomb",
        ("check", "{d}/b.yaml", "--overlay", "{d}/o.yaml"),
        {"b.yaml": CONFLICT, "o.yaml": _laughs()},
        expect=REFUSED,
        says="alias",
    )
    yield Case(
        "overlay-missing-hostile-name",
        ("check", "{d}/b.yaml", "--overlay", "{d}/no\nsuch\x1b[8m"),
        {"b.yaml": CONFLICT},
        expect=REFUSED,
    )
    yield Case(
        "overlay-on-status",
        ("check", "{d}/s.json", "--overlay", "{d}/o.yaml"),
        {"s.json": status({"ams": status_app({"ams/0": {"machine": "0"}})}), "o.yaml": overlay},
        expect=REFUSED,
    )


# A status Juju could not have printed is refused by the reader that meets it first, in its words.
_NOT_JUJU = frozenset({"is not one Juju accepts", "not a Juju", "Juju lists"})


def _statuses() -> Iterator[Case]:
    for i, name in enumerate(NAMES):
        apps = {name: status_app({f"{name}/0": {"machine": "0", "open-ports": ["8444/tcp"]}})}
        yield Case(
            f"status-app-name-{i}",
            ("check", "{d}/s.json"),
            {"s.json": status(apps)},
            expect=REFUSED,
            says=_NOT_JUJU,
        )
    hostile_units = {
        "unit-name": {"ams": status_app({"ams/0\x1b[8m": {"machine": "0"}})},
        "machine": {"ams": status_app({"ams/0": {"machine": "0\x1b]0;x\x07"}})},
        "subordinate": {"ams": status_app({"ams/0": {"machine": "0", "subordinates": {"tel\negraf/0": {}}}})},
        "exposed-endpoint": {
            "ams": status_app(
                {"ams/0": {"machine": "0"}}, extra={"exposed": True, "exposed-endpoints": {"api\u202e": {}}}
            )
        },
        "exposed-cidr": {
            "ams": status_app(
                {"ams/0": {"machine": "0"}},
                extra={"exposed": True, "exposed-endpoints": {"": {"expose-to-cidrs": ["0.0.0.0/0\x1b"]}}},
            )
        },
        "exposed-space": {
            "ams": status_app(
                {"ams/0": {"machine": "0"}},
                extra={"exposed": True, "exposed-endpoints": {"": {"expose-to-spaces": ["<img src=x>"]}}},
            )
        },
    }
    for name, apps in hostile_units.items():
        yield Case(
            f"status-{name}",
            ("check", "{d}/s.json"),
            {"s.json": status(apps)},
            expect=REFUSED,
            # Expose rules are read by the status reader, which names the field it refuses.
            says=_NOT_JUJU,
        )
    for i, text in enumerate(TEXTS):
        apps = {
            "ams": status_app(
                {"ams/0": {"machine": "0", "open-ports": ["8444/tcp", text]}}, charm=f"ch:{text}"
            )
        }
        yield Case(
            f"status-port-text-{i}",
            ("check", "{d}/s.json", "--format", FORMATS[i % 4]),
            {"s.json": status(apps)},
            expect=JUDGED,
        )
    k8s = {"ams": status_app({"ams/0": {"open-ports": ["8444/tcp"]}, "ams/1": {"open-ports": ["8444/tcp"]}})}
    yield Case(
        "status-kubernetes", ("check", "{d}/s.json"), {"s.json": status(k8s, machines={})}, expect=JUDGED
    )
    legacy = json.dumps(
        {
            "environment": "e\x1b[31m",
            "machines": {},
            "services": {"ams": status_app({"ams/0": {"machine": "0"}})},
        }
    )
    yield Case("status-juju1-environment", ("check", "{d}/s.json"), {"s.json": legacy}, expect=JUDGED)
    yaml_status = (
        "model: {name: m}\nmachines: {'0': {}}\napplications:\n  ams:\n    charm: ams\n    units:\n      "
        + y("ams/0\u2029")
        + ": {machine: '0'}\n"
    )
    yield Case("status-yaml-unit-name", ("check", "{d}/s.yaml"), {"s.yaml": yaml_status}, expect=REFUSED)
    many = {
        f"app{a}": status_app(
            {f"app{a}/{i}": {"machine": str(i), "open-ports": ["8444/tcp"]} for i in range(1000)}
        )
        for a in range(40)
    }
    yield Case(
        "status-40k-units-json",
        ("check", "{d}/s.json"),
        {"s.json": status(many, {str(i): {} for i in range(1000)})},
        expect=ANY,
    )


def _show_units() -> Iterator[Case]:
    bad_bags: dict[str, tuple[str, object]] = {
        "unit-name-escape": ("coturn/0\x1b[31m", databag("coturn", "1")),
        "unit-name-markdown": ("ams` [x](https://evil.example)/0", databag("ams", "1")),
        "unit-name-juju-refuses": ("app-1/0", databag("ams", "1")),
        "service": ("coturn/0", {**databag("coturn", "1"), "service": json.dumps("co\x1b[8mturn")}),
        "endpoint": (
            "coturn/0",
            {
                **databag("coturn", "1"),
                "claims": json.dumps(
                    [{"port": "3478/udp", "endpoint": "p\x1b", "exposed": True, "source": "default"}]
                ),
            },
        ),
        "port": (
            "coturn/0",
            {
                **databag("coturn", "1"),
                "claims": json.dumps(
                    [{"port": "3478/udp\n; rm -rf /", "endpoint": "", "exposed": True, "source": "default"}]
                ),
            },
        ),
        "machine": ("coturn/0", {**databag("coturn", "1"), "machine": json.dumps("1\x1b[2J")}),
        "model": ("coturn/0", {**databag("coturn", "1"), "model": json.dumps("<img src=x>")}),
        "oversized": ("coturn/0", {**databag("coturn", "1"), "claims": "[" + " " * MAX_FIELD_CHARS + "]"}),
        "too-many-claims": (
            "coturn/0",
            {
                **databag("coturn", "1"),
                "claims": json.dumps(
                    [
                        {"port": f"{p}/tcp", "endpoint": "", "exposed": False, "source": "extra"}
                        for p in range(1, MAX_CLAIMS + 2)
                    ]
                ),
            },
        ),
        "not-strings": ("coturn/0", {**databag("coturn", "1"), "version": 1}),
        "not-a-mapping": ("coturn/0", "\x1b[31m"),
        "version-text": ("coturn/0", {**databag("coturn", "1"), "version": '"\\u001b[31m"'}),
    }
    for name, (unit, bag) in bad_bags.items():
        for fmt in ("table", "markdown"):
            dump = show_unit({**GOOD_UNITS, unit: bag})
            # the good units' conflict is still found, and the bad unit is named
            named = ("anbox-stream-agent/0", "anbox-stream-gateway-lb/0", "invalid-port", unit[:6])
            yield Case(
                f"show-unit-{name}-{fmt}",
                ("check", "{d}/dump.json", "--format", fmt),
                {"dump.json": dump},
                expect=frozenset({1}),
                says=named,
            )
    broken = json.loads(show_unit(GOOD_UNITS))
    broken["anbox-cloud-ports/0"]["relation-info"] = "\x1b[31m"
    yield Case(
        "show-unit-relation-info-text",
        ("check", "{d}/dump.json"),
        {"dump.json": json.dumps(broken)},
        expect=REFUSED,
    )


def _catalogs() -> Iterator[Case]:
    for i, text in enumerate(TEXTS):
        for fmt in FORMATS:
            yield Case(
                f"catalog-description-{i}-{fmt}",
                ("check", "{d}/b.yaml", "--catalog", "{d}/c.yaml", "--format", fmt),
                {"b.yaml": CONFLICT, "c.yaml": catalog_file(description=text)},
                expect=frozenset({1}),
            )
    for i, text in enumerate(TEXTS[:3]):
        yield Case(
            f"catalog-service-{i}",
            ("check", "{d}/b.yaml", "--catalog", "{d}/c.yaml"),
            {"b.yaml": CONFLICT, "c.yaml": catalog_file(service=text)},
            expect=frozenset({1}),
        )
    for i, name in enumerate(NAMES[:3]):
        yield Case(
            f"catalog-charm-{i}",
            ("check", "{d}/b.yaml", "--catalog", "{d}/c.yaml"),
            {"b.yaml": CONFLICT, "c.yaml": catalog_file(charms=json.dumps([name]))},
            expect=REFUSED,
        )
    ports = [f"{p}/tcp" for p in range(1, 65536)] + [f"{p}/udp" for p in range(1, 65536)]
    bomb = "services:\n" + "".join(
        f"  - service: s{i}\n    charms: [ams]\n    ports: {json.dumps(ports[i : i + 200])}\n"
        for i in range(0, len(ports), 200)
    )
    ten = bundle("  ams:\n    charm: ams\n    num_units: 20\n    to: [" + ", ".join(["'0'"] * 20) + "]\n")
    yield Case(
        "catalog-131k-ranges",
        ("check", "{d}/b.yaml", "--catalog", "{d}/c.yaml"),
        {"b.yaml": ten, "c.yaml": bomb},
        expect=REFUSED,
        says="ports and ranges",
    )
    for i, name in enumerate(("cat\nalog.yaml", "cat\x1b[8malog.yaml")):
        yield Case(
            f"catalog-file-name-{i}",
            ("check", "{d}/b.yaml", "--catalog", "{d}/" + name, "--format", "markdown"),
            {"b.yaml": CONFLICT, name: catalog_file(description=TEXTS[0])},
            expect=frozenset({1}),
        )
    yield Case(
        "catalog-description-too-long",
        ("check", "--catalog", "{d}/c.yaml"),
        {"c.yaml": catalog_file(description="\x1b" * 300)},
        expect=REFUSED,
    )
    yield Case(
        "catalog-not-a-mapping",
        ("check", "--catalog", "{d}/c.yaml"),
        {"c.yaml": "- \x1b[31m\n"},
        expect=REFUSED,
    )
    yield Case(
        "catalog-appliance",
        ("check", "--profile", "appliance", "--catalog", "{d}/c.yaml", "--format", "markdown"),
        {
            "c.yaml": catalog_file(description=TEXTS[2]).replace(
                'charms: ["evil"]', 'charms: ["evil"]\n    profile: appliance'
            )
        },
        expect=JUDGED,
    )


def _arguments() -> Iterator[Case]:
    for i, value in enumerate(("10.0.0.0/8\n\x1b[31mx", "\x1b]0;t\x07", "10.0.0.0/8\x1b[0m")):
        yield Case(f"firewall-internal-text-{i}", ("firewall", "--internal", value), expect=REFUSED)
    # whitespace around a network is trimmed (U+2028 is whitespace to Python); what is printed is the network
    yield Case(
        "firewall-internal-separator", ("firewall", "--internal", "10.0.0.0/8\u2028"), expect=frozenset({0})
    )
    yield Case(
        "firewall-split-v4",
        ("firewall", "--internal", "0.0.0.0/1", "--internal", "128.0.0.0/1"),
        expect=REFUSED,
        says="public",
    )
    yield Case(
        "firewall-split-v4-flag",
        ("firewall", "--internal", "0.0.0.0/1", "--internal", "128.0.0.0/1", "--allow-public-internal"),
        expect=REFUSED,
        says="every IPv4 address",
    )
    yield Case(
        "firewall-split-v6-flag",
        ("firewall", "--internal", "::/1", "--internal", "8000::/1", "--allow-public-internal"),
        expect=REFUSED,
        says="every IPv6 address",
    )
    yield Case(
        "firewall-public",
        ("firewall", "--internal", "8.8.8.0/24"),
        expect=REFUSED,
        says="--allow-public-internal",
    )
    yield Case(
        "firewall-public-flag",
        ("firewall", "--internal", "8.8.8.0/24", "--allow-public-internal"),
        expect=frozenset({0}),
    )
    for i, value in enumerate(("coturn\n\x1b[31m", "<img src=x>")):
        yield Case(f"firewall-service-{i}", ("firewall", "--service", value), expect=REFUSED)
        yield Case(f"preflight-service-{i}", ("preflight", "--service", value), expect=REFUSED)
    for i, value in enumerate(("8444/tcp=my\x1b[31mservice", "8444/tcp\n=x", "70000/tcp=x")):
        yield Case(f"claim-{i}", ("check", "--profile", "appliance", "--claim", value), expect=ANY)
    claims = (
        f"claims:\n  {y('my' + chr(27) + '[8mservice')}: 8444/tcp\n  {y('ok')}: {y('9000/udp' + chr(10))}\n"
    )
    yield Case(
        "claims-file",
        ("check", "--profile", "appliance", "--claims", "{d}/c.yaml", "--format", "markdown"),
        {"c.yaml": claims},
        expect=ANY,
    )
    for i, argv in enumerate(
        (
            ("check", "--format", "\x1b[8m"),
            ("check", "--profile", "app\nliance"),
            ("check", "--juju", "\x9b3"),
            ("fr\x1bobnicate",),
            ("check", "--bogus\x1b[31m", "x\ny"),
            ("check", "{d}/no\nsuch\x1b[2Jfile"),
            ("check", "{d}"),
        )
    ):
        yield Case(f"argv-{i}", argv, expect=REFUSED)
    yield Case("stdin-junk", ("check", "-"), stdin=bytes(range(256)) * 64, expect=REFUSED)
    yield Case(
        "stdin-hostile-bundle",
        ("check", "-", "--format", "markdown"),
        stdin=CONFLICT.replace("evil", "ev\u202eil").encode(),
        expect=REFUSED,
    )
    yield Case(
        "stdin-status",
        ("check", "-"),
        stdin=status({"ams": status_app({"ams/0": {"machine": "0", "open-ports": [TEXTS[0]]}})}).encode(),
        expect=JUDGED,
    )
    yield Case(
        "file-name-not-utf8", ("check", "{d}/b\udcff\x1b.yaml"), {"b\udcff\x1b.yaml": CONFLICT}, expect=JUDGED
    )
    yield Case(
        "file-name-escape-markdown",
        ("check", "{d}/b` [x](evil.example) <img src=x> \x1b[8m.yaml", "--format", "markdown"),
        {"b` [x](evil.example) <img src=x> \x1b[8m.yaml": CONFLICT},
        expect=JUDGED,
    )
    yield Case(
        "file-name-escape-sarif",
        ("check", "{d}/b [x](1)\n.yaml", "--format", "sarif"),
        {"b [x](1)\n.yaml": CONFLICT},
        expect=JUDGED,
    )


def _terraform_module(key: str, *, on_machine: bool = False) -> str:
    """A root module where a colliding application (or its machine) has a hostile for_each key."""
    from anbox_cloud_ports.text import hcl_string

    each = f"  for_each = toset([{hcl_string(key)}])\n"
    return (
        'resource "juju_model" "m" {\n  name = "m"\n}\n'
        f'resource "juju_machine" "n" {{\n{each if on_machine else ""}  model_uuid = juju_model.m.uuid\n}}\n'
        + "".join(
            f'resource "juju_application" "{name}" {{\n{each if name == "lb" and not on_machine else ""}'
            f'  name = "{name}"\n  model_uuid = juju_model.m.uuid\n  charm {{\n    name = "{charm}"\n  }}\n'
            f"  machines = {'values(juju_machine.n)[*].machine_id' if on_machine else '[juju_machine.n.machine_id]'}\n}}\n"
            for name, charm in (("agent", "anbox-stream-agent"), ("lb", "haproxy"))
        )
    )


def _fixes() -> Iterator[Case]:
    """`fix` writes code (HCL, YAML, shell): hostile text from input must stay in comments, escaped."""
    key = '\x1b]0;pwned\x07"${file("/etc/passwd")}\n# forged\u202e'
    yield Case(
        "fix-terraform-application-key", ("fix", "{d}"), {"main.tf": _terraform_module(key)}, expect=JUDGED
    )
    yield Case(
        "fix-terraform-machine-key",
        ("fix", "{d}"),
        {"main.tf": _terraform_module(key, on_machine=True)},
        expect=REFUSED,
        says="is not one Juju accepts",
    )
    yield Case(
        "fix-terraform-file-name",
        ("fix", "{d}"),
        {"a\x1b[8m\nb.tf": _terraform_module("a")},
        expect=JUDGED,
        says="\\x1b[8m\\nb.tf",
    )
    yield Case(
        "fix-bundle-file-name",
        ("fix", "{d}/b\x1b[2J\n.yaml"),
        {"b\x1b[2J\n.yaml": CONFLICT},
        expect=JUDGED,
    )
    yield Case(
        "fix-var-without-directory",
        ("fix", "{d}/b.yaml", "--var", "x=\x1b[31m"),
        {"b.yaml": CONFLICT},
        expect=REFUSED,
    )


def cases() -> list[Case]:
    found = [
        *_bundles(),
        *_yaml_bombs(),
        *_overlays(),
        *_statuses(),
        *_show_units(),
        *_catalogs(),
        *_arguments(),
        *_fixes(),
    ]
    ids = [c.id for c in found]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return found
