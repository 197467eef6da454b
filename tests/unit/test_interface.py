"""The anbox_ports relation: the databag codec, related units -> Deployment, and the ops adapters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ops
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ops import testing

from anbox_cloud_ports.catalog import Catalog, Profile
from anbox_cloud_ports.charm.interface import PortsProvider, PortsRequirer
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.databag import (
    KEYS,
    MAX_CLAIMS,
    MAX_FIELD_CHARS,
    DecodedUnit,
    PublishedClaim,
    UnitDataError,
    decode_unit,
    encode_provider,
)
from anbox_cloud_ports.model import Host
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources.relation import deployment_from_units, model_labels

MODEL_A = "0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"
MODEL_B = "7c3d9e2f-1a4b-4c5d-8e6f-9a0b1c2d3e4f"
JUJU_KEYS = {"ingress-address": "10.1.2.3", "egress-subnets": "10.1.2.3/32", "private-address": "10.1.2.3"}


def claim(
    port: str, endpoint: str = "", *, exposed: bool = False, origin: str = "default", held: bool | None = None
) -> PublishedClaim:
    return PublishedClaim(PortRange.parse(port), endpoint, exposed, origin, held)


AMS_CLAIMS = (claim("8444/tcp"), claim("20002/tcp"))
LXD_CLAIMS = (
    claim("8443/tcp"),
    claim("10000-11000/tcp", "instances", exposed=True),
    claim("10000-11000/udp", "instances", exposed=True),
)


def databag(
    service: str = "ams",
    claims: tuple[PublishedClaim, ...] = AMS_CLAIMS,
    *,
    machine: str = "1",
    model: str = MODEL_A,
    profile: Profile = "charmed",
) -> dict[str, str]:
    return {**JUJU_KEYS, **encode_provider(service, profile, model, machine, claims)}


def error_of(result: DecodedUnit | UnitDataError) -> UnitDataError:
    assert isinstance(result, UnitDataError), result
    return result


# -- encode / decode ---------------------------------------------------------------------------------


def test_encoded_databag_is_strings_of_json_in_a_fixed_shape():
    data = encode_provider("ams-lxd", "charmed", MODEL_A, "1/lxd/0", LXD_CLAIMS)
    assert tuple(data) == KEYS
    assert data["version"] == "1"
    assert data["service"] == '"ams-lxd"'
    assert data["machine"] == '"1/lxd/0"'
    assert json.loads(data["claims"])[0] == {
        "endpoint": "",
        "exposed": False,
        "port": "8443/tcp",
        "source": "default",
    }


def test_encoding_is_canonical_so_unchanged_claims_write_nothing():
    forwards = encode_provider("ams", "charmed", MODEL_A, "0", AMS_CLAIMS)
    backwards = encode_provider("ams", "charmed", MODEL_A, "0", (*reversed(AMS_CLAIMS), AMS_CLAIMS[0]))
    assert forwards == backwards


def test_round_trip_ignores_juju_and_unknown_keys():
    bag = {**databag("ams-lxd", LXD_CLAIMS, machine="1/lxd/0"), "claims-v2": "[anything]", "note": "x"}
    unit = decode_unit("lxd/0", bag, app="lxd")
    assert isinstance(unit, DecodedUnit)
    assert (unit.unit, unit.app, unit.service, unit.machine, unit.model) == (
        "lxd/0",
        "lxd",
        "ams-lxd",
        "1/lxd/0",
        MODEL_A,
    )
    assert unit.claims == tuple(sorted(LXD_CLAIMS))


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("Not A Charm", "charmed", MODEL_A, "0", AMS_CLAIMS), "service"),
        (("ams", "charmed", "not-a-uuid", "0", AMS_CLAIMS), "model"),
        (("ams", "charmed", MODEL_A, "zero", AMS_CLAIMS), "machine"),
        (("ams", "charmed", MODEL_A, "0", (claim("80/tcp", "Bad Endpoint"),)), "endpoint"),
        (("ams", "charmed", MODEL_A, "0", (claim("80/tcp", origin="because"),)), "source"),
        (
            ("ams", "charmed", MODEL_A, "0", tuple(claim(f"{p}/tcp") for p in range(1, MAX_CLAIMS + 2))),
            "claims",
        ),
    ],
)
def test_encode_refuses_what_a_requirer_would_refuse(args: tuple[Any, ...], problem: str):
    with pytest.raises(ValueError, match=problem):
        encode_provider(*args)


def test_the_largest_valid_claim_list_fits_the_field_limit():
    longest = "e" * 64
    claims = tuple(
        PublishedClaim(
            PortRange.parse(f"{p}-{p + 1}/udp"),
            longest,
            True,
            f"option:{longest}",
            held=False,
            moved_from=PortRange.parse("10000-11000/udp"),
        )
        for p in range(60000, 61000)
    )
    data = encode_provider("ams", "charmed", MODEL_A, "0", claims)
    assert len(data["claims"]) <= MAX_FIELD_CHARS
    result = decode_unit("ams/0", data, app="ams")
    assert isinstance(result, DecodedUnit)
    assert len(result.claims) == MAX_CLAIMS


GOOD = databag()
_CLAIM = {"endpoint": "", "exposed": False, "port": "8444/tcp", "source": "default"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"claims": None}, "missing claims"),
        ({"service": None, "machine": None}, "missing service, machine"),
        ({"claims": "not json"}, "claims: Invalid JSON"),
        (
            {"claims": json.dumps([{**_CLAIM, "port": "80/tcp; rm -rf /"}])},
            'claims[0].port: invalid port range "80/tcp; rm -rf /"',
        ),
        (
            {"claims": json.dumps([{**_CLAIM, "port": 8444}])},
            "claims[0].port: Input should be a valid string",
        ),
        (
            {"claims": json.dumps([{**_CLAIM, "exposed": "yes"}])},
            "claims[0].exposed: Input should be a valid boolean",
        ),
        (
            # A misspelt required field is refused (the real one is missing); unknown fields are not.
            {
                "claims": json.dumps(
                    [{k: v for k, v in {**_CLAIM, "endpiont": "api"}.items() if k != "endpoint"}]
                )
            },
            "claims[0].endpoint: Field required",
        ),
        (
            {"claims": json.dumps([{**_CLAIM, "held": "yes"}])},
            "claims[0].held: Input should be a valid boolean",
        ),
        (
            {"claims": json.dumps([{**_CLAIM, "moved_from": "8444/tcp --endpoints x"}])},
            'claims[0].moved_from: invalid port range "8444/tcp --endpoints x"',
        ),
        ({"claims": json.dumps([{**_CLAIM, "port": "70000/tcp"}])}, "bounds must be between 0 and 65535"),
        ({"claims": json.dumps({"port": "80"})}, "claims: Input should be a valid list"),
        ({"claims": json.dumps([_CLAIM] * 10_000)}, f"more than the {MAX_FIELD_CHARS} allowed"),
        ({"claims": json.dumps([{}] * (MAX_CLAIMS + 1))}, f"more than the {MAX_CLAIMS} claims allowed"),
        ({"claims": "[" * 50_000 + "]" * 10_000}, "claims: "),
        ({"service": '"' + "a" * 1_000_000 + '"'}, "service: 1000002 characters long"),
        ({"version": "0"}, "unknown anbox_ports version 0"),
        ({"version": '"one"'}, "version: Input should be a valid integer"),
        ({"version": "1.5"}, "version: Input should be a valid integer"),
        ({"version": "9" * 5000}, "version: "),
        ({"profile": '"desktop"'}, "profile: Input should be 'charmed' or 'appliance'"),
        ({"model": '"../../etc"'}, 'model: "../../etc" is not a model uuid'),
        ({"machine": '"0\\n1"'}, 'machine: "0\\n1" is not a Juju machine id'),
        ({"machine": "0"}, "machine: Input should be a valid string"),
        ({"service": "ams"}, "service: Invalid JSON"),
    ],
)
def test_each_kind_of_bad_data_is_one_typed_line(change: dict[str, str | None], expected: str):
    bag = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    err = error_of(decode_unit("ams/0", bag, app="ams"))
    message = str(err)
    assert message.startswith("unit ams/0: ")
    assert expected in message
    assert "\n" not in message
    assert len(message) < 500
    assert not err.missing


def test_optional_claim_fields_round_trip_and_unknown_ones_are_ignored():
    relay = PublishedClaim(
        PortRange.parse("40000-41000/udp"),
        "public",
        True,
        "option:turn-port-range",
        held=False,
        moved_from=PortRange.parse("50000-51000/udp"),
    )
    data = encode_provider("coturn", "charmed", MODEL_A, "0", [relay, claim("5349/tcp", held=True)])
    assert json.loads(data["claims"])[1] == {
        "endpoint": "public",
        "exposed": True,
        "held": False,
        "moved_from": "50000-51000/udp",
        "port": "40000-41000/udp",
        "source": "option:turn-port-range",
    }
    decoded = decode_unit("coturn/0", data, app="coturn")
    assert isinstance(decoded, DecodedUnit)
    assert relay in decoded.claims
    # A later writer's new claim field (additive evolution) is ignored, not refused.
    newer = json.loads(data["claims"])
    newer[0]["priority"] = {"nested": [1, 2]}
    later = decode_unit("coturn/0", {**data, "claims": json.dumps(newer)}, app="coturn")
    assert isinstance(later, DecodedUnit)
    assert later.claims == decoded.claims
    # A v1 writer that says nothing of them: unknown (None), not false.
    assert decode_unit("ams/0", GOOD, app="ams").claims[0].held is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("port", "read"), [("0/tcp", "0/tcp"), ("icmp/tcp", "icmp"), ("80/TCP", "80/tcp")])
def test_claims_are_read_as_juju_reads_a_port_range(port: str, read: str):
    """A claim's port is Juju's syntax (docs/juju-facts.md#port-syntax, ParsePortRange): what Juju
    reads is read, port 0 included, since a provider publishes what its unit holds."""
    bag = databag(claims=(claim("8444/tcp"),))
    bag["claims"] = json.dumps([{"endpoint": "", "exposed": False, "port": port, "source": "extra"}])
    decoded = decode_unit("ams/0", bag, app="ams")
    assert isinstance(decoded, DecodedUnit), decoded
    assert [str(c.port) for c in decoded.claims] == [read]


def test_a_newer_provider_without_v1_keys_says_so():
    err = error_of(decode_unit("ams/0", {"version": "2", "claims-v2": "[]"}, app="ams"))
    assert "version 2 without the version 1 keys" in str(err)


def test_a_unit_that_has_not_published_is_missing_not_invalid():
    err = error_of(decode_unit("ams/0", dict(JUJU_KEYS), app="ams"))
    assert err.missing
    assert str(err) == "unit ams/0: has published no anbox_ports data yet"


@pytest.mark.parametrize(
    ("name", "bag", "expected"),
    [
        ("ams/0", ["not", "a", "mapping"], "relation data is a list, not a mapping"),
        ("ams/0", {**GOOD, "version": 1}, "version: holds a value of type int, not a string"),
        ("ams/0\nINJECTED", GOOD, 'unit "ams/0\\nINJECTED": not a Juju unit name'),
        ("x" * 300, GOOD, "not a Juju unit name"),
    ],
)
def test_structural_junk_is_refused_with_a_bounded_message(name: str, bag: Any, expected: str):
    message = str(error_of(decode_unit(name, bag, app="ams")))
    assert expected in message
    assert "\n" not in message
    assert len(message) < 200


_KEY = st.one_of(st.sampled_from(KEYS), st.text(max_size=20))
_JSONISH = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ['"ams"', "1", "2", '"charmed"', f'"{MODEL_A}"', '"0/lxd/1"', "[]", "{}", "null", "true"]
    ),
    st.lists(
        st.fixed_dictionaries(
            {
                "port": st.one_of(st.text(max_size=12), st.sampled_from(["80/tcp", "icmp", "1-65535/udp"])),
                "endpoint": st.one_of(st.text(max_size=8), st.just("")),
                "exposed": st.one_of(st.booleans(), st.integers()),
                "source": st.sampled_from(["default", "extra", "option:port", "x"]),
            }
        ),
        max_size=4,
    ).map(json.dumps),
)


@settings(max_examples=300, deadline=None)
@given(bag=st.dictionaries(_KEY, _JSONISH, max_size=10), base=st.booleans())
def test_random_databags_never_raise(bag: dict[str, str], base: bool):
    result = decode_unit("ams/0", {**(GOOD if base else {}), **bag}, app="ams")
    assert isinstance(result, DecodedUnit | UnitDataError)
    if isinstance(result, UnitDataError):
        assert "\n" not in str(result)


_CLAIMS = st.builds(
    PublishedClaim,
    port=st.one_of(
        st.just(PortRange.parse("icmp")),
        st.builds(
            lambda proto, a, b: PortRange(proto, min(a, b), max(a, b)),
            st.sampled_from(["tcp", "udp"]),
            st.integers(1, 65535),
            st.integers(1, 65535),
        ),
    ),
    endpoint=st.sampled_from(["", "api", "instances", "metrics-endpoint", "a_b"]),
    exposed=st.booleans(),
    origin=st.sampled_from(["default", "extra", "option:port", "option:exposed_instance_ports"]),
)


@settings(max_examples=100, deadline=None)
@given(claims=st.lists(_CLAIMS, max_size=30), machine=st.sampled_from(["", "0", "12/lxd/3", "0/kvm/1/lxd/2"]))
def test_round_trip_yields_the_same_claims(claims: list[PublishedClaim], machine: str):
    result = decode_unit("ams/7", encode_provider("ams", "appliance", MODEL_B, machine, claims), app="ams")
    assert isinstance(result, DecodedUnit)
    assert result.claims == tuple(sorted(set(claims)))
    assert (result.machine, result.model, result.profile) == (machine, MODEL_B, "appliance")


# -- related units -> Deployment ---------------------------------------------------------------------


def test_many_units_and_apps_become_hosts_units_and_claims():
    units = [
        ("ams/0", "ams", databag("ams", machine="1")),
        ("ams/1", "ams", databag("ams", machine="2")),
        ("lxd/0", "lxd", databag("ams-lxd", LXD_CLAIMS, machine="1/lxd/0")),
        ("lxd/1", "lxd", databag("ams-lxd", LXD_CLAIMS, machine="2/lxd/0")),
        ("nats/0", "nats", databag("nats", (claim("4222/tcp"),), machine="0", model=MODEL_B)),
    ]
    deployment = deployment_from_units(units, input="relation ports")
    assert deployment.input == "relation ports"
    assert deployment.observed
    assert not deployment.exposure_known
    assert deployment.problems == ()
    assert [u.name for u in deployment.units] == ["ams/0", "ams/1", "lxd/0", "lxd/1", "nats/0"]
    assert {name: app.charm for name, app in deployment.applications.items()} == {
        "ams": "ams",
        "lxd": "ams-lxd",
        "nats": "nats",
    }
    assert len(deployment.hosts()) == 5
    assert deployment.unit_map()["lxd/0"].host == Host("1/lxd/0", MODEL_A[:8])
    assert len(deployment.claims) == 2 + 2 + 3 + 3 + 1
    assert all(c.origin == "relation" for c in deployment.claims)
    catalog = Catalog.builtin()
    lxd_range = next(c for c in deployment.claims if c.unit == "lxd/0" and c.port.protocol == "udp")
    assert lxd_range.endpoint == "instances"
    assert lxd_range.row == catalog.row_for("ams-lxd", PortRange.parse("10000-11000/udp"))


def test_the_readers_own_model_is_not_named_and_the_others_are():
    units = [
        ("ams/0", "ams", databag("ams", machine="0", model=MODEL_A)),
        ("nats/0", "nats", databag("nats", (claim("4222/tcp"),), machine="0", model=MODEL_B)),
    ]
    deployment = deployment_from_units(units, input="relation ports", local_model=MODEL_A)
    assert deployment.hosts() == (Host("0", ""), Host("0", MODEL_B[:8]))
    assert [str(h) for h in deployment.hosts()] == ["machine 0", f"machine 0 of model {MODEL_B[:8]}"]
    # Every provider in another model than the reader's: that model is named.
    only_b = deployment_from_units(units[1:], input="relation ports", local_model=MODEL_A)
    assert only_b.hosts() == (Host("0", MODEL_B[:8]),)
    assert model_labels([MODEL_A], local=MODEL_A) == {MODEL_A: ""}


def test_a_claim_moved_by_an_option_the_reader_does_not_know_keeps_its_row():
    # A coturn charm binds its own `turn-port-range` option to the relay row and publishes where
    # the row came from, so the validator neither reports the row missing nor the range uncatalogued.
    relay = PublishedClaim(
        PortRange.parse("40000-41000/udp"),
        "public",
        True,
        "option:turn-port-range",
        held=True,
        moved_from=PortRange.parse("50000-51000/udp"),
    )
    claims = (claim("5349/tcp", "public", exposed=True), claim("5349/udp", "public", exposed=True), relay)
    deployment = deployment_from_units(
        [("coturn/0", "coturn", databag("coturn", claims))], input="relation ports"
    )
    moved = next(c for c in deployment.claims if c.port == relay.port)
    assert moved.row is not None
    assert moved.row.description == "TURN relay ports"
    assert (moved.option, moved.source, moved.held) == ("turn-port-range", "option:turn-port-range", True)
    assert [f.rule for f in check(deployment).findings] == []


def test_same_machine_id_in_two_models_is_two_hosts():
    units = [
        ("ams/0", "ams", databag("ams", machine="0", model=MODEL_A)),
        ("nats/0", "nats", databag("nats", (claim("8444/tcp"),), machine="0", model=MODEL_B)),
    ]
    deployment = deployment_from_units(units, input="relation ports")
    assert deployment.hosts() == (Host("0", MODEL_A[:8]), Host("0", MODEL_B[:8]))
    assert not [f for f in check(deployment).findings if f.rule == "port-conflict"]


def test_co_located_units_claiming_one_port_conflict():
    units = [
        ("ams/0", "ams", databag("ams", machine="0")),
        (
            "dashboard/0",
            "dashboard",
            databag("anbox-cloud-dashboard", (claim("8444/tcp", origin="extra"),), machine="0"),
        ),
    ]
    conflicts = [
        f
        for f in check(deployment_from_units(units, input="relation ports")).findings
        if f.rule == "port-conflict"
    ]
    assert conflicts
    assert set(conflicts[0].units) == {"ams/0", "dashboard/0"}


def test_unknown_exposure_raises_no_exposure_findings():
    units = [("coturn/0", "coturn", databag("coturn", (claim("5349/tcp"), claim("5349/udp")), machine="0"))]
    rules = {f.rule for f in check(deployment_from_units(units, input="relation ports")).findings}
    assert "external-port-unexposed" not in rules


def test_model_labels_are_unique_prefixes_of_at_least_eight():
    twin = MODEL_A[:10] + "ffff" + MODEL_A[14:]
    labels = model_labels([MODEL_A, twin, MODEL_B, MODEL_A])
    assert labels[MODEL_B] == MODEL_B[:8]
    assert len(labels[MODEL_A]) == len(labels[twin]) == 11
    assert labels[MODEL_A] != labels[twin]


BAD_KINDS: Mapping[str, dict[str, str]] = {
    "partial": {k: v for k, v in GOOD.items() if k != "claims"},
    "non-json": {**GOOD, "claims": "{oops"},
    "wrong-type": {**GOOD, "claims": json.dumps([{**_CLAIM, "exposed": 1}])},
    "hostile-port": {**GOOD, "claims": json.dumps([{**_CLAIM, "port": "80/tcp; rm -rf /"}])},
    "megabyte": {**GOOD, "claims": "x" * 1_000_000},
    "ten-thousand-claims": {**GOOD, "claims": json.dumps([_CLAIM] * 10_000)},
    "unknown-version": {**GOOD, "version": "0"},
}


@pytest.mark.parametrize("kind", sorted(BAD_KINDS))
def test_one_bad_unit_among_good_ones_is_one_error_and_the_rest_are_checked(kind: str):
    units = [
        ("ams/0", "ams", databag("ams", machine="0")),
        ("ams/1", "ams", BAD_KINDS[kind]),
        ("ams/2", "ams", databag("ams", machine="2")),
    ]
    deployment = deployment_from_units(units, input="relation ports")
    assert [u.name for u in deployment.units] == ["ams/0", "ams/2"]
    (problem,) = deployment.problems
    assert (problem.rule, problem.severity, problem.units) == ("invalid-port", "error", ("ams/1",))
    assert problem.message.startswith("unit ams/1: ")
    assert "\n" not in problem.message
    assert problem.fix
    assert [(f.message, f.units) for f in check(deployment).findings if f.rule == "invalid-port"] == [
        (problem.message, problem.units)
    ]


def test_not_yet_published_is_a_warning_and_a_unit_seen_twice_is_one_unit():
    units = [
        ("ams/0", "ams", dict(JUJU_KEYS)),
        ("ams/1", "ams", databag()),
        ("ams/1", "ams", {"claims": "junk"}),
        ("ams/2", "ams", dict(JUJU_KEYS)),  # nothing on this relation,
        ("ams/2", "ams", databag(machine="2")),  # its data on another: read, no warning
    ]
    deployment = deployment_from_units(units, input="relation ports")
    assert [u.name for u in deployment.units] == ["ams/1", "ams/2"]
    warning, junk = sorted(deployment.problems, key=lambda p: p.units)
    assert (warning.severity, warning.units) == ("warning", ("ams/0",))
    assert (junk.severity, junk.units) == ("error", ("ams/1",))  # a bad record is still said


def test_a_unit_on_two_relations_keeps_the_claims_of_both():
    """Today's first-record-wins would lose agent/0's 443/tcp and with it the conflict with haproxy/0."""
    agent = [claim("8443/tcp")], [claim("8443/tcp"), claim("443/tcp")]
    units = [
        ("agent/0", "agent", databag("anbox-stream-agent", tuple(agent[0]), machine="0")),
        ("agent/0", "agent", databag("anbox-stream-agent", tuple(agent[1]), machine="0")),
        ("haproxy/0", "haproxy", databag("haproxy", (claim("443/tcp"),), machine="0")),
    ]
    deployment = deployment_from_units(units, input="relation ports")
    assert sorted(str(c.port) for c in deployment.claims if c.unit == "agent/0") == ["443/tcp", "8443/tcp"]
    assert [f.rule for f in check(deployment).findings if f.severity == "error"] == ["port-conflict"]
    assert deployment.problems == ()


def test_records_that_disagree_on_the_machine_are_said():
    units = [
        ("ams/0", "ams", databag(machine="0")),
        ("ams/0", "ams", databag(machine="1")),
    ]
    deployment = deployment_from_units(units, input="relation ports")
    [unit] = deployment.units
    assert unit.host.machine == "0"
    [problem] = deployment.problems
    assert problem.message == (
        'unit ams/0 publishes different anbox_ports data on its relations (machine "0" and "1"): it is read '
        "where its first record puts it, with the claims of all of them"
    )


def test_unreadable_units_arrive_as_errors():
    units = [("ams/0", "ams", UnitDataError("ams/0", "cannot read its data: permission denied"))]
    (problem,) = deployment_from_units(units, input="relation ports").problems
    assert problem.message == "unit ams/0: cannot read its data: permission denied"


def test_options_extras_unknown_services_and_pods():
    units = [
        (
            "ams/0",
            "ams",
            databag("ams", (claim("9444/tcp", origin="option:port"), claim("9999/tcp", origin="extra"))),
        ),
        ("custom/0", "custom", databag("my-proxy", (claim("3128/tcp", origin="extra"),), machine="5")),
        ("pod/0", "pod", databag("nats", (claim("4222/tcp"),), machine="")),
    ]
    deployment = deployment_from_units(units, input="relation ports")
    catalog = Catalog.builtin()
    moved, extra = (c for c in deployment.claims if c.unit == "ams/0")
    assert (moved.option, moved.row) == ("port", catalog.row_for("ams", PortRange.parse("8444/tcp")))
    assert (extra.option, extra.row) == (None, None)
    assert deployment.unchecked == ("custom",)
    assert deployment.unit_map()["pod/0"].host == Host("pod/0")  # one model: no label


def test_a_unit_of_another_profile_is_a_warning():
    units = [("nats/0", "nats", databag("nats", (claim("4004/tcp"),), profile="appliance"))]
    deployment = deployment_from_units(units, input="relation ports", profile="charmed")
    (problem,) = deployment.problems
    assert problem.severity == "warning"
    assert "appliance" in problem.message
    assert len(deployment.claims) == 1


# -- the ops adapters ----------------------------------------------------------------------------------


class ProviderCharm(ops.CharmBase):
    claims: tuple[PublishedClaim, ...] = AMS_CLAIMS

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = PortsProvider(self)
        self.written: bool | None = None
        framework.observe(self.on.update_status, self._publish)
        framework.observe(self.on.ports_relation_created, self._publish)

    def _publish(self, _: ops.EventBase) -> None:
        self.written = self.ports.publish("ams", "charmed", self.claims)


class RequirerCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.ports = PortsRequirer(self)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        deployment = self.ports.deployment()
        errors = [p.message for p in deployment.problems if p.severity == "error"]
        if errors:
            event.add_status(ops.BlockedStatus("; ".join(errors)))
        event.add_status(
            ops.ActiveStatus(f"{len(deployment.units)} units on {len(deployment.hosts())} hosts")
        )


PROVIDER_META = {"name": "ams", "provides": {"ports": {"interface": "anbox_ports"}}}
REQUIRER_META = {"name": "anbox-cloud-ports", "requires": {"ports": {"interface": "anbox_ports"}}}


def test_provider_publishes_on_every_relation_without_leadership():
    ctx = testing.Context(ProviderCharm, meta=PROVIDER_META, machine_id="3/lxd/1")
    first = testing.Relation("ports", remote_app_name="anbox-cloud-ports")
    second = testing.Relation("ports", remote_app_name="other-validator")
    state = testing.State(leader=False, relations=[first, second], model=testing.Model(uuid=MODEL_A))
    out = ctx.run(ctx.on.update_status(), state)
    for relation in (first, second):
        written = out.get_relation(relation.id)
        assert written.local_app_data == {}
        unit = decode_unit("ams/0", written.local_unit_data, app="ams")
        assert isinstance(unit, DecodedUnit)
        assert (unit.machine, unit.model, unit.claims) == ("3/lxd/1", MODEL_A, tuple(sorted(AMS_CLAIMS)))


def test_provider_without_a_machine_publishes_an_empty_machine():
    ctx = testing.Context(ProviderCharm, meta=PROVIDER_META)
    relation = testing.Relation("ports")
    out = ctx.run(ctx.on.relation_created(relation), testing.State(relations=[relation]))
    assert out.get_relation(relation.id).local_unit_data["machine"] == '""'


def test_provider_steady_state_writes_nothing():
    ctx = testing.Context(ProviderCharm, meta=PROVIDER_META, machine_id="0")
    state = testing.State(relations=[testing.Relation("ports")])
    with ctx(ctx.on.update_status(), state) as manager:
        state = manager.run()
        assert manager.charm.written is True
    with ctx(ctx.on.update_status(), state) as manager:
        manager.run()
        assert manager.charm.written is False


def test_requirer_reads_every_unit_across_relations_and_models():
    ams = testing.Relation(
        "ports",
        remote_app_name="ams",
        remote_units_data={0: databag("ams", machine="1"), 1: databag("ams", machine="2")},
    )
    nats = testing.Relation(  # offered from another model: its units carry that model's uuid
        "ports",
        remote_app_name="nats",
        remote_units_data={0: databag("nats", (claim("4222/tcp"),), machine="1", model=MODEL_B)},
    )
    ctx = testing.Context(RequirerCharm, meta=REQUIRER_META)
    out = ctx.run(ctx.on.update_status(), testing.State(relations=[ams, nats]))
    assert out.unit_status == testing.ActiveStatus("3 units on 3 hosts")
    for relation in (ams, nats):
        assert out.get_relation(relation.id).local_unit_data == testing.Relation("ports").local_unit_data
        assert out.get_relation(relation.id).local_app_data == {}


def test_requirer_never_raises_because_of_remote_data():
    junk = {**GOOD, "claims": '[{"port": "80/tcp; rm -rf /"}]', "version": "[" * 10_000}
    relation = testing.Relation(
        "ports",
        remote_app_name="ams",
        remote_units_data={0: junk, 1: databag(), 2: {**GOOD, "claims": "x" * 1_000_000}},
    )
    ctx = testing.Context(RequirerCharm, meta=REQUIRER_META)
    out = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation]))
    assert isinstance(out.unit_status, testing.BlockedStatus)
    assert "unit ams/0: " in out.unit_status.message
    assert "unit ams/2: claims: 1000000 characters long" in out.unit_status.message


def test_requirer_reports_a_unit_whose_data_cannot_be_read(monkeypatch: pytest.MonkeyPatch):
    load = ops.model.RelationDataContent._load

    def failing(self: ops.model.RelationDataContent) -> Any:
        if self._entity.name == "ams/1":
            raise ops.ModelError("ERROR permission denied\n")
        return load(self)

    monkeypatch.setattr(ops.model.RelationDataContent, "_load", failing)
    relation = testing.Relation(
        "ports", remote_app_name="ams", remote_units_data={0: databag(), 1: databag()}
    )
    ctx = testing.Context(RequirerCharm, meta=REQUIRER_META)
    out = ctx.run(ctx.on.update_status(), testing.State(relations=[relation]))
    assert out.unit_status == testing.BlockedStatus(
        f"unit ams/1: cannot read its data on relation ports:{relation.id}: ERROR permission denied\\n"
    )


def test_a_hostile_unit_name_stays_bounded_in_the_finding():
    name = "ams\n" + "x" * 1_000_000 + "/0"
    (problem,) = deployment_from_units([(name, name.rpartition("/")[0], GOOD)], input="dump").problems
    assert len(problem.units[0]) < 50
    assert "\n" not in problem.units[0] + problem.message + (problem.fix or "")
