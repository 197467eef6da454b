"""Pure helpers of the real-Juju suite (test_juju.py): reading Juju's output, and what to expect of it.

Nothing here runs Juju: each function takes the documents Juju prints (`juju status --format=json`,
`juju export-bundle`, `opened-ports --endpoints --format=json`, `juju controllers --format=json`) or an
injected subprocess runner, so tests/unit/test_juju_helpers.py checks them against fixture documents
in Juju's own shapes on a machine without Juju.

The parsers here deliberately do not reuse the library's (anbox_cloud_ports.charm.hooktools,
sources.juju_status): the suite uses them to read the evidence the library is judged on, so they must
not share its mistakes. Ports stay Juju's own text (`443/tcp`, `50000-51000/udp`, `icmp`), which is
also how the catalog's claims print.
"""

from __future__ import annotations

import copy
import json
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from anbox_cloud_ports.catalog import Catalog, Profile

# -- the deployment under test ---------------------------------------------------------------------

VALIDATOR_APP = "validator"
PORTS_ENDPOINT = "ports"  # the anbox_ports relation, on the validator and on the example charm
PUBLIC = "public"  # where the example charm opens the ports the seed marks exposed externally
INTERNAL = "internal"  # ... and the others
WILDCARD = "*"  # how `opened-ports --endpoints` names "all endpoints" (open-port without --endpoints)


@dataclass(frozen=True, slots=True)
class ExampleApp:
    """One application of the example charm standing in for an Anbox service (its `service` option)."""

    name: str
    service: str
    colocated: bool = False  # deployed `--to` the one shared machine


LAYOUT: tuple[ExampleApp, ...] = (
    ExampleApp("coturn", "coturn"),
    ExampleApp("lxd", "ams-lxd"),
    # Stream Agent (443/tcp internal) and the gateway's HAProxy (80, 443/tcp public) on one machine:
    # the same 443/tcp, so Juju 3 refuses whichever open-port runs second.
    ExampleApp("agent", "anbox-stream-agent", colocated=True),
    ExampleApp("gateway-lb", "haproxy", colocated=True),
)


BASE = "ubuntu@24.04"  # both charms' base: the shared machine is added with it, so both can land on it


def services(layout: Iterable[ExampleApp] = LAYOUT) -> dict[str, str]:
    """Application name -> catalog charm name (the `service` option each app is deployed with)."""
    return {app.name: app.service for app in layout}


def first_units(layout: Iterable[ExampleApp] = LAYOUT) -> list[str]:
    """The unit of each application (one each), validator first: every unit the suite waits for."""
    return [f"{VALIDATOR_APP}/0", *(f"{app.name}/0" for app in layout)]


def juju_option(major: int) -> str:
    """The validator's `juju` option and `anbox-ports --juju` for a model of this Juju major version.

    Both are deprecated and change no verdict: the hook tool refuses the same open-port calls in 3.x
    and 4.x (docs/juju-facts.md#open-port-conflicts); the suite still passes them, as older setups do.
    """
    return "4" if major >= 4 else "3"


# -- what the catalog says each service opens --------------------------------------------------------

PortsByEndpoint = dict[str, frozenset[str]]


def expected_ports(
    service: str, *, profile: Profile = "charmed", catalog: Catalog | None = None
) -> PortsByEndpoint:
    """The catalog's claims of `service`, on the endpoint the seed's "Exposed externally" column picks.

    Read from the catalog's rows, not from the charm library's opener, so the suite checks the opener
    against the data rather than against itself. Raises ValueError for a service the catalog lacks.
    """
    rows = (catalog or Catalog.builtin()).for_charm(service, profile)
    if not rows:
        raise ValueError(f"the {profile} catalog has no service {service!r}")
    result: dict[str, set[str]] = {}
    for row in rows:
        result.setdefault(PUBLIC if row.exposed else INTERNAL, set()).update(
            str(claim) for claim in row.claims
        )
    return {endpoint: frozenset(ports) for endpoint, ports in result.items()}


