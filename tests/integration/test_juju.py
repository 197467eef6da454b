"""The library against a real Juju: opened ports, a refused open-port, the validator, expose.

One temporary model holds the validator and the example charm deployed as four Anbox services
(juju_helpers.LAYOUT): coturn, lxd (ams-lxd) and, co-located on one machine, agent
(anbox-stream-agent, 443/tcp internal) and gateway-lb (haproxy, 80 and 443/tcp public). Each is related
to the validator's `ports`. What Juju then says (status, `opened-ports --endpoints`, export-bundle)
is held against the catalog, the validator's verdict and `anbox-ports check` on the same model.

Skipped unless a Juju controller answers (conftest.py `juju_controller`); see README for the setup.
Expectations follow the model's Juju: 3.x refuses the second unit's 443/tcp, 4.x accepts an identical
range from co-located units (docs/juju-facts.md#open-port-conflicts).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jubilant
import pytest

from anbox_cloud_ports.cli import main as anbox_ports

from . import juju_helpers as jh

pytestmark = pytest.mark.juju

COLOCATED = [app for app in jh.LAYOUT if app.colocated]
PAIR = [f"{app.name}/0" for app in COLOCATED]
SHARED = jh.shared_ports(app.service for app in COLOCATED)  # 443/tcp
EXPECTED = {f"{app.name}/0": jh.expected_ports(app.service) for app in jh.LAYOUT}


@dataclass(frozen=True)
class Model:
    juju: jubilant.Juju
    major: int  # the model's Juju major version
    shared_machine: str  # where the co-located pair runs


def raw_status(juju: jubilant.Juju) -> dict[str, Any]:
    """`juju status --format=json` as Juju prints it (jubilant's Status drops `exposed-endpoints`)."""
    return json.loads(juju.cli("status", "--format", "json"))


def opened_ports(juju: jubilant.Juju, unit: str) -> jh.PortsByEndpoint:
    """`juju exec --unit U -- opened-ports --endpoints --format=json`, per endpoint."""
    return jh.parse_opened_ports(juju.exec("opened-ports", "--endpoints", "--format=json", unit=unit).stdout)


def anbox_ports_check(path: Path, text: str, *, juju: str) -> dict[str, Any]:
    """`anbox-ports check PATH --juju J --format json`, in process; exit 2 (unusable input) fails."""
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = anbox_ports(["check", str(path), "--juju", juju, "--format", "json"], out=out, err=err)
    assert code in (0, 1), f"anbox-ports check {path.name} exited {code}: {err.getvalue()}"
    return json.loads(out.getvalue())


def check_action(juju: jubilant.Juju) -> dict[str, Any]:
    """The validator's `check` action: its `report` result is the `check --format json` document."""
    task = juju.run(f"{jh.VALIDATOR_APP}/0", "check")
    return json.loads(task.results["report"])


def refused(status: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Per unit, the catalog ports it wanted and Juju does not list as open."""
    return jh.refused_ports(
        {unit: jh.all_ports(ports) for unit, ports in EXPECTED.items()}, jh.open_ports_by_unit(status)
    )


@pytest.fixture(scope="module")
def model(juju: jubilant.Juju, validator_charm: Path, example_charm: Path) -> Model:
    """Deploy the layout, relate every app to the validator, and wait until every agent settles."""
    major = jh.juju_major(raw_status(juju))
    juju.add_machine(base=jh.BASE)
    (shared,) = jh.machine_ids(raw_status(juju))  # the temporary model's only machine
    juju.deploy(validator_charm, jh.VALIDATOR_APP, config={"juju": jh.juju_option(major)})
    for app in jh.LAYOUT:
        juju.deploy(
            example_charm, app.name, config={"service": app.service}, to=shared if app.colocated else None
        )
        juju.integrate(f"{app.name}:{jh.PORTS_ENDPOINT}", f"{jh.VALIDATOR_APP}:{jh.PORTS_ENDPOINT}")
    wanted = jh.first_units()

    def ready(status: jubilant.Status) -> bool:
        states = {
            name: (unit.juju_status.current, unit.workload_status.current)
            for app in status.apps.values()
            for name, unit in app.units.items()
        }
        return jh.settled(states, wanted)

    # Idle for 6 polls 5 s apart: relation data has reached the validator, not merely one hook ended.
    # A unit in error (a refused open-port failing its hook instead of blocking) fails at once.
    juju.wait(ready, error=jubilant.any_error, delay=5, successes=6)
    return Model(juju, major, shared)


def test_colocated_units_share_one_machine_and_juju_arbitrates_443(model: Model):
    status = raw_status(model.juju)
    assert {"443/tcp"} == SHARED
    assert {jh.machine_of(status, unit) for unit in PAIR} == {model.shared_machine}
    held = jh.open_ports_by_unit(status)
    missing = refused(status)
    if model.major >= 4:
        # Juju 4 records an identical range for every co-located unit (domain/port: equal ranges pass).
        assert missing == {}
        assert all(held[unit] >= SHARED for unit in PAIR)
        return
    holders = [unit for unit in PAIR if held[unit] >= SHARED]
    assert len(holders) == 1, f"exactly one of {PAIR} should hold {sorted(SHARED)}: {held}"
    (holder,) = holders
    (loser,) = [unit for unit in PAIR if unit != holder]
    assert missing == {loser: SHARED}, "only the second open-port of the shared port is refused"
    current, message = jh.workload(status, loser)
    assert current == "blocked"
    assert holder in message
    assert all(port in message for port in SHARED), message
    for unit in EXPECTED:
        if unit != loser:
            assert jh.workload(status, unit)[0] == "active", (unit, jh.workload(status, unit))


def test_each_unit_opens_exactly_its_catalog_ports_on_the_right_endpoints(model: Model):
    """Status lists each unit's catalog ports, and `opened-ports --endpoints` puts each on its endpoint.

    Exposed-externally rows on `public`, the others on `internal`, none on the wildcard; a port Juju
    refused (the co-located loser's 443/tcp) is missing from both, and only it.
    """
    status = raw_status(model.juju)
    held = jh.open_ports_by_unit(status)
    missing = refused(status)
    for unit, want in EXPECTED.items():
        lost = missing.get(unit, frozenset())
        assert held[unit] == jh.all_ports(want) - lost, unit
        assert opened_ports(model.juju, unit) == jh.without(want, lost), unit
    assert held[f"{jh.VALIDATOR_APP}/0"] == frozenset()


def test_validator_blocks_naming_the_conflict(model: Model):
    current, message = jh.workload(raw_status(model.juju), f"{jh.VALIDATOR_APP}/0")
    assert current == "blocked"
    for needle in (*sorted(SHARED), *PAIR, f"machine {model.shared_machine}"):
        assert needle in message, f"{needle!r} not in validator status {message!r}"


def test_check_action_agrees_with_anbox_ports_on_juju_status(model: Model, tmp_path: Path):
    """The validator's report and `anbox-ports check` on `juju status` of the same model.

    They read different things: the validator reads relation data, what each unit *wants* (its catalog
    claims, the refused one included); status lists what Juju *accepted*, and no endpoints. So they
    are compared on port-conflict findings as (rule, sorted units, sorted ports), hosts left out (`3`
    in status, `<model>:3` in relation data), with jh.unexplained_conflicts: every conflict in status
    is one the validator reports, and every validator conflict missing from status is accounted for
    by a port Juju refused to one of its units (and every refusal by such a conflict). Exposure rules
    are not compared: relation data cannot see `juju expose`.
    """
    declared = check_action(model.juju)
    status = raw_status(model.juju)
    observed = anbox_ports_check(
        tmp_path / "status.json",
        json.dumps(jh.status_as_services(status, jh.services())),
        juju=jh.juju_option(model.major),
    )
    assert jh.conflict_keys(declared) == {("port-conflict", tuple(sorted(PAIR)), tuple(sorted(SHARED)))}
    assert jh.unexplained_conflicts(declared, observed, refused(status)) == []


def test_check_action_agrees_with_anbox_ports_on_export_bundle(model: Model, tmp_path: Path):
    """The validator's report and `anbox-ports check` on `juju export-bundle` of the same model.

    Both read declared claims (relation data; the bundle's placement with each service's catalog
    ports), so their port-conflict findings must be the same set of (rule, sorted units, sorted ports).
    """
    if model.major >= 4:
        pytest.skip("juju export-bundle was removed in Juju 4")
    declared = check_action(model.juju)
    bundle = anbox_ports_check(
        tmp_path / "bundle.yaml",
        jh.bundle_as_services(model.juju.cli("export-bundle"), jh.services()),
        juju=jh.juju_option(model.major),
    )
    assert jh.conflict_differences("the check action", declared, "juju export-bundle", bundle) == []


def test_expose_public_endpoint_exposes_exactly_the_external_ports(model: Model, tmp_path: Path):
    """`juju expose coturn --endpoints public`: the rule, what it reaches, and the engine's verdict.

    Runs last: it changes the model.
    """
    juju, option = model.juju, jh.juju_option(model.major)
    coturn = next(app for app in jh.LAYOUT if app.service == "coturn")
    coturn_units = [
        unit for unit in jh.open_ports_by_unit(raw_status(juju)) if unit.startswith(f"{coturn.name}/")
    ]
    before = anbox_ports_check(
        tmp_path / "before.json",
        json.dumps(jh.status_as_services(raw_status(juju), jh.services())),
        juju=option,
    )
    assert [f["units"] for f in jh.findings(before, "external-port-unexposed")] == [coturn_units]

    juju.cli("expose", coturn.name, "--endpoints", jh.PUBLIC)
    juju.wait(lambda status: status.apps[coturn.name].exposed, delay=2, successes=1)
    status = raw_status(juju)

    exposed, rules = jh.exposure(status, coturn.name)
    # No --to-cidrs/--to-spaces: Juju stores 0.0.0.0/0 and ::/0 for the endpoint (state MergeExposeSettings).
    assert exposed
    assert rules == {jh.PUBLIC: {"cidrs": {"0.0.0.0/0", "::/0"}, "spaces": frozenset()}}
    want = jh.expected_ports(coturn.service)
    for unit in coturn_units:
        opened = opened_ports(juju, unit)
        assert opened.get(jh.PUBLIC, frozenset()) == want.get(jh.PUBLIC, frozenset())
        assert opened.get(jh.INTERNAL, frozenset()) == want.get(jh.INTERNAL, frozenset())
        assert jh.WILDCARD not in opened
        assert jh.firewall_exposed_ports(opened, rules) == want.get(jh.PUBLIC, frozenset())

    after = anbox_ports_check(
        tmp_path / "after.json", json.dumps(jh.status_as_services(status, jh.services())), juju=option
    )
    assert jh.findings(after, "internal-port-exposed") == []
    assert jh.findings(after, "external-port-unexposed") == []
