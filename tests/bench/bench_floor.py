"""Every door against its floor: the cost of just reading its input, measured in the same run.

Prints one table: each figure as a ratio of the door's time (or peak memory) to its floor's, the
target, and whether it is met; then each door's growth from 1x to 10x input. No assertion: figures
only.

How each pair is kept honest:

- Whole-process figures run `anbox-ports` as a subprocess, as a user does, in paired runs (floor,
  door, floor, door...) so the machine's load hits both alike; the median of each is compared. Both
  run byte-compiled, as an installed package is: the children get a bytecode cache of their own
  (PYTHONPYCACHEPREFIX), and a PYTHONDONTWRITEBYTECODE in the caller's environment is dropped for
  them, or the door would compile its own sources on every run while the floor's stdlib is compiled.
  The floors are the plain commands: `python -c pass`, `json.load`, PyYAML's `CSafeLoader` load.
- The engine's floor is a plain sort-and-sweep over the same claims (group by host and protocol,
  sort each group, count overlaps), run under the same collector state as `check()`, which pauses
  the cyclic collector: with it running, the floor would also pay for walking the million claims
  the bench holds, and the ratio would flatter the engine.
- The validator's door is one dispatch through ops (the charm's handlers, collect-status and the
  framework's commit), read from ops.testing's Manager; building and copying the input State is
  the test harness's work, not the charm's, and is left out. Its floor is the same dispatch of a
  charm that only reads what the validator reads: every related unit's databag through ops, as any
  charm on the relation must, each field parsed with json.loads. (json.loads of the databags with
  no ops around it leaves out ops' own reading, about half of the floor; that ratio is printed too.)
- Growth is printed with the floor's own growth beside it: the process doors as a user runs them,
  and the same work in process, where the interpreter's fixed start-up cost does not hide a door
  that grows faster than its input. A 20,000-unit model no longer fits the processor's caches as a
  2,000-unit one does, so every floor grows by more than 10x as well.
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
from typing import Any, NamedTuple

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "lib", _ROOT / "src", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from anbox_cloud_ports.gcpause import gc_paused  # noqa: E402
from tests.bench.anbox_shapes import bundle_yaml, relation_databags, status_json  # noqa: E402

PAIRS = int(os.environ.get("ANBOX_PORTS_BENCH_PAIRS", "7"))
UNITS = 20_000
CLAIMS = 1_000_000
RELATED = 1_000
GROWTH_LIMIT = 12.0

# What the `anbox-ports` console script runs (pyproject.toml [project.scripts]).
_CLI = "import sys; from anbox_cloud_ports.cli import run; sys.exit(run())"


def _child_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT / "lib"), os.environ.get("PYTHONPATH", "")])
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


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


class Runner:
    """Runs the whole-process figures: byte-compiled children, paired runs, medians."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.env = _child_env(tmp / "pycache")

    def run(self, argv: Sequence[str]) -> tuple[float, int]:
        """Wall time and peak RSS (KiB) of one subprocess, its output discarded."""
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv[:4])}... exited {proc.returncode}")
        return elapsed, usage.ru_maxrss

    def paired(self, floor: Sequence[str], door: Sequence[str]) -> tuple[float, float, float, float]:
        """Median wall times and peak memories of `door` and `floor`, run alternately."""
        for _ in range(2):  # byte-compile both into the children's cache, and warm the page cache
            self.run(floor)
            self.run(door)
        floors: list[tuple[float, int]] = []
        doors: list[tuple[float, int]] = []
        for _ in range(PAIRS):
            floors.append(self.run(floor))
            doors.append(self.run(door))
        return (
            statistics.median(t for t, _ in doors),
            statistics.median(t for t, _ in floors),
            statistics.median(m for _, m in doors),
            statistics.median(m for _, m in floors),
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


def status_figures(runner: Runner, units: int) -> tuple[Figure, Figure]:
    path = runner.tmp / f"status-{units}.json"
    path.write_text(status_json(units))
    floor = [sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], 'rb'))", str(path)]
    door = [sys.executable, "-c", _CLI, "check", str(path), "--format", "json"]
    door_s, floor_s, door_kb, floor_kb = runner.paired(floor, door)
    return (
        Figure(f"check of a {units:,}-unit juju status (process) / json.load", door_s, floor_s, 2.0),
        Figure("peak memory of that check / json.load", door_kb, floor_kb, 1.3, "KiB"),
    )


