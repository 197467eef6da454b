"""`juju show-unit` dumps -> Deployment, in Juju's own shape (cmd/juju/application/showunit.go)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.databag import PublishedClaim, encode_provider
from anbox_cloud_ports.errors import InputError
from anbox_cloud_ports.model import Host, Location
from anbox_cloud_ports.ports import PortRange
from anbox_cloud_ports.sources.show_unit import load_show_unit, looks_like_show_unit

MODEL = "0b6f2c1e-8d9a-4b7e-9a51-3f2d6c8e1a40"
OTHER_MODEL = "7c3d9e2f-1a4b-4c5d-8e6f-9a0b1c2d3e4f"


def published(service: str, machine: str, *ports: str, model: str = MODEL) -> dict[str, str]:
    claims = [PublishedClaim(PortRange.parse(p)) for p in ports]
    address = f"10.0.0.{len(machine)}"
    return {
        "egress-subnets": f"{address}/32",
        "ingress-address": address,
        "private-address": address,
        **encode_provider(service, "charmed", model, machine, claims),
    }


def juju_keys() -> dict[str, str]:
    return {"egress-subnets": "10.0.0.9/32", "ingress-address": "10.0.0.9", "private-address": "10.0.0.9"}


def validator_dump() -> dict[str, Any]:
    """What `juju show-unit anbox-cloud-ports/0 --format=json` prints for a validator related to three apps."""
    return {
        "anbox-cloud-ports/0": {
            "workload-version": "",
            "machine": "0",
            "opened-ports": [],
            "public-address": "10.0.0.9",
            "charm": "ch:amd64/anbox-cloud-ports-3",
            "leader": True,
            "life": "alive",
            "relation-info": [
                {
                    "relation-id": 4,
                    "endpoint": "ports",
                    "related-endpoint": "ports",
                    "application-data": {},
                    "local-unit": {"in-scope": True, "data": juju_keys()},
                    "related-units": {
                        "ams/0": {"in-scope": True, "data": published("ams", "1", "8444/tcp", "20002/tcp")},
                        "ams/1": {"in-scope": True, "data": published("ams", "2", "8444/tcp", "20002/tcp")},
                        "ams/2": {"in-scope": False, "data": {}},
                    },
                },
                {
                    "relation-id": 7,
                    "endpoint": "ports",
                    "cross-model": True,
                    "related-endpoint": "ports",
                    "application-data": {},
                    "local-unit": {"in-scope": True, "data": juju_keys()},
                    "related-units": {
                        "nats/0": {
                            "in-scope": True,
                            "data": published("nats", "1", "4222/tcp", model=OTHER_MODEL),
                        },
                    },
                },
                {
                    "relation-id": 9,
                    "endpoint": "juju-info",
                    "related-endpoint": "juju-info",
                    "application-data": {},
                    "related-units": {"ubuntu-advantage/0": {"in-scope": True, "data": juju_keys()}},
                },
            ],
        }
    }


def test_a_validator_dump_becomes_the_related_units():
    deployment = load_show_unit(validator_dump(), input="dump.json")
    assert deployment.input == "dump.json"
    assert deployment.observed
    assert [u.name for u in deployment.units] == ["ams/0", "ams/1", "nats/0"]
    assert deployment.problems == ()
    assert deployment.unit_map()["nats/0"].host == Host("1", OTHER_MODEL[:8])
    assert deployment.unit_map()["ams/0"].host == Host("1", MODEL[:8])
    assert len(deployment.claims) == 5
    assert all(c.location == Location("dump.json") for c in deployment.claims)


def test_the_yaml_format_reads_the_same():
    text = yaml.safe_dump(validator_dump())
    from_yaml = load_show_unit(yaml.safe_load(text), input="dump.yaml")
    from_json = load_show_unit(json.loads(json.dumps(validator_dump())), input="dump.yaml")
    assert from_yaml == from_json


def test_one_bad_unit_is_a_finding_pointing_at_the_file():
    dump = validator_dump()
    related = dump["anbox-cloud-ports/0"]["relation-info"][0]["related-units"]
    related["ams/1"]["data"]["claims"] = '[{"port": "80/tcp; rm -rf /"}]'
    related["ams/3"] = {"in-scope": True, "data": juju_keys()}
    related["ams/4"] = {"in-scope": True, "data": ["not", "a", "mapping"]}
    related["ams/5"] = "not a record"
    deployment = load_show_unit(dump, input="dump.json")
    assert [u.name for u in deployment.units] == ["ams/0", "nats/0"]
    by_unit = {p.units[0]: p for p in deployment.problems}
    assert by_unit["ams/1"].severity == "error"
    assert by_unit["ams/1"].location == Location("dump.json")
    assert by_unit["ams/3"].severity == "warning"  # not published yet
    assert "show-unit data is not a mapping" in by_unit["ams/4"].message
    assert "not a mapping with in-scope and data" in by_unit["ams/5"].message


def test_conflicts_in_a_dump_are_found():
    dump = validator_dump()
    related = dump["anbox-cloud-ports/0"]["relation-info"][0]["related-units"]
    related["lxd/0"] = {"in-scope": True, "data": published("ams-lxd", "1", "8444/tcp")}
    findings = check(load_show_unit(dump, input="dump.json")).findings
    conflicts = [f for f in findings if f.rule == "port-conflict"]
    assert conflicts
    assert set(conflicts[0].units) == {"ams/0", "lxd/0"}


def test_a_differently_named_endpoint_is_found_by_its_data():
    dump = validator_dump()
    for entry in dump["anbox-cloud-ports/0"]["relation-info"]:
        if entry["endpoint"] == "ports":
            entry["endpoint"] = "anbox-ports"
    assert [u.name for u in load_show_unit(dump, input="d").units] == ["ams/0", "ams/1", "nats/0"]
    explicit = load_show_unit(dump, input="d", endpoint="anbox-ports")
    assert [u.name for u in explicit.units] == ["ams/0", "ams/1", "nats/0"]


def test_dumps_of_provider_units_read_their_own_databags():
    dump = {
        name: {
            "machine": machine,
            "opened-ports": ["8444/tcp"],
            "charm": "ch:amd64/ams-10",
            "leader": name == "ams/0",
            "relation-info": [
                {
                    "endpoint": "ports",
                    "related-endpoint": "ports",
                    "application-data": {},
                    "local-unit": {"in-scope": True, "data": published("ams", machine, "8444/tcp")},
                    "related-units": {"anbox-cloud-ports/0": {"in-scope": True, "data": juju_keys()}},
                }
            ],
        }
        for name, machine in (("ams/0", "1"), ("ams/1", "2"))
    }
    deployment = load_show_unit(dump, input="ams.yaml")
    assert [u.name for u in deployment.units] == ["ams/0", "ams/1"]
    assert deployment.problems == ()


def test_several_validator_units_show_each_provider_once():
    dump = validator_dump()
    dump["anbox-cloud-ports/1"] = copy.deepcopy(dump["anbox-cloud-ports/0"])
    deployment = load_show_unit(dump, input="d")
    assert [u.name for u in deployment.units] == ["ams/0", "ams/1", "nats/0"]


def test_a_unit_without_relations_gives_an_empty_deployment():
    dump = {"anbox-cloud-ports/0": {"machine": "0", "opened-ports": [], "charm": "ch:x", "leader": True}}
    deployment = load_show_unit(dump, input="d")
    assert deployment.units == ()
    assert deployment.problems == ()


@pytest.mark.parametrize(
    ("dump", "where"),
    [
        (
            {"a/0": {"charm": "c", "leader": True, "opened-ports": [], "relation-info": "x"}},
            "a/0: relation-info",
        ),
        ({"a/0": {"relation-info": ["x"]}}, "a/0: relation-info[0]"),
        ({"a/0": {"relation-info": [{"endpoint": "ports", "related-units": ["b/0"]}]}}, "related-units"),
    ],
)
def test_a_malformed_dump_is_unusable_input(dump: dict[str, Any], where: str):
    with pytest.raises(InputError) as raised:
        load_show_unit(dump, input="bad.json")
    assert raised.value.where is not None
    assert where in raised.value.where
    assert str(raised.value).startswith("bad.json: ")


def test_something_else_is_not_a_show_unit_dump():
    with pytest.raises(InputError, match="not a `juju show-unit` dump"):
        load_show_unit({"applications": {}}, input="status.json")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (validator_dump(), True),
        ({"ams/0": {"machine": "1", "opened-ports": [], "charm": "ch:ams", "leader": False}}, True),
        ({"model": {"name": "m"}, "machines": {}, "applications": {}}, False),  # juju status
        ({"applications": {"ams": {"charm": "ams"}}}, False),  # bundle
        ({"series": "jammy", "services": {}}, False),  # legacy bundle
        ({}, False),
        ([], False),
        ("ams/0", False),
        ({"ams/0": "x"}, False),
        ({"ams/0": {"machine": "1"}}, False),
        ({"AMS/0": {"relation-info": []}}, False),
        ({"ams/0": {"relation-info": []}, "applications": {}}, False),
    ],
)
def test_looks_like_show_unit(data: Any, expected: bool):
    assert looks_like_show_unit(data) is expected


def test_a_local_unit_with_a_service_key_does_not_hide_the_related_units():
    """Another interface's databag may well hold `service`: the validator's providers stay checked."""
    dump = validator_dump()
    dump["anbox-cloud-ports/0"]["relation-info"][0]["local-unit"]["data"]["service"] = '"web"'
    deployment = load_show_unit(dump, input="d")
    assert [u.name for u in deployment.units] == ["ams/0", "ams/1", "nats/0"]


def test_a_provider_dump_still_reads_related_providers():
    """A provider's own data is read from local-unit, and related units that publish too are read."""
    dump = {
        "ams/0": {
            "machine": "1",
            "opened-ports": ["8444/tcp"],
            "charm": "ch:amd64/ams-10",
            "leader": True,
            "relation-info": [
                {
                    "endpoint": "ports",
                    "related-endpoint": "ports",
                    "application-data": {},
                    "local-unit": {"in-scope": True, "data": published("ams", "1", "8444/tcp")},
                    "related-units": {
                        "anbox-cloud-ports/0": {"in-scope": True, "data": juju_keys()},
                        "agent/0": {
                            "in-scope": True,
                            "data": published("anbox-stream-agent", "1", "8444/tcp"),
                        },
                    },
                }
            ],
        }
    }
    deployment = load_show_unit(dump, input="ams.yaml")
    assert [u.name for u in deployment.units] == ["agent/0", "ams/0"]
    assert deployment.problems == ()
    assert [f.rule for f in check(deployment).findings if f.severity == "error"] == ["port-conflict"]


def test_the_same_unit_on_two_relations_is_one_unit_with_all_its_claims():
    dump = validator_dump()
    second = copy.deepcopy(dump["anbox-cloud-ports/0"]["relation-info"][0])
    second["relation-id"] = 5
    second["related-units"] = {
        "ams/0": {"in-scope": True, "data": published("ams", "1", "8444/tcp", "443/tcp")}
    }
    dump["anbox-cloud-ports/0"]["relation-info"].append(second)
    deployment = load_show_unit(dump, input="d")
    ports = sorted(str(c.port) for c in deployment.claims if c.unit == "ams/0")
    assert ports == ["20002/tcp", "443/tcp", "8444/tcp"]
