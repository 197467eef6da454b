"""What deployed units will claim: catalog rows moved by options, and haproxy's `services` list."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.model import Host, Problem, Unit
from anbox_cloud_ports.sources.claims import AppOptions, option_claims

LB = [Unit("lb/0", "lb", "haproxy", Host("0"))]
SERVICES = """
- service_name: api_http
  service_host: "0.0.0.0"
  service_port: 80
- service_name: app
  service_port: 8080
"""


def claimed(
    values: dict[str, object], units: list[Unit] = LB, charm: str = "haproxy"
) -> tuple[list[tuple[str, str | None, str | None]], list[Problem]]:
    problems: list[Problem] = []
    options = AppOptions("lb", charm, values, name_option=lambda o: f"options.{o}")
    found = [
        (str(c.port), c.option, c.row.service if c.row else None)
        for c in option_claims(options, units, Catalog.builtin(), "charmed", problems)
    ]
    return found, problems


def test_haproxy_claims_exactly_the_ports_of_its_services() -> None:
    assert claimed({"services": SERVICES}) == (
        [("80/tcp", "services", "HAProxy"), ("8080/tcp", "services", None)],
        [],
    )


def test_without_services_haproxy_claims_its_catalog_rows() -> None:
    found, _ = claimed({})
    assert [p for p, _, _ in found] == ["80/tcp", "443/tcp"]


def test_monitoring_opens_one_more_port() -> None:
    found, _ = claimed({"services": SERVICES, "enable_monitoring": "true", "monitoring_port": "10001"})
    assert ("10001/tcp", "monitoring_port", None) in found


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ("- [unclosed", "option services is not YAML"),
        ("service_port: 80", "option services is not a YAML list of services"),
        ("- 80", "option services holds an entry that is not a mapping"),
    ],
)
def test_services_that_cannot_be_read_are_a_problem_and_the_rows_stay(services: str, message: str) -> None:
    found, [problem] = claimed({"services": services})
    assert [p for p, _, _ in found] == ["80/tcp", "443/tcp"]
    assert message in problem.message
    assert problem.fix == "set options.services to a YAML list of services, each with a service_port"


def test_a_service_without_a_port_or_with_a_bad_one_is_said_and_the_others_kept() -> None:
    found, problems = claimed(
        {
            "services": "- {service_name: a}\n- {service_name: b, service_port: 70000}\n- {service_name: c, service_port: 81}"
        }
    )
    assert found == [("81/tcp", "services", None)]
    assert [(p.rule, p.severity) for p in problems] == [
        ("unresolved-value", "warning"),
        ("invalid-port", "error"),
    ]
    assert 'service "a" of option services has no service_port' in problems[0].message
    assert "service_port 70000 is not a port 1-65535" in problems[1].message


def test_moved_ports_and_invalid_values_follow_the_catalog_options() -> None:
    ams = [Unit("ams/0", "ams", "ams", Host("1"))]
    found, _ = claimed({"port": "9444"}, ams, "ams")
    assert ("9444/tcp", "port", "AMS") in found
    found, [problem] = claimed({"port": "70000"}, ams, "ams")
    assert ("8444/tcp", None, "AMS") in found
    assert problem.fix == "set options.port to a port number 1-65535 (the catalog default is 8444)"
