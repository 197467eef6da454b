"""The appliance as a Deployment: one host, a unit per service, exposure that means the table's column."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anbox_cloud_ports.catalog import Catalog, CatalogRow
from anbox_cloud_ports.errors import AnboxPortsError, InputError, PortRangeError
from anbox_cloud_ports.model import Claim, Deployment, Host
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources.appliance import (
    APPLIANCE_HOST,
    INTERNAL_ENDPOINT,
    PUBLIC_ENDPOINT,
    appliance_deployment,
    claims_from_data,
    parse_claim_arg,
)


def reachable(deployment: Deployment, claim: Claim) -> bool:
    """Juju's expose rule (docs/juju-facts.md#expose), written out independently of the engine.

    A rule for endpoint X exposes ports opened for X and for all endpoints (""); a wildcard rule ("")
    exposes every opened port.
    """
    unit = deployment.unit_map()[claim.unit]
    exposed = deployment.applications[unit.application].exposed
    if not exposed:
        return False
    return "" in exposed or claim.endpoint in exposed or claim.endpoint == ""


def test_every_appliance_row_is_claimed_once_by_its_service_on_one_host():
    d = appliance_deployment()
    assert d.profile == "appliance"
    assert d.input == "appliance"
    assert d.hosts() == (APPLIANCE_HOST,)
    assert [u.name for u in d.units] == [
        "ams-node-controller/0",
        "coturn/0",
        "ui-and-api/0",
        "ams/0",
        "nats/0",
        "anbox-stream-gateway/0",
        "anbox-stream-agent/0",
        "anbox-cloud-dashboard/0",
    ]
    assert all(u.charm == u.application == u.name.split("/")[0] for u in d.units)
    expected = [
        (f"{row.charms[0]}/0", port) for row in Catalog.builtin().profile("appliance") for port in row.claims
    ]
    assert [(c.unit, c.port) for c in d.claims] == expected
    assert all(c.origin == "catalog" and c.row is not None for c in d.claims)
    assert [str(c.port) for c in d.claims] == [
        "10000-11000/udp",
        "10000-11000/tcp",
        "5349/udp",
        "60000-60100/udp",
        "443/tcp",
        "8444/tcp",
        "4004/tcp",
        "9031/tcp",
        "9033/tcp",
        "5000/tcp",
    ]


def test_exposure_reaches_exactly_the_rows_marked_exposed_externally():
    d = appliance_deployment()
    for claim in d.claims:
        assert claim.row is not None
        assert reachable(d, claim) is claim.row.exposed, claim
        assert claim.endpoint == (PUBLIC_ENDPOINT if claim.row.exposed else INTERNAL_ENDPOINT)
    # No wildcard expose anywhere: it would publish AMS's 8444 the moment it met an unnamed endpoint.
    assert all("" not in app.exposed for app in d.applications.values())
    assert {name for name, app in d.applications.items() if app.exposed} == {
        "ams-node-controller",
        "coturn",
        "ui-and-api",
    }


def test_extra_claims_become_unexposed_units_on_the_same_host():
    extra = [
        parse_claim_arg("8444/tcp=my-service"),
        parse_claim_arg("9100=my-service"),
        (PortRange.parse("53/udp"), "dns"),
    ]
    d = appliance_deployment(extra=extra, input="claims.yaml")
    assert d.input == "claims.yaml"
    assert d.hosts() == (APPLIANCE_HOST,)
    units = d.unit_map()
    assert units["my-service/0"].host == APPLIANCE_HOST
    assert units["dns/0"].charm == "dns"
    mine = [(c.unit, str(c.port), c.endpoint, c.origin) for c in d.claims if c.origin == "declared"]
    assert mine == [
        ("my-service/0", "8444/tcp", "", "declared"),
        ("my-service/0", "9100/tcp", "", "declared"),
        ("dns/0", "53/udp", "", "declared"),
    ]
    assert not d.applications["my-service"].exposed
    assert all(not reachable(d, c) for c in d.claims if c.origin == "declared")


def test_one_services_claims_are_merged():
    extra = [parse_claim_arg(x) for x in ("9100=a", "9100=a", "9000-9200=a", "9201=a", "9300/udp=a")]
    d = appliance_deployment(extra=extra)
    assert [str(c.port) for c in d.claims if c.unit == "a/0"] == ["9000-9201/tcp", "9300/udp"]


def test_host_can_be_named():
    d = appliance_deployment(host=Host("localhost"))
    assert d.hosts() == (Host("localhost"),)


def test_extra_claim_may_not_borrow_an_appliance_service_name():
    with pytest.raises(InputError, match=r'"coturn" is an appliance service'):
        appliance_deployment(extra=[(PortRange.parse("5349/udp"), "coturn")], input="--claim")


def test_extended_catalog_rows_are_included():
    row = CatalogRow("appliance", "Node exporter", ("node-exporter",), "9100", "TCP", False, "no", "Metrics")
    d = appliance_deployment(Catalog.builtin().extend([row]))
    assert "node-exporter/0" in d.unit_map()
    assert [c.endpoint for c in d.claims if c.unit == "node-exporter/0"] == [INTERNAL_ENDPOINT]


# -- --claim PORT=NAME ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "port", "name"),
    [
        ("8444/tcp=my-service", "8444/tcp", "my-service"),
        ("8444=my-service", "8444/tcp", "my-service"),
        ("60000-60100/UDP=relay", "60000-60100/udp", "relay"),
        (" 5000 = node_exporter ", "5000/tcp", "node_exporter"),
        ("443=Nginx.1", "443/tcp", "Nginx.1"),
    ],
)
def test_parse_claim_arg(text: str, port: str, name: str):
    assert parse_claim_arg(text) == (PortRange.parse(port), name)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("8444", InputError, r'--claim: "8444" is not PORT=NAME \(e.g. 8444/tcp=my-service\)'),
        ("8444=a=b", InputError, "is not PORT=NAME"),
        ("8444/tcp=", InputError, 'service name "" must be'),
        ("8444/tcp=my service", InputError, 'service name "my service" must be'),
        ("8444/tcp=a/0", InputError, 'service name "a/0" must be'),
        ("8444/tcp=-x", InputError, 'service name "-x" must be'),
        ("=svc", PortRangeError, 'invalid port range ""'),
        ("99999=svc", PortRangeError, "port range bounds must be between 0 and 65535, got 99999-99999"),
        ("80/sctp=svc", PortRangeError, 'invalid protocol "sctp"'),
        ("20-10=svc", PortRangeError, "invalid port range 20-10/tcp"),
        ("icmp=svc", InputError, "needs a tcp or udp port, not icmp"),
        ("ICMP/udp=svc", InputError, "needs a tcp or udp port, not icmp"),  # open-port lower-cases it
        # Juju would open 0/tcp (docs/juju-facts.md#port-syntax); a listener on 0 gets any free port.
        ("0/tcp=svc", InputError, '"0/tcp": port 0 is not a port a service can be reached on'),
    ],
)
def test_parse_claim_arg_rejects_junk(text: str, error: type[Exception], message: str):
    with pytest.raises(error, match=message) as caught:
        parse_claim_arg(text)
    assert isinstance(caught.value, AnboxPortsError)
    assert "\n" not in str(caught.value)


@given(
    port=st.integers(1, 65535),
    width=st.integers(0, 100),
    protocol=st.sampled_from(["tcp", "udp"]),
    name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", fullmatch=True),
)
def test_parse_claim_arg_round_trips(port: int, width: int, protocol: str, name: str):
    rng = PortRange(protocol, port, min(port + width, 65535))  # type: ignore[arg-type]
    assert parse_claim_arg(f"{rng}={name}") == (rng, name)


@given(st.text(max_size=60))
def test_parse_claim_arg_only_raises_library_errors(text: str):
    error: AnboxPortsError | None = None
    try:
        port, name = parse_claim_arg(text)
    except AnboxPortsError as err:
        error = err
    else:
        assert port.protocol in ("tcp", "udp")
        assert "/" not in name
    # One line, whatever the input held: the CLI prints it as is.
    assert error is None or "\n" not in str(error)


# -- the claims file ---------------------------------------------------------------------------


def test_claims_file_mapping_form():
    data = {"claims": {"my-service": "8444/tcp", "exporter": [9100, "9000-9100/udp"]}}
    assert claims_from_data(data, "claims.yaml") == [
        (PortRange.parse("8444/tcp"), "my-service"),
        (PortRange.parse("9100/tcp"), "exporter"),
        (PortRange.parse("9000-9100/udp"), "exporter"),
    ]


def test_claims_file_list_form_is_the_flag_syntax():
    data = {"claims": ["8444/tcp=my-service", "9100=exporter"]}
    assert claims_from_data(data, "claims.yaml") == [
        (PortRange.parse("8444/tcp"), "my-service"),
        (PortRange.parse("9100/tcp"), "exporter"),
    ]


def test_claims_file_may_be_empty():
    assert claims_from_data({"claims": {}}, "c.yaml") == []
    assert claims_from_data({"claims": []}, "c.yaml") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "c.yaml: expected a mapping with one key, claims"),
        (["8444=x"], "c.yaml: expected a mapping with one key, claims"),
        ({"claim": {}}, "c.yaml: expected a mapping with one key, claims"),
        ({"claims": {}, "extra": 1}, "c.yaml: expected a mapping with one key, claims"),
        (
            {"claims": "8444=x"},
            "c.yaml: claims: claims must map service names to ports, or list PORT=NAME strings",
        ),
        ({"claims": {"svc": []}}, "c.yaml: claims.svc: lists no ports"),
        (
            {"claims": {"svc": True}},
            'c.yaml: claims.svc: "True" is not a port (e.g. 8444/tcp or 60000-60100/udp)',
        ),
        ({"claims": {"svc": [80, None]}}, 'c.yaml: claims.svc[1]: "None" is not a port'),
        (
            {"claims": {"svc": "80/xyz"}},
            'c.yaml: claims.svc: invalid port range "80/xyz": invalid protocol "xyz"',
        ),
        ({"claims": {1: "80"}}, 'c.yaml: claims: service name "1" is not a string'),
        ({"claims": {"bad name": "80"}}, 'c.yaml: claims.bad name: service name "bad name" must be'),
        ({"claims": ["8444"]}, 'c.yaml: claims[0]: "8444" is not PORT=NAME'),
        ({"claims": [8444]}, 'c.yaml: claims[0]: "8444" is not PORT=NAME'),
        (
            {"claims": ["70000=x"]},
            'c.yaml: claims[0]: invalid port range "70000": port range bounds must be between 0 and 65535',
        ),
        ({"claims": ["icmp=x"]}, 'c.yaml: claims[0]: "icmp": a claim needs a tcp or udp port, not icmp'),
    ],
)
def test_claims_file_rejects_bad_structure(data: object, message: str):
    with pytest.raises(InputError) as caught:
        claims_from_data(data, "c.yaml")
    assert str(caught.value).startswith(message)


def test_engine_judges_the_appliance_clean_and_an_extra_claim_a_conflict():
    checks = pytest.importorskip(
        "anbox_cloud_ports.checks", reason="the engine (checks.py) is not in this tree yet"
    )
    clean = checks.check(appliance_deployment())
    assert [f for f in clean.findings if f.severity == "error"] == []
    assert not any(f.rule == "internal-port-exposed" for f in clean.findings)
    clash = checks.check(appliance_deployment(extra=[parse_claim_arg("8444/tcp=my-service")]))
    conflicts = [f for f in clash.findings if f.rule == "port-conflict"]
    assert conflicts
    assert all(set(f.units) >= {"ams/0", "my-service/0"} for f in conflicts)


def test_claims_file_error_for_a_huge_name_stays_short():
    with pytest.raises(InputError) as caught:
        claims_from_data({"claims": {"x" * 10_000: "80"}}, "c.yaml")
    assert len(str(caught.value)) < 250
