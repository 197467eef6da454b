"""check(): the registry of rules, problems passed through, profiles, summaries, determinism."""

from __future__ import annotations

import pytest

from anbox_cloud_ports.checks import check
from anbox_cloud_ports.findings import ordered
from anbox_cloud_ports.model import (
    Deployment,
    Problem,
)
from tests.unit.checks.builders import (
    P,
    build,
    claim,
    unit,
)

# -- report plumbing ---------------------------------------------------------------------------------------


def test_source_problems_pass_through_in_order():
    problem = Problem('option port: invalid port "x"', units=("ams/0",))
    units = [unit("coturn/0", "1")]
    report = check(build(units, [], problems=(problem,)))
    assert [f.rule for f in report.findings] == ["invalid-port", "external-port-unexposed"]
    assert report.summary.errors == 1
    assert report.summary.warnings == 1
    assert list(report.findings) == ordered(report.findings)


def test_unknown_juju_version_is_refused():
    with pytest.raises(ValueError, match="unknown Juju version"):
        check(build([], []), juju="5")  # type: ignore[arg-type]


def test_appliance_profile_selects_appliance_rows():
    units = [unit("ui-and-api/0", "0"), unit("coturn/0", "0")]
    deployment = build(units, [claim("coturn/0", "5349/udp")], profile="appliance")
    [finding] = check(deployment).findings
    # Appliance Coturn is not required, the UI and API is: only it must be exposed.
    assert finding.rule == "external-port-unexposed"
    assert finding.units == ("ui-and-api/0",)
    assert finding.ports == (P("443/tcp"),)


def test_summary_counts_unchecked_units():
    deployment = build([unit("a/0", "0")], [])
    deployment = Deployment(
        deployment.input, deployment.applications, deployment.units, (), unchecked=("b/0", "c/0")
    )
    assert check(deployment).summary.unchecked == 2


def test_findings_are_deterministic():
    units = [unit(f"a/{i}", str(i % 2)) for i in range(8)]
    claims = [claim(f"a/{i}", f"{100 + i}-{110 + i}/tcp") for i in range(8)]
    first = check(build(units, claims)).findings
    second = check(build(list(reversed(units)), list(reversed(claims)))).findings
    assert first == second
