"""The catalog is the seed, row by row: parsed from the seed file here, never copied into the test."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from anbox_cloud_ports.catalog import PROFILE_HEADINGS, Catalog
from anbox_cloud_ports.cli import main
from anbox_cloud_ports.ports import PortRange

DATA = Path(__file__).parent / "data"
SEED = DATA / "network-ports.md"
# The spec as the project's shared folder holds it (present in development and CI checkouts).
SHARED_SEED = Path(__file__).parents[3] / "shared" / "seed" / "network-ports.md"


def parse_markdown_tables(text: str) -> dict[str, list[list[str]]]:
    """Every pipe table under a `## heading`, as rows of stripped cells (header row first)."""
    tables: dict[str, list[list[str]]] = {}
    heading = None
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            continue
        if heading and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r"-+", c) for c in cells):
                continue
            tables.setdefault(heading, []).append(cells)
    return tables


def test_vendored_seed_is_the_shared_spec():
    if not SHARED_SEED.exists():
        pytest.skip(f"shared spec not beside this checkout ({SHARED_SEED})")
    assert SEED.read_text() == SHARED_SEED.read_text()


@pytest.mark.parametrize("profile", ["charmed", "appliance"])
def test_catalog_equals_seed_row_by_row(profile: str):
    seed = parse_markdown_tables(SEED.read_text())[PROFILE_HEADINGS[profile]]  # type: ignore[index]
    header, *rows = seed
    assert header == ["Service", "Port(s)", "Protocol", "Exposed externally", "Required", "Description"]
    catalog_rows = Catalog.builtin().profile(profile)  # type: ignore[arg-type]
    assert len(catalog_rows) == len(rows)
    for row, cells in zip(catalog_rows, rows, strict=True):
        service, ports, protocol, exposed, required, description = cells
        assert row.service == service
        assert row.ports == ports
        assert row.protocol == protocol
        assert row.exposed == (exposed == "yes")
        assert row.required_cell == required
        assert row.description == description
        # One claim per protocol of the cell, each the cell's ports.
        protocols = [p.strip().lower() for p in protocol.split("&")]
        assert [c.protocol for c in row.claims] == protocols
        lo, _, hi = ports.partition("-")
        assert all((c.start, c.end) == (int(lo), int(hi or lo)) for c in row.claims)


def test_conditional_requirement_keeps_its_condition():
    turn = [r for r in Catalog.builtin().for_charm("coturn") if r.ports == "50000-51000"]
    assert [(r.required, r.condition) for r in turn] == [("conditional", "unless TURN is required")]


def test_lookups_by_charm_and_profile():
    catalog = Catalog.builtin()
    assert [str(c) for r in catalog.for_charm("ams-lxd") for c in r.claims] == [
        "8443/tcp",
        "10000-11000/udp",
        "10000-11000/tcp",
    ]
    assert catalog.for_charm("lxd") == catalog.for_charm("ams-lxd")
    assert catalog.for_charm("charmed-etcd") == catalog.for_charm("etcd")
    assert [str(c) for r in catalog.for_charm("nats", "appliance") for c in r.claims] == ["4004/tcp"]
    assert catalog.for_charm("postgresql") == ()
    assert not catalog.knows("postgresql")
    assert catalog.row_for("haproxy", PortRange.parse("443/tcp")) is not None
    assert catalog.row_for("haproxy", PortRange.parse("8443/tcp")) is None
    assert set(catalog.charms()) == {
        "ams",
        "anbox-cloud-dashboard",
        "anbox-stream-agent",
        "anbox-stream-gateway",
        "coturn",
        "etcd",
        "charmed-etcd",
        "haproxy",
        "ams-lxd",
        "lxd",
        "nats",
    }


def test_config_options_move_ports():
    catalog = Catalog.builtin()
    options = {(o.charm, o.name, o.kind) for r in catalog.profile("charmed") for o in r.options}
    assert options == {
        ("ams", "port", "port"),
        ("ams", "prometheus_target_port", "port"),
        ("ams-lxd", "exposed_instance_ports", "range"),
        ("nats", "client-port", "port"),
    }
    lxd = catalog.row_for("ams-lxd", PortRange.parse("10000-11000/udp"))
    assert lxd is not None
    option = lxd.option_for("ams-lxd")
    assert option is not None
    assert str(option.parse("20000-20100", "udp")) == "20000-20100/udp"
    assert lxd.option_for("lxd") is None


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_markdown_rendering_reproduces_the_seed_tables():
    code, out, err = run_cli("catalog", "--format", "markdown")
    assert (code, err) == (0, "")
    assert parse_markdown_tables(out) == parse_markdown_tables(SEED.read_text())
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings == ["## Anbox Cloud", "## Anbox Cloud Appliance"]


def test_markdown_per_profile():
    _, out, _ = run_cli("catalog", "--profile", "appliance")
    assert list(parse_markdown_tables(out)) == ["Anbox Cloud Appliance"]


def test_json_is_a_list_of_rows_with_stable_keys():
    code, out, _ = run_cli("catalog", "--format", "json", "--profile", "charmed")
    rows = json.loads(out)
    assert code == 0
    assert len(rows) == 15
    assert {tuple(r) for r in rows} == {
        (
            "profile",
            "service",
            "charms",
            "ports",
            "protocol",
            "claims",
            "exposed",
            "required",
            "condition",
            "description",
            "options",
        )
    }
    lxd = next(r for r in rows if r["ports"] == "10000-11000")
    assert lxd["claims"] == ["10000-11000/udp", "10000-11000/tcp"]
    assert lxd["charms"] == ["ams-lxd", "lxd"]


def test_table_fits_eighty_columns():
    _, out, _ = run_cli("catalog", "--format", "table")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "50000-51000/udp" in out


def test_bad_arguments_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]):
    assert main(["catalog", "--format", "yaml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "invalid choice: 'yaml'" in err


def test_companion_charms_are_known_by_what_their_sources_say():
    catalog = Catalog.builtin()
    for charm in ("self-signed-certificates", "grafana-agent", "opentelemetry-collector", "charmed-etcd"):
        assert catalog.knows(charm)
        assert not catalog.opens_ports(charm)
    assert catalog.opens_ports("etcd")  # the reactive etcd charm calls open-port
    assert [
        f.charm
        for f in map(catalog.facts, ("grafana-agent", "opentelemetry-collector"))
        if f and f.subordinate
    ] == [
        "grafana-agent",
        "opentelemetry-collector",
    ]
    haproxy = catalog.facts("haproxy")
    assert haproxy is not None
    assert haproxy.services is not None
    assert (haproxy.services.name, haproxy.services.port_key) == ("services", "service_port")
    assert catalog.facts("haproxy", "appliance") is None
    assert catalog.extend([]).facts("haproxy") == haproxy


# -- options: what moves a row, and who is blamed ---------------------------------------------------


def _row(charm: str, port: str):
    return next(r for r in Catalog.builtin().for_charm(charm) if PortRange.parse(port) in r.claims)


def test_an_option_at_the_catalog_port_is_not_blamed() -> None:
    # Juju hands the charm every option with its default: ams sees port=8444 on every hook.
    juju_config = {"port": 8444, "prometheus_target_port": 20002, "port_range": "10000-11000"}
    api = _row("ams", "8444/tcp")
    assert api.claims_for("ams", juju_config) == [(PortRange.parse("8444/tcp"), None)]
    assert api.claims_for("ams", {"port": "8444"}) == [(PortRange.parse("8444/tcp"), None)]
    assert api.claims_for("ams", {**juju_config, "port": 9444}) == [(PortRange.parse("9444/tcp"), "port")]


def test_bind_gives_a_charms_own_option_to_a_row() -> None:
    from anbox_cloud_ports.catalog import ConfigOption

    relay = ConfigOption("coturn", "turn-port-range", "range", "50000-51000")
    catalog = Catalog.builtin().bind(relay, PortRange.parse("50000-51000/udp"))
    row = next(r for r in catalog.for_charm("coturn") if r.description == "TURN relay ports")
    assert row.option_for("coturn") == relay
    assert row.claims_for("coturn", {"turn-port-range": "40000-41000"}) == [
        (PortRange.parse("40000-41000/udp"), "turn-port-range")
    ]
    assert row.claims_for("coturn", {"turn-port-range": "50000-51000"}) == [
        (PortRange.parse("50000-51000/udp"), None)
    ]
    assert catalog.options_for("coturn") == (relay,)
    # The built-in catalog is untouched, and other rows keep their options.
    assert Catalog.builtin().options_for("coturn") == ()
    assert [o.name for o in catalog.options_for("ams")] == ["port", "prometheus_target_port", "port_range"]


def test_bind_replaces_the_charms_builtin_option_on_that_row_only() -> None:
    from anbox_cloud_ports.catalog import ConfigOption

    api_port = ConfigOption("ams", "api-port", "port", 8444)
    catalog = Catalog.builtin().bind(api_port, PortRange.parse("8444/tcp"))
    assert [o.name for o in catalog.options_for("ams")] == [
        "api-port",
        "prometheus_target_port",
        "port_range",
    ]


def test_a_charm_default_off_the_catalog_is_named_at_its_default() -> None:
    from anbox_cloud_ports.catalog import ConfigOption

    relay = ConfigOption("coturn", "relay-ports", "range", "49152-65535")
    catalog = Catalog.builtin().bind(relay, PortRange.parse("50000-51000/udp"))
    row = next(r for r in catalog.for_charm("coturn") if r.description == "TURN relay ports")
    assert row.claims_for("coturn", {"relay-ports": "49152-65535"}) == [
        (PortRange.parse("49152-65535/udp"), "relay-ports")
    ]


@pytest.mark.parametrize(
    ("option", "port", "message"),
    [
        (
            ("coturn", "relay", "range", "1-2"),
            "3478/udp",
            "coturn has no charmed catalog row claiming 3478/udp",
        ),
        (("coturn", "relay", "port", 50000), "50000-51000/udp", "a range needs a range option"),
    ],
)
def test_bind_refuses_what_cannot_hold_the_row(option: tuple[Any, ...], port: str, message: str) -> None:
    from anbox_cloud_ports.catalog import ConfigOption

    with pytest.raises(ValueError, match=message):
        Catalog.builtin().bind(ConfigOption(*option), PortRange.parse(port))


def test_whether_a_charm_is_a_subordinate():
    """docs/juju-facts.md#subordinate-charms: known subordinates by name, catalog charms are
    principals, and nothing is said of the rest."""
    catalog = Catalog.builtin()
    assert all(catalog.subordinate(charm) is False for charm in catalog.charms("charmed"))
    for charm in ("telegraf", "grafana-agent", "nrpe", "ntp", "filebeat", "landscape-client"):
        assert catalog.subordinate(charm) is True
    assert catalog.subordinate("opentelemetry-collector") is True
    assert catalog.subordinate("ubuntu-advantage") is True
    assert catalog.subordinate("postgresql") is None
