"""The library against a real Juju: opened ports, a refused open-port, the validator, expose.

One temporary model holds the validator and the example charm deployed as four Anbox services
(juju_helpers.LAYOUT): coturn, lxd (ams-lxd) and, co-located on one machine, agent
(anbox-stream-agent, 443/tcp internal) and gateway-lb (haproxy, 80 and 443/tcp public). Each is related
to the validator's `ports`. What Juju then says (status, show-application, `opened-ports --endpoints`,
export-bundle) is held against the catalog, the validator's verdict and `anbox-ports check` on the
same model, from dumps and live (`check --model`).

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
from types import MappingProxyType
from typing import Any

import jubilant
import pytest

from anbox_cloud_ports.catalog import Catalog
from anbox_cloud_ports.checks import check
from anbox_cloud_ports.cli import main as anbox_ports
from anbox_cloud_ports.findings import JujuVersion, Report
from anbox_cloud_ports.model import Deployment
from anbox_cloud_ports.sources.live import LiveModel

from . import juju_helpers as jh

pytestmark = pytest.mark.juju

COLOCATED = [app for app in jh.LAYOUT if app.colocated]
PAIR = [f"{app.name}/0" for app in COLOCATED]
SHARED = jh.shared_ports(app.service for app in COLOCATED)  # 443/tcp
EXPECTED = {f"{app.name}/0": jh.expected_ports(app.service) for app in jh.LAYOUT}
CATALOG = Catalog.builtin()


@dataclass(frozen=True)
class Model:
    juju: jubilant.Juju
    major: int  # the model's Juju major version
    shared_machine: str  # where the co-located pair runs


def raw_status(juju: jubilant.Juju) -> dict[str, Any]:
    """`juju status --format=json` as Juju prints it."""
    return json.loads(juju.cli("status", "--format", "json"))


def shown(juju: jubilant.Juju, *apps: str) -> dict[str, Any]:
    """`juju show-application APP... --format=json`: the expose rules status does not print."""
    return json.loads(juju.cli("show-application", *apps, "--format", "json"))


def exec_opened_ports(juju: jubilant.Juju, *apps: str) -> dict[str, Any]:
    """`juju exec --application A,B --format=json -- opened-ports --endpoints --format=json`."""
    return json.loads(
        juju.cli(
            "exec",
            "--format",
            "json",
            "--application",
            ",".join(apps),
            "--",
            "opened-ports",
            "--endpoints",
            "--format=json",
        )
    )


def opened_ports(juju: jubilant.Juju, unit: str) -> jh.PortsByEndpoint:
    """`juju exec --unit U -- opened-ports --endpoints --format=json`, per endpoint."""
    return jh.parse_opened_ports(juju.exec("opened-ports", "--endpoints", "--format=json", unit=unit).stdout)


def anbox_ports_check(path: Path, text: str, *, juju: str, more: tuple[Path, ...] = ()) -> dict[str, Any]:
    """`anbox-ports check PATH [MORE...] --juju J --format json`, in process; exit 2 (unusable input) fails."""
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["check", str(path), *map(str, more), "--juju", juju, "--format", "json"]
    code = anbox_ports(argv, out=out, err=err)
    assert code in (0, 1), f"anbox-ports check {path.name} exited {code}: {err.getvalue()}"
    return json.loads(out.getvalue())


def live_check(juju: jubilant.Juju, major: int) -> Report:
    """What `anbox-ports check --model` reads of the model, each example app read as its service.

    The live path itself (juju status, show-application, spaces, exec opened-ports, run by
    sources.live as the CLI runs them); only the charm names are then mapped to the services the
    example charm stands for, as jh.status_as_services does to a status dump.
    """
    assert juju.model is not None
    deployment = LiveModel(juju.model, timeout=600).read(CATALOG, "charmed")
    version: JujuVersion = "4" if major >= 4 else "3"
    return check(as_services(deployment, jh.services()), catalog=CATALOG, juju=version)


def as_services(deployment: Deployment, services: Mapping[str, str]) -> Deployment:
    units = tuple(u._replace(charm=services.get(u.application, u.charm)) for u in deployment.units)
    charms = {u.key: u.charm for u in units}
    claims = tuple(
        c._replace(row=CATALOG.row_for(charms[c.unit], c.port, deployment.profile)) if c.unit in charms else c
        for c in deployment.claims
    )
    apps = {k: a._replace(charm=services.get(a.name, a.charm)) for k, a in deployment.applications.items()}
    return deployment._replace(units=units, claims=claims, applications=MappingProxyType(apps))


def leaks(report: Report, app: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """internal-port-exposed findings about `app`'s units: (severity, units, ports)."""
    return [
        (f.severity, f.units, tuple(map(str, f.ports)))
        for f in report.findings
        if f.rule == "internal-port-exposed" and all(u.startswith(f"{app}/") for u in f.units)
    ]


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

    # juju status prints `exposed: true` and never to whom (docs/juju-facts.md#status-formats).
    assert "exposed-endpoints" not in status["applications"][coturn.name]
    exposed, rules = jh.shown_exposure(shown(juju, coturn.name), coturn.name)
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