def all_ports(by_endpoint: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Every port of a per-endpoint map, once (what `juju status` shows: it knows no endpoints)."""
    return frozenset(port for ports in by_endpoint.values() for port in ports)


def without(by_endpoint: Mapping[str, frozenset[str]], ports: Iterable[str]) -> PortsByEndpoint:
    """The map with `ports` removed from every endpoint, and endpoints left empty dropped."""
    drop = frozenset(ports)
    return {ep: held - drop for ep, held in by_endpoint.items() if held - drop}


def shared_ports(service_names: Iterable[str], *, profile: Profile = "charmed") -> frozenset[str]:
    """The ports every one of `service_names` claims: what co-locating them puts in conflict."""
    sets = [all_ports(expected_ports(name, profile=profile)) for name in service_names]
    if not sets:
        return frozenset()
    common = sets[0]
    for other in sets[1:]:
        common &= other
    return common


# -- `opened-ports --endpoints` ---------------------------------------------------------------------

# Juju's port text: jujuc opened-ports prints network.PortRange.String(): `80/tcp`, `8000-8999/udp`, `icmp`.
_PORT = re.compile(r"icmp|[0-9]{1,5}(?:-[0-9]{1,5})?/(?:tcp|udp)")
# One entry with --endpoints: `<port> (<endpoint>, <endpoint>)` or `<port> (*)`.
_ENTRY = re.compile(r"(?P<port>\S+) \((?P<endpoints>[^()]*)\)")
_ENDPOINT = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")


def parse_opened_ports(output: str) -> PortsByEndpoint:
    """What `opened-ports --endpoints` printed, as endpoint -> ports; `*` is the wildcard endpoint.

    Takes the `--format=json` document (a JSON list of entries, `null` when there are none) or the
    default format (one entry per line). A port opened on two endpoints is listed under both. An entry without its endpoint
    parenthesis means `--endpoints` was not passed: refused (ValueError), as is anything that is not
    Juju's port syntax, so a surprise in Juju's output fails the suite instead of being misread.
    """
    text = output.strip()
    if not text or text == "null":  # a unit with no ports: Go marshals its nil list as null
        return {}
    entries: list[object]
    if text.startswith("["):
        try:
            document = json.loads(text)
        except ValueError:
            raise ValueError(f"opened-ports printed broken JSON: {text[:80]!r}") from None
        if not isinstance(document, list):
            raise ValueError(f"opened-ports printed a JSON {type(document).__name__}, not a list")
        entries = cast(list[object], document)
    else:
        entries = [line for line in text.splitlines() if line.strip()]
    result: dict[str, set[str]] = {}
    for entry in entries:
        if not isinstance(entry, str):
            raise ValueError(f"opened-ports entry {entry!r} is not a string")
        match = _ENTRY.fullmatch(entry.strip())
        if match is None:
            raise ValueError(
                f"opened-ports entry {entry!r} is not `<port> (<endpoints>)`: was --endpoints passed?"
            )
        port = match["port"]
        if not _PORT.fullmatch(port):
            raise ValueError(f"opened-ports entry {entry!r}: {port!r} is not a Juju port range")
        names = [name.strip() for name in match["endpoints"].split(",")]
        for name in names:
            if name != WILDCARD and not _ENDPOINT.fullmatch(name):
                raise ValueError(f"opened-ports entry {entry!r}: {name!r} is not an endpoint name")
            result.setdefault(name, set()).add(port)
    return {endpoint: frozenset(ports) for endpoint, ports in result.items()}


def firewall_exposed_ports(
    opened: Mapping[str, Iterable[str]], exposed_endpoints: Iterable[str]
) -> frozenset[str]:
    """The ports Juju's firewaller opens to the world for one unit, given its application's expose rules.

    juju worker/firewaller/firewaller.go `ingressRulesForExposedMachineUnit`: a rule for the wildcard
    endpoint `""` (`juju expose app`) reaches every opened port; a rule for endpoint X reaches the
    ports opened for X and those opened for all endpoints (`*` in `opened-ports`).
    """
    rules = set(exposed_endpoints)
    if not rules:
        return frozenset()
    if "" in rules:
        return all_ports(opened)
    reached: set[str] = set(opened.get(WILDCARD, ()))
    for endpoint in rules:
        reached.update(opened.get(endpoint, ()))
    return frozenset(reached)


# -- `juju status --format=json` -------------------------------------------------------------------

JsonObject = Mapping[str, Any]


def _mapping(value: object, what: str) -> JsonObject:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"juju status: {what} is a {type(value).__name__}, not a mapping")
    return cast(JsonObject, value)


def applications(status: JsonObject) -> JsonObject:
    return _mapping(status.get("applications"), "applications")


def units(status: JsonObject) -> dict[str, JsonObject]:
    """Every unit entry by unit name, subordinates included (they sit under their principal)."""
    found: dict[str, JsonObject] = {}

    def visit(entries: JsonObject, where: str) -> None:
        for name, entry in entries.items():
            unit = _mapping(entry, f"{where}.{name}")
            found[str(name)] = unit
            visit(
                _mapping(unit.get("subordinates"), f"{where}.{name}.subordinates"),
                f"{where}.{name}.subordinates",
            )

    for app, entry in applications(status).items():
        visit(
            _mapping(_mapping(entry, f"applications.{app}").get("units"), f"applications.{app}.units"),
            str(app),
        )
    return found


def open_ports_by_unit(status: JsonObject) -> dict[str, frozenset[str]]:
    """unit -> its `open-ports` (Juju omits the key when a unit holds none: an empty set here)."""
    result: dict[str, frozenset[str]] = {}
    for name, unit in units(status).items():
        ports = unit.get("open-ports") or []
        if not isinstance(ports, list) or not all(isinstance(p, str) for p in cast(list[object], ports)):
            raise ValueError(f"juju status: {name}.open-ports is not a list of strings")
        result[name] = frozenset(cast(list[str], ports))
    return result


def machine_of(status: JsonObject, unit: str) -> str:
    """The machine a (principal) unit runs on, as status names it ("3", "0/lxd/1")."""
    machine = units(status)[unit].get("machine")
    if not isinstance(machine, str) or not machine:
        raise ValueError(f"juju status: {unit} has no machine")
    return machine


def workload(status: JsonObject, unit: str) -> tuple[str, str]:
    """(current, message) of a unit's workload status."""
    entry = _mapping(units(status)[unit].get("workload-status"), f"{unit}.workload-status")
    return str(entry.get("current", "")), str(entry.get("message", ""))


def machine_ids(status: JsonObject) -> frozenset[str]:
    """The top-level machines (containers are under their host's `containers`)."""
    return frozenset(str(key) for key in _mapping(status.get("machines"), "machines"))


def exposure(status: JsonObject, app: str) -> tuple[bool, dict[str, dict[str, frozenset[str]]]]:
    """(exposed, endpoint -> {"cidrs": ..., "spaces": ...}); `""` is the wildcard endpoint's rule.

    From a status document that carries `exposed-endpoints`, which Juju's own `juju status` never
    prints (docs/juju-facts.md#status-formats): for a real model, use `shown_exposure`.
    """
    return _exposure(_mapping(applications(status).get(app), f"applications.{app}"), app)


def shown_exposure(shown: JsonObject, app: str) -> tuple[bool, dict[str, dict[str, frozenset[str]]]]:
    """The same from `juju show-application APP --format=json`, which prints the rules.

    docs/juju-facts.md#show-application.
    """
    return _exposure(_mapping(shown.get(app), app), app)


def _exposure(entry: JsonObject, app: str) -> tuple[bool, dict[str, dict[str, frozenset[str]]]]:
    rules: dict[str, dict[str, frozenset[str]]] = {}
    for endpoint, rule in _mapping(entry.get("exposed-endpoints"), f"{app}.exposed-endpoints").items():
        body = _mapping(rule, f"{app}.exposed-endpoints.{endpoint}")
        rules[str(endpoint)] = {
            "cidrs": frozenset(cast(list[str], body.get("expose-to-cidrs") or [])),
            "spaces": frozenset(cast(list[str], body.get("expose-to-spaces") or [])),
        }
    return bool(entry.get("exposed")), rules


def juju_major(status: JsonObject) -> int:
    """The model's agent major version ("3.6.11" -> 3): which open-port rules Juju applies."""
    version = str(_mapping(status.get("model"), "model").get("version", ""))
    match = re.match(r"([0-9]+)\.", version)
    if match is None:
        raise ValueError(f"juju status: model.version {version!r} is not a Juju version")
    return int(match[1])


UnitStates = Mapping[str, tuple[str, str]]
"""unit -> (agent status, workload status), e.g. ("idle", "blocked")."""


def unit_states(status: JsonObject) -> dict[str, tuple[str, str]]:
    """Every unit's (juju-status, workload-status) currents, from `juju status --format=json`."""
    result: dict[str, tuple[str, str]] = {}
    for name, unit in units(status).items():
        agent = _mapping(unit.get("juju-status"), f"{name}.juju-status").get("current", "")
        work = _mapping(unit.get("workload-status"), f"{name}.workload-status").get("current", "")
        result[name] = (str(agent), str(work))
    return result


def settled(states: UnitStates, wanted: Iterable[str]) -> bool:
    """Every wanted unit exists, its agent is idle and its charm has said active or blocked.

    Blocked counts as settled: a refused open-port and the validator's verdict both block, on purpose.
    Waiting and maintenance (the validator before its relations, a unit mid-install) do not.
    """
    for unit in wanted:
        agent, work = states.get(unit, ("", ""))
        if agent != "idle" or work not in ("active", "blocked"):
            return False
    return True


# -- the example charm as the service it stands for ------------------------------------------------


def _check_apps(present: Iterable[str], wanted: Mapping[str, str], what: str) -> None:
    missing = sorted(set(wanted) - set(present))
    if missing:
        raise ValueError(f"{what} has no application {', '.join(missing)}")


def status_as_services(status: JsonObject, app_services: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a status document where each listed application's charm is the service it stands for.

    The example charm is one charm (`ports-example`) deployed as every service; `anbox-ports` maps
    applications to catalog rows by charm name, as it must for the real Anbox charms. Renaming
    `charm`/`charm-name` makes the dump read as the real deployment would; nothing else changes.
    """
    result = copy.deepcopy(dict(status))
    apps = cast(dict[str, Any], result.get("applications") or {})
    _check_apps(apps, app_services, "juju status")
    for app, service in app_services.items():
        apps[app]["charm"] = service
        apps[app]["charm-name"] = service
    return result


def bundle_as_services(text: str, app_services: Mapping[str, str]) -> str:
    """`juju export-bundle` output with each listed application's `charm` set to its service.

    Every YAML document is kept: Juju writes per-endpoint expose rules as a second (overlay) document.
    """
    documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    if not documents or not isinstance(documents[0], dict):
        raise ValueError("juju export-bundle printed no bundle document")
    base = cast(dict[str, Any], documents[0])
    apps = cast(dict[str, Any], base.get("applications") or base.get("services") or {})
    _check_apps(apps, app_services, "the exported bundle")
    for app, service in app_services.items():
        apps[app]["charm"] = service
    return yaml.safe_dump_all(documents, sort_keys=False)


# -- comparing reports ------------------------------------------------------------------------------

ConflictKey = tuple[str, tuple[str, ...], tuple[str, ...]]
"""(rule, sorted units, sorted ports) of one finding: what every source can agree on."""


def findings(report: JsonObject, rule: str | None = None) -> list[JsonObject]:
    """The findings of an `anbox-ports check --format json` document, of one rule if given."""
    items = report.get("findings")
    if not isinstance(items, list):
        raise ValueError("not an anbox-ports report: it has no findings list")
    found = [cast(JsonObject, f) for f in cast(list[object], items) if isinstance(f, Mapping)]
    return [f for f in found if rule is None or f.get("rule") == rule]


def conflict_keys(report: JsonObject) -> frozenset[ConflictKey]:
    """The port-conflict findings of a report as (rule, sorted units, sorted ports).

    Hosts, messages, fixes, locations and views are left out on purpose: a host is `3` in a status
    dump, a bundle's own machine id in a bundle and `<model>:3` in relation data, and the wording
    depends on what the source knows.
    """
    return frozenset(
        (
            str(f["rule"]),
            tuple(sorted(map(str, f.get("units", ())))),
            tuple(sorted(map(str, f.get("ports", ())))),
        )
        for f in findings(report, "port-conflict")
    )


def conflict_differences(left_name: str, left: JsonObject, right_name: str, right: JsonObject) -> list[str]:
    """Why two reports that read *declared* claims disagree on port conflicts; [] when they agree."""
    a, b = conflict_keys(left), conflict_keys(right)
    problems = [f"only {left_name} reports {key}" for key in sorted(a - b)]
    problems += [f"only {right_name} reports {key}" for key in sorted(b - a)]
    return problems


def refused_ports(
    expected: Mapping[str, Iterable[str]], observed: Mapping[str, Iterable[str]]
) -> dict[str, frozenset[str]]:
    """unit -> the expected ports it does not hold (units missing nothing are left out)."""
    result: dict[str, frozenset[str]] = {}
    for unit, ports in expected.items():
        missing = frozenset(ports) - frozenset(observed.get(unit, ()))
        if missing:
            result[unit] = missing
    return result


def unexplained_conflicts(
    declared: JsonObject, observed: JsonObject, refused: Mapping[str, Iterable[str]]
) -> list[str]:
    """Where a report on what Juju *holds* disagrees with one on what units *want*; [] when consistent.

    `declared` reads claims as the units mean them (relation data, a bundle with the catalog);
    `observed` reads `juju status`, which lists only ports Juju accepted; `refused` is, per unit, the
    wanted ports it does not hold. They agree when:
    - every observed conflict is declared too (Juju let through nothing nobody asked for);
    - every declared conflict that is not observed had one of its ports refused to one of its units
      (Juju 3 refuses the second open-port, so the conflict never reaches status);
    - every refused port is explained by a declared conflict of that unit and port.
    """
    wanted, held = conflict_keys(declared), conflict_keys(observed)
    refusals = {unit: frozenset(ports) for unit, ports in refused.items()}
    problems = [f"status shows {key}, which the declared claims do not" for key in sorted(held - wanted)]
    for key in sorted(wanted - held):
        _, key_units, key_ports = key
        if not any(refusals.get(unit, frozenset()) & set(key_ports) for unit in key_units):
            problems.append(f"declared {key} is neither in status nor refused to any of its units")
    for unit, ports in sorted(refusals.items()):
        for port in sorted(ports):
            if not any(unit in key[1] and port in key[2] for key in wanted):
                problems.append(f"{unit} lacks {port}, but no declared conflict explains it")
    return problems


# -- packed charms ------------------------------------------------------------------------------------

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "ppc64le": "ppc64el",
           "s390x": "s390x", "riscv64": "riscv64"}  # fmt: skip


def host_arch(machine: str | None = None) -> str:
    """This machine's architecture as charmcraft and Juju name it (x86_64 -> amd64)."""
    name = (machine if machine is not None else platform.machine()).lower()
    return _ARCHES.get(name, name)


def charm_name_of(charmcraft_yaml: str) -> str:
    """The `name:` of a charmcraft.yaml: the prefix of the .charm files `charmcraft pack` writes."""
    document = yaml.safe_load(charmcraft_yaml)
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise ValueError("charmcraft.yaml has no name")
    return name


def pick_packed_charm(files: Iterable[Path], name: str, arch: str) -> Path:
    """The one `<name>_<platform>.charm` built for `arch` among `files`.

    charmcraft 3 names a charm per platform: `name_amd64.charm`, or `name_ubuntu-24.04-amd64.charm`
    for a platform spelled out in full. Raises LookupError naming what was found when there is not
    exactly one match.
    """
    prefix = f"{name}_"
    candidates = sorted(f for f in files if f.name.startswith(prefix) and f.suffix == ".charm")
    matches = [f for f in candidates if (p := f.stem[len(prefix) :]) == arch or p.endswith(f"-{arch}")]
    if len(matches) == 1:
        return matches[0]
    found = ", ".join(f.name for f in candidates) or "none"
    if not matches:
        raise LookupError(f"no {name} charm packed for {arch} (found: {found})")
    raise LookupError(f"several {name} charms packed for {arch}: {found}; set the path explicitly")


def charm_from_env(var: str, environ: Mapping[str, str]) -> Path | None:
    """A prebuilt .charm named by environment variable `var`; None when unset. ValueError if unusable."""
    value = environ.get(var, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if path.suffix != ".charm" or not path.is_file():
        raise ValueError(f"{var}={value!r} is not a .charm file")
    return path.resolve()


# -- is there a Juju to test against? ------------------------------------------------------------------

NO_CLI = "no juju CLI: install juju and bootstrap a controller (see README)"
NO_CONTROLLER = "no Juju controller reachable"

Run = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
PROBE_TIMEOUT = 60.0


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:200] if lines else "no output"


def probe_controller(*, which: Callable[[str], str | None] = shutil.which, run: Run = _run) -> str | None:
    """None when a Juju controller answers; otherwise the reason to skip, in one line.

    `juju controllers --format=json` reads only the client's store (with no controller, Juju 3 prints
    `{"controllers":null}`), so the named current controller is then asked for its models, which
    needs the API: a stopped LXD or a dead controller shows there.
    """
    if which("juju") is None:
        return NO_CLI
    try:
        listed = run(["juju", "controllers", "--format=json"])
    except (OSError, subprocess.SubprocessError) as err:
        return f"{NO_CONTROLLER}: `juju controllers` failed: {err}"
    if listed.returncode != 0:
        return f"{NO_CONTROLLER}: `juju controllers` failed: {_first_line(listed.stderr)}"
    try:
        document = json.loads(listed.stdout or "{}")
    except ValueError:
        return f"{NO_CONTROLLER}: `juju controllers --format=json` printed no JSON"
    current = document.get("current-controller") if isinstance(document, dict) else None
    if not isinstance(current, str) or not current:
        return (
            f"{NO_CONTROLLER}: no current controller (juju bootstrap localhost, or juju switch <controller>)"
        )
    try:
        models = run(["juju", "models", "--controller", current, "--format=json"])
    except (OSError, subprocess.SubprocessError) as err:
        return f"{NO_CONTROLLER}: controller {current!r} did not answer: {err}"
    if models.returncode != 0:
        return f"{NO_CONTROLLER}: controller {current!r} did not answer: {_first_line(models.stderr)}"
    return None