def bundle_figure(runner: Runner, units: int) -> Figure:
    path = runner.tmp / f"bundle-{units}.yaml"
    path.write_text(bundle_yaml(units))
    floor = [
        sys.executable,
        "-c",
        "import sys, yaml; yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)",
        str(path),
    ]
    door = [sys.executable, "-c", _CLI, "check", str(path), "--format", "json"]
    door_s, floor_s, _, _ = runner.paired(floor, door)
    return Figure(f"check of a {units:,}-unit bundle (process) / CSafeLoader load", door_s, floor_s, 2.0)


def startup_figure(runner: Runner) -> Figure:
    door_s, floor_s, _, _ = runner.paired(
        [sys.executable, "-c", "pass"], [sys.executable, "-c", _CLI, "check"]
    )
    return Figure("anbox-ports check, built-in reference (process) / python -c pass", door_s, floor_s, 4.0)


def engine_figure(claims: int) -> Figure:
    from anbox_cloud_ports.checks import check

    deployment = engine_deployment(claims)
    door_s = _best(lambda: check(deployment))
    floor_s = _best(lambda: plain_sweep(deployment))
    return Figure(
        f"engine check() on {len(deployment.claims):,} claims / plain sort-and-sweep", door_s, floor_s, 1.3
    )


def engine_deployment(claims: int) -> Any:
    """About `claims` catalog claims of Anbox regions (units placed as in the status and bundle)."""
    from anbox_cloud_ports.catalog import Catalog
    from anbox_cloud_ports.model import Application, Claim, Deployment, ExposeTarget, Host, Unit
    from tests.bench.anbox_shapes import _CHARMS, MACHINES_PER_REGION, _placements

    catalog = Catalog.builtin()
    rows = {charm: catalog.for_charm(charm) for charm in _CHARMS.values()}
    per_region = sum(len(row.claims) for app, _ in _placements(0) for row in rows[_CHARMS[app]])
    regions = max(1, -(-claims // per_region))
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


def plain_sweep(deployment: Any) -> int:
    """The floor: group claims by (host, protocol), sort each group, sweep for overlaps; count them."""
    with gc_paused():
        host_of = {unit.name: unit.host for unit in deployment.units}
        groups: dict[tuple[object, str], list[tuple[int, int, str]]] = {}
        for claim in deployment.claims:
            port = claim.port
            key = (host_of[claim.unit], port.protocol)
            group = groups.get(key)
            if group is None:
                groups[key] = group = []
            group.append((port.start, port.end, claim.unit))
        overlaps = 0
        for group in groups.values():
            group.sort()
            reach = -1
            for start, end, _ in group:
                if start <= reach:
                    overlaps += 1
                if end > reach:  # noqa: PLR1730 - cheaper than max(): the floor is the fastest plain sweep
                    reach = end
        return overlaps


_JUJU_KEYS = ("ingress-address", "egress-subnets", "private-address")


def _reading_charm() -> type[Any]:
    """The validator's floor: a charm that only reads what the validator reads.

    Every related unit's databag, through ops as any charm on the relation must, each field parsed
    with json.loads; nothing else.
    """
    import ops

    class Reader(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            framework.observe(self.on.update_status, self._read)

        def _read(self, _event: ops.UpdateStatusEvent) -> None:
            for relation in self.model.relations["ports"]:
                for unit in relation.units:
                    data = dict(relation.data[unit])
                    for key, value in data.items():
                        if key not in _JUJU_KEYS:
                            json.loads(value)
            self.unit.status = ops.ActiveStatus()

    return Reader


class Validator:
    """The validator charm with `related` provider units on its relation, and their databags."""

    def __init__(self, related: int):
        from ops import testing

        from charm import AnboxCloudPortsCharm

        self.databags = relation_databags(related)
        by_app: dict[str, dict[int, dict[str, str]]] = {}
        for unit, app, databag in self.databags:
            by_app.setdefault(app, {})[int(unit.rpartition("/")[2])] = databag
        relations = [
            testing.Relation("ports", remote_app_name=app, remote_units_data=data)
            for app, data in by_app.items()
        ]
        self.ctx = testing.Context(AnboxCloudPortsCharm)
        meta = {"name": "reader", "requires": {"ports": {"interface": "anbox_ports"}}}
        self.reader = testing.Context(_reading_charm(), meta=meta)
        self.state = testing.State(relations=relations, leader=True)

    def _dispatch(self, ctx: Any) -> float:
        """Seconds of one update-status dispatch: ops runs the charm, collects its status, commits."""
        with ctx(ctx.on.update_status(), self.state) as manager:
            start = time.perf_counter()
            out = manager.run()
            elapsed = time.perf_counter() - start
        if out.unit_status.name not in ("active", "blocked"):  # pragma: no cover - a broken bench
            raise RuntimeError(f"validator says {out.unit_status}")
        return elapsed

    def _best_of(self, ctx: Any, repeats: int = 5) -> float:
        times: list[float] = []
        for _ in range(repeats):
            gc.collect()
            times.append(self._dispatch(ctx))
        return min(times)

    def best_dispatch(self) -> float:
        return self._best_of(self.ctx)

    def floor(self) -> float:
        """The same dispatch of a charm that only reads and parses the related units' databags."""
        return self._best_of(self.reader)

    def parse_only(self) -> float:
        """json.loads of every databag field, with no charm and no ops around it."""
        return _best(
            lambda: [
                json.loads(value)
                for _, _, bag in self.databags
                for key, value in bag.items()
                if key not in _JUJU_KEYS
            ],
            repeats=5,
        )


def validator_figure(related: int) -> tuple[Figure, float]:
    """The figure, and the dispatch's ratio to json.loads of the databags alone (printed beside it)."""
    validator = Validator(related)
    door = validator.best_dispatch()
    figure = Figure(
        f"validator charm, one dispatch with {len(validator.databags):,} related units / a charm only reading them",
        door,
        validator.floor(),
        3.0,
    )
    return figure, door / validator.parse_only()


# -- growth ------------------------------------------------------------------------------------------


class Growth(NamedTuple):
    """One door at 1x and 10x input, and its floor at both: seconds."""

    label: str
    door: tuple[float, float]
    floor: tuple[float, float]


def _in_process(text: str, name: str) -> float:
    """Seconds to read, check and render one input as `anbox-ports check --format json` does."""
    from anbox_cloud_ports.checks import check
    from anbox_cloud_ports.render import render
    from anbox_cloud_ports.sources import load_inputs

    data = text.encode()
    return _best(lambda: render(check(load_inputs([(data, name)])), "json"))


def _parse_only(text: str, json_text: bool) -> float:
    import yaml

    data = text.encode()
    if json_text:
        return _best(lambda: json.loads(data))
    return _best(lambda: yaml.load(data, Loader=yaml.CSafeLoader))


def growth(runner: Runner) -> list[Growth]:
    """Each door at 1x and 10x input (target: within 12x), beside its floor at both.

    The process doors as a user runs them; and the same work in process, where the interpreter's
    start does not hide a door that grows faster than its input. A 20,000-unit model no longer fits
    the processor's caches as a 2,000-unit one does, so even the floor grows by more than 10x.
    """
    from anbox_cloud_ports.checks import check

    out: list[Growth] = []
    small, big = UNITS // 10, UNITS
    for label, make, json_text in (("juju status", status_json, True), ("bundle", bundle_yaml, False)):
        texts = (make(small), make(big))
        paths = [runner.tmp / f"growth-{n}.{'json' if json_text else 'yaml'}" for n in (small, big)]
        for path, text in zip(paths, texts, strict=True):
            path.write_text(text)
        parse = (
            "json.load(open(sys.argv[1], 'rb'))"
            if json_text
            else "yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)"
        )
        floor_code = f"import json, sys, yaml; {parse}"
        doors: list[float] = []
        floors: list[float] = []
        for path in paths:
            door_s, floor_s, _, _ = runner.paired(
                [sys.executable, "-c", floor_code, str(path)],
                [sys.executable, "-c", _CLI, "check", str(path), "--format", "json"],
            )
            doors.append(door_s)
            floors.append(floor_s)
        out.append(
            Growth(
                f"{label} check (process), {small:,} -> {big:,} units",
                (doors[0], doors[1]),
                (floors[0], floors[1]),
            )
        )
        name = "s.json" if json_text else "b.yaml"
        out.append(
            Growth(
                f"{label} read, check and render (in process), {small:,} -> {big:,} units",
                (_in_process(texts[0], name), _in_process(texts[1], name)),
                (_parse_only(texts[0], json_text), _parse_only(texts[1], json_text)),
            )
        )
    small_d, big_d = engine_deployment(CLAIMS // 10), engine_deployment(CLAIMS)
    out.append(
        Growth(
            f"engine check(), {len(small_d.claims):,} -> {len(big_d.claims):,} claims",
            (_best(lambda: check(small_d)), _best(lambda: check(big_d))),
            (_best(lambda: plain_sweep(small_d)), _best(lambda: plain_sweep(big_d))),
        )
    )
    small_v, big_v = Validator(RELATED // 10), Validator(RELATED)
    out.append(
        Growth(
            f"validator dispatch, {len(small_v.databags):,} -> {len(big_v.databags):,} related units",
            (small_v.best_dispatch(), big_v.best_dispatch()),
            (small_v.floor(), big_v.floor()),
        )
    )
    return out


def _shown(figure: Figure, value: float) -> str:
    return f"{value / 1024:.0f} MiB" if figure.unit == "KiB" else f"{value * 1000:.0f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        runner = Runner(Path(name))
        status, memory = status_figures(runner, UNITS)
        validator, to_parsing = validator_figure(RELATED)
        figures = [
            status,
            bundle_figure(runner, UNITS),
            startup_figure(runner),
            engine_figure(CLAIMS),
            validator,
            memory,
        ]
        print(f"every door vs its floor, measured in this run (medians of {PAIRS} paired runs for processes)")
        print(f"{'figure':<82} {'door':>8} {'floor':>8} {'ratio':>7} {'target':>7}  met")
        for f in figures:
            met = "yes" if f.ratio <= f.target else "NO"
            print(
                f"{f.name:<82} {_shown(f, f.door):>8} {_shown(f, f.floor):>8} {f.ratio:>6.2f}x {f.target:>6.1f}x  {met}"
            )
        print(
            f"(the validator's dispatch is {to_parsing:.1f}x json.loads of the databags alone, without ops reading"
            " them for the charm)"
        )
        print()
        print(
            f"{'growth from 1x to 10x input (target: within 12x)':<82} {'1x':>8} {'10x':>8} {'factor':>7}  met"
            "  floor's factor"
        )
        for row in growth(runner):
            (one, ten), (floor_one, floor_ten) = row.door, row.floor
            met = "yes" if ten / one <= GROWTH_LIMIT else "NO"
            print(
                f"{row.label:<82} {one * 1000:>5.0f} ms {ten * 1000:>5.0f} ms {ten / one:>6.1f}x  {met:<3}"
                f"  {floor_ten / floor_one:>5.1f}x"
            )


if __name__ == "__main__":
    main()