def test_check_model_reads_what_status_does_not_say(model: Model, tmp_path: Path):
    """`check --model` and `check STATUS SHOW-APPLICATION OPENED-PORTS` agree, and know every endpoint.

    Coturn exposed on `public` (as the expose test above leaves it: `juju expose` replaces the entry
    for the same endpoint), every other application not exposed.
    """
    juju = model.juju
    juju.cli("expose", "coturn", "--endpoints", jh.PUBLIC)
    juju.wait(lambda status: status.apps["coturn"].exposed, delay=2, successes=1)
    out, err = io.StringIO(), io.StringIO()
    assert juju.model is not None
    code = anbox_ports(["check", "--model", juju.model, "--format", "json"], out=out, err=err)
    assert code in (0, 1), err.getvalue()
    assert json.loads(out.getvalue())["input"] == ", ".join(
        f"juju {c} -m {juju.model}" for c in ("status", "show-application", "exec")
    )
    live = live_check(juju, model.major)
    assert leaks(live, "coturn") == []
    assert [f for f in live.findings if f.rule == "external-port-unexposed" and "coturn/0" in f.units] == []
    coturn = live.deployment.applications["coturn"]
    assert (coturn.expose_rules_known, sorted(coturn.exposed)) == (True, [jh.PUBLIC])
    for unit in live.deployment.units:
        if unit.application == "coturn":
            assert unit.endpoints_known
            held = {(str(c.port), c.endpoint) for c in live.deployment.claims if c.unit == unit.key}
            want = jh.expected_ports("coturn")
            assert held == {(port, ep) for ep, ports in want.items() for port in ports}
    # The same from dumps.
    (tmp_path / "shown.json").write_text(json.dumps(shown(juju, "coturn")))
    (tmp_path / "ports.json").write_text(json.dumps(exec_opened_ports(juju, "coturn")))
    dumps = anbox_ports_check(
        tmp_path / "status.json",
        json.dumps(jh.status_as_services(raw_status(juju), jh.services())),
        juju=jh.juju_option(model.major),
        more=(tmp_path / "shown.json", tmp_path / "ports.json"),
    )
    assert jh.findings(dumps, "internal-port-exposed") == []
    assert jh.conflict_keys(dumps) == {
        (f.rule, tuple(sorted(f.units)), tuple(sorted(map(str, f.ports))))
        for f in live.findings
        if f.rule == "port-conflict"
    }


def test_the_lxd_error_clears_once_the_operator_runs_the_fix(model: Model):
    """`juju expose lxd` (the Anbox docs' step) leaks 8443/tcp, proven; `--endpoints public` clears it.

    Runs after the tests above: it changes the model.
    """
    juju = model.juju
    lxd = next(app for app in jh.LAYOUT if app.service == "ams-lxd")
    juju.cli("expose", lxd.name)
    juju.wait(lambda status: status.apps[lxd.name].exposed, delay=2, successes=1)
    internal = tuple(sorted(jh.expected_ports("ams-lxd")[jh.INTERNAL]))
    assert leaks(live_check(juju, model.major), lxd.name) == [("error", (f"{lxd.name}/0",), internal)]

    juju.cli("unexpose", lxd.name)
    juju.wait(lambda status: not status.apps[lxd.name].exposed, delay=2, successes=1)
    juju.cli("expose", lxd.name, "--endpoints", jh.PUBLIC)
    juju.wait(lambda status: status.apps[lxd.name].exposed, delay=2, successes=1)
    assert leaks(live_check(juju, model.major), lxd.name) == []
