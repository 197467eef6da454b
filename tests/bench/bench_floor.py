"""Every door against its floor: the cost of just reading its input, measured in the same run.

Prints one table: each figure as a ratio of the door's time (or peak memory) to its floor's, the
target, and whether it is met; then each door's growth from 1x to 10x input. Whole-process figures run
`anbox-ports` as a subprocess, as a user does, in paired runs (floor, door, floor, door...) so the
machine's load hits both alike; the median of each is compared. No assertion: figures only.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "lib", _ROOT / "src", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.bench.anbox_shapes import bundle_yaml, relation_databags, status_json  # noqa: E402

PAIRS = int(os.environ.get("ANBOX_PORTS_BENCH_PAIRS", "7"))
UNITS = 20_000
CLAIMS = 1_000_000
RELATED = 1_000

_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT / "lib"), os.environ.get("PYTHONPATH", "")])}
_CLI = "import sys; from anbox_cloud_ports.cli import main; sys.exit(main())"


@dataclass(frozen=True)
class Figure:
    name: str
    door: float
    floor: float
    target: float
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.door / self.floor


def _run(argv: Sequence[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one subprocess, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[:4])}... exited {proc.returncode}")
    return elapsed, usage.ru_maxrss


def _paired(floor: Sequence[str], door: Sequence[str]) -> tuple[float, float, int, int]:
    """Median wall times and peak memories of `door` and `floor`, run alternately."""
    _run(floor)  # warm the page cache and byte-compile
    _run(door)
    floors: list[tuple[float, int]] = []
    doors: list[tuple[float, int]] = []
    for _ in range(PAIRS):
        floors.append(_run(floor))
        doors.append(_run(door))
    return (
        statistics.median(t for t, _ in doors),
        statistics.median(t for t, _ in floors),
        max(m for _, m in doors),
        max(m for _, m in floors),
    )


def _best(fn: Callable[[], object], repeats: int = 3) -> float:
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# -- the figures -------------------------------------------------------------------------------------


def status_figures(tmp: Path, units: int) -> tuple[Figure, Figure]:
    path = tmp / f"status-{units}.json"
    path.write_text(status_json(units))
    floor = [sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], 'rb'))", str(path)]
    door = [sys.executable, "-c", _CLI, "check", str(path), "--format", "json"]
    door_s, floor_s, door_kb, floor_kb = _paired(floor, door)
    return (
        Figure(f"check of a {units:,}-unit juju status (process) / json.load", door_s, floor_s, 2.0),
        Figure("peak memory of that check / json.load", door_kb, floor_kb, 1.3, "KiB"),
    )


def bundle_figure(tmp: Path, units: int) -> Figure:
    path = tmp / f"bundle-{units}.yaml"
    path.write_text(bundle_yaml(units))
    floor = [
        sys.executable,
        "-c",
        "import sys, yaml; yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)",
        str(path),
    ]
    door = [sys.executable, "-c", _CLI, "check", str(path), "--format", "json"]
    door_s, floor_s, _, _ = _paired(floor, door)
    return Figure(f"check of a {units:,}-unit bundle (process) / CSafeLoader load", door_s, floor_s, 2.0)


def startup_figure() -> Figure:
    door_s, floor_s, _, _ = _paired([sys.executable, "-c", "pass"], [sys.executable, "-c", _CLI, "check"])
    return Figure("anbox-ports check, built-in reference (process) / python -c pass", door_s, floor_s, 4.0)


def engine_figure(claims: int) -> Figure:
    from anbox_cloud_ports.checks import check

    deployment = _engine_deployment(claims)
    door_s = _best(lambda: check(deployment))
    floor_s = _best(lambda: _plain_sweep(deployment))
    return Figure(
        f"engine check() on {len(deployment.claims):,} claims / plain sort-and-sweep", door_s, floor_s, 1.3
    )


def _engine_deployment(claims: int):
    from anbox_cloud_ports.catalog import Catalog
    from anbox_cloud_ports.model import Application, Claim, Deployment, ExposeTarget, Host, Unit
    from tests.bench.anbox_shapes import _CHARMS, MACHINES_PER_REGION, _placements

    catalog = Catalog.builtin()
    rows = {charm: catalog.for_charm(charm) for charm in _CHARMS.values()}
    per_region = sum(len(row.claims) for _, charm in _CHARMS.items() for row in rows[charm])
    regions = max(1, claims // (per_region + 3 * 16))
    units: list[Unit] = []
    out: list[Claim] = []
    counters = dict.fromkeys(_CHARMS, 0)
    for region in range(regions):
        base = region * MACHINES_PER_REGION
        for app, offset in _placements(region):
            charm = _CHARMS[app]
            name = f"{app}/{counters[app]}"
            counters[app] += 1
            units.append(Unit(name, app, charm, Host(str(base + offset))))
            out.extend(
                Claim(name, port, "", "catalog", None, row) for row in rows[charm] for port in row.claims
            )
    exposed = {"": ExposeTarget()}
    apps = {
        app: Application(app, charm, exposed if app in ("lb", "coturn", "lxd") else {})
        for app, charm in _CHARMS.items()
    }
    return Deployment("bench", apps, tuple(units), tuple(out), endpoints_known=False)


def _plain_sweep(deployment) -> int:
    """The floor: group claims by (host, protocol), sort each group, sweep for overlaps; count them."""
    host_of = {unit.name: unit.host for unit in deployment.units}
    groups: dict[tuple[object, str], list[tuple[int, int, str]]] = {}
    for claim in deployment.claims:
        port = claim.port
        groups.setdefault((host_of[claim.unit], port.protocol), []).append((port.start, port.end, claim.unit))
    overlaps = 0
    for group in groups.values():
        group.sort()
        reach = -1
        for start, end, _ in group:
            if start <= reach:
                overlaps += 1
            reach = max(reach, end)
    return overlaps


def validator_figure(related: int) -> Figure:
    from ops import testing

    from charm import AnboxCloudPortsCharm

    databags = relation_databags(related)
    by_app: dict[str, dict[int, dict[str, str]]] = {}
    for unit, app, databag in databags:
        by_app.setdefault(app, {})[int(unit.rpartition("/")[2])] = databag
    relations = [
        testing.Relation("ports", remote_app_name=app, remote_units_data=data) for app, data in by_app.items()
    ]
    ctx = testing.Context(AnboxCloudPortsCharm)
    state = testing.State(relations=relations, leader=True)
    door_s = _best(lambda: ctx.run(ctx.on.update_status(), state))
    floor_s = _best(
        lambda: [
            json.loads(v)
            for _, _, bag in databags
            for k, v in bag.items()
            if k not in ("ingress-address", "egress-subnets")
        ]
    )
    return Figure(
        f"validator charm, one dispatch with {related:,} related units / json.loads of their data",
        door_s,
        floor_s,
        3.0,
    )


# -- growth ------------------------------------------------------------------------------------------


def growth(tmp: Path) -> list[tuple[str, float, float]]:
    """Each door at 1x and 10x input: seconds, and the factor (target: within 12x)."""
    out: list[tuple[str, float, float]] = []
    for name, make in (("juju status", status_json), ("bundle", bundle_yaml)):
        times = []
        for units in (UNITS // 10, UNITS):
            path = tmp / f"growth-{units}.{name[0]}"
            path.write_text(make(units))
            times.append(
                statistics.median(
                    _run([sys.executable, "-c", _CLI, "check", str(path), "--format", "json"])[0]
                    for _ in range(3)
                )
            )
        out.append((f"{name} check (process), {UNITS // 10:,} -> {UNITS:,} units", times[0], times[1]))
    from anbox_cloud_ports.checks import check

    small, big = _engine_deployment(CLAIMS // 10), _engine_deployment(CLAIMS)
    out.append(
        (
            f"engine check(), {len(small.claims):,} -> {len(big.claims):,} claims",
            _best(lambda: check(small)),
            _best(lambda: check(big)),
        )
    )
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        status, memory = status_figures(tmp, UNITS)
        figures = [
            status,
            bundle_figure(tmp, UNITS),
            startup_figure(),
            engine_figure(CLAIMS),
            validator_figure(RELATED),
            memory,
        ]
        print(f"every door vs its floor, measured in this run (medians of {PAIRS} paired runs for processes)")
        print(f"{'figure':<78} {'door':>10} {'floor':>10} {'ratio':>7} {'target':>7}  met")
        for f in figures:
            fmt = (lambda v: f"{v / 1024:.0f} MiB") if f.unit == "KiB" else (lambda v: f"{v * 1000:.0f} ms")
            print(
                f"{f.name:<78} {fmt(f.door):>10} {fmt(f.floor):>10} {f.ratio:>6.2f}x {f.target:>6.1f}x  {'yes' if f.ratio <= f.target else 'NO'}"
            )
        print()
        print(
            f"{'growth from 1x to 10x input (target: within 12x)':<78} {'1x':>10} {'10x':>10} {'factor':>7}"
        )
        for label, one, ten in growth(tmp):
            print(
                f"{label:<78} {one * 1000:>8.0f} ms {ten * 1000:>7.0f} ms {ten / one:>6.1f}x  {'yes' if ten / one <= 12 else 'NO'}"
            )


if __name__ == "__main__":
    main()
