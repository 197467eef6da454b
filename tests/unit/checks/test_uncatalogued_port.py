"""uncatalogued-port: ports a unit holds that its catalog rows do not name."""

from __future__ import annotations

from anbox_cloud_ports.checks import check
from tests.unit.checks.builders import (
    P,
    build,
    claim,
    unit,
)


def test_uncatalogued_observed_port_is_info():
    units = [unit("ams/0", "1"), unit("mystery/0", "1")]
    claims = [
        claim("ams/0", "8444/tcp", origin="observed"),
        claim("ams/0", "9999/tcp", origin="observed"),
        claim("mystery/0", "1234/tcp", origin="observed"),  # not a catalogued charm: not judged
    ]
    [finding] = check(build(units, claims, observed=True)).findings
    assert finding.rule == "uncatalogued-port"
    assert finding.severity == "info"
    assert finding.ports == (P("9999/tcp"),)
    assert "no charmed catalog row of charm ams" in finding.message


def test_declared_ports_are_not_uncatalogued():
    units = [unit("ams/0", "1")]
    assert check(build(units, [claim("ams/0", "9999/tcp", origin="declared")])).findings == ()
