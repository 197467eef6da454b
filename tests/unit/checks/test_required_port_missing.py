"""required-port-missing: only where the input knows what is held."""

from __future__ import annotations

from anbox_cloud_ports.checks import check
from tests.unit.checks.builders import (
    CATALOG,
    P,
    build,
    claim,
    everyone,
    unit,
)

# -- what units hold (observed sources) -------------------------------------------------------------------


def test_required_port_missing_only_when_observed():
    units = [unit("ams/0", "1")]
    claims = [claim("ams/0", "20002/tcp", origin="observed")]
    [finding] = check(build(units, claims, observed=True)).findings
    assert finding.rule == "required-port-missing"
    assert finding.severity == "warning"
    assert finding.ports == (P("8444/tcp"),)
    assert "ams/0 does not hold 8444/tcp (AMS HTTPS API)" in finding.message
    # A bundle's claims are intentions: nothing to say.
    assert check(build(units, [claim("ams/0", "20002/tcp")])).findings == ()


def test_required_port_missing_from_relation_data():
    units = [unit("nats/0", "0")]
    claims = [claim("nats/0", "8222/tcp", origin="relation")]
    found = {f.rule for f in check(build(units, claims)).findings}
    assert found == {"required-port-missing", "uncatalogued-port"}


def test_required_port_moved_by_config_counts_as_held():
    row = CATALOG.row_for("ams", P("8444/tcp"))
    units = [unit("ams/0", "1")]
    claims = [claim("ams/0", "9444/tcp", origin="observed", row=row)]
    assert check(build(units, claims, observed=True)).findings == ()


def test_required_rows_are_matched_per_protocol():
    units = [unit("coturn/0", "1")]
    claims = [claim("coturn/0", "5349/udp", origin="observed")]
    deployment = build(units, claims, observed=True, exposed={"coturn": {"": everyone()}})
    [finding] = check(deployment).findings
    assert finding.rule == "required-port-missing"
    assert finding.ports == (P("5349/tcp"),)


def test_required_port_missing_skips_subordinates_and_unknown_charms():
    units = [unit("ams/0", "1", subordinate=True), unit("mystery/0", "1")]
    assert check(build(units, [], observed=True)).findings == ()


def test_charmed_etcd_opens_nothing_so_status_never_shows_its_required_port():
    # docs/juju-facts.md#companion-charms: charmed-etcd listens on 2379 without open-port; the
    # reactive etcd charm opens it.
    from anbox_cloud_ports.checks import check
    from tests.unit.checks.builders import build, unit

    quiet = check(build([unit("etcd/0", "0", "charmed-etcd")], [], observed=True)).findings
    assert quiet == ()
    [finding] = check(build([unit("etcd/0", "0", "etcd")], [], observed=True)).findings
    assert finding.rule == "required-port-missing"
